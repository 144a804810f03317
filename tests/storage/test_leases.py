"""The scheduler's lease on SQLite and PostgreSQL: one live worker holds it; another takes it
over once the holder's heartbeat is stale, or at once when the holder retires; of two trying at
once exactly one wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import session_factory
from storage.leases import hold, holder_of
from storage.unit_of_work import UnitOfWork
from storage.workers import DEAD_AFTER, beat, register_worker, retire_worker
from tests.factories import NOW


async def _register(uow: UnitOfWork, *workers: str) -> None:
    for worker in workers:
        async with uow:
            await register_worker(uow=uow, worker=worker, poller=False, now=NOW)


async def test_one_worker_holds_the_lease_and_another_takes_it_when_its_beat_is_stale(
    uow: UnitOfWork,
) -> None:
    await _register(uow, "a", "b")
    async with uow:
        first = await hold(uow=uow, worker="a", now=NOW)
    async with uow:
        second = await hold(uow=uow, worker="b", now=NOW)
    async with uow:
        again = await hold(uow=uow, worker="a", now=NOW + timedelta(seconds=1))
    assert (first.held, first.taken, first.taken_from) == (True, True, None)
    assert not second.held  # a beats: b stays a follower
    assert again.held  # kept,
    assert not again.taken  # not taken again
    later = NOW + DEAD_AFTER + timedelta(seconds=1)
    async with uow:
        assert await beat(uow=uow, worker="b", now=later)  # b beats on, a has stopped
    async with uow:
        assert await holder_of(uow=uow, now=later) is None  # nobody live holds it now
    async with uow:
        taken = await hold(uow=uow, worker="b", now=later)
    assert (taken.held, taken.taken, taken.taken_from) == (True, True, "a")
    async with uow:
        assert await holder_of(uow=uow, now=later) == "b"
    async with uow:
        assert await beat(uow=uow, worker="a", now=later)  # a comes back (it was only slow)
    async with uow:
        assert not (await hold(uow=uow, worker="a", now=later)).held  # b keeps it


async def test_a_retiring_holder_frees_the_lease_at_once(uow: UnitOfWork) -> None:
    await _register(uow, "a", "b")
    async with uow:
        assert (await hold(uow=uow, worker="a", now=NOW)).held
    async with uow:
        await retire_worker(uow=uow, worker="a")
    async with uow:  # no waiting out DEAD_AFTER
        taken = await hold(uow=uow, worker="b", now=NOW)
    assert (taken.held, taken.taken_from) == (True, None)  # a released it when it retired


async def test_of_two_workers_taking_a_dead_holders_lease_at_once_one_wins(
    engine: AsyncEngine, uow: UnitOfWork
) -> None:
    await _register(uow, "dead")
    async with uow:
        assert (await hold(uow=uow, worker="dead", now=NOW)).held
    later = NOW + DEAD_AFTER + timedelta(seconds=1)
    contenders = [f"w{i}" for i in range(4)]
    for worker in contenders:
        async with uow:
            await register_worker(uow=uow, worker=worker, poller=False, now=later)

    async def contend(worker: str) -> bool:
        async with UnitOfWork(session_factory(engine)) as own:
            return (await hold(uow=own, worker=worker, now=later)).held

    for _ in range(5):  # several rounds: whoever holds it keeps it, the others stay out
        won = await asyncio.gather(*(contend(w) for w in contenders))
        assert sum(won) == 1, won
    async with uow:
        assert await holder_of(uow=uow, now=later) in contenders
