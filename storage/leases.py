"""Roles one live worker holds at a time (the scheduler), with fail-over.

A lease is a row naming its holder. It is renewed by the holder's heartbeat (storage/workers.py):
while the holder beats, nobody else can take it; once its beat is older than `DEAD_AFTER`, or
its `workers` row is gone (it retired, or a new poller replaced it), any live worker takes it
over. Taking is a compare-and-set on the holder read just before, so of two workers trying at
once exactly one wins, on PostgreSQL (the second's UPDATE re-reads the row the first changed)
and on SQLite (one writer) alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.models import Lease, Worker
from storage.unit_of_work import UnitOfWork
from storage.workers import DEAD_AFTER, database_now

SCHEDULER = "scheduler"  # runs the job queue: digest, deadline sweeps, reminders


@dataclass(frozen=True, slots=True)
class Holding:
    """The outcome of `hold`: whether the caller holds the lease, and whom it took it from."""

    held: bool
    taken_from: str | None = None  # the previous holder, when the caller just took it over
    taken: bool = False  # the caller did not hold it before this call


async def hold(
    *, uow: UnitOfWork, worker: str, name: str = SCHEDULER, now: datetime | None = None
) -> Holding:
    """Keep the lease if `worker` holds it, take it if it is free or its holder is dead
    (silent for `DEAD_AFTER` by the database's clock, the one heartbeats are written with,
    unless `now` is given)."""
    since: Any = now - DEAD_AFTER if now is not None else database_now(uow.dialect, DEAD_AFTER)
    table = SQLModel.metadata.tables[Lease.__tablename__]
    read = select(table.c.name, table.c.worker).where(table.c.name == name)
    current = (await uow.session.exec(read)).first()
    if current is None:
        insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
        await uow.session.exec(
            insert(table).values(name=name).on_conflict_do_nothing(index_elements=["name"])
        )
        current = (await uow.session.exec(read)).one()
    holder: str | None = current[1]
    if holder == worker:
        await uow.commit()
        return Holding(held=True)
    alive = exists().where(col(Worker.id) == table.c.worker, col(Worker.heartbeat_at) >= since)
    same = table.c.worker.is_(None) if holder is None else table.c.worker == holder
    registered = exists().where(col(Worker.id) == worker)
    taken = await uow.session.exec(
        update(table)
        .where(table.c.name == name, same, ~alive, registered)
        .values(worker=worker, since=now or utcnow())
    )
    await uow.commit()
    if not taken.rowcount:
        return Holding(held=False)
    return Holding(held=True, taken_from=holder, taken=True)


async def holder_of(
    *, uow: UnitOfWork, name: str = SCHEDULER, now: datetime | None = None
) -> str | None:
    """The live worker holding the lease, if any."""
    since: Any = now - DEAD_AFTER if now is not None else database_now(uow.dialect, DEAD_AFTER)
    found = await uow.session.exec(
        select(Lease.worker)
        .join(Worker, col(Worker.id) == col(Lease.worker))
        .where(Lease.name == name, col(Worker.heartbeat_at) >= since)
    )
    return found.first()
