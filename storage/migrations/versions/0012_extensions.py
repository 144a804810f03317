"""tickets: 延期 (extensions) approved so far and the one awaiting a supervisor

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(
            sa.Column("extension_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("extension_pending_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("extension_pending_days")
        batch.drop_column("extension_count")
