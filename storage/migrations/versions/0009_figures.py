"""figure indexes: the period's intake and the open backlog read from indexes alone

Revision ID: 0009_figures
Revises: 0008
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_figures"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.metrics: 办结率, 转办率 and the received counts read the tickets received in a period
# (every column they need is in the index, so a month of a million-ticket store is one
# index-only range scan); open and overdue read the backlog by status with its deadline.
# Each supersedes an index whose columns are its leading ones.


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_received_cover",
            [
                "created_at",
                "department_code",
                "duplicate_of_id",
                "status",
                "closure_code",
                "resolved_at",
                "routed_at",
                "reassign_count",
            ],
            unique=False,
        )
        batch_op.drop_index("ix_tickets_created_at")
        batch_op.create_index(
            "ix_tickets_backlog_cover", ["status", "department_code", "due_at"], unique=False
        )
        batch_op.drop_index("ix_tickets_status_department")


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_status_department", ["status", "department_code"], unique=False
        )
        batch_op.drop_index("ix_tickets_backlog_cover")
        batch_op.create_index("ix_tickets_created_at", ["created_at"], unique=False)
        batch_op.drop_index("ix_tickets_received_cover")
