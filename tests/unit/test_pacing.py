"""The bot's own flood limits and per-chat update order, with a callback standing in for HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from telegram import Chat, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.updates import MAX_QUEUED_PER_CHAT, PerChatUpdateProcessor
from delivery.pacing import GROUP_RATE, OVERALL_RATE, PRIVATE_RATE, FloodLimits, _BotBucket

OFF = (0.0, 1.0)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as `minyi run` sets it


class Telegram:
    """Answers calls in order, with a 429 for the chats told to refuse once."""

    def __init__(self, refuse: dict[int, int] | None = None) -> None:
        self.refuse = dict(refuse or {})  # chat id → retry_after seconds, once
        self.calls: list[int] = []

    def call(self, chat_id: int) -> Any:
        async def send() -> dict[str, Any]:
            self.calls.append(chat_id)
            if chat_id in self.refuse:
                raise RetryAfter(retry_after=timedelta(seconds=self.refuse.pop(chat_id)))
            return {"ok": True}

        return send


async def request(
    limits: FloodLimits, telegram: Telegram, chat_id: int, retries: int | None = None
) -> Any:
    return await limits.process_request(
        telegram.call(chat_id), (), {}, "sendMessage", {"chat_id": chat_id}, retries
    )


async def test_a_429_pauses_its_chat_only_and_the_call_is_retried() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=1)
    telegram = Telegram(refuse={1: 1})
    paused = asyncio.create_task(request(limits, telegram, 1))
    await asyncio.sleep(0.05)
    await request(limits, telegram, 2)  # another chat goes through meanwhile
    assert await paused == {"ok": True}
    assert telegram.calls == [1, 2, 1]
    assert limits.retried_after == 1


async def test_a_caller_that_retries_by_itself_is_told_at_once() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=2)
    telegram = Telegram(refuse={1: 30})
    with pytest.raises(RetryAfter):
        await request(limits, telegram, 1, retries=0)
    with pytest.raises(RetryAfter):  # the chat is paused for 30 s: not even tried
        await request(limits, telegram, 1, retries=0)
    assert telegram.calls == [1]


PRIVATE = PRIVATE_RATE  # the shipped private-chat rate


async def test_a_429_for_a_chat_left_alone_pauses_every_chat() -> None:
    # Nothing was sent to chat 1 lately, so its own limit cannot be the reason: the bot's is.
    limits = FloodLimits(overall=OFF, group=OFF, private=PRIVATE, max_retries=0)
    telegram = Telegram(refuse={1: 30})
    with pytest.raises(RetryAfter):
        await request(limits, telegram, 1)
    with pytest.raises(RetryAfter):  # another chat is held too: not even tried
        await request(limits, telegram, 2, retries=0)
    assert telegram.calls == [1]


async def test_a_429_for_a_busy_chat_pauses_that_chat_only() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=PRIVATE, max_retries=0)
    telegram = Telegram()
    await request(limits, telegram, 1)
    await request(limits, telegram, 1)  # its burst is spent: the next may meet its own limit
    telegram.refuse[1] = 30
    with pytest.raises(RetryAfter):
        await request(limits, telegram, 1)
    await request(limits, telegram, 2, retries=0)
    with pytest.raises(RetryAfter):
        await request(limits, telegram, 1, retries=0)
    assert telegram.calls == [1, 1, 1, 2]


async def test_a_chat_has_one_message_in_flight_so_none_lands_inside_its_pause() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=0)
    calls: list[str] = []
    arrived, answer = asyncio.Event(), asyncio.Event()

    def call(name: str, refuse: bool) -> Any:
        async def send() -> dict[str, Any]:
            calls.append(name)
            arrived.set()
            await answer.wait()  # a slow network: the 429 comes back later
            if refuse:
                raise RetryAfter(retry_after=timedelta(seconds=30))
            return {"ok": True}

        return send

    async def send(name: str, refuse: bool) -> Any:
        return await limits.process_request(
            call(name, refuse), (), {}, "sendMessage", {"chat_id": 1}, 0
        )

    first = asyncio.create_task(send("answer", refuse=True))
    await arrived.wait()
    second = asyncio.create_task(send("notice", refuse=False))  # leaves while the first waits
    await asyncio.sleep(0)
    answer.set()
    with pytest.raises(RetryAfter):
        await first
    with pytest.raises(RetryAfter):  # it waited for its turn, then heard of the pause
        await second
    assert calls == ["answer"]


async def test_edits_and_callback_answers_spend_no_message_tokens() -> None:
    limits = FloodLimits(overall=(1, 3600.0), group=OFF, private=OFF)
    telegram = Telegram()
    for _ in range(5):  # would wait an hour each if they counted
        await limits.process_request(
            telegram.call(1), (), {}, "editMessageText", {"chat_id": 1}, None
        )
    await request(limits, telegram, 1)
    assert telegram.calls == [1] * 6


def test_the_bots_tokens_are_held_in_flight_and_counted_when_answered() -> None:
    # Telegram's own overall bucket: 30 at once, 30 a second. The bot's holds a token for each
    # message on its way and counts it when the answer comes back, so it can never be ahead.
    burst, seconds = OVERALL_RATE
    assert (burst, seconds) == (30.0, 1.0)  # Telegram's published limit, no margin
    bucket = _BotBucket(burst, burst / seconds, now=0.0)
    bucket.hold(30)  # thirty messages leave at once
    assert bucket.wait(0.5) > 0  # the bucket refilled, but every token is held in flight
    bucket.answered(2.0, 30)  # answered two seconds later: counted then, not at 0
    assert bucket.wait(2.0) == pytest.approx(1 / 30)
    assert bucket.wait(2.0 + 1 / 30) == pytest.approx(0, abs=1e-9)
    bucket.hold(1)
    assert bucket.wait(2.0 + 1 / 30) > 0  # the refilled token is held by the one in flight


class Ticking:
    """A clock that moves a second on at every look: the bot's bucket refills between looks."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


