"""Several workers on one database: a conversation continues on another worker, and two
senders share one outbox without sending anything twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application

from admin.settings import load_settings
from bot.app import build_application
from sandbox.walks import has
from tests.e2e.conftest import World, bot_running
from tests.e2e.test_delivery import kick, queue_texts, settle


async def test_another_worker_continues_the_conversation(world: World) -> None:
    alice = world.emu.add_user("王阿姨")
    chat = alice.private_chat
    await alice.send_text(chat, "小区里的路灯坏了好几个")
    await world.emu.wait_for_message(chat, has("在哪里"))
    # The first worker goes away; the next update is served by a fresh one.
    assert world.app.updater is not None
    await world.app.updater.stop()
    async with bot_running(world.server, world.db_url, world.classifier):
        await alice.send_text(chat, "荷韵花园")
        summary = await world.emu.wait_for_message(chat, has("请核对", "荷韵花园"))
        await alice.press_button(summary, "✅ 确认提交")
        await world.emu.wait_for_message(chat, has("已受理"))


@asynccontextmanager
async def sender_only(world: World) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """A second worker that only delivers the outbox (no polling: one poller per bot)."""
    settings = load_settings(
        database_url=world.db_url,
        telegram_api_base_url=world.server.base_url,
        telegram_bot_token=world.emu.token,
    )
    application = build_application(settings, classifier_loader=lambda s, d: world.classifier)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        try:
            yield application
        finally:
            assert application.post_shutdown is not None
            await application.post_shutdown(application)


async def test_two_senders_share_the_outbox_and_send_nothing_twice(world: World) -> None:
    people = [world.emu.add_user(f"居民{i}") for i in range(8)]
    async with sender_only(world) as second:
        senders = [world.app.bot_data["minyi.sender"], second.bot_data["minyi.sender"]]
        for sender in senders:
            sender.batch = 5  # small claims, so both workers take turns
        await queue_texts(
            world, *((p.private_chat.id, f"通知{i}") for i in range(5) for p in people)
        )
        kick(world)
        await settle(world)
    for person in people:
        said = [m.text for m in person.private_chat.messages if m.sender.is_bot]
        assert said == [f"通知{i}" for i in range(5)], said
    assert Counter(m.text for p in people for m in p.private_chat.messages)["通知0"] == 8
    assert sum(s.sent for s in senders) == 40  # each message once, whichever worker sent it
