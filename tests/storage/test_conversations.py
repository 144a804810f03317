"""Conversation state: saved per chat, taken once, and purged when abandoned."""

from __future__ import annotations

from datetime import timedelta

from storage.conversations import (
    ConversationState,
    consume_state,
    load_state,
    purge_conversations,
    save_state,
)
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
