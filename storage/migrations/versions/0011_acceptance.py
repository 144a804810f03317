"""tickets: 签收 (acceptance) deadline, when accepted, reminded and escalated

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("accept_due_at", "accepted_at", "accept_reminded_at", "accept_escalated_at")


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_tickets_accept_cover", "tickets", ["accept_due_at", "department_code", "accepted_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_accept_cover", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
