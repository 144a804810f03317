"""Telegram's size and rate limits, and the Bot API's error answers."""

from __future__ import annotations

import pytest
from telegram import Bot, BotCommand
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, RetryAfter

from emulator import Emulator, Limits


class FrozenClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def emulator(clock: FrozenClock) -> Emulator:
    """An emulator enforcing every limit, on a clock that stands still unless moved."""
    return Emulator(limits=Limits(clock=clock))


async def test_message_too_long(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    await bot.send_message(chat.id, "长" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat.id, "长" * 4097)


async def test_caption_too_long(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(chat.id, b"\x89PNG", caption="图" * 1025)


async def test_size_limits_can_be_switched_off(bot: Bot, emulator: Emulator) -> None:
    emulator.limits.enforce_sizes = False
    chat = emulator.add_user("王芳").private_chat
    await bot.send_message(chat.id, "长" * 5000)


async def test_three_quick_messages_to_one_chat_hit_the_rate_limit(
    emulator: Emulator, bot: Bot, clock: FrozenClock
) -> None:
    chat = emulator.add_user("王芳").private_chat
    await bot.send_message(chat.id, "一")
    await bot.send_message(chat.id, "二")
    with pytest.raises(RetryAfter):
        await bot.send_message(chat.id, "三")
    clock.now += 1
    await bot.send_message(chat.id, "三")
    assert [m.text for m in emulator.messages(chat)] == ["一", "二", "三"]
    assert emulator.counters.retry_after_issued == 1


async def test_group_allows_twenty_messages_a_minute(
    emulator: Emulator, bot: Bot, clock: FrozenClock
) -> None:
    group = emulator.add_supergroup("城管科")
    for number in range(20):
        await bot.send_message(group.id, f"工单 {number}")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(group.id, "工单 20")
    assert raised.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
    clock.now += 3
    await bot.send_message(group.id, "工单 20")


async def test_overall_rate_limit(emulator: Emulator, bot: Bot) -> None:
    people = [emulator.add_user(f"居民{n}") for n in range(31)]
    for person in people[:30]:
        await bot.send_message(person.private_chat.id, "您好")
    with pytest.raises(RetryAfter):
        await bot.send_message(people[30].private_chat.id, "您好")


async def test_a_message_before_retry_after_has_passed_doubles_the_pause(
    emulator: Emulator, bot: Bot, clock: FrozenClock
) -> None:
    chat = emulator.add_user("王芳").private_chat
    await bot.send_message(chat.id, "一")
    await bot.send_message(chat.id, "二")
    with pytest.raises(RetryAfter) as first:
        await bot.send_message(chat.id, "三")
    assert first.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    clock.now += 0.5  # too early: Telegram lengthens the wait
    with pytest.raises(RetryAfter) as early:
        await bot.send_message(chat.id, "三")
    assert early.value.retry_after.total_seconds() == 2  # type: ignore[union-attr]
    clock.now += 1.5  # the first pause is over, the second is not
    with pytest.raises(RetryAfter) as again:
        await bot.send_message(chat.id, "三")
    assert again.value.retry_after.total_seconds() == 4  # type: ignore[union-attr]
    other = emulator.add_user("李强").private_chat
    await bot.send_message(other.id, "您好")  # another chat is not paused
    clock.now += 4
    await bot.send_message(chat.id, "三")
    assert [m.text for m in emulator.messages(chat)] == ["一", "二", "三"]
    assert emulator.limits.refusals == {"private": 1, "early private": 2}
    assert emulator.limits.early_retries == 2


async def test_the_overall_limit_pauses_every_chat(
    emulator: Emulator, bot: Bot, clock: FrozenClock
) -> None:
    people = [emulator.add_user(f"居民{n}") for n in range(32)]
    for person in people[:30]:
        await bot.send_message(person.private_chat.id, "您好")
    with pytest.raises(RetryAfter):
        await bot.send_message(people[30].private_chat.id, "您好")
    clock.now += 0.5  # the bucket has tokens again, but the bot was told to wait 1 s
    with pytest.raises(RetryAfter) as early:
        await bot.send_message(people[31].private_chat.id, "您好")
    assert early.value.retry_after.total_seconds() == 1  # type: ignore[union-attr]
    clock.now += 0.5
    await bot.send_message(people[31].private_chat.id, "您好")
    assert emulator.limits.refusals == {"global": 1, "early global": 1}


async def test_an_injected_429_pauses_its_chat(
    emulator: Emulator, bot: Bot, clock: FrozenClock
) -> None:
    chat = emulator.add_user("王芳").private_chat
    emulator.faults.retry_after("sendMessage", chat_id=chat.id, seconds=5)
    with pytest.raises(RetryAfter):
        await bot.send_message(chat.id, "一")
    clock.now += 4
    with pytest.raises(RetryAfter) as early:
        await bot.send_message(chat.id, "一")
    assert early.value.retry_after.total_seconds() == 10  # type: ignore[union-attr]
    assert emulator.limits.early_retries == 1


async def test_html_is_rendered_and_bad_html_refused(emulator: Emulator, bot: Bot) -> None:
    chat = emulator.add_user("王芳").private_chat
    await bot.send_message(chat.id, "<b>工单</b> TB-0001 &amp; 附件", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(chat.id, "<div>x</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="reserved"):
        await bot.send_message(chat.id, "办结率 97.0%", parse_mode=ParseMode.MARKDOWN_V2)
    assert emulator.messages(chat)[0].text == "工单 TB-0001 & 附件"


async def test_long_callback_data_refused(emulator: Emulator, bot: Bot) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    chat = emulator.add_user("王芳").private_chat
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(chat.id, "请确认", reply_markup=keyboard)


async def test_commands_round_trip(bot: Bot) -> None:
    commands = [BotCommand("start", "开始"), BotCommand("my", "我的诉求")]
    await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Status", "查询")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


async def test_unknown_method_is_not_found(bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_get_updates_refused_while_webhook_set(bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()
