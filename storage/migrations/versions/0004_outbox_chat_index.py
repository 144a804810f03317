"""outbox: index for 'is there an earlier undelivered message for this chat?'

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_chat_queue", "outbox", ["chat_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_queue", table_name="outbox")
