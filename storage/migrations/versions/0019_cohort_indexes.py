"""cohort indexes: the channel, theme and 满意率 figures read from indexes alone

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 06:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The campaign's channel figures and the monthly themes read every ticket received in a period
# (a cohort, with any department or none), and 满意率 leaves out the 直办 tickets by their
# closure code: with the period's time column first and every column they need in the index, a
# million-ticket store answers them from the index alone instead of one table row per ticket
# (issue 17 item 6). ix_tickets_created_cover replaces ix_tickets_created_at (same first column).
NEW = {
    "ix_tickets_created_cover": [
        "created_at",
        "channel",
        "closure_code",
        "duplicate_of_id",
        "status",
        "resolved_at",
        "written_off_at",
        "rating",
        "team",
        "theme",
    ],
    "ix_tickets_department_closed": ["department_code", "closed_at", "rating", "closure_code"],
}
OLD = {
    "ix_tickets_created_at": ["created_at"],
    "ix_tickets_department_closed": ["department_code", "closed_at", "rating"],
}


def _swap(create: dict[str, list[str]], drop: dict[str, list[str]]) -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name in drop:
            batch_op.drop_index(name)
        for name, columns in create.items():
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _swap(NEW, OLD)


def downgrade() -> None:
    _swap(OLD, NEW)
