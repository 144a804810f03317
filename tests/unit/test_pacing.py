"""The bot's own flood limits and per-chat update order, with a callback standing in for HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Chat, Message, Update
from telegram.error import RetryAfter

from bot.updates import MAX_QUEUED_PER_CHAT, PerChatUpdateProcessor
from delivery.pacing import FloodLimits

OFF = (0.0, 1.0)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `minyi run` sets it


class Telegram:
    """Answers calls in order, with a 429 for the chats told to refuse once."""

    def __init__(self, refuse: dict[int, int] | None = None) -> None:
        self.refuse = dict(refuse or {})  # chat id → retry_after seconds, once
        self.calls: list[int] = []

    def call(self, chat_id: int) -> Any:
        async def send() -> dict[str, Any]:
            self.calls.append(chat_id)
            if chat_id in self.refuse:
                raise RetryAfter(retry_after=timedelta(seconds=self.refuse.pop(chat_id)))
            return {"ok": True}

        return send


async def request(
    limits: FloodLimits, telegram: Telegram, chat_id: int, retries: int | None = None
) -> Any:
    return await limits.process_request(
        telegram.call(chat_id), (), {}, "sendMessage", {"chat_id": chat_id}, retries
    )


async def test_a_429_pauses_its_chat_only_and_the_call_is_retried() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=1)
    telegram = Telegram(refuse={1: 1})
    paused = asyncio.create_task(request(limits, telegram, 1))
    await asyncio.sleep(0.05)
    await request(limits, telegram, 2)  # another chat goes through meanwhile
    assert await paused == {"ok": True}
    assert telegram.calls == [1, 2, 1]
    assert limits.retried_after == 1


async def test_a_caller_that_retries_by_itself_is_told_at_once() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=2)
    telegram = Telegram(refuse={1: 30})
    with pytest.raises(RetryAfter):
        await request(limits, telegram, 1, retries=0)
    with pytest.raises(RetryAfter):  # the chat is paused for 30 s: not even tried
        await request(limits, telegram, 1, retries=0)
    assert telegram.calls == [1]


async def test_edits_and_callback_answers_spend_no_message_tokens() -> None:
    limits = FloodLimits(overall=(1, 3600.0), group=OFF, private=OFF)
    telegram = Telegram()
    for _ in range(5):  # would wait an hour each if they counted
        await limits.process_request(
            telegram.call(1), (), {}, "editMessageText", {"chat_id": 1}, None
        )
    await request(limits, telegram, 1)
    assert telegram.calls == [1] * 6


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat))


async def test_one_chat_in_order_and_never_more_than_its_share_waiting() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=256)
    gate = asyncio.Event()
    ran: list[int] = []

    async def handle(update_id: int) -> None:
        await gate.wait()
        ran.append(update_id)

    flood = [
        asyncio.create_task(processor.process_update(_update(i, 7), handle(i)))
        for i in range(MAX_QUEUED_PER_CHAT + 8)
    ]
    other = asyncio.create_task(processor.process_update(_update(999, 8), handle(999)))
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(*flood, other)
    assert [i for i in ran if i != 999] == list(range(MAX_QUEUED_PER_CHAT))  # in order
    assert 999 in ran  # the other chat was served
