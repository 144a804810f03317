"""collectors: the campaign's own channel (代录, start links, 销号) and collectors' teams

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _defer_foreign_keys() -> None:
    """SQLite rebuilds the table to change a column: other tables' references to it must not
    be checked at DROP TABLE. Outside a transaction (the driver opens one at the first write)
    foreign keys are switched off for this connection, inside one their checks wait for the
    commit, when the rebuilt table holds every row again."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")


def upgrade() -> None:
    _defer_foreign_keys()
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("resident_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default="bot")
        )
        batch.add_column(sa.Column("recorder_user_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("team", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("person_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("link_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("written_off_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("theme", sa.String(length=64), nullable=True))
    op.create_index("ix_tickets_team", "tickets", ["team", "created_at"])
    op.create_index("ix_tickets_recorder", "tickets", ["recorder_user_id", "created_at"])
    op.create_index("ix_tickets_link_code", "tickets", ["link_code_hash"], unique=True)
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("team", sa.String(length=64), nullable=True))
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("collector_user_id", sa.BigInteger(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visits_team_day", "visits", ["team", "day"])
    op.create_table(
        "themes",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )


def downgrade() -> None:
    op.drop_table("themes")
    op.drop_index("ix_visits_team_day", table_name="visits")
    op.drop_table("visits")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("team")
    _defer_foreign_keys()
    op.drop_index("ix_tickets_link_code", table_name="tickets")
    op.drop_index("ix_tickets_recorder", table_name="tickets")
    op.drop_index("ix_tickets_team", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        for column in (
            "theme",
            "written_off_at",
            "link_code_hash",
            "person_name",
            "team",
            "recorder_user_id",
            "channel",
        ):
            batch.drop_column(column)
        batch.alter_column("resident_id", existing_type=sa.Integer(), nullable=False)
