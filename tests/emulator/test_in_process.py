"""The in-process mode: same core and rules, no sockets."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, Update
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import ContextTypes, MessageHandler, filters

from emulator import (
    IN_PROCESS_BASE_FILE_URL,
    IN_PROCESS_BASE_URL,
    Emulator,
    InProcessRequest,
    Limits,
    in_process_builder,
)


@pytest.fixture
async def local_bot(emulator: Emulator) -> AsyncIterator[Bot]:
    async with Bot(
        emulator.token,
        base_url=IN_PROCESS_BASE_URL,
        base_file_url=IN_PROCESS_BASE_FILE_URL,
        request=InProcessRequest(emulator, read_timeout=0.2),
    ) as client:
        yield client
    await emulator.close()


async def test_application_in_process(emulator: Emulator) -> None:
    alice = emulator.add_user("王芳")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"收到：{update.effective_message.text}")

    application = in_process_builder(emulator).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0)
        await alice.send_text(alice.private_chat, "垃圾没人清运")
        reply = await emulator.wait_for_message(alice.private_chat)
        await application.updater.stop()
        await application.stop()
    await emulator.close()
    assert reply.text == "收到：垃圾没人清运"


async def test_in_process_faults(emulator: Emulator, local_bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.timeout("sendMessage")
    emulator.faults.drop_connection("sendMessage")
    emulator.faults.retry_after("sendMessage", seconds=5)
    with pytest.raises(TimedOut):
        await local_bot.send_message(chat.id, "一")
    with pytest.raises(NetworkError):
        await local_bot.send_message(chat.id, "二")
    with pytest.raises(RetryAfter):
        await local_bot.send_message(chat.id, "三")
    emulator.limits.clock = lambda: time.monotonic() + 5  # the bot waited as told
    await local_bot.send_message(chat.id, "四")
    assert [m.text for m in emulator.messages(chat)] == ["四"]


async def test_in_process_rate_limit(local_bot: Bot, emulator: Emulator) -> None:
    emulator.limits = Limits(clock=lambda: 0.0)
    chat = emulator.add_user("王芳").private_chat
    await local_bot.send_message(chat.id, "一")
    await local_bot.send_message(chat.id, "二")
    with pytest.raises(RetryAfter):
        await local_bot.send_message(chat.id, "三")