class Gated:
    """Telegram that holds a message to one chat until told to answer it."""

    def __init__(self, held: int) -> None:
        self.held = held
        self.calls: list[int] = []
        self.arrived = asyncio.Event()
        self.answer = asyncio.Event()

    def call(self, chat_id: int) -> Any:
        async def send() -> dict[str, Any]:
            self.calls.append(chat_id)
            if chat_id == self.held:
                self.arrived.set()
                await self.answer.wait()
            return {"ok": True}

        return send


async def queued(limits: FloodLimits, count: int) -> None:
    """Let the tasks run until ``count`` messages wait for the bot's tokens."""
    for _ in range(1000):
        if limits.waiting >= count:
            return
        await asyncio.sleep(0)  # one turn of the loop: no time passes
    raise AssertionError(f"{limits.waiting} messages wait, not {count}")


def paced(group: tuple[float, float]) -> tuple[FloodLimits, Gated, Any]:
    """The bot's bucket at one token a second, and a message to chat 1 that holds it until
    answered: the messages after it queue for the bot's tokens."""
    limits = FloodLimits(overall=(1.0, 1.0), group=group, private=OFF, clock=Ticking())
    telegram = Gated(held=1)

    async def send(chat_id: int) -> Any:
        return await limits.process_request(
            telegram.call(chat_id), (), {}, "sendMessage", {"chat_id": chat_id}, 0
        )

    return limits, telegram, send


async def residents_then_a_group(limits: FloodLimits, telegram: Gated, send: Any) -> None:
    """A resident's message holds the bot's token; two more residents' and then a group's
    queue behind it; the first is answered and all four go out, in the order the pacer picks."""
    first = asyncio.create_task(send(1))
    await telegram.arrived.wait()
    private = [asyncio.create_task(send(2))]
    await queued(limits, 1)
    private.append(asyncio.create_task(send(3)))
    await queued(limits, 2)
    group = asyncio.create_task(send(-100))
    await queued(limits, 3)
    telegram.answer.set()
    await asyncio.gather(first, group, *private)


async def test_a_group_that_would_lose_messages_waiting_goes_before_private_chats() -> None:
    # Two messages ahead take two seconds of the bot's tokens; a full bucket refilling one a
    # second would lose two messages meanwhile: the group goes first.
    limits, telegram, send = paced((20.0, 20.0))
    await residents_then_a_group(limits, telegram, send)  # the group came last
    assert telegram.calls == [1, -100, 2, 3]  # private chats keep their order
    assert limits.waiting == 0


async def test_a_group_that_would_lose_less_than_a_message_waits_its_turn() -> None:
    # Telegram's 20 a minute: two seconds behind the residents cost a full bucket two thirds of
    # a message, while going first would delay two residents' next steps.
    limits, telegram, send = paced(GROUP_RATE)
    await residents_then_a_group(limits, telegram, send)
    assert telegram.calls == [1, 2, 3, -100]
    assert limits.waiting == 0


async def test_a_group_with_tokens_to_spare_waits_its_turn_behind_residents() -> None:
    # 20 messages, refilled over 20 hours: after one message the bucket is not full again for
    # hours, so waiting costs the group nothing and the residents' answers go first.
    limits, telegram, send = paced((20.0, 72000.0))
    await send(-100)
    await residents_then_a_group(limits, telegram, send)
    assert telegram.calls == [-100, 1, 2, 3, -100]
    assert limits.waiting == 0


async def test_a_message_that_gives_up_waiting_for_the_bots_tokens_holds_up_no_other() -> None:
    limits, telegram, send = paced(GROUP_RATE)
    first = asyncio.create_task(send(1))
    await telegram.arrived.wait()
    group = asyncio.create_task(send(-100))
    await queued(limits, 1)
    private = asyncio.create_task(send(2))
    await queued(limits, 2)
    group.cancel()  # the head of the queue goes away (a stopping worker, a handler's timeout)
    with pytest.raises(asyncio.CancelledError):
        await group
    telegram.answer.set()
    await asyncio.gather(first, private)
    assert telegram.calls == [1, 2]
    assert limits.waiting == 0


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, datetime.now(UTC), chat))


