"""On PostgreSQL a row queued by another worker (another engine, another connection) wakes a
running sender at once through LISTEN/NOTIFY, also after its listening connection was cut; its
idle poll is an hour here, so only the notification can have woken it (storage/wakeups.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.context import SERVICES_KEY
from admin.settings import load_settings
from bot.app import build_application
from bot.services import Services
from delivery.sender import OutboxSender
from emulator import Emulator, EmulatorServer, Limits
from sandbox.walks import has
from storage.database import session_factory
from storage.models import Audience
from storage.notices import Digest
from storage.outbox import enqueue
from storage.unit_of_work import UnitOfWork
from storage.wakeups import OutboxListener
from tests.fakes import KeywordClassifier

WAIT = 30.0
AN_HOUR = 3600.0


async def queue_elsewhere(engine: AsyncEngine, chat_id: int, words: str) -> None:
    """Queue a message as another worker would: its own engine, no wake-up of this process."""
    async with UnitOfWork(session_factory(engine)) as uow:
        await enqueue(uow=uow, chat_id=chat_id, notice=Digest(words), audience=Audience.DISPATCH)


async def test_a_row_queued_by_another_worker_wakes_the_sender_at_once(
    engine: AsyncEngine, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite has one process")
    emu = Emulator(limits=Limits(enforce_rates=False))
    alice = emu.add_user("王阿姨")
    async with EmulatorServer(emu) as server:
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        application = build_application(
            settings, classifier_loader=lambda s, d: KeywordClassifier(), run_sender=False
        )
        async with application:
            assert application.post_init is not None
            await application.post_init(application)
            svc = application.bot_data[SERVICES_KEY]
            assert isinstance(svc, Services)
            sender = OutboxSender(application.bot, svc)
            listener = sender.listener
            assert isinstance(listener, OutboxListener)
            stop = asyncio.Event()
            running = asyncio.create_task(sender.run(stop, idle=AN_HOUR))
            try:
                await asyncio.wait_for(listener.listening.wait(), WAIT)
                heard = listener.notices
                await queue_elsewhere(engine, alice.private_chat.id, "第一条通知")
                await emu.wait_for_message(alice.private_chat, has("第一条通知"), timeout=WAIT)
                assert listener.notices > heard  # woken by the notification
                # The listening connection is cut: the listener connects again and still wakes.
                async with engine.connect() as connection:
                    await connection.execute(
                        text("SELECT pg_terminate_backend(:pid)"), {"pid": listener.server_pid}
                    )
                async with asyncio.timeout(WAIT), listener.connected:
                    await listener.connected.wait_for(lambda: listener.connections == 2)
                heard = listener.notices
                await queue_elsewhere(engine, alice.private_chat.id, "第二条通知")
                await emu.wait_for_message(alice.private_chat, has("第二条通知"), timeout=WAIT)
                assert listener.notices > heard
            finally:
                stop.set()
                await asyncio.wait_for(running, WAIT)
                assert application.post_shutdown is not None
                await application.post_shutdown(application)
    await emu.close()
    assert sender.sent == 2
