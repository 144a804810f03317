"""covering indexes for the digest, /stats, exports and retention

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

# storage.metrics reads a period's rows from these alone (index-only scans), so the digest and
# /stats stay under a second at a million tickets (benchmarks/digest.py).


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        # 办结, 按时办结, 办理时长: tickets resolved in a period.
        batch_op.create_index(
            'ix_tickets_resolved_cover',
            ['resolved_at', 'department_code', 'status', 'closure_code', 'due_at', 'routed_at'],
            unique=False,
        )
        # 响应时长: first replies in a period.
        batch_op.create_index(
            'ix_tickets_first_reply_cover',
            ['first_reply_at', 'department_code', 'routed_at'],
            unique=False,
        )
        # 未评价 closures of a period; `minyi anonymise --closed-before`.
        batch_op.create_index(
            'ix_tickets_closed_cover', ['closed_at', 'rating', 'department_code'], unique=False
        )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        # 重开率: resolution and reopen events of a period, per department.
        batch_op.create_index(
            'ix_ticket_events_kind_at_department', ['kind', 'at', 'department_code'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_kind_at_department')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_closed_cover')
        batch_op.drop_index('ix_tickets_first_reply_cover')
        batch_op.drop_index('ix_tickets_resolved_cover')
