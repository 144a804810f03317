"""topic claims: one forum topic per ticket per group, claimed before it is created

Topics made before this revision are carried over: each ticket's latest topic in a group
becomes its claim (without the name it was created with, which was not kept).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("holder", sa.BigInteger(), nullable=True),
        sa.Column("holder_attempt", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "chat_id"),
    )
    with op.batch_alter_table("topic_claims", schema=None) as batch_op:
        batch_op.create_index("ix_topic_claims_name", ["chat_id", "name"], unique=False)
    op.execute(
        """
        INSERT INTO topic_claims
            (ticket_id, chat_id, name, thread_id, tries, holder_attempt, created_at)
        SELECT m.ticket_id, m.chat_id, '', m.thread_id, 1, 0, m.created_at
        FROM ticket_messages m
        WHERE m.thread_id IS NOT NULL
          AND m.id = (
            SELECT MAX(l.id) FROM ticket_messages l
            WHERE l.ticket_id = m.ticket_id AND l.chat_id = m.chat_id
              AND l.thread_id IS NOT NULL
          )
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("topic_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_topic_claims_name")
    op.drop_table("topic_claims")
