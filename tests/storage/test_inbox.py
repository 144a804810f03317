"""The inbound inbox and workers' heartbeats on SQLite and PostgreSQL: an update is stored once,
marked processed with its handler's effects, and a dead worker's updates and messages are taken
over at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from storage.conversations import ConversationState, load_state, save_state
from storage.database import session_factory
from storage.inbox import (
    Arrived,
    ChatTurns,
    finish,
    mark_processed,
    processing,
    receive,
    receive_all,
    take_over,
    unfinished,
    unprocessed,
)
from storage.models import Audience, InboundUpdate, Worker
from storage.notices import Digest
from storage.outbox import claim_due, enqueue
from storage.processing import Processing, UpdateTakenOver
from storage.unit_of_work import UnitOfWork
from storage.workers import (
    DEAD_AFTER,
    beat,
    database_now,
    register_worker,
    retire_worker,
)
from tests.factories import NOW


def _update(update_id: int, text: str = "路灯坏了") -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": 1, "text": text}}


async def _receive(uow: UnitOfWork, update_id: int, worker: str = "a") -> bool:
    async with uow:
        return await receive(
            uow=uow,
            update_id=update_id,
            chat_id=77,
            payload=_update(update_id),
            worker=worker,
            now=NOW,
        )


async def _waiting(uow: UnitOfWork) -> list[int]:
    async with uow:
        return await unprocessed(uow=uow)


async def test_an_update_sent_again_is_stored_once(uow: UnitOfWork) -> None:
    assert await _receive(uow, 10)
    assert not await _receive(uow, 10)  # Telegram re-sent it: dropped
    assert not await _receive(uow, 10, worker="b")  # to another worker: dropped as well
    assert await _waiting(uow) == [10]
    async with uow:
        await finish(uow=uow, update_id=10)
    assert not await _receive(uow, 10)  # still known once processed
    assert await _waiting(uow) == []


async def test_a_batch_is_stored_in_one_transaction_and_its_resends_are_told_apart(
    uow: UnitOfWork,
) -> None:
    assert await _receive(uow, 11)
    async with uow:
        fresh = await receive_all(
            uow=uow,
            updates=[Arrived(n, 77, _update(n)) for n in (11, 12, 13)],
            worker="a",
            finished=[11],
            now=NOW,
        )
    assert fresh == {12, 13}  # 11 was stored before: a re-send
    assert await _waiting(uow) == [12, 13]  # 11 finished in the same transaction
    async with uow:
        assert await receive_all(uow=uow, updates=[], worker="a") == set()


async def test_the_handlers_commit_marks_its_update_with_its_effects(uow: UnitOfWork) -> None:
    await _receive(uow, 11)
    await _receive(uow, 12)
    token = processing.set(Processing(11, "a"))
    try:
        async with uow:  # a handler's transaction that fails: neither effect nor mark
            await save_state(
                uow=uow, name="intake", key="77", state=ConversationState("x"), commit=False
            )
        assert await _waiting(uow) == [11, 12]
        async with uow:
            await save_state(uow=uow, name="intake", key="77", state=ConversationState("y"))
    finally:
        processing.reset(token)
    assert await _waiting(uow) == [12]
    async with uow:
        assert (await load_state(uow=uow, name="intake", key="77")).state == "y"


async def test_a_dead_workers_updates_are_taken_over_once(uow: UnitOfWork) -> None:
    async with uow:
        await register_worker(uow=uow, worker="alive", poller=False, now=NOW)
    async with uow:
        await register_worker(uow=uow, worker="stale", poller=False, now=NOW)
    await _receive(uow, 21, worker="alive")
    await _receive(uow, 22, worker="stale")
    await _receive(uow, 23, worker="gone")  # never registered, or retired
    later = NOW + DEAD_AFTER + timedelta(seconds=1)
    async with uow:
        assert await beat(uow=uow, worker="alive", now=later)
    async with uow:
        taken = await take_over(uow=uow, worker="b", now=later)
    assert [(w.update_id, w.payload) for w in taken] == [(22, _update(22)), (23, _update(23))]
    async with uow:
        await register_worker(uow=uow, worker="c", poller=False, now=later)
    async with uow:
        again = await take_over(uow=uow, worker="c", now=later)
    assert [w.update_id for w in again] == [22, 23]  # b never registered: dead, taken by c


async def test_a_worker_whose_beat_looks_old_never_takes_its_own_updates_over(
    uow: UnitOfWork,
) -> None:
    async with uow:
        await register_worker(uow=uow, worker="busy", poller=True, now=NOW)
    await _receive(uow, 31, worker="busy")
    later = NOW + DEAD_AFTER + timedelta(seconds=5)  # its beat waited behind busy handlers
    async with uow:
        assert await take_over(uow=uow, worker="busy", now=later) == []
    async with uow:  # another worker does take them: "busy" looks dead
        assert [w.update_id for w in await take_over(uow=uow, worker="other", now=later)] == [31]


async def test_a_new_poller_replaces_the_old_one_at_once(uow: UnitOfWork) -> None:
    async with uow:
        await register_worker(uow=uow, worker="old", poller=True, now=NOW)
    async with uow:
        await register_worker(uow=uow, worker="sender", poller=False, now=NOW)
    await _receive(uow, 31, worker="old")
    await _receive(uow, 32, worker="sender")
    async with uow:
        assert await register_worker(uow=uow, worker="new", poller=True, now=NOW) == 1
    async with uow:
        taken = await take_over(uow=uow, worker="new", now=NOW)  # no waiting out a timeout
    assert [w.update_id for w in taken] == [31]
    async with uow:
        assert not await beat(uow=uow, worker="old", now=NOW)  # the old one learns it


async def _queue(uow: UnitOfWork) -> None:
    async with uow:
        await enqueue(
            uow=uow, chat_id=4242, notice=Digest("一"), audience=Audience.DEPARTMENT, now=NOW
        )


@pytest.mark.parametrize("retired", [False, True])
async def test_a_dead_workers_claim_is_taken_over_before_its_lease(
    uow: UnitOfWork, retired: bool
) -> None:
    await _queue(uow)
    for worker in ("a", "b"):
        async with uow:
            await register_worker(uow=uow, worker=worker, poller=False, now=NOW)
    async with uow:
        (first,) = await claim_due(uow=uow, now=NOW, worker="a")
    soon = NOW + timedelta(seconds=1)
    async with uow:
        assert await claim_due(uow=uow, now=soon, worker="b") == []  # a is alive
    if retired:
        async with uow:
            await retire_worker(uow=uow, worker="a")
        later = soon
    else:
        later = NOW + DEAD_AFTER + timedelta(seconds=1)  # a stopped beating
    async with uow:
        await beat(uow=uow, worker="b", now=later)
    async with uow:
        (again,) = await claim_due(uow=uow, now=later, worker="b")
    assert (again.id, again.attempts) == (first.id, 2)


async def test_a_processed_update_left_unfinished_is_taken_over_to_be_answered_again(
    uow: UnitOfWork,
) -> None:
    await _receive(uow, 51, worker="dead")
    await _receive(uow, 52, worker="dead")
    async with uow:
        await mark_processed(uow=uow, update_id=51, worker="dead")  # committed, then the crash
    async with uow:
        taken = await take_over(uow=uow, worker="b", now=NOW)
    assert [(w.update_id, w.processed) for w in taken] == [(51, True), (52, False)]
    assert await _waiting(uow) == [52]
    async with uow:
        assert await unfinished(uow=uow) == [51, 52]


async def test_finished_updates_drop_their_payload(uow: UnitOfWork) -> None:
    await _receive(uow, 41)
    async with uow:
        await finish(uow=uow, update_id=41)
    async with uow:
        row = (
            await uow.session.exec(select(InboundUpdate).where(col(InboundUpdate.update_id) == 41))
        ).one()
    assert row.payload is None
    assert row.processed_at is not None


async def test_a_chats_later_update_waits_for_the_earlier_one_on_another_worker(
    engine: AsyncEngine, uow: UnitOfWork, db_url: str
) -> None:
    """PostgreSQL's chat turns: update 2 arrives at one worker while update 1 of the same chat
    is still unfinished on another; 2 is handled only after 1 is finished."""
    if not db_url.startswith("postgresql"):
        pytest.skip("chat turns serialise webhook workers on PostgreSQL")
    await _receive(uow, 61, worker="a")
    await _receive(uow, 62, worker="b")
    turns = ChatTurns(engine, patience=60.0)
    order: list[int] = []

    async def handle(update_id: int) -> None:
        async with turns.turn(77, update_id):
            order.append(update_id)
            async with UnitOfWork(session_factory(engine)) as own:
                await finish(uow=own, update_id=update_id)

    await asyncio.gather(handle(62), handle(61))  # the later one first
    assert order == [61, 62]


async def test_a_worker_thought_dead_cannot_commit_an_update_taken_over(uow: UnitOfWork) -> None:
    """A worker whose beat was late lost its update to another: its handler's commit rolls back
    (UpdateTakenOver) and the effects happen once, at the other worker."""
    await _receive(uow, 71, worker="slow")
    async with uow:
        (taken,) = await take_over(uow=uow, worker="b", now=NOW)
    token = processing.set(Processing(71, "slow"))
    try:
        async with uow:
            await save_state(
                uow=uow, name="intake", key="71", state=ConversationState("x"), commit=False
            )
            with pytest.raises(UpdateTakenOver):
                await uow.commit()
    finally:
        processing.reset(token)
    async with uow:
        assert (await load_state(uow=uow, name="intake", key="71")).state is None
        await finish(uow=uow, update_id=71, worker="slow")  # not its to finish either
    assert await _waiting(uow) == [taken.update_id]


async def _silent(uow: UnitOfWork, worker: str) -> None:
    """Register `worker` with a last beat `DEAD_AFTER` and more ago by the database's clock
    (its next beat is late: it waits behind busy handlers, or its process is stalled)."""
    async with uow:
        await register_worker(uow=uow, worker=worker, poller=False)
    async with uow:
        table = Worker.__table__
        old = database_now(uow.dialect, DEAD_AFTER + timedelta(seconds=1))
        await uow.session.exec(update(table).where(table.c.id == worker).values(heartbeat_at=old))
        await uow.commit()


async def test_a_late_beat_written_with_the_database_clock_keeps_the_updates(
    uow: UnitOfWork,
) -> None:
    await _silent(uow, "late")
    async with uow:
        await register_worker(uow=uow, worker="other", poller=False)
    await _receive(uow, 61, worker="late")
    async with uow:
        before = (await uow.session.exec(select(Worker).where(Worker.id == "late"))).one()
    async with uow:  # the late beat arrives: the time it is written, by the database
        assert await beat(uow=uow, worker="late")
    async with uow:
        after = (await uow.session.exec(select(Worker).where(Worker.id == "late"))).one()
    assert after.heartbeat_at > before.heartbeat_at
    assert after.heartbeat_at.tzinfo is not None
    async with uow:  # judged by the same clock: alive, nothing to take
        assert await take_over(uow=uow, worker="other") == []


async def test_a_late_workers_update_taken_over_is_filed_by_exactly_one(uow: UnitOfWork) -> None:
    await _silent(uow, "late")
    async with uow:
        await register_worker(uow=uow, worker="other", poller=False)
    await _receive(uow, 62, worker="late")
    async with uow:  # "late" is still handling 62 when "other" decides it is dead
        assert [w.update_id for w in await take_over(uow=uow, worker="other")] == [62]
    async with uow:  # the late worker's beat comes now; too late for 62
        assert await beat(uow=uow, worker="late")
    with pytest.raises(UpdateTakenOver):  # its effects are rolled back, it tells nobody
        async with uow:
            await mark_processed(uow=uow, update_id=62, worker="late")
    async with uow:
        await mark_processed(uow=uow, update_id=62, worker="other")
    async with uow:
        row = (
            await uow.session.exec(select(InboundUpdate).where(InboundUpdate.update_id == 62))
        ).one()
    assert (row.worker, row.processed_at is not None) == ("other", True)
    async with uow:  # alive again: it takes nothing back, and nothing is taken from it twice
        assert await take_over(uow=uow, worker="late") == []