async def test_one_chat_in_order_and_never_more_than_its_share_waiting() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=256)
    gate = asyncio.Event()
    ran: list[int] = []

    async def handle(update_id: int) -> None:
        await gate.wait()
        ran.append(update_id)

    flood = [
        asyncio.create_task(processor.process_update(_update(i, 7), handle(i)))
        for i in range(MAX_QUEUED_PER_CHAT + 8)
    ]
    other = asyncio.create_task(processor.process_update(_update(999, 8), handle(999)))
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(*flood, other)
    assert [i for i in ran if i != 999] == list(range(MAX_QUEUED_PER_CHAT))  # in order
    assert 999 in ran  # the other chat was served


async def test_the_processor_says_when_an_update_and_those_before_it_are_done() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=256)
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def handle() -> None:
        entered.set()
        await gate.wait()

    assert not processor.done_with(1)  # not even seen
    task = asyncio.create_task(processor.process_update(_update(1, 7), handle()))
    await entered.wait()
    assert not processor.done_with(1)  # its handler still runs
    gate.set()
    await task
    assert processor.done_with(1)
    assert not processor.done_with(2)


# --- transient failures: 5xx, timeouts, dropped connections ------------------------------------

QUICK = (0.0, 0.0)  # no backoff between tries: these tests wait for nothing


def server_error() -> NetworkError:
    return NetworkError("Internal Server Error")  # Telegram answered 500: nothing was done


def lost_answer() -> NetworkError:
    try:  # as HTTPXRequest raises it: the request left, the answer never came
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    except httpx.RemoteProtocolError as cause:
        error = NetworkError(f"httpx.RemoteProtocolError: {cause}")
        error.__cause__ = cause
        return error


def no_connection() -> NetworkError:
    try:
        raise httpx.ConnectError("All connection attempts failed")
    except httpx.ConnectError as cause:
        error = NetworkError(f"httpx.ConnectError: {cause}")
        error.__cause__ = cause
        return error


class Flaky:
    """Telegram that fails the first calls with the errors given, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def call(
    limits: FloodLimits, telegram: Flaky, endpoint: str = "sendMessage", retries: int | None = None
) -> Any:
    return await limits.process_request(telegram, (), {}, endpoint, {"chat_id": 7}, retries)


def quick(**kwargs: Any) -> FloodLimits:
    return FloodLimits(overall=OFF, group=OFF, private=OFF, backoff=QUICK, **kwargs)


@pytest.mark.parametrize("failure", [server_error, lost_answer, no_connection])
async def test_an_answer_survives_one_transient_failure(failure: Any) -> None:
    limits, telegram = quick(), Flaky(failure())
    assert await call(limits, telegram) == {"ok": True}
    assert (telegram.calls, limits.repeated, limits.gave_up) == (2, 1, 0)


async def test_a_message_that_was_never_sent_is_tried_a_bounded_number_of_times() -> None:
    limits = quick(transient_retries=3)
    telegram = Flaky(*(failure() for failure in [server_error, no_connection] * 3))
    with pytest.raises(NetworkError):
        await call(limits, telegram)
    assert (telegram.calls, limits.gave_up) == (4, 1)


async def test_a_message_whose_answer_was_lost_is_sent_once_more_never_twice_more() -> None:
    limits, telegram = quick(), Flaky(lost_answer(), lost_answer(), lost_answer())
    with pytest.raises(NetworkError):
        await call(limits, telegram)
    assert telegram.calls == 2  # at most one duplicate, whatever happens


async def test_edits_are_repeated_and_a_repeat_that_finds_the_work_done_is_done() -> None:
    limits = quick()
    telegram = Flaky(lost_answer(), lost_answer(), BadRequest("Message is not modified"))
    assert await call(limits, telegram, "editMessageText") is True
    assert telegram.calls == 3
    # … but a "not modified" with no lost answer before it is the caller's to see.
    with pytest.raises(BadRequest):
        await call(limits, Flaky(BadRequest("Message is not modified")), "editMessageText")


async def test_a_forum_topic_is_never_created_twice_on_a_guess() -> None:
    limits, telegram = quick(), Flaky(server_error())
    with pytest.raises(NetworkError):
        await call(limits, telegram, "createForumTopic")
    assert telegram.calls == 1


async def test_a_caller_that_retries_by_itself_gets_the_failure_at_once() -> None:
    limits, telegram = quick(), Flaky(server_error())
    with pytest.raises(NetworkError):
        await call(limits, telegram, retries=0)
    assert telegram.calls == 1


async def test_repeats_stop_when_the_time_budget_is_spent() -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 8.0  # every look at the clock finds eight more seconds gone
        return now[0]

    limits = quick(retry_budget=20.0, clock=clock)
    telegram = Flaky(*(server_error() for _ in range(4)))
    with pytest.raises(NetworkError):
        await call(limits, telegram)
    assert telegram.calls < 4
