"""Which update the current task is handling, so its handler's commit marks it processed in the
same transaction (storage/inbox.py explains the inbox)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.columns import utcnow
from storage.models import InboundUpdate


@dataclass(slots=True)
class Processing:
    """The update the current task is handling, and whether a commit has marked it yet."""

    update_id: int
    marked: bool = False


processing: ContextVar[Processing | None] = ContextVar("minyi_processing", default=None)


async def mark_within(session: AsyncSession, update_id: int, now: datetime | None = None) -> None:
    """Mark an update's effects committed, inside the caller's transaction."""
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    await session.exec(
        update(table)
        .where(table.c.update_id == update_id, table.c.processed_at.is_(None))
        .values(processed_at=now or utcnow())
    )
