"""Injected faults reach python-telegram-bot as the exceptions real Telegram would cause."""

from __future__ import annotations

import datetime as dtm
import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from emulator import Emulator


async def test_retry_after_fault_raises_retry_after(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.retry_after("sendMessage", seconds=3)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(chat.id, "您的诉求已受理")
    emulator.limits.clock = lambda: time.monotonic() + 3  # the bot waited as told
    await bot.send_message(chat.id, "您的诉求已受理")
    assert raised.value.retry_after == dtm.timedelta(seconds=3)
    assert [m.text for m in emulator.messages(chat)] == ["您的诉求已受理"]
    assert emulator.counters.retry_after_issued == 1
    assert emulator.counters.calls["sendMessage"] == 2


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_raises_network_error(emulator: Emulator, bot: Bot, status: int) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.server_error("sendMessage", status=status)
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(chat.id, "您好")
    assert not isinstance(raised.value, TimedOut)
    assert emulator.messages(chat) == []


async def test_timeout_raises_timed_out(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.timeout("sendMessage", hold=30)
    with pytest.raises(TimedOut):
        await bot.send_message(chat.id, "您好")
    assert emulator.messages(chat) == []


async def test_timeout_after_processing_delivers_but_client_does_not_know(
    emulator: Emulator, bot: Bot
) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.timeout("sendMessage", processed=True)
    with pytest.raises(TimedOut):
        await bot.send_message(chat.id, "您好")
    assert [m.text for m in emulator.messages(chat)] == ["您好"]


async def test_dropped_connection_raises_network_error(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.drop_connection("sendMessage")
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(chat.id, "您好")
    assert not isinstance(raised.value, TimedOut)
    await bot.send_message(chat.id, "您好")
    assert emulator.counters.faults_served["drop"] == 1


async def test_fault_for_one_chat_spares_the_others(emulator: Emulator, bot: Bot) -> None:
    alice, bob = emulator.add_user("王芳"), emulator.add_user("李强")
    emulator.faults.server_error(chat_id=alice.id, times=2)
    await bot.send_message(bob.private_chat.id, "您好")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.private_chat.id, "您好")
    assert len(emulator.faults.pending) == 1


async def test_blocked_user_raises_forbidden(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    alice.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.private_chat.id, "您好")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == "kicked"


async def test_unknown_chat_raises_bad_request(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(12345, "您好")


async def test_kicked_bot_raises_forbidden(emulator: Emulator, bot: Bot) -> None:
    staff = emulator.add_user("赵科长")
    group = emulator.add_supergroup("城管科工作群", admins=[staff])
    emulator.kick_bot(group)
    with pytest.raises(Forbidden, match="bot was kicked"):
        await bot.send_message(group.id, "新工单")
    (update,) = await bot.get_updates(timeout=0)
    assert update.my_chat_member is not None
    assert update.my_chat_member.chat.id == group.id


async def test_bot_cannot_write_first(emulator: Emulator, bot: Bot) -> None:
    stranger = emulator.add_user("陌生人")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "您好")
