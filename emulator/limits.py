"""Telegram's limits: message sizes and send rates (token buckets), each can be switched off."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.errors import bad_request, too_many_requests

Clock = Callable[[], float]


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
    clock: Clock = time.monotonic
    _buckets: dict[int, TokenBucket] = field(default_factory=dict, repr=False)
    _global: TokenBucket | None = field(default=None, repr=False)

    @classmethod
    def off(cls) -> Limits:
        """Limits that enforce nothing."""
        return cls(enforce_sizes=False, enforce_rates=False)

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
        wait = max(bucket.wait_time(now), self._global.wait_time(now))
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        bucket.take(count)
        self._global.take(count)
