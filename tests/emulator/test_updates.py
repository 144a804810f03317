"""getUpdates long polling: waits for updates, honours offset and allowed_updates."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import Conflict

from emulator import Emulator, EmulatorServer


async def test_long_poll_returns_when_a_message_arrives(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    poll = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=30))
    await emulator.wait_until(lambda: emulator.updates.polling)
    await alice.send_text(alice.private_chat, "你好")
    (update,) = await poll
    assert update.message is not None
    assert update.message.text == "你好"
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_update_ids_increase_and_offset_confirms(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    for text in ("一", "二", "三"):
        await alice.send_text(alice.private_chat, text)
    first = await bot.get_updates(timeout=0, limit=2)
    ids = [u.update_id for u in first]
    rest = await bot.get_updates(offset=ids[-1] + 1, timeout=0)
    assert ids == sorted(ids)
    assert len(first) == 2
    assert [u.message.text for u in rest if u.message] == ["三"]


async def test_allowed_updates_filters_new_updates(emulator: Emulator, bot: Bot) -> None:
    alice = emulator.add_user("王芳")
    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    await alice.send_text(alice.private_chat, "你好")
    assert await bot.get_updates(timeout=0, allowed_updates=[]) == ()


async def test_a_second_bot_instance_ends_the_first_poll_with_conflict(
    emulator: Emulator, bot: Bot, server: EmulatorServer
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=20, read_timeout=30))
    await emulator.wait_until(lambda: emulator.updates.polling)
    async with Bot(emulator.token, base_url=server.base_url) as other_instance:
        assert await other_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict):
        await first
