"""Conversation state: saved per chat, taken once, and purged when abandoned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.conversations import (
    ConversationState,
    consume_state,
    load_state,
    purge_conversations,
    save_state,
)
from storage.processing import Processing, processing
from storage.unit_of_work import UnitOfWork
from tests.factories import NOW


async def test_state_round_trip_and_a_single_consumer(uow: UnitOfWork) -> None:
    draft = ConversationState("confirm", {"text": "路灯坏了", "phone": "13800001111"})
    async with uow:
        await save_state(uow=uow, name="intake", key="42", state=draft, now=NOW)
    async with uow:
        loaded = await load_state(uow=uow, name="intake", key="42", now=NOW)
    assert (loaded.state, loaded.data) == ("confirm", draft.data)
    async with uow:
        first = await consume_state(uow=uow, name="intake", key="42", expected="confirm")
        await uow.commit()
    async with uow:
        second = await consume_state(uow=uow, name="intake", key="42", expected="confirm")
    assert (first, second) == (True, False)


async def test_abandoned_drafts_are_purged_only_with_apply(uow: UnitOfWork) -> None:
    async with uow:
        await save_state(
            uow=uow, name="intake", key="7", state=ConversationState("phone", {"x": 1}), now=NOW
        )
    later = NOW + timedelta(days=30)
    async with uow:
        assert await purge_conversations(uow=uow, idle_before=later, apply=False) == 1
    async with uow:
        assert await purge_conversations(uow=uow, idle_before=later, apply=True) == 1
    async with uow:
        assert await purge_conversations(uow=uow, idle_before=later, apply=False) == 0


async def test_an_update_reads_its_chats_conversations_once(
    engine: AsyncEngine, uow: UnitOfWork
) -> None:
    async with uow:
        await save_state(uow=uow, name="intake", key="9", state=ConversationState("place"), now=NOW)
        await save_state(uow=uow, name="collect", key="9", state=ConversationState("menu"), now=NOW)
    reads: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    token = processing.set(Processing(update_id=1, worker="w", marked=True))
    try:
        async with uow:
            intake = await load_state(uow=uow, name="intake", key="9", now=NOW)
        async with uow:
            collect = await load_state(uow=uow, name="collect", key="9", now=NOW)
            again = await load_state(uow=uow, name="intake", key="9", now=NOW)
        assert (intake.state, collect.state, again.state) == ("place", "menu", "place")
        assert len(reads) == 1  # both names under the key, in one SELECT
        async with uow:  # saved: kept for the rest of the update, overwriting without a read
            await save_state(
                uow=uow, name="intake", key="9", state=ConversationState("phone", {"a": 1})
            )
        async with uow:
            saved = await load_state(uow=uow, name="intake", key="9", now=NOW)
        assert (saved.state, saved.data, len(reads)) == ("phone", {"a": 1}, 1)
        async with uow:  # consumed: read again
            assert await consume_state(uow=uow, name="intake", key="9", expected="phone")
            await uow.commit()
            assert (await load_state(uow=uow, name="intake", key="9")).state is None
        assert len(reads) == 2
    finally:
        processing.reset(token)
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    async with uow:  # outside an update: what was stored
        assert (await load_state(uow=uow, name="collect", key="9", now=NOW)).state == "menu"
        assert (await load_state(uow=uow, name="intake", key="9", now=NOW)).state is None
