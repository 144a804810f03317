"""Webhook mode: the emulator POSTs updates to python-telegram-bot's webhook server."""

from __future__ import annotations

import socket

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from emulator import Emulator, EmulatorServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_application_in_webhook_mode(emulator: Emulator, server: EmulatorServer) -> None:
    alice = emulator.add_user("王芳")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"收到：{update.effective_message.text}")

    application = server.application_builder().build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            secret_token="s3cret",
            webhook_url=f"http://127.0.0.1:{port}/hook",
        )
        await alice.send_text(alice.private_chat, "噪音扰民")
        reply = await emulator.wait_for_message(alice.private_chat)
        await application.updater.stop()
        await application.stop()
    assert reply.text == "收到：噪音扰民"
    assert emulator.webhook is not None
    assert emulator.webhook.delivered == 1
