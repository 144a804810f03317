"""Telegram's flood limits, kept by the bot itself for every request it makes.

Telegram allows a bot about 30 messages per second overall, 20 per minute in one group, and
about one per second in one private chat (with a short burst); going over costs a 429 and a
pause, and a message sent to the chat before the pause is over lengthens it. `FloodLimits` is
python-telegram-bot's rate-limiter hook, with a token bucket for the bot as a whole and a
bucket of its own per chat:

- only requests that *post messages* spend tokens (an album spends one per item, as Telegram
  counts it); edits, topic changes and callback answers are not messages and pass;
- private chats are paced too (python-telegram-bot's `AIORateLimiter` leaves them alone, and
  every intake step answers a resident, often with two messages);
- a chat has one message request in flight at a time, and its bucket counts each message when
  the answer comes back (Telegram took it no later): network and event-loop delays can bunch
  messages up on the way, and counting them as they left would let the bot get ahead of the
  chat's real bucket; counting them as they were answered can only make it slower. The bot's
  overall bucket does the same with many messages in flight: each holds its token from the
  moment it leaves and is counted when answered, so the buckets run at Telegram's own rates;
- when the bot's bucket binds, a group's message gets the next token before a private chat's
  if waiting its turn would cost the group a message of its refill (a full bucket's refill is
  lost, and each message costs a group 3 s at the end); else the residents' answers go first;
- a 429 pauses the chat it was about, for every caller (the next message of the chat is not
  yet on its way: see above), and the call is retried after it; a 429 about a chat the bot had
  left alone cannot be the chat's own limit, so it pauses every chat; a caller that passes
  ``rate_limit_args=0`` (the outbox, which reschedules by itself) gets the RetryAfter instead
  of waiting long;
- a transient failure (HTTP 5xx, a timeout, a dropped connection) is retried too, with
  exponential backoff, a few times and for some seconds at most, so every answer a person
  waits for (an intake prompt, a summary, a staff acknowledgement) survives one; the failure
  that remains is logged and counted (`gave_up`) and raised to the handler.

Repeating a request is safe for reads, edits, callback answers and topic changes: done twice,
they end the same (a repeat that finds the work done, "message is not modified", counts as
done). A message is different: when Telegram never heard of it (it answered 5xx, or the
connection never opened) sending it again duplicates nothing; when the answer was lost (a
timeout, a connection dropped after the request left) it may have arrived. A duplicate answer
is the lesser evil next to a resident left without the prompt they wait for, so such a message
is sent once more, but only once: at most one duplicate per answer, and only after a lost
answer. createForumTopic is never repeated here (a second topic would stay): the sender keeps
one topic per ticket by itself.

Handlers and the outbox sender share one instance (it is the Application's), so together they
stay inside the limits. Webhook workers on PostgreSQL also share the buckets through the
database: `FloodLimits.shared` (delivery/shared_pace.py) is asked for each message's slot once
the worker's own tokens are spent, and told of every 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from storage.processing import end_reads

__all__ = [
    "GROUP_RATE",
    "MESSAGE_ENDPOINTS",
    "NEVER_REPEATED",
    "OVERALL_RATE",
    "PRIVATE_RATE",
    "RETRY_BUDGET",
    "TRANSIENT_RETRIES",
    "FloodLimits",
    "SharedLimits",
]

log = logging.getLogger(__name__)

MESSAGE_ENDPOINTS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendMediaGroup",
        "sendDocument",
        "sendVideo",
        "sendVoice",
        "sendAudio",
        "sendAnimation",
        "sendSticker",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Requests that must not be made twice on a guess: a lost answer to createForumTopic would
# leave a second, empty topic (delivery.sender keeps one topic per ticket across workers).
NEVER_REPEATED = frozenset({"createForumTopic"})
TRANSIENT_RETRIES = 3  # four tries in all
BACKOFF = (0.5, 4.0)  # seconds before the first repeat, doubling, capped
RETRY_BUDGET = 20.0  # no repeat starts later than this after the first try (plus one timeout)
# What a repeat answers when the first try had in fact done the work.
_DONE_ALREADY = (
    "not modified",  # editMessage…, editForumTopic, close/reopenForumTopic
    "query is too old",  # answerCallbackQuery
    "query id is invalid",
    "message to delete not found",
)
# Failures of a request that never reached Telegram.
_NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# (messages, seconds): Telegram's published limits themselves. No margin is needed: every
# bucket counts a message when its answer comes back (Telegram took it no later), so the bot is
# always at least one round trip behind Telegram's own buckets, never ahead, however the network
# bunches requests up on the way (issue 17 item 5).
OVERALL_RATE = (30.0, 1.0)
GROUP_RATE = (20.0, 60.0)
PRIVATE_RATE = (2.0, 2.0)  # a burst of two, then one a second
_MAX_CHAT_LIMITERS = 4096  # idle ones are dropped beyond this
MAX_QUIET_WAIT = 5.0  # seconds a caller without retries may be held for a paused chat
PAUSE_MARGIN = 0.1  # seconds added to a retry_after, so the next try lands after it

Result = bool | dict[str, Any] | list[dict[str, Any]]


class SharedLimits(Protocol):
    """Buckets shared with the bot's other workers (delivery/shared_pace.py)."""

    async def reserve(
        self,
        chat: int | str | None,
        messages: int,
        *,
        chat_rate: tuple[float, float],
        overall_rate: tuple[float, float],
        patience: float | None,
    ) -> float | None:
        """Wait for the message's shared slot; the seconds beyond ``patience`` if too far."""

    async def pause(
        self,
        chat: int | str | None,
        seconds: float,
        *,
        every_chat: bool,
        chat_rate: tuple[float, float],
        overall_rate: tuple[float, float],
    ) -> None:
        """Keep a 429's pause for every worker."""

    async def settle(
        self,
        chat: int | str | None,
        messages: int,
        *,
        chat_rate: tuple[float, float],
        took: float,
    ) -> None:
        """The answer came back ``took`` seconds after the message left."""


