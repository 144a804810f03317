"""Which update the current task is handling, so its handler's commit marks it processed in the
same transaction (storage/inbox.py explains the inbox), and what it has read already."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.columns import utcnow
from storage.models import InboundUpdate


@dataclass(slots=True)
class Processing:
    """The update the current task is handling, by which worker, and whether a commit has
    marked it yet."""

    update_id: int
    worker: str
    marked: bool = False
    # Rows this update has read, by (kind, key), so it does not read them again
    # (storage/conversations.py keeps the conversation states here).
    loaded: dict[tuple[str, str], Any] = field(default_factory=dict)


class UpdateTakenOver(Exception):
    """Another worker took this update over (this one was thought dead): its effects are rolled
    back here and happen there, once."""


processing: ContextVar[Processing | None] = ContextVar("minyi_processing", default=None)


async def mark_within(
    session: AsyncSession, update_id: int, worker: str, now: datetime | None = None
) -> None:
    """Mark an update's effects committed, inside the caller's transaction; raise
    `UpdateTakenOver` if the update is no longer this worker's to process."""
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    marked = await session.exec(
        update(table)
        .where(
            table.c.update_id == update_id,
            table.c.processed_at.is_(None),
            table.c.worker == worker,
        )
        .values(processed_at=now or utcnow())
    )
    if marked.rowcount != 1:
        raise UpdateTakenOver(update_id)
