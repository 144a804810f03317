"""The inbound inbox: every Telegram update is stored (unique `update_id`) before Telegram is
told it arrived, and marked processed in the same transaction as its effects.

Polling confirms an update with the next getUpdates offset and a webhook with its 200; both
happen only after `receive` committed. A handler's first commit marks its update processed in
that same transaction (`UnitOfWork.commit` reads `processing`), so a crash leaves either the
effects and the mark, or neither. When the handlers return, the update is finished (`finish`:
its payload is dropped). An update stored twice (Telegram re-sends one it thinks unanswered) is
stored once and processed once. A worker that dies leaves two kinds of unfinished update, both
taken over by another worker (`take_over`): unprocessed ones are processed; processed ones whose
answer may not have gone out are answered again (the conversation's current question), never
processed twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.models import InboundUpdate
from storage.processing import Processing, mark_within, processing
from storage.unit_of_work import UnitOfWork
from storage.workers import held_by_the_dead

__all__ = [
    "Arrived",
    "ChatTurns",
    "Processing",
    "Waiting",
    "finish",
    "finish_all",
    "mark_processed",
    "processing",
    "prune",
    "receive",
    "receive_all",
    "take_over",
    "unfinished",
    "unprocessed",
]

KEEP_DONE = timedelta(days=2)  # Telegram re-sends for a day at most; ids are kept longer


@dataclass(frozen=True, slots=True)
class Waiting:
    """An update stored and not finished, as Telegram sent it; `processed`: its effects are
    committed, only its answer may be missing."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]
    processed: bool = False


@dataclass(frozen=True, slots=True)
class Arrived:
    """An update as Telegram sent it, to store."""

    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


async def receive(
    *,
    uow: UnitOfWork,
    update_id: int,
    chat_id: int | None,
    payload: dict[str, Any],
    worker: str,
    finished: Collection[int] = (),
    now: datetime | None = None,
) -> bool:
    """Store an update for `worker` to process; False if it was stored before (a re-send).
    `finished`: updates of this worker finished since, marked in the same transaction."""
    fresh = await receive_all(
        uow=uow,
        updates=[Arrived(update_id, chat_id, payload)],
        worker=worker,
        finished=finished,
        now=now,
    )
    return update_id in fresh


async def receive_all(
    *,
    uow: UnitOfWork,
    updates: Sequence[Arrived],
    worker: str,
    finished: Collection[int] = (),
    now: datetime | None = None,
) -> set[int]:
    """Store several updates (a getUpdates batch) in one transaction; returns the ids not
    stored before (the others are re-sends). `finished` as for `receive`."""
    received_at = now or utcnow()
    rows = [
        {
            "update_id": u.update_id,
            "chat_id": u.chat_id,
            "payload": u.payload,
            "worker": worker,
            "received_at": received_at,
        }
        for u in updates
    ]
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    fresh: set[int] = set()
    if rows:
        stored = await uow.session.exec(
            insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(table.c.update_id)
        )
        fresh = {int(update_id) for (update_id,) in stored.all()}
    if finished:
        await finish_all(uow=uow, update_ids=finished, worker=worker, commit=False)
    await uow.commit()
    return fresh


async def mark_processed(
    *, uow: UnitOfWork, update_id: int, worker: str, now: datetime | None = None
) -> None:
    """Mark an update's effects committed on its own (if it is still `worker`'s)."""
    await mark_within(uow.session, update_id, worker, now)
    await uow.session.commit()


async def finish(
    *, uow: UnitOfWork, update_id: int, worker: str | None = None, now: datetime | None = None
) -> None:
    """The update's handlers returned: processed and answered; its payload is dropped. With
    `worker`: only while the update is still that worker's (not taken over meanwhile)."""
    await finish_all(uow=uow, update_ids=[update_id], worker=worker, now=now)