class FloodLimits(BaseRateLimiter[int]):
    """Overall, per-group and per-private-chat token buckets; retries a 429 per chat, and a
    transient failure with backoff (see the module's docstring for what is repeated).

    Rates are (messages, seconds): a bucket holds that many and refills at their ratio; a rate
    of zero messages switches that bucket off. `max_retries` counts 429s, `transient_retries`
    repeats after 5xx, timeouts and dropped connections; a caller passing
    ``rate_limit_args=0`` gets neither (it retries by itself).
    """

    def __init__(
        self,
        *,
        overall: tuple[float, float] = OVERALL_RATE,
        group: tuple[float, float] = GROUP_RATE,
        private: tuple[float, float] = PRIVATE_RATE,
        max_retries: int = 2,
        transient_retries: int = TRANSIENT_RETRIES,
        backoff: tuple[float, float] = BACKOFF,
        retry_budget: float = RETRY_BUDGET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = (
            _BotBucket(overall[0], overall[0] / overall[1], clock()) if overall[0] else None
        )
        self._waiting: list[_Waiter] = []  # messages waiting for the bot's tokens (a heap)
        self._arrivals = itertools.count()  # the order they came in, within a rank
        self._queued = 0  # messages (album items) of those waiting
        self._answered = asyncio.Event()  # a message in flight was answered, or the head changed
        self._overall_rate = overall
        self.shared: SharedLimits | None = None  # set by the composition root (webhook workers)
        self._group_rate = group
        self._private_rate = private
        self._chats: dict[int | str, _ChatBucket] = {}
        self._resume_at: dict[int | str, float] = {}
        self._resume_all_at = 0.0  # a 429 that was not about one chat holds every message
        self._turns: dict[int | str, _Turn] = {}
        self._max_retries = max_retries
        self._transient_retries = transient_retries
        self._backoff = backoff
        self._retry_budget = retry_budget
        self._clock = clock
        self.retried_after = 0  # 429s answered by Telegram (seen by tests and benchmarks)
        self.repeated = 0  # requests repeated after a transient failure
        self.gave_up = 0  # requests that failed for good after their repeats

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the chat's and the bot's tokens (messages only), then call Telegram;
        retry a 429 after the pause Telegram asks for, and a transient failure with backoff.

        A chat has one message request in flight at a time, so a 429 it earns is known before
        its next message leaves (none is already on its way to arrive inside the pause), and
        its messages reach Telegram in the order they left."""
        await end_reads()  # a handler's open reads never wait on Telegram (storage/processing)
        chat = _chat_key(data.get("chat_id"))
        messages = _message_count(endpoint, data)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        started = self._clock()
        floods = tries = 0
        lost_answer = False  # an earlier try may have done the work without our hearing so
        while True:
            paused = self._paused_for(chat, messages)
            if retries == 0 and paused > MAX_QUIET_WAIT:
                # A caller that retries by itself (the outbox) is told at once rather than
                # held past its claim's lease.
                raise RetryAfter(retry_after=timedelta(seconds=math.ceil(paused)))
            if paused > 0:
                await asyncio.sleep(paused)
            failure: RetryAfter | BadRequest | NetworkError
            async with self._turn(chat if messages else None):
                if self._paused_for(chat, messages) > 0:
                    continue  # a 429 came back while this request waited for its turn
                idle = self._idle(chat)
                bucket = self._chat_bucket(chat) if messages and chat is not None else None
                await self._spend(chat, bucket, messages)
                if self.shared is not None and messages:
                    try:
                        beyond = await self.shared.reserve(
                            chat,
                            messages,
                            chat_rate=self._chat_rate(chat),
                            overall_rate=self._overall_rate,
                            patience=None if retries else MAX_QUIET_WAIT,
                        )
                    except BaseException:
                        self._give_back(messages)  # never left: the bot's tokens are free again
                        raise
                    if beyond is not None:
                        self._give_back(messages)
                        raise RetryAfter(retry_after=timedelta(seconds=math.ceil(beyond)))
                if self._paused_for(chat, messages) > 0:
                    if messages and self._overall is not None:
                        self._overall.answered(self._clock(), messages)  # the bot's stay spent
                        self._answered.set()
                    continue  # … or while it waited for its tokens
                tries += 1
                left = self._clock()
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as error:
                    # Recorded before the next request of this chat gets its turn.
                    self._pause(chat, _seconds(error.retry_after), every_chat=idle)
                    if self.shared is not None:
                        await self.shared.pause(
                            chat,
                            _seconds(error.retry_after) + PAUSE_MARGIN,
                            every_chat=idle,
                            chat_rate=self._chat_rate(chat),
                            overall_rate=self._overall_rate,
                        )
                    failure = error
                except (BadRequest, NetworkError) as error:
                    failure = error
                finally:
                    answered = self._clock()  # Telegram took it (if it did) before this moment
                    if bucket is not None:
                        bucket.spend(answered, messages)
                    if messages and self._overall is not None:
                        self._overall.answered(answered, messages)
                        self._answered.set()
                    if self.shared is not None and messages:
                        await self.shared.settle(
                            chat,
                            messages,
                            chat_rate=self._chat_rate(chat),
                            took=answered - left,
                        )
            if isinstance(failure, RetryAfter):
                self.retried_after += 1
                floods += 1
                if floods > retries:
                    raise failure
                log.info(
                    "Telegram asked to wait %.1f s (%s); retrying",
                    _seconds(failure.retry_after),
                    endpoint,
                )
            elif isinstance(failure, BadRequest):
                if lost_answer and any(m in failure.message.lower() for m in _DONE_ALREADY):
                    log.info("%s was done by an earlier try whose answer was lost", endpoint)
                    return True
                raise failure
            else:  # 5xx, timeouts, dropped connections
                maybe_delivered = _maybe_delivered(failure)
                wait = min(self._backoff[1], self._backoff[0] * 2 ** (tries - 1))
                if not self._may_repeat(
                    endpoint, retries, tries, started, wait, maybe_delivered, lost_answer
                ):
                    self.gave_up += 1
                    log.warning(
                        "%s to a %s chat failed after %d tries: %s",
                        endpoint,
                        _chat_kind(chat),
                        tries,
                        type(failure).__name__,
                    )
                    raise failure
                lost_answer = lost_answer or maybe_delivered
                self.repeated += 1
                log.info("%s failed (%s); trying again in %.1f s", endpoint, failure, wait)
                await asyncio.sleep(wait)

    def _turn(self, chat: int | str | None) -> contextlib.AbstractAsyncContextManager[None]:
        """The chat's turn to have a message request in flight (no wait for other requests)."""
        if chat is None:
            return contextlib.nullcontext()
        return _ChatTurn(self._turns, chat)

    def _idle(self, chat: int | str | None) -> bool:
        """Whether the chat's own bucket is full (nothing sent to it lately), so that a 429 now
        cannot be about the chat's own limit: Telegram does not say which limit it was."""
        if chat is None:
            return True
        rate = self._group_rate if isinstance(chat, str) or chat < 0 else self._private_rate
        if not rate[0]:
            return False  # not paced here: the chat's own limit is as likely as any
        bucket = self._chats.get(chat)
        return bucket is None or bucket.full(self._clock())

    def _pause(self, chat: int | str | None, seconds: float, *, every_chat: bool) -> None:
        """Keep the pause Telegram asked for: the chat's, and every chat's when it was not the
        chat's own limit; every caller waits it out, not only the one that was told."""
        until = self._clock() + seconds + PAUSE_MARGIN
        if chat is not None:
            self._resume_at[chat] = max(self._resume_at.get(chat, 0.0), until)
        if every_chat:
            self._resume_all_at = max(self._resume_all_at, until)

    def _may_repeat(
        self,
        endpoint: str,
        retries: int,
        tries: int,
        started: float,
        wait: float,
        maybe_delivered: bool,
        lost_answer: bool,
    ) -> bool:
        """Whether a transient failure is tried again (see the module's docstring)."""
        if retries == 0 or endpoint in NEVER_REPEATED or tries > self._transient_retries:
            return False
        if self._clock() - started + wait > self._retry_budget:
            return False
        # A message that may have arrived is sent once more, never twice more.
        return not (endpoint in MESSAGE_ENDPOINTS and maybe_delivered and lost_answer)

    def _paused_for(self, chat: int | str | None, messages: int = 1) -> float:
        """Seconds until Telegram lets this chat be written to again (0 when it may now); a
        pause of the whole bot holds every message."""
        until = self._resume_all_at if messages or chat is None else 0.0
        if chat is not None:
            until = max(until, self._resume_at.get(chat, 0.0))
        return max(0.0, until - self._clock())

    async def _spend(
        self, chat: int | str | None, bucket: _ChatBucket | None, messages: int
    ) -> None:
        """Wait until the chat's bucket has a message to give, then hold the bot's tokens (they
        are counted when the answer comes back: `_BotBucket`)."""
        # Nobody else spends this chat's bucket meanwhile: the request holds the chat's turn.
        wait = bucket.wait(self._clock()) if bucket is not None else 0.0
        if wait > 0:
            await asyncio.sleep(wait)
        if self._overall is None or not messages:
            return
        await self._take_overall(self._rank(chat, bucket), messages)

    @property
    def waiting(self) -> int:
        """Messages waiting for the bot's tokens (seen by tests)."""
        return len(self._waiting)

    def _rank(self, chat: int | str | None, bucket: _ChatBucket | None) -> int:
        """0 for a group's message whose group would lose a whole message of its refill if it
        waited its turn behind the messages already waiting for the bot's tokens, 1 for every
        other.

        A group has 20 messages a minute: while its bucket is full, what it refills is lost,
        and each message the group still has when the bot's traffic ebbs beyond what its
        bucket holds goes out one every 3 s. Below full, waiting loses the group nothing (its
        tokens keep), while every message to a resident delays the resident's next step, and
        with it every message after; so a group goes first only when waiting would cost it a
        message. The messages ahead need ``waiting / 30`` s of the bot's tokens."""
        if bucket is None or self._overall is None or _rank_of_chat(chat):
            return 1
        turn = self._queued / self._overall.per_second
        filled = bucket.available(self._clock()) + turn * bucket.per_second
        return 0 if filled >= bucket.burst + 1 else 1

    async def _take_overall(self, rank: int, messages: int) -> None:
        """Hold ``messages`` of the bot's tokens, in turn: by rank (`_rank`), then in the order
        they came (an album waits its turn whole). Only the head of the queue waits for the
        tokens; the others wait to become the head. A group has one message in flight and
        waiting at a time (its turn), so private chats are never held back by more than one
        message per group."""
        assert self._overall is not None
        me = _Waiter(rank, next(self._arrivals), messages)
        heapq.heappush(self._waiting, me)
        self._queued += messages
        if self._waiting[0] is me:
            self._answered.set()  # the head it displaced goes back to waiting for its turn
        try:
            while True:
                if self._waiting[0] is not me:
                    me.turn.clear()
                    await me.turn.wait()
                    continue
                # Tokens come back as the bucket refills; when every token is held by a message
                # in flight, only an answer frees one: wait for whichever comes first.
                wait = self._overall.wait(self._clock(), messages)
                if wait <= 0:
                    heapq.heappop(self._waiting)
                    self._queued -= messages
                    self._overall.hold(messages)
                    if self._waiting:
                        self._waiting[0].turn.set()
                    return
                self._answered.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._answered.wait(), wait)
        except BaseException:
            if me in self._waiting:  # cancelled while waiting: the next one gets its turn
                self._waiting.remove(me)
                self._queued -= messages
                heapq.heapify(self._waiting)
                if self._waiting:
                    self._waiting[0].turn.set()
            raise

    def _give_back(self, messages: int) -> None:
        """Messages that held the bot's tokens but will not leave: free them uncounted."""
        if messages and self._overall is not None:
            self._overall.release(messages)
            self._answered.set()

    def _chat_rate(self, chat: int | str | None) -> tuple[float, float]:
        if chat is None:
            return (0.0, 1.0)
        return self._group_rate if isinstance(chat, str) or chat < 0 else self._private_rate

    def _chat_bucket(self, chat: int | str) -> _ChatBucket | None:
        bucket = self._chats.get(chat)
        if bucket is None:
            rate = self._group_rate if isinstance(chat, str) or chat < 0 else self._private_rate
            if not rate[0]:
                return None
            if len(self._chats) >= _MAX_CHAT_LIMITERS:
                self._forget_idle()
            bucket = self._chats[chat] = _ChatBucket(rate[0], rate[0] / rate[1], self._clock())
        return bucket

    def _forget_idle(self) -> None:
        now = self._clock()
        for key, bucket in list(self._chats.items()):
            if bucket.full(now) and key not in self._turns:
                del self._chats[key]
        for key, until in list(self._resume_at.items()):
            if until <= now:
                del self._resume_at[key]


