"""Waking every worker's sender when the outbox has something due, on PostgreSQL.

A trigger on `outbox` (migration 0017) calls `pg_notify(OUTBOX_CHANNEL, '')` when a row is
queued, and when one is handed back due at once (a stopping worker's claims); PostgreSQL
delivers it when the transaction commits, once however many rows it queued, and never for a
transaction rolled back. `OutboxListener` listens on a connection of its own (asyncpg, outside
the pool) and calls `wake` for each notification; when the connection drops it connects again,
and wakes the sender once it does (rows queued meanwhile were not announced). SQLite has one
process and needs none of this: there the handler's own wake-up suffices.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy.engine import URL

__all__ = ["OUTBOX_CHANNEL", "OutboxListener"]

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "minyi_outbox"
RETRY_FIRST = 1.0  # seconds before connecting again; doubles up to RETRY_MAX
RETRY_MAX = 30.0
CHECK_EVERY = 30.0  # seconds between two checks that the connection still answers
CHECK_TIMEOUT = 10.0


def _dsn(url: URL) -> str:
    """asyncpg's DSN for a SQLAlchemy URL (postgresql+asyncpg://… → postgresql://…)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    """LISTENs on `OUTBOX_CHANNEL` until stopped, reconnecting after a drop."""

    def __init__(self, url: URL, wake: Callable[[], None]) -> None:
        self.url = url
        self.wake = wake
        self.listening = asyncio.Event()  # set while a connection listens
        self.connected = asyncio.Condition()  # notified each time a connection starts listening
        self.connections = 0  # connections that listened (1 + reconnections)
        self.notices = 0  # notifications received
        self.server_pid: int | None = None  # the listening backend (tests terminate it)

    def _notified(self, *_: object) -> None:
        self.notices += 1
        self.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; the sender polls meanwhile, so a failure only slows it."""
        delay = RETRY_FIRST
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(_dsn(self.url), timeout=CHECK_TIMEOUT)
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                log.warning(
                    "outbox wake-ups: cannot connect (%s); polling, next try in %.0f s",
                    type(error).__name__,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(RETRY_MAX, delay * 2)
                continue
            try:
                await self._listen(connection, stop)
                delay = RETRY_FIRST
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                log.warning(
                    "outbox wake-ups: connection lost (%s); reconnecting", type(error).__name__
                )
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=CHECK_TIMEOUT)

    async def _listen(self, connection: asyncpg.Connection, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(OUTBOX_CHANNEL, self._notified)
        self.server_pid = connection.get_server_pid()
        self.connections += 1
        self.listening.set()
        async with self.connected:
            self.connected.notify_all()
        self.wake()  # rows queued while nobody listened were not announced
        while not (stop.is_set() or lost.is_set()):
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            _, pending = await asyncio.wait(
                waits, timeout=CHECK_EVERY, return_when=asyncio.FIRST_COMPLETED
            )
            for waiting in pending:
                waiting.cancel()
            if not (stop.is_set() or lost.is_set()):
                await connection.fetchval("SELECT 1", timeout=CHECK_TIMEOUT)
        if lost.is_set() and not stop.is_set():
            raise asyncpg.InterfaceError("the listening connection was closed")
