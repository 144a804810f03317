"""One forum topic per ticket when createForumTopic fails: a 500, a timeout, a dropped
connection, or an answer lost after the topic was made — through the real bot, both databases."""

from __future__ import annotations

import pytest

from emulator import Chat, Topic
from sandbox.walks import has
from storage.models import Status
from tests.e2e.conftest import World
from tests.e2e.test_delivery import kick, open_for, settle
from tests.e2e.test_staff import status_of

WAIT = 20.0
HOLD = 3.0  # longer than the e2e client waits for an answer (1.5 s)

FAILURES = {
    "500": lambda f: f.server_error("createForumTopic"),
    "timeout": lambda f: f.timeout("createForumTopic", hold=HOLD),
    "dropped": lambda f: f.drop_connection("createForumTopic"),
}


def topics_of(chat: Chat, number: str) -> list[Topic]:
    """The group's topics named after a ticket, oldest first."""
    return sorted(
        (t for t in chat.topics.values() if number in t.name), key=lambda t: t.message_thread_id
    )


def cards_of(chat: Chat, number: str) -> list[int | None]:
    """The threads the ticket's card was posted in."""
    return [
        m.message_thread_id for m in chat.messages if m.sender.is_bot and has("新诉求", number)(m)
    ]


@pytest.mark.parametrize("failure", FAILURES)
async def test_a_failed_create_leaves_one_topic(world: World, failure: str) -> None:
    emu, urban = world.emu, world.urban
    FAILURES[failure](emu.faults)
    number = await open_for(world, emu.add_user("王阿姨"), "荷韵花园北门的路灯坏了")
    await settle(world)
    assert emu.counters.faults_served
    (topic,) = topics_of(urban, number)
    assert cards_of(urban, number) == [topic.message_thread_id]
    assert not topic.closed


async def lost_topic(world: World, *, then_failing: bool = False) -> tuple[str, Topic]:
    """A ticket whose first createForumTopic made the topic but its answer never came (and,
    `then_failing`, every later call fails)."""
    world.emu.faults.drop_connection("createForumTopic", processed=True)
    if then_failing:
        world.emu.faults.server_error("createForumTopic", times=1000)
    number = await open_for(world, world.emu.add_user("王阿姨"), "荷韵花园北门的路灯坏了")
    await world.emu.wait_until(lambda: bool(topics_of(world.urban, number)), timeout=WAIT)
    (lost,) = topics_of(world.urban, number)
    return number, lost


async def test_a_topic_whose_answer_was_lost_is_found_and_closed_as_a_duplicate(
    world: World,
) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    number, lost = await lost_topic(world)
    await settle(world)  # the sender tried again: a second topic, with the card
    orphan, kept = topics_of(urban, number)
    assert orphan is lost
    assert cards_of(urban, number) == [kept.message_thread_id]
    # Staff open the empty one, named like the ticket, and write there: the bot says what it
    # is, renames it and closes it; nothing is done to the ticket from there.
    await clerk.send_command(urban, "/claim", thread=orphan)
    await emu.wait_for_message(
        urban, has("重复创建的话题", number), thread_id=orphan.message_thread_id, timeout=WAIT
    )
    await emu.wait_until(lambda: orphan.closed and "重复话题" in orphan.name, timeout=WAIT)
    assert await status_of(world, number) == Status.ROUTED
    # The ticket's topic is the one with the card, and works.
    await clerk.send_command(urban, "/claim", thread=kept)
    await emu.wait_for_message(
        urban, has("已认领", number), thread_id=kept.message_thread_id, timeout=WAIT
    )
    await settle(world)
    # The topic is renamed after the resident's notice is sent: wait for it, not for the outbox.
    await emu.wait_until(lambda: "办理中" in kept.name, timeout=WAIT)
    assert [t.name for t in topics_of(urban, number) if not t.closed] == [kept.name]


async def test_a_topic_whose_answer_was_lost_is_adopted_while_the_ticket_has_none(
    world: World,
) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    # Telegram keeps failing after the lost answer, so the ticket has no other topic yet.
    number, lost = await lost_topic(world, then_failing=True)
    await clerk.send_command(urban, "/ticket", thread=lost)
    await emu.wait_for_message(
        urban, has("办理记录", number), thread_id=lost.message_thread_id, timeout=WAIT
    )
    emu.faults.clear()
    kick(world)
    await settle(world, within=40.0)  # the card waits out its backoff, then finds the topic
    assert topics_of(urban, number) == [lost]
    assert cards_of(urban, number) == [lost.message_thread_id]
    assert not lost.closed
