"""One pace for the bot across webhook workers on PostgreSQL.

Each worker keeps Telegram's limits by itself (`delivery.pacing.FloodLimits`); several of them
together would not: answers to one chat may come from different workers and every worker runs
an outbox sender. `SharedPace` is FloodLimits' hook to the buckets every worker shares in the
database (`storage.pace`): once a message has its worker's own tokens, it reserves its slot in
the bot's bucket and its chat's, waits until that slot, and leaves; a 429 any worker meets
moves the shared bucket on, so every worker keeps the pause. The in-process rules stay as they
were (one message request in flight per chat, counted when its answer comes back).

When the database does not answer (within `TIMEOUT`), the worker goes on with its own limits
alone, says so in one line, and tries the shared buckets again after `RETRY_AFTER_OUTAGE`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.pace import OVERALL, Bucket, SharedBuckets

__all__ = ["RETRY_AFTER_OUTAGE", "TIMEOUT", "SharedPace"]

log = logging.getLogger(__name__)

TIMEOUT = 2.0  # seconds the database has to answer a reservation
RETRY_AFTER_OUTAGE = 10.0  # seconds a worker paces alone before asking the database again
# A message answered later than this after its slot is counted again in its chat's bucket at
# its answer, as the in-process buckets count it: every message. Telegram counts a message when
# it arrives, so one that reached it late and the next on time were closer there than their
# slots; with 50 ms the fleet test (tests/e2e/test_fleet.py) earned a private 429 in every run.
SETTLE_AFTER = 0.0
_FAILURES = (SQLAlchemyError, OSError, TimeoutError)

# The bot's shared burst, at most: messages reserved together leave together, and a busy event
# loop can deliver a burst late, bunched with the messages after it (measured: a burst of 30
# earned a global 429 now and then with three workers in one loop); the rate stays the same.
OVERALL_BURST = 10.0

Rate = tuple[float, float]  # (messages, seconds), as in delivery.pacing


def _overall(rate: Rate) -> Bucket:
    """The bot's bucket: ``rate``'s messages per second, a burst of `OVERALL_BURST` at most."""
    burst, period = rate
    if burst <= OVERALL_BURST:
        return Bucket(burst, period)
    return Bucket(OVERALL_BURST, period * OVERALL_BURST / burst)


class SharedPace:
    """The buckets the webhook workers share (see the module's docstring)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        connections: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.buckets = SharedBuckets(engine)
        # Reservations queue here, not for the pool: the timeout is the database's alone.
        self._connections = asyncio.Semaphore(connections)
        self._clock = clock
        self._down_until = 0.0
        self.reserved = 0  # messages that left at a shared slot (seen by tests and benchmarks)
        self.waited = 0.0  # seconds spent waiting for shared slots
        self.outages = 0  # times the worker fell back to its own limits
        self.settled = 0  # messages counted again at their answer

    async def reserve(
        self,
        chat: int | str | None,
        messages: int,
        *,
        chat_rate: Rate,
        overall_rate: Rate,
        patience: float | None,
    ) -> float | None:
        """Wait for the message's slot; None when it may leave now, else the seconds it would
        have to wait beyond ``patience`` (nothing is reserved then)."""
        while self._clock() >= self._down_until:
            try:
                async with self._connections:
                    got = await asyncio.wait_for(
                        self.buckets.reserve(
                            chat=None if chat is None else str(chat),
                            messages=messages,
                            chat_bucket=Bucket(*chat_rate),
                            overall=_overall(overall_rate),
                            patience=patience,
                        ),
                        TIMEOUT,
                    )
            except _FAILURES as error:
                self._fall_back(error)
                return None
            if got.reserved:
                self.reserved += messages
                self.waited += got.wait
                if got.wait > 0:
                    await asyncio.sleep(got.wait)
                return None
            if patience is not None and got.wait > patience:
                return got.wait
            await asyncio.sleep(got.wait)  # the chat is another worker's turn until then
        return None

    async def pause(
        self,
        chat: int | str | None,
        seconds: float,
        *,
        every_chat: bool,
        chat_rate: Rate,
        overall_rate: Rate,
    ) -> None:
        """Keep a 429's pause in the shared buckets: the chat's, and the bot's when it was not
        the chat's own limit."""
        if self._clock() < self._down_until:
            return
        holds = [(str(chat), Bucket(*chat_rate))] if chat is not None else []
        if every_chat or chat is None:
            holds.append((OVERALL, _overall(overall_rate)))
        try:
            for key, bucket in holds:
                async with self._connections:
                    await asyncio.wait_for(
                        self.buckets.hold(key=key, seconds=seconds, bucket=bucket), TIMEOUT
                    )
        except _FAILURES as error:
            self._fall_back(error)

    async def settle(
        self, chat: int | str | None, messages: int, *, chat_rate: Rate, took: float
    ) -> None:
        """The answer came back ``took`` seconds after the message left: if that is long, count
        it again in its chat's bucket now, before the chat's next message is reserved."""
        if chat is None or took <= SETTLE_AFTER or self._clock() < self._down_until:
            return
        try:
            async with self._connections:
                await asyncio.wait_for(
                    self.buckets.settle(
                        key=str(chat), messages=messages, bucket=Bucket(*chat_rate)
                    ),
                    TIMEOUT,
                )
        except _FAILURES as error:
            self._fall_back(error)
        else:
            self.settled += 1

    def _fall_back(self, error: BaseException) -> None:
        if self._clock() < self._down_until:
            return  # said already: other requests of the same outage
        self.outages += 1
        self._down_until = self._clock() + RETRY_AFTER_OUTAGE
        log.warning(
            "shared pace unavailable (%s); this worker paces itself alone for %.0f s",
            type(error).__name__,
            RETRY_AFTER_OUTAGE,
        )

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()
