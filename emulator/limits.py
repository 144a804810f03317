"""Telegram's limits: message sizes and send rates (token buckets), each can be switched off."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.errors import bad_request, too_many_requests

Clock = Callable[[], float]
BOT_WIDE = 0  # the key of a pause for every chat (no chat has id 0)
MAX_PENALTY = 300  # seconds: an early retry doubles its pause up to this


@dataclass(frozen=True)
class Pause:
    """Telegram's `retry_after`: no message before ``until``; it was ``seconds`` long."""

    until: float
    seconds: int


@dataclass
class TokenBucket:
    """``capacity`` sends at once, refilled at ``rate`` sends per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    updated: float = 0.0

    def wait_time(self, now: float) -> float:
        """Seconds until one send is allowed (0 when allowed now); refills first."""
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, count: int = 1) -> None:
        """Spend ``count`` sends (after :meth:`wait_time` said yes)."""
        self.tokens -= count


@dataclass
class Limits:
    """Which of Telegram's rules the emulator enforces, and their sizes.

    The rates follow Telegram's FAQ: about one message per second in a private chat (with a small
    burst), 20 messages per minute in a group, about 30 messages per second overall.

    A 429 starts a pause of its ``retry_after`` seconds: for its chat when the chat's bucket was
    empty (or a fault was injected for the chat), for every chat when the bot's overall bucket
    was. A message sent to a chat before its pause ends is refused again with the pause doubled,
    as Telegram lengthens the wait of a bot that retries early; one sent inside the bot's pause
    is refused with what is left of it (``punish_early_retries``, on even
    when ``enforce_rates`` is off, so that injected 429s are honoured too). ``refusals`` counts
    the 429s by cause: ``private``, ``group`` and ``global`` buckets, and ``early private``,
    ``early group``, ``early global`` for retries made too soon.
    """

    enforce_sizes: bool = True
    enforce_rates: bool = True
    text_length: int = 4096
    caption_length: int = 1024
    callback_data_bytes: int = 64
    private_burst: int = 2
    private_per_second: float = 1.0
    group_burst: int = 20
    group_per_minute: float = 20.0
    global_burst: int = 30
    global_per_second: float = 30.0
    punish_early_retries: bool = True
    clock: Clock = time.monotonic
    refusals: Counter[str] = field(default_factory=Counter)
    _buckets: dict[int, TokenBucket] = field(default_factory=dict, repr=False)
    _global: TokenBucket | None = field(default=None, repr=False)
    _pauses: dict[int, Pause] = field(default_factory=dict, repr=False)

    @property
    def early_retries(self) -> int:
        """Messages sent before the `retry_after` of an earlier 429 had passed."""
        return sum(n for cause, n in self.refusals.items() if cause.startswith("early "))

    def pause(self, chat_id: int | None, seconds: int) -> None:
        """Start the pause a 429 announced: for ``chat_id``, or for every chat when None."""
        key = BOT_WIDE if chat_id is None else chat_id
        until = self.clock() + seconds
        current = self._pauses.get(key)
        if current is None or current.until < until:
            self._pauses[key] = Pause(until, seconds)

    def _refuse_early(self, chat_id: int, *, group: bool) -> None:
        """Answer 429 if the chat (or the bot) is still paused: a chat's pause doubles, the
        bot's stays as it was (the messages already on their way when it began are not
        retries, but they are refused and counted all the same)."""
        now = self.clock()
        for key, cause in ((BOT_WIDE, "global"), (chat_id, "group" if group else "private")):
            paused = self._pauses.get(key)
            if paused is None:
                continue
            if now >= paused.until:
                del self._pauses[key]
                continue
            self.refusals[f"early {cause}"] += 1
            if key == BOT_WIDE:
                raise too_many_requests(max(1, math.ceil(paused.until - now)))
            seconds = min(MAX_PENALTY, 2 * paused.seconds)
            self._pauses[key] = Pause(now + seconds, seconds)
            raise too_many_requests(seconds)

    def check_text(self, text: str) -> None:
        """Answer 400 for an empty or too long message text."""
        if not text.strip():
            raise bad_request("message text is empty")
        if self.enforce_sizes and len(text) > self.text_length:
            raise bad_request("message is too long")

    def check_caption(self, caption: str | None) -> None:
        """Answer 400 for a too long caption."""
        if caption and self.enforce_sizes and len(caption) > self.caption_length:
            raise bad_request("message caption is too long")

    def check_callback_data(self, data: str) -> None:
        """Answer 400 for callback data outside 1-64 bytes."""
        size = len(data.encode())
        if self.enforce_sizes and not 1 <= size <= self.callback_data_bytes:
            raise bad_request("BUTTON_DATA_INVALID")

    def admit(self, chat_id: int, *, group: bool, count: int = 1) -> None:
        """Spend ``count`` sends to a chat, or answer 429 with the seconds until one is allowed."""
        if self.punish_early_retries:
            self._refuse_early(chat_id, group=group)
        if not self.enforce_rates:
            return
        now = self.clock()
        if self._global is None:
            self._global = TokenBucket(self.global_burst, self.global_per_second)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            bucket = (
                TokenBucket(self.group_burst, self.group_per_minute / 60)
                if group
                else TokenBucket(self.private_burst, self.private_per_second)
            )
            self._buckets[chat_id] = bucket
        own, overall = bucket.wait_time(now), self._global.wait_time(now)
        if own > 0 or overall > 0:
            seconds = max(1, math.ceil(max(own, overall)))
            bot_wide = overall > own
            self.refusals["global" if bot_wide else "group" if group else "private"] += 1
            self.pause(None if bot_wide else chat_id, seconds)
            raise too_many_requests(seconds)
        bucket.take(count)
        self._global.take(count)
