"""figure indexes: each period figure read per department from one index, in its order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.metrics groups every figure by department alone and reads it from an index that
# starts with the department and then the period's time column: one range per department,
# the rows already in department order, so neither SQLite nor PostgreSQL sorts them, and every
# column a figure needs is in the index (index-only). The period-first indexes of 0002 that
# these replace are dropped; ix_tickets_closed_cover stays for `minyi anonymise`.
NEW = {
    "tickets": {
        # 办结率, 转办率 and the received counts: the tickets received in a period.
        "ix_tickets_department_received": [
            "department_code",
            "created_at",
            "duplicate_of_id",
            "status",
            "closure_code",
            "resolved_at",
            "routed_at",
            "reassign_count",
        ],
        # 结收比, 按时办结率, closure codes, 办理时长: tickets resolved in a period.
        "ix_tickets_department_resolved": [
            "department_code",
            "resolved_at",
            "status",
            "closure_code",
            "due_at",
            "routed_at",
        ],
        # 响应时长: first replies in a period.
        "ix_tickets_department_first_reply": ["department_code", "first_reply_at", "routed_at"],
        # 满意率: final ratings of the tickets closed in a period.
        "ix_tickets_department_closed": ["department_code", "closed_at", "rating"],
        # Open and overdue now: the open statuses with their deadlines.
        "ix_tickets_department_open": ["department_code", "status", "due_at"],
    },
    "ticket_events": {
        # 重开率: resolution and reopen events of a period.
        "ix_ticket_events_department_kind_at": ["department_code", "kind", "at"],
    },
}
OLD = {
    "tickets": {
        "ix_tickets_resolved_cover": [
            "resolved_at",
            "department_code",
            "status",
            "closure_code",
            "due_at",
            "routed_at",
        ],
        "ix_tickets_first_reply_cover": ["first_reply_at", "department_code", "routed_at"],
    },
    "ticket_events": {
        "ix_ticket_events_kind_at_department": ["kind", "at", "department_code"],
    },
}


def _swap(create: dict[str, dict[str, list[str]]], drop: dict[str, dict[str, list[str]]]) -> None:
    for table in ("tickets", "ticket_events"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in create[table].items():
                batch_op.create_index(name, columns, unique=False)
            for name in drop[table]:
                batch_op.drop_index(name)


def upgrade() -> None:
    _swap(NEW, OLD)


def downgrade() -> None:
    _swap(OLD, NEW)
