"""Webhook mode (scale-out behind a load balancer): the same bot, updates POSTed with a secret."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from admin.settings import load_settings
from bot.app import Webhook, build_application, running
from bot.inbox import InboxQueue
from emulator import Emulator, EmulatorServer, Limits
from sandbox.walks import has, walk_intake
from storage.database import session_factory
from storage.district import bind_department
from storage.unit_of_work import UnitOfWork
from tests.e2e.fleet import free_port
from tests.fakes import KeywordClassifier


async def test_a_report_in_webhook_mode(engine: AsyncEngine, db_url: str) -> None:
    emu = Emulator(limits=Limits(enforce_rates=False))
    group = emu.add_supergroup("城管局工作群", forum=True)
    async with UnitOfWork(session_factory(engine)) as uow:
        await bind_department(uow=uow, code="urban", chat_id=group.id, is_forum=True)
    port = free_port()
    hook = Webhook(
        url=f"http://127.0.0.1:{port}/telegram",
        secret="s3cret-token",
        listen="127.0.0.1",
        port=port,
    )
    async with EmulatorServer(emu) as server:
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        classifier = KeywordClassifier()
        application = build_application(settings, classifier_loader=lambda s, d: classifier)
        async with running(application, webhook=hook):
            alice = emu.add_user("王阿姨")
            number = await walk_intake(emu, alice, "小区门口的路灯坏了好几天", photo=True)
            await emu.wait_for_message(group, has(number, "新诉求"))
    assert emu.webhook is not None
    assert emu.webhook.delivered >= 5
    await emu.close()


async def test_updates_telegram_sends_again_are_handled_once(
    engine: AsyncEngine, db_url: str
) -> None:
    """Every update POSTed twice (Telegram did not hear the 200 in time): each one's effect and
    answer exactly once."""
    emu = Emulator(limits=Limits(enforce_rates=False))
    emu.webhook_resend_every = 1
    group = emu.add_supergroup("城管局工作群", forum=True)
    async with UnitOfWork(session_factory(engine)) as uow:
        await bind_department(uow=uow, code="urban", chat_id=group.id, is_forum=True)
    port = free_port()
    hook = Webhook(
        url=f"http://127.0.0.1:{port}/telegram", secret="s3cret", listen="127.0.0.1", port=port
    )
    async with EmulatorServer(emu) as server:
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        classifier = KeywordClassifier()
        application = build_application(settings, classifier_loader=lambda s, d: classifier)
        async with running(application, webhook=hook):
            alice = emu.add_user("王阿姨")
            number = await walk_intake(emu, alice, "小区门口的路灯坏了好几天")
            await emu.wait_for_message(group, has(number, "新诉求"))
            inbox = application.update_queue
            assert isinstance(inbox, InboxQueue)
            ignored = inbox.ignored
    assert emu.webhook is not None
    assert emu.webhook.resent >= 3
    assert ignored == emu.webhook.resent  # every second POST dropped by its update_id
    said = [m.text or "" for m in alice.private_chat.messages if m.sender.is_bot]
    assert len(said) == len(set(said)), said  # no answer twice
    assert len(classifier.seen) == 1  # the report classified once, one ticket
    await emu.close()
