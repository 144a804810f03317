"""The bot keeps Telegram's flood limits itself: handlers and the outbox share one budget."""

from __future__ import annotations

from telegram.ext import ExtBot

from delivery.pacing import FloodLimits
from emulator import Limits
from sandbox.walks import has
from storage.models import OutboxStatus
from tests.e2e.conftest import World
from tests.e2e.test_delivery import kick, queue_texts, settle, texts_in


def _limiter(world: World) -> FloodLimits:
    bot = world.app.bot
    assert isinstance(bot, ExtBot)
    limiter = bot.rate_limiter
    assert isinstance(limiter, FloodLimits)
    return limiter


async def test_intake_answers_and_queued_notices_to_one_resident_get_no_429(
    world: World,
) -> None:
    world.emu.limits = Limits()  # Telegram's rates, enforced (fresh buckets for this test)
    person = world.emu.add_user("钱大爷")
    chat = person.private_chat
    await queue_texts(world, *((chat.id, f"通知{i}") for i in range(4)))
    kick(world)
    # The resident writes while the notices go out: both kinds of message share the chat.
    await person.send_text(chat, "/start")
    await person.send_text(chat, "小区里的路灯坏了好几个")
    await world.emu.wait_for_message(chat, has("在哪里"))
    assert await settle(world) == {OutboxStatus.SENT: 4}
    assert [t for t in texts_in(chat) if t.startswith("通知")] == [f"通知{i}" for i in range(4)]
    assert world.emu.counters.retry_after_issued == 0
    assert _limiter(world).retried_after == 0


async def test_a_429_holds_the_chat_for_handlers_and_outbox_alike_and_none_retries_early(
    world: World,
) -> None:
    # The emulator refuses a message sent to a paused chat with a longer pause, as Telegram
    # does. The resident's first message from the bot meets a 429 of 4 s whose answer takes
    # 0.8 s to come back (a slow network; the bot here gives up on an answer after 1.5 s),
    # while the intake's answer and three queued notices are both on their way to that chat:
    # the one sent second must not arrive inside the pause.
    person = world.emu.add_user("周阿姨")
    chat = person.private_chat
    world.emu.faults.retry_after(
        "sendMessage", chat_id=chat.id, seconds=4, times=1, answer_after=0.8
    )
    await person.send_text(chat, "小区里的路灯坏了好几个")
    await queue_texts(world, *((chat.id, f"通知{i}") for i in range(3)))
    kick(world)
    await world.emu.wait_for_message(chat, has("在哪里"), timeout=30)
    assert await settle(world) == {OutboxStatus.SENT: 3}
    assert [t for t in texts_in(chat) if t.startswith("通知")] == [f"通知{i}" for i in range(3)]
    assert world.emu.counters.retry_after_issued == 1  # the injected one, and no other
    assert world.emu.limits.early_retries == 0
    assert _limiter(world).retried_after == 1


async def test_a_429_pauses_its_chat_and_the_message_still_arrives_once(world: World) -> None:
    world.emu.faults.retry_after("sendMessage", seconds=1, times=1)
    people = [world.emu.add_user(f"居民{i}") for i in range(2)]
    await queue_texts(world, *((p.private_chat.id, f"给{p.user.first_name}的通知") for p in people))
    kick(world)
    assert await settle(world) == {OutboxStatus.SENT: 2}
    for person in people:
        assert texts_in(person.private_chat) == [f"给{person.user.first_name}的通知"]
    assert _limiter(world).retried_after == 1
    assert world.emu.counters.retry_after_issued == 1
    assert world.emu.limits.early_retries == 0
