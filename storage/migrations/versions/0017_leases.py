"""leases (the scheduler on one worker at a time) and, on PostgreSQL, a NOTIFY when an outbox
row becomes due, so every worker's sender wakes at once

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is storage.wakeups.OUTBOX_CHANNEL; a migration keeps its own copy of the name.
NOTIFY_FUNCTION = """
CREATE FUNCTION minyi_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('minyi_outbox', '');
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    # Delivered at commit, once per transaction (PostgreSQL folds identical notifications).
    op.execute(NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER outbox_queued AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION minyi_outbox_notify()"
    )
    op.execute(
        "CREATE TRIGGER outbox_handed_back AFTER UPDATE OF status ON outbox FOR EACH ROW "
        "WHEN (NEW.status = 'pending' AND OLD.status <> 'pending' "
        "AND NEW.next_attempt_at <= now()) "
        "EXECUTE FUNCTION minyi_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_handed_back ON outbox")
        op.execute("DROP TRIGGER IF EXISTS outbox_queued ON outbox")
        op.execute("DROP FUNCTION IF EXISTS minyi_outbox_notify()")
    op.drop_table("leases")
