"""Webhook workers behind a round-robin proxy on loopback, for the end-to-end tests and the
benchmarks (benchmarks/intake.py --workers): the proxy (`Balancer`, `round_robin`) and a worker
in a process of its own (`webhook_worker`, running tests/e2e/bot_process.py)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import tornado.httpserver
import tornado.web

from emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "e2e" / "bot_process.py"
STARTUP = 60.0  # seconds a worker has to say it serves


def free_port() -> int:
    """A TCP port nobody listens on at the moment, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Balancer:
    """Each request to the next upstream in turn, skipping one that refuses the connection (as
    a proxy's passive health check does); `answered(upstream)` runs after each 2xx, and
    `acknowledged` counts the 2xx answers by update id (more than one: Telegram sent it again)."""

    upstreams: list[str]
    answered: Callable[[str], None] = lambda upstream: None
    turn: itertools.count[int] = field(default_factory=itertools.count)
    acknowledged: Counter[int] = field(default_factory=Counter)

    @property
    def sent_again(self) -> int:
        """Deliveries of an update the workers had already acknowledged."""
        return sum(n - 1 for n in self.acknowledged.values())


class _Forward(tornado.web.RequestHandler):
    def initialize(self, balancer: Balancer, client: httpx.AsyncClient) -> None:
        self.balancer = balancer
        self.client = client

    def check_xsrf_cookie(self) -> None:
        """Telegram sends no cookie."""

    async def post(self) -> None:
        headers = {
            k: v
            for k, v in self.request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        upstreams = self.balancer.upstreams
        first = next(self.balancer.turn)
        for i in range(len(upstreams)):
            upstream = upstreams[(first + i) % len(upstreams)]
            try:
                answer = await self.client.post(
                    upstream, content=self.request.body, headers=headers
                )
            except httpx.ConnectError:
                continue
            except httpx.HTTPError:
                break
            self.set_status(answer.status_code)
            self.write(answer.content)
            if answer.is_success:
                update_id = json.loads(self.request.body).get("update_id")
                if isinstance(update_id, int):
                    self.balancer.acknowledged[update_id] += 1
                self.balancer.answered(upstream)
            return
        self.set_status(502)


@asynccontextmanager
async def round_robin(balancer: Balancer) -> AsyncIterator[str]:
    """A reverse proxy on loopback balancing per request (see `Balancer`)."""
    port = free_port()
    async with httpx.AsyncClient(timeout=30) as client:
        app = tornado.web.Application(
            [(r"/telegram", _Forward, {"balancer": balancer, "client": client})]
        )
        server = tornado.httpserver.HTTPServer(app)
        server.listen(port, address="127.0.0.1")
        try:
            yield f"http://127.0.0.1:{port}/telegram"
        finally:
            server.stop()
            await server.close_all_connections()


async def webhook_worker(
    server: EmulatorServer,
    db_url: str,
    port: int,
    public: str,
    log: Path,
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    within: float = STARTUP,
) -> asyncio.subprocess.Process:
    """A webhook worker in a process of its own (serving on `port`, telling Telegram `public`),
    once it serves; its log goes to `log`."""
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            python,
            str(HARNESS),
            "run",
            db_url,
            server.base_url,
            server.emulator.token,
            str(port),
            public,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            env={**os.environ, **(env or {})},
        )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), within)
    if ready.strip() != b"ready":
        raise RuntimeError(f"the worker did not start ({ready!r}); see {log}")
    return process
