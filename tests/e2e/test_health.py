"""`GET /healthz` of a running webhook worker: 200 while it can work, 503 when its database does
not answer or its heartbeat stopped (bot/health.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from admin import cli_texts
from admin.context import SERVICES_KEY
from admin.settings import load_settings
from bot.app import HEALTH_KEY, HealthPort, Webhook, build_application, running
from bot.health import HealthServer
from bot.services import Services
from emulator import Emulator, EmulatorServer, Limits
from storage import database
from storage.outbox import pending_count
from storage.unit_of_work import UnitOfWork
from tests.command_line import Minyi
from tests.e2e.fleet import free_port
from tests.fakes import KeywordClassifier

WAIT = 30.0


async def healthz(client: httpx.AsyncClient, port: int) -> tuple[int, dict[str, Any]]:
    answer = await client.get(f"http://127.0.0.1:{port}/healthz")
    body: dict[str, Any] = answer.json()
    return answer.status_code, body


async def until(
    client: httpx.AsyncClient, port: int, wanted: Callable[[int, dict[str, Any]], bool]
) -> tuple[int, dict[str, Any]]:
    """Ask again until the answer is the wanted one (the heartbeat ages by itself)."""
    async with asyncio.timeout(WAIT):
        while True:
            status, body = await healthz(client, port)
            if wanted(status, body):
                return status, body
            await asyncio.sleep(0.2)


async def test_a_webhook_worker_answers_its_health_checks(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    emu = Emulator(limits=Limits(enforce_rates=False))
    port, health_port = free_port(), free_port()
    hook = Webhook(
        url=f"http://127.0.0.1:{port}/telegram", secret="s3cret", port=port, listen="127.0.0.1"
    )
    async with EmulatorServer(emu) as server, httpx.AsyncClient(timeout=10) as client:
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        classifier = KeywordClassifier()
        application = build_application(
            settings,
            classifier_loader=lambda s, d: classifier,
            health=HealthPort(port=health_port, listen="127.0.0.1"),
        )
        async with running(application, webhook=hook):
            svc = application.bot_data[SERVICES_KEY]
            assert isinstance(svc, Services)
            status, body = await healthz(client, health_port)
            assert status == 200, body
            assert body["ok"] is True
            assert body["worker"] == svc.worker_id
            assert body["database"] is True
            async with UnitOfWork(database.session_factory(engine)) as uow:
                assert body["backlog"] == await pending_count(uow=uow)

            # The database stops answering (here: the worker's engine points where none is).
            checks = application.bot_data[HEALTH_KEY]
            assert isinstance(checks, HealthServer)
            gone = database.create_engine(
                f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/db.sqlite"
                if db_url.startswith("sqlite")
                else f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/test"
            )
            checks.services = dataclasses.replace(
                svc, engine=gone, sessions=database.session_factory(gone)
            )
            status, body = await healthz(client, health_port)
            assert (status, body["ok"], body["database"], body["backlog"]) == (
                503,
                False,
                False,
                None,
            )
            checks.services = svc
            await gone.dispose()
            assert (await healthz(client, health_port))[0] == 200

            # The heartbeat stops (the keeper is held up): stale after DEAD_AFTER, 503.
            application.bot_data["minyi.keeper_stop"].set()
            status, body = await until(client, health_port, lambda s, b: s != 200)
            assert status == 503, body
            assert body["database"] is True
            assert body["heartbeat_age"] > 5
        # A stopped worker refuses its health checks (the proxy takes it out of its turn).
        with pytest.raises(httpx.ConnectError):
            await healthz(client, health_port)
    await emu.close()


async def test_minyi_run_webhook_serves_healthz_and_stops_cleanly_on_sigterm(
    engine: AsyncEngine, db_url: str, workdir: Path, minyi: Minyi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real console script in webhook mode: healthy while it runs, exit 0 on SIGTERM."""
    emu = Emulator(limits=Limits(enforce_rates=False))
    port, health_port = free_port(), free_port()
    async with EmulatorServer(emu) as server, httpx.AsyncClient(timeout=10) as client:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", emu.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", server.base_url)
        monkeypatch.setenv("MINYI_WEBHOOK_SECRET", "s3cret")
        monkeypatch.setenv("DATABASE_URL", db_url)
        assert (await asyncio.to_thread(minyi, "db", "init")).code == 0
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("minyi")),
            "run",
            "--webhook-url",
            f"http://127.0.0.1:{port}/telegram",
            "--listen",
            "127.0.0.1",
            "--port",
            str(port),
            "--health-port",
            str(health_port),
            cwd=workdir,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            await emu.wait_until(lambda: emu.webhook is not None, timeout=WAIT)
            alice = emu.add_user("王阿姨")
            await alice.send_text(alice.private_chat, "/start")
            await emu.wait_for_message(alice.private_chat, timeout=WAIT)
            status, body = await healthz(client, health_port)
            assert status == 200, body
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=WAIT * 2)
    await emu.close()
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in out.decode() + err.decode()


def test_a_busy_health_port_is_one_line_before_start_up(
    workdir: Path, minyi: Minyi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "5000000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        ran = minyi("run", "--listen", "127.0.0.1", "--health-port", str(port))
    assert ran.code != 0
    assert ran.err_lines == ["错误: " + cli_texts.HEALTH_PORT_BUSY.format(port=port)]
    assert "Traceback" not in ran.out + ran.err