class _ChatBucket:
    """Telegram's bucket for one chat as far as the bot can be sure of it: ``burst`` messages,
    refilled at ``per_second``. A message is counted when its answer comes back (Telegram took
    it no later than that), so delays on the way — the network, a busy event loop at either end
    — can make the bot slower than the limit, never faster. A chat has one message request in
    flight at a time (see `FloodLimits._turn`), so this is never counted out of order."""

    def __init__(self, burst: float, per_second: float, now: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self.tokens = burst
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until one more message may leave (0: now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.per_second

    def available(self, now: float) -> float:
        """Tokens in the bucket at ``now``."""
        self._refill(now)
        return self.tokens

    def spend(self, now: float, count: int) -> None:
        """Count ``count`` messages as taken at ``now``."""
        self._refill(now)
        self.tokens -= count

    def full(self, now: float) -> bool:
        """Whether nothing was sent to the chat for long enough to have its whole burst."""
        self._refill(now)
        return self.tokens >= self.burst


class _BotBucket:
    """Telegram's overall bucket for the bot as far as the bot can be sure of it: like
    `_ChatBucket`, a message is counted when its answer comes back, and many may be in flight
    at once, so each holds its token from the moment it leaves until then: what is left to
    spend never exceeds what Telegram's bucket has, whatever the delays on the way."""

    def __init__(self, burst: float, per_second: float, now: float) -> None:
        self._bucket = _ChatBucket(burst, per_second, now)
        self.per_second = per_second
        self.in_flight = 0

    def wait(self, now: float, count: int = 1) -> float:
        """Seconds until ``count`` more messages may leave (0: now)."""
        free = self._bucket.available(now) - self.in_flight
        need = min(count, self._bucket.burst)
        return 0.0 if free >= need else (need - free) / self._bucket.per_second

    def hold(self, count: int) -> None:
        """``count`` messages leave now (after :meth:`wait` said yes)."""
        self.in_flight += count

    def release(self, count: int) -> None:
        """They did not leave after all (the shared pace said later): nothing to count."""
        self.in_flight -= count

    def answered(self, now: float, count: int) -> None:
        """Their answer came back (or they failed): count them as taken at ``now``."""
        self.in_flight -= count
        self._bucket.spend(now, count)


class _Waiter:
    """A message waiting for the bot's tokens: ordered by rank, then by when it came."""

    __slots__ = ("messages", "rank", "seq", "turn")

    def __init__(self, rank: int, seq: int, messages: int) -> None:
        self.rank = rank
        self.seq = seq
        self.messages = messages
        self.turn = asyncio.Event()  # set when it becomes the head of the queue

    def __lt__(self, other: _Waiter) -> bool:
        return (self.rank, self.seq) < (other.rank, other.seq)


class _Turn:
    """One chat's lock and how many requests hold or await it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class _ChatTurn(contextlib.AbstractAsyncContextManager[None]):
    """Holds a chat's turn for one request; forgets the chat's lock when nobody needs it."""

    def __init__(self, turns: dict[int | str, _Turn], chat: int | str) -> None:
        self._turns = turns
        self._chat = chat

    async def __aenter__(self) -> None:
        turn = self._turns.get(self._chat)
        if turn is None:
            turn = self._turns[self._chat] = _Turn()
        turn.users += 1
        try:
            await turn.lock.acquire()
        except BaseException:
            self._leave(turn)
            raise

    async def __aexit__(self, *exc: object) -> None:
        turn = self._turns[self._chat]
        turn.lock.release()
        self._leave(turn)

    def _leave(self, turn: _Turn) -> None:
        turn.users -= 1
        if not turn.users:
            del self._turns[self._chat]


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)  # type: ignore[call-overload, no-any-return]
    return str(chat_id)  # "@channelusername"


def _rank_of_chat(chat: int | str | None) -> int:
    """0 for a group (or channel), 1 for a private chat or none."""
    return 0 if isinstance(chat, str) or (chat is not None and chat < 0) else 1


def _chat_kind(chat: int | str | None) -> str:
    """How a chat is named in logs (never its id)."""
    if chat is None:
        return "no"
    return "group" if isinstance(chat, str) or chat < 0 else "private"


def _maybe_delivered(error: NetworkError) -> bool:
    """Whether a failed request may have taken effect: not when Telegram answered that it
    failed (a 5xx other than a gateway's timeout) or when it never left (no connection)."""
    cause = error.__cause__
    if isinstance(cause, _NEVER_LEFT):
        return False
    if cause is None or isinstance(cause, TelegramError):  # Telegram answered
        return "timeout" in error.message.lower()  # 504: a gateway gave up waiting for it
    return True  # a read timeout, a connection closed after the request was written


def _message_count(endpoint: str, data: dict[str, Any]) -> int:
    if endpoint not in MESSAGE_ENDPOINTS:
        return 0
    for key in ("media", "message_ids"):  # albums and batch copies count per item
        items = data.get(key)
        if isinstance(items, list | tuple) and items:
            return len(items)
    return 1


def _seconds(retry_after: timedelta | float) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)
