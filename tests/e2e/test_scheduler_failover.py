"""Two webhook workers on PostgreSQL, each a process of its own: one is the scheduler (the
leader), the other skips its jobs; the leader is SIGKILLed, the survivor takes the lease over
and the deadline sweep, which only the scheduler runs, reminds a department on the survivor
(bot/leadership.py, storage/leases.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from emulator import Emulator, EmulatorServer, Limits
from sandbox.walks import has
from storage.columns import utcnow
from storage.database import session_factory
from storage.leases import holder_of
from storage.models import Ticket
from storage.tickets import Draft, Policy, ResidentRef, open_ticket
from storage.unit_of_work import UnitOfWork
from tests.e2e.test_crashes import HARNESS, ROOT, SETTLE, _district
from tests.e2e.test_health import until
from tests.e2e.test_webhook import free_port
from tests.e2e.test_webhook_workers import Balancer, round_robin
from tests.factories import prediction


async def worker(
    server: EmulatorServer, db_url: str, ports: tuple[int, int], public: str, log: Path
) -> asyncio.subprocess.Process:
    """A webhook worker with a health port, sweeping deadlines every second, once it serves."""
    port, health_port = ports
    env = {**os.environ, "MINYI_DEADLINE_SWEEP_SECONDS": "1"}
    with log.open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HARNESS),
            "run",
            db_url,
            server.base_url,
            server.emulator.token,
            str(port),
            public,
            str(health_port),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert process.stdout is not None
    ready = await asyncio.wait_for(process.stdout.readline(), SETTLE)
    assert ready.strip() == b"ready", ready
    return process


async def test_the_scheduler_moves_to_the_survivor_when_the_leader_is_killed(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    uow = UnitOfWork(session_factory(engine))
    emu = Emulator(limits=Limits(enforce_rates=False))
    await _district(emu, uow)
    urban = next(c for c in emu.chats.values() if c.title == "城管局工作群")
    neighbour = emu.add_user("冯大爷")
    ports = [(free_port(), free_port()) for _ in range(2)]
    balancer = Balancer([f"http://127.0.0.1:{port}/telegram" for port, _ in ports])
    log = tmp_path / "workers.log"
    processes: list[asyncio.subprocess.Process] = []
    async with (
        EmulatorServer(emu) as server,
        round_robin(balancer) as public,
        httpx.AsyncClient(timeout=5) as client,
    ):
        try:
            for pair in ports:
                processes.append(await worker(server, db_url, pair, public, log))
            first, second = (health for _, health in ports)
            _, leader = await until(client, first, lambda s, b: b["role"] == "leader")
            _, follower = await until(client, second, lambda s, b: b["role"] == "follower")
            os.kill(processes[0].pid, signal.SIGKILL)
            await asyncio.wait_for(processes[0].wait(), SETTLE)
            # A ticket whose 签收 deadline passed: only the scheduler's sweep reminds about it.
            async with uow:
                view = await open_ticket(
                    uow=uow,
                    resident=ResidentRef(neighbour.id, neighbour.private_chat.id, "冯大爷"),
                    draft=Draft(text="小区门口的路灯坏了"),
                    prediction=prediction("urban"),
                    policy=Policy(),
                )
            async with uow:
                ticket = (
                    await uow.session.exec(select(Ticket).where(Ticket.number == view.number))
                ).one()
                ticket.accept_due_at = utcnow() - timedelta(minutes=1)
                uow.session.add(ticket)
                await uow.commit()
            reminder = await emu.wait_for_message(urban, has("签收提醒"), timeout=SETTLE)
            _, survivor = await until(client, second, lambda s, b: b["role"] == "leader")
            async with uow:
                holder = await holder_of(uow=uow)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), SETTLE)
    await emu.close()
    assert view.number in (reminder.text or "")
    assert leader["worker"] != follower["worker"]
    assert holder == survivor["worker"] == follower["worker"]
    assert processes[1].returncode == 0
