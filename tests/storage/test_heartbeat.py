"""The heartbeat on its own connection, on SQLite and PostgreSQL: handlers holding every
connection of the worker's pool cannot hold its beat back, so it never looks dead while busy."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, Update

from bot.inbox import InboxKeeper, InboxQueue
from bot.services import Services
from storage import database
from storage.inbox import mark_processed, receive, take_over
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


@dataclass
class _Opened:
    """A session factory that says when a session is next opened (a beat begins)."""

    sessions: async_sessionmaker[AsyncSession]
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self) -> AsyncSession:
        self.opened.set()
        return self.sessions()


@pytest.mark.usefixtures("engine")  # a clean database
async def test_a_worker_answering_a_dead_workers_updates_again_keeps_beating(
    db_url: str,
) -> None:
    """Answering a dead worker's updates again waits for Telegram's pace; the beat does not
    wait for it, so the others never take this live worker for dead in turn."""
    main = database.create_engine(db_url, pool_size=2, max_overflow=0)
    beats = database.create_engine(db_url, pool_size=1, max_overflow=0)
    beat_sessions = _Opened(database.session_factory(beats))
    svc = _Services(database.session_factory(main))
    answering = asyncio.Event()
    answered = asyncio.Event()

    async def slow_answer(update: Update, services: Services) -> None:
        answering.set()
        await answered.wait()  # Telegram's pace, for as long as the test likes

    keeper = InboxKeeper(
        cast(Services, svc),
        InboxQueue(),
        cast(Bot, None),
        poller=False,
        answer_again=slow_answer,
        beats=cast(async_sessionmaker[AsyncSession], beat_sessions),
    )
    stop = asyncio.Event()
    try:
        async with UnitOfWork(database.session_factory(main)) as uow:  # a dead worker's update,
            await receive(  # handled, its answer maybe not sent
                uow=uow,
                update_id=91,
                chat_id=77,
                payload={
                    "update_id": 91,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 77, "type": "private"},
                        "text": "路灯坏了",
                    },
                },
                worker="dead",
            )
        async with UnitOfWork(database.session_factory(main)) as uow:
            await mark_processed(uow=uow, update_id=91, worker="dead")
        await keeper.register()
        running = asyncio.create_task(keeper.run(stop))
        await asyncio.wait_for(answering.wait(), GUARD)
        beat_sessions.opened.clear()
        await asyncio.wait_for(beat_sessions.opened.wait(), GUARD)  # it beats on meanwhile
        assert not answered.is_set()
        answered.set()
        stop.set()
        await asyncio.wait_for(running, GUARD)
    finally:
        stop.set()
        answered.set()
        await main.dispose()
        await beats.dispose()


@pytest.mark.usefixtures("engine")  # a clean database
async def test_an_update_that_cannot_be_read_back_does_not_hold_the_others(db_url: str) -> None:
    main = database.create_engine(db_url, pool_size=2, max_overflow=0)
    answered: list[int] = []

    async def answer(update: Update, services: Services) -> None:
        answered.append(update.update_id)

    keeper = InboxKeeper(
        cast(Services, _Services(database.session_factory(main))),
        InboxQueue(),
        cast(Bot, None),
        poller=False,
        answer_again=answer,
    )
    readable = {"message_id": 1, "date": 0, "chat": {"id": 77, "type": "private"}, "text": "好"}
    try:
        for update_id, message in ((81, {"message_id": 1, "text": "?"}), (82, readable)):
            async with UnitOfWork(database.session_factory(main)) as uow:
                payload = {"update_id": update_id, "message": message}
                await receive(
                    uow=uow, update_id=update_id, chat_id=77, payload=payload, worker="dead"
                )
            async with UnitOfWork(database.session_factory(main)) as uow:
                await mark_processed(uow=uow, update_id=update_id, worker="dead")
        assert await keeper.take_over() == 2
        assert answered == [82]
    finally:
        await main.dispose()
