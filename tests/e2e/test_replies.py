"""Answers people wait for survive one transient failure of Telegram: a 500, a timeout, a
dropped connection — through the real bot over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator import Chat, Fault, Faults
from sandbox.walks import NUMBER, has
from tests.e2e.conftest import World
from tests.e2e.test_delivery import open_for, settle, texts_in

WAIT = 20.0
# A timeout the client gives up on (the e2e client reads for 1.5 s) and Telegram answers later.
HOLD = 3.0

FaultOn = Callable[[Faults, Chat], Fault]
FAULTS: dict[str, FaultOn] = {
    "500": lambda f, chat: f.server_error("sendMessage", chat_id=chat.id),
    "timeout": lambda f, chat: f.timeout("sendMessage", hold=HOLD, chat_id=chat.id),
    "dropped": lambda f, chat: f.drop_connection("sendMessage", chat_id=chat.id),
}


def count(chat: Chat, part: str) -> int:
    """How many of the bot's messages in a chat say `part`."""
    return sum(part in text for text in texts_in(chat))


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_residents_next_prompt_survives_one_failure(world: World, fault: str) -> None:
    """The issue's stranded resident: a button pressed, the next prompt (the phone question)
    fails once; it still arrives, once."""
    emu = world.emu
    alice = emu.add_user("王阿姨")
    chat = alice.private_chat
    await alice.send_text(chat, "东门的路灯坏了一个多月，晚上特别黑")
    await emu.wait_for_message(chat, has("在哪里"), timeout=WAIT)
    await alice.send_text(chat, "荷韵花园东门")
    summary = await emu.wait_for_message(chat, has("请核对", "荷韵花园东门"), timeout=WAIT)
    FAULTS[fault](emu.faults, chat)
    await alice.press_button(summary, "📞 电话")
    await emu.wait_for_message(chat, has("联系电话"), timeout=WAIT)
    assert emu.counters.faults_served, "the fault was not served"
    assert count(chat, "联系电话") == 1  # nothing was sent by the failed try
    await alice.send_text(chat, "不用")
    summary = await emu.wait_for_message(chat, has("请核对", "荷韵花园东门"), timeout=WAIT)
    await alice.press_button(summary, "✅ 确认提交")
    confirmed = await emu.wait_for_message(chat, has("已受理"), timeout=WAIT)
    assert NUMBER.search(confirmed.text or "")


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_staff_acknowledgement_survives_one_failure(world: World, fault: str) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    alice = emu.add_user("王阿姨")
    number = await open_for(world, alice, "荷韵花园北门的路灯坏了一个礼拜了")
    await settle(world)
    card = await emu.wait_for_message(urban, has(number, "新诉求"), timeout=WAIT)
    FAULTS[fault](emu.faults, urban)
    await clerk.press_button(card, "认领")
    await emu.wait_for_message(urban, has("已认领", number), timeout=WAIT)
    assert emu.counters.faults_served
    assert count(urban, "已认领") == 1
    await emu.wait_for_message(alice.private_chat, has("已安排专人办理"), timeout=WAIT)


async def test_a_lost_answer_is_repeated_once_at_most(world: World) -> None:
    """The request took effect but its answer never came: the acknowledgement is sent again,
    the one duplicate the bot allows itself (a person never waits in vain)."""
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    alice = emu.add_user("王阿姨")
    number = await open_for(world, alice, "荷韵花园北门的路灯坏了一个礼拜了")
    await settle(world)
    card = await emu.wait_for_message(urban, has(number, "新诉求"), timeout=WAIT)
    emu.faults.timeout("sendMessage", hold=HOLD, times=3, processed=True, chat_id=urban.id)
    await clerk.press_button(card, "认领")
    await emu.wait_until(lambda: count(urban, "已认领") == 2, timeout=WAIT)
    # Both tries took effect and neither answered: the bot stopped after the one repeat.
    await emu.wait_until(lambda: emu.counters.faults_served["timeout"] == 2, timeout=WAIT)
    await settle(world)
    assert count(urban, "已认领") == 2
    assert [f.times for f in emu.faults.pending] == [1]  # the third was never asked