async def finish_all(
    *,
    uow: UnitOfWork,
    update_ids: Collection[int],
    worker: str | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> None:
    """`finish` for several updates in one statement."""
    now = now or utcnow()
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    mine = table.c.worker == worker if worker is not None else table.c.worker.is_not(None)
    await uow.session.exec(
        update(table)
        .where(table.c.update_id.in_(list(update_ids)), table.c.finished_at.is_(None), mine)
        .values(
            processed_at=func.coalesce(table.c.processed_at, now), finished_at=now, payload=None
        )
    )
    if commit:
        await uow.session.commit()


async def take_over(
    *, uow: UnitOfWork, worker: str, now: datetime | None = None, limit: int = 500
) -> list[Waiting]:
    """Claim the unfinished updates of dead workers, oldest first, for `worker` to finish.
    Never `worker`'s own: it is alive, even when its last beat looks old (a beat that waited
    for a connection behind busy handlers records the time it was asked for). A worker is
    dead when silent for `DEAD_AFTER` by the database's clock (`now`: by that time instead)."""
    query = (
        select(InboundUpdate)
        .where(
            col(InboundUpdate.finished_at).is_(None),
            col(InboundUpdate.worker) != worker,
            held_by_the_dead(InboundUpdate.worker, now, dialect=uow.dialect),
        )
        .order_by(col(InboundUpdate.update_id))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list((await uow.session.exec(query)).all())
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    taken: list[Waiting] = []
    for row in rows:
        claimed = await uow.session.exec(
            update(table)
            .where(
                table.c.update_id == row.update_id,
                table.c.worker == row.worker,
                table.c.finished_at.is_(None),
            )
            .values(worker=worker)
        )
        if claimed.rowcount == 1 and row.payload is not None:
            processed = row.processed_at is not None
            taken.append(Waiting(row.update_id, row.chat_id, dict(row.payload), processed))
    await uow.commit()
    return taken


async def unprocessed(*, uow: UnitOfWork) -> list[int]:
    """The ids of updates stored and not yet processed, oldest first."""
    rows = await uow.session.exec(
        select(InboundUpdate.update_id)
        .where(col(InboundUpdate.processed_at).is_(None))
        .order_by(col(InboundUpdate.update_id))
    )
    return list(rows.all())


async def unfinished(*, uow: UnitOfWork) -> list[int]:
    """The ids of updates stored and not yet finished, oldest first."""
    rows = await uow.session.exec(
        select(InboundUpdate.update_id)
        .where(col(InboundUpdate.finished_at).is_(None))
        .order_by(col(InboundUpdate.update_id))
    )
    return list(rows.all())


async def prune(*, uow: UnitOfWork, now: datetime | None = None) -> int:
    """Forget processed updates older than `KEEP_DONE`; returns how many."""
    table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
    gone = await uow.session.exec(
        delete(table).where(
            table.c.finished_at.is_not(None),
            table.c.finished_at < (now or utcnow()) - KEEP_DONE,
        )
    )
    await uow.commit()
    return int(gone.rowcount or 0)


class ChatTurns:
    """Several workers on PostgreSQL: one at a time handles a chat, its earlier updates first.

    While a worker handles an update it holds a transaction-scoped advisory lock on the chat
    (on a connection of its own, from a small pool: `slots` chats at once per worker). An update
    whose chat still has an earlier update unfinished (another worker has it) lets the lock go
    and tries again shortly, for up to `patience` seconds; then it goes ahead rather than wait
    for ever (an earlier update queued behind it in this very worker, or a lost one).
    """

    def __init__(
        self, engine: AsyncEngine, *, slots: int = 8, patience: float = 5.0, pause: float = 0.05
    ) -> None:
        self.engine = engine
        self.patience = patience
        self.pause = pause
        self._slots = asyncio.Semaphore(slots)
        self.waited = 0  # turns that waited for another worker

    @asynccontextmanager
    async def turn(self, chat_id: int, update_id: int) -> AsyncIterator[None]:
        """Hold the chat for the length of the block."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        table = SQLModel.metadata.tables[InboundUpdate.__tablename__]
        earlier = (
            sa_select(func.count())
            .select_from(table)
            .where(
                table.c.chat_id == chat_id,
                table.c.update_id < update_id,
                table.c.finished_at.is_(None),
            )
        )
        async with self._slots:
            while True:
                async with self.engine.connect() as connection, connection.begin():
                    await connection.execute(sa_select(func.pg_advisory_xact_lock(chat_id)))
                    waiting = (await connection.execute(earlier)).scalar_one()
                    if not waiting or loop.time() >= deadline:
                        yield
                        return
                self.waited += 1
                await asyncio.sleep(self.pause)
