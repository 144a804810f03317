"""Sizing PostgreSQL for several workers: the room it gives, the workers that beat, and the
operator's one line when they could exhaust it (on SQLite there is nothing to size)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import connections_per_worker
from storage.database import connection_room, connection_shortfall
from storage.unit_of_work import UnitOfWork
from storage.workers import live_workers, register_worker, retire_worker


async def test_the_room_postgresql_gives_is_read_and_sqlite_has_none(
    engine: AsyncEngine, db_url: str
) -> None:
    room = await connection_room(engine)
    if db_url.startswith("postgresql"):
        assert room is not None
        assert room > 0
    else:
        assert room is None


async def test_live_workers_count_those_that_beat(uow: UnitOfWork) -> None:
    async with uow:
        await register_worker(uow=uow, worker="a", poller=False)
    async with uow:
        await register_worker(uow=uow, worker="b", poller=False)
    async with uow:
        await retire_worker(uow=uow, worker="b")
    async with uow:
        assert await live_workers(uow=uow) == 1


def test_three_webhook_workers_in_postgresqls_default_hundred_are_told_what_to_do() -> None:
    each = connections_per_worker(webhook=True)
    assert each > connections_per_worker(webhook=False)
    line = connection_shortfall(room=97, workers=3, each=each)
    assert line is not None
    assert f"up to {3 * each}" in line
    assert "max_connections" in line
    assert connection_shortfall(room=197, workers=3, each=each) is None
    assert connection_shortfall(room=97, workers=1, each=each) is None
