"""indexes for the digest, /stats, exports and retention

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        # 响应时长 is measured over the first replies of a period.
        batch_op.create_index('ix_tickets_first_reply_at', ['first_reply_at'], unique=False)
        # 未评价 closures of a period; `minyi anonymise --closed-before`.
        batch_op.create_index('ix_tickets_closed_at', ['closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_closed_at')
        batch_op.drop_index('ix_tickets_first_reply_at')
