"""Workers and their heartbeats: a claim (an outbox row, an inbound update) held by a worker
that stopped beating is taken over at once, not after a long lease.

Each bot process is a worker with a random id. It beats every `BEAT` seconds; a worker whose
last beat is older than `DEAD_AFTER` is dead, and so is one whose row is gone (it stopped
cleanly, or a new poller replaced it: a bot has one getUpdates poller, so a poller that starts
knows the previous one is gone, and its claims are taken over the moment the new one starts).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, delete, exists, func, literal, update
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.models import Lease, Worker
from storage.unit_of_work import UnitOfWork

BEAT = timedelta(seconds=1)
DEAD_AFTER = timedelta(seconds=5)  # a busy SQLite may hold a beat back a few seconds


def new_worker_id() -> str:
    """A fresh id for this process (never reused: a restarted process is a new worker)."""
    return uuid.uuid4().hex[:16]


async def register_worker(
    *, uow: UnitOfWork, worker: str, poller: bool, now: datetime | None = None
) -> int:
    """Start beating; a poller replaces every earlier poller. Returns how many it replaced."""
    now = now or utcnow()
    replaced = 0
    if poller:
        table = SQLModel.metadata.tables[Worker.__tablename__]
        gone = await uow.session.exec(
            delete(table).where(table.c.poller.is_(True), table.c.id != worker)
        )
        replaced = int(gone.rowcount or 0)
    uow.session.add(Worker(id=worker, poller=poller, started_at=now, heartbeat_at=now))
    await uow.commit()
    return replaced


def database_now(dialect: str, before: timedelta = timedelta(0)) -> ColumnElement[Any]:
    """The database's clock (less `before`) when the statement runs, not when it was asked
    for: a beat held up waiting for a connection or a lock records the time it was written.
    SQLite gets text in the form SQLAlchemy stores (microseconds, millisecond precision)."""
    if dialect == "postgresql":
        return func.clock_timestamp(type_=DateTime(timezone=True)) - before
    shift = literal(f"-{before.total_seconds():.6f} seconds")
    return func.strftime("%Y-%m-%d %H:%M:%f000", "now", shift)


async def beat(
    *, uow: UnitOfWork, worker: str, now: datetime | None = None, commit: bool = True
) -> bool:
    """Record that the worker is alive (the database's clock unless `now` is given); False if
    its row is gone (a newer poller replaced it)."""
    table = SQLModel.metadata.tables[Worker.__tablename__]
    at = now if now is not None else database_now(uow.dialect)
    done = await uow.session.exec(update(table).where(table.c.id == worker).values(heartbeat_at=at))
    if commit:
        await uow.commit()
    return bool(done.rowcount)


async def retire_worker(*, uow: UnitOfWork, worker: str) -> None:
    """A clean stop: the worker's remaining claims, and the leases it holds, are free at once."""
    table = SQLModel.metadata.tables[Worker.__tablename__]
    await uow.session.exec(delete(table).where(table.c.id == worker))
    leases = SQLModel.metadata.tables[Lease.__tablename__]
    await uow.session.exec(
        update(leases).where(leases.c.worker == worker).values(worker=None, since=None)
    )
    await uow.commit()


def held_by_the_dead(
    column: Any, now: datetime | None = None, *, dialect: str = "sqlite"
) -> ColumnElement[bool]:
    """A condition on a claim's worker column: claimed by a worker that no longer beats, that
    is silent for `DEAD_AFTER` by the database's clock (the one `beat` writes) unless `now`."""
    since: Any = now - DEAD_AFTER if now is not None else database_now(dialect, DEAD_AFTER)
    return col(column).is_not(None) & ~exists().where(
        col(Worker.id) == column, col(Worker.heartbeat_at) >= since
    )


async def live_workers(*, uow: UnitOfWork) -> int:
    """How many workers beat now (this one included once registered)."""
    since = database_now(uow.dialect, DEAD_AFTER)
    found = await uow.session.exec(
        select(func.count()).select_from(Worker).where(col(Worker.heartbeat_at) >= since)
    )
    return int(found.one())
