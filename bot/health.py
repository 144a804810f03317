"""`GET /healthz` for a worker, on a small port of its own (`--health-port`), for the reverse
proxy's and the orchestrator's health checks.

200 with a short JSON when the worker can do its work, 503 with the same JSON when it cannot:
the database does not answer (within `DATABASE_TIMEOUT`), or the worker's heartbeat is stale
(older than `storage.workers.DEAD_AFTER`: the others already treat it as dead and take its
claims). It names the worker's role: the leader runs the scheduled jobs (bot/leadership.py).
The JSON never carries residents' data, only counts and this worker's id.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass

import tornado.httpserver
import tornado.web
from sqlalchemy import text

from bot.inbox import InboxKeeper
from bot.leadership import Leadership
from bot.services import Services
from storage.outbox import pending_count
from storage.workers import DEAD_AFTER

__all__ = ["Health", "HealthServer", "check_health"]

log = logging.getLogger(__name__)

DATABASE_TIMEOUT = 2.0  # seconds a health check waits for the database


@dataclass(frozen=True, slots=True)
class Health:
    """What `/healthz` answers."""

    worker: str
    database: bool
    heartbeat_age: float | None  # seconds since this worker's last recorded beat
    backlog: int | None  # outbox messages not yet delivered (None: database unreachable)
    role: str | None = None  # 'leader' (runs the scheduled jobs) or 'follower'; None: no jobs

    @property
    def ok(self) -> bool:
        """The worker can take updates and its claims are its own."""
        return (
            self.database
            and self.heartbeat_age is not None
            and self.heartbeat_age <= DEAD_AFTER.total_seconds()
        )


async def check_health(
    services: Services, keeper: InboxKeeper | None, leadership: Leadership | None = None
) -> Health:
    """Ask the database (bounded in time) and read this worker's last beat."""
    backlog: int | None = None
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), services.uow() as uow:
            await uow.session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            backlog = await pending_count(uow=uow)
    except Exception as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
    age = None
    if keeper is not None and keeper.beat_at is not None:
        age = round(time.monotonic() - keeper.beat_at, 1)
    return Health(
        worker=services.worker_id,
        database=backlog is not None,
        heartbeat_age=age,
        backlog=backlog,
        role=leadership.role if leadership is not None else None,
    )


class _Healthz(tornado.web.RequestHandler):
    def initialize(self, server: HealthServer) -> None:
        self.server = server

    async def get(self) -> None:
        health = await self.server.check()
        self.set_status(200 if health.ok else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"ok": health.ok, **asdict(health)}))


class HealthServer:
    """Serves `/healthz` in the bot's event loop; `start` and `stop` from post_init/post_stop."""

    def __init__(
        self,
        services: Services,
        keeper: InboxKeeper | None,
        *,
        listen: str,
        port: int,
        leadership: Leadership | None = None,
    ):
        self.services = services
        self.keeper = keeper
        self.leadership = leadership
        self.listen = listen
        self.port = port
        self._server: tornado.httpserver.HTTPServer | None = None

    async def check(self) -> Health:
        """The worker's health now."""
        return await check_health(self.services, self.keeper, self.leadership)

    def start(self) -> None:
        """Listen on the health port."""
        app = tornado.web.Application([(r"/healthz", _Healthz, {"server": self})])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.listen(self.port, address=self.listen)
        log.info("health checks at http://%s:%d/healthz", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening (a stopping worker fails its health checks by refusing them)."""
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
