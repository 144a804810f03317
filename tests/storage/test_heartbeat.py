"""The heartbeat on its own connection, on SQLite and PostgreSQL: handlers holding every
connection of the worker's pool cannot hold its beat back, so it never looks dead while busy."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot

from bot.inbox import InboxKeeper, InboxQueue
from bot.services import Services
from storage import database
from storage.inbox import take_over
from storage.models import Worker
from storage.unit_of_work import UnitOfWork
from storage.workers import DEAD_AFTER, database_now

GUARD = 60  # seconds: only a hung test waits this long


@dataclass
class _Services:
    """What the keeper uses of `Services`."""

    sessions: async_sessionmaker[AsyncSession]
    worker_id: str = "busy"
    kicks: list[None] = field(default_factory=list)
    asked: asyncio.Event | None = None  # set when a unit of work is next asked for

    def uow(self) -> UnitOfWork:
        if self.asked is not None:
            self.asked.set()
        return UnitOfWork(self.sessions)

    def kick_outbox(self) -> None:
        self.kicks.append(None)


async def test_a_worker_whose_handlers_hold_every_connection_still_beats(db_url: str) -> None:
    main = database.create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=GUARD)
    beats = database.create_engine(db_url, pool_size=1, max_overflow=0)
    svc = _Services(database.session_factory(main))
    keeper = InboxKeeper(
        cast(Services, svc),
        InboxQueue(),
        cast(Bot, None),
        poller=False,
        beats=database.session_factory(beats),
    )
    stop = asyncio.Event()
    try:
        await keeper.register()
        async with UnitOfWork(database.session_factory(beats)) as uow:  # looks silent now
            old = database_now(uow.dialect, DEAD_AFTER + timedelta(seconds=1))
            table = Worker.__table__
            await uow.session.exec(
                update(table).where(table.c.id == "busy").values(heartbeat_at=old)
            )
            await uow.commit()
        registered = keeper.beat_at
        svc.asked = asyncio.Event()
        async with main.connect():  # a handler holds the worker's only connection
            running = asyncio.create_task(keeper.run(stop))
            # The beat is recorded; the keeper goes on to take over, from the worker's pool.
            await asyncio.wait_for(svc.asked.wait(), GUARD)
            assert keeper.beat_at != registered
            async with UnitOfWork(database.session_factory(beats)) as uow:
                assert await take_over(uow=uow, worker="other") == []  # alive
        stop.set()
        await asyncio.wait_for(running, GUARD)
    finally:
        stop.set()
        await main.dispose()
        await beats.dispose()
