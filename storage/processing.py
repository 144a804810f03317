"""Which update the current task is handling, so its handler's commit marks it processed in the
same transaction (storage/inbox.py explains the inbox), what it has read already, and the one
session its handlers' units of work share (storage/unit_of_work.py)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import ORMExecuteState
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
    # The units of work opened on `sessions` while the update is handled share one session,
    # so what its handlers read and write is one transaction up to its commit
    # (`UnitOfWork`); it is closed when the handlers return (`close_session`).
    sessions: async_sessionmaker[AsyncSession] | None = None
    session: AsyncSession | None = None
    depth: int = 0  # units of work open on the shared session (nested ones share it too)
    wrote: bool = False  # a statement other than a SELECT since the last commit or rollback

    def shared_session(self) -> AsyncSession:
        """The update's session, opened on first use."""
        if self.session is None:
            assert self.sessions is not None
            self.session = self.sessions()
            _watch(self)
        return self.session

    def writes_pending(self) -> bool:
        """Whether the shared session holds changes not committed."""
        session = self.session
        if session is None:
            return False
        return self.wrote or bool(session.new or session.dirty or session.deleted)


class UpdateTakenOver(Exception):
    """Another worker took this update over (this one was thought dead): its effects are rolled
    back here and happen there, once."""


processing: ContextVar[Processing | None] = ContextVar("minyi_processing", default=None)


def _watch(current: Processing) -> None:
    """Keep `current.wrote` up to date from the shared session's own events."""
    assert current.session is not None
    sync = current.session.sync_session

    def executed(state: ORMExecuteState) -> None:
        if not state.is_select:
            current.wrote = True

    def flushed(*_: object) -> None:
        current.wrote = True

    def ended(*_: object) -> None:
        current.wrote = False

    event.listen(sync, "do_orm_execute", executed)
    event.listen(sync, "after_flush", flushed)
    event.listen(sync, "after_commit", ended)
    event.listen(sync, "after_rollback", ended)


async def end_reads() -> None:
    """Before a call that waits on someone else (a Telegram request): end the transaction the
    current update's handlers hold open for reading, so it holds no connection (SQLite's only
    one) while waiting. One with uncommitted changes is left alone: its unit of work is still
    open and commits or rolls back itself."""
    current = processing.get()
    session = current.session if current is not None else None
    if session is None or not session.in_transaction() or current is None:
        return
    if current.writes_pending():
        return
    try:
        await session.commit()  # nothing to commit: ends the reads, keeps loaded rows usable
    except SQLAlchemyError:  # a failed read left the transaction unusable: nothing to keep
        session.expunge_all()
        await session.rollback()


async def close_session(current: Processing) -> None:
    """The update's handlers returned: whatever its shared session still holds is rolled
    back (a unit of work that was not told to commit), and the session closed."""
    session, current.session = current.session, None
    if session is None:
        return
    try:
        session.expunge_all()
        await session.rollback()
    finally:
        await session.close()


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
