"""A webhook worker SIGKILLed right after it acknowledged an update, behind a proxy balancing
two workers, then a third started in its place: the survivor takes over what the dead one
held (after its heartbeat stops), and nothing is lost or handled twice. Workers are processes
of their own (tests/e2e/bot_process.py)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from emulator import Emulator, EmulatorServer, Limits, Person
from sandbox.walks import has
from storage.database import session_factory
from storage.inbox import unfinished
from storage.models import Ticket
from storage.unit_of_work import UnitOfWork
from tests.e2e.fleet import Balancer, free_port, round_robin, webhook_worker
from tests.e2e.test_crashes import SETTLE, _district, doubled, said


async def test_a_killed_webhook_workers_updates_are_finished_by_the_others(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    uow = UnitOfWork(session_factory(engine))
    emu = Emulator(limits=Limits(enforce_rates=False))
    await _district(emu, uow)
    residents: list[Person] = [emu.add_user(f"居民{i}") for i in range(3)]
    ports = [free_port() for _ in range(3)]
    urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    log = tmp_path / "workers.log"
    balancer = Balancer(urls[:2])
    workers: list[asyncio.subprocess.Process] = []
    killed: list[str] = []
    async with EmulatorServer(emu) as server, round_robin(balancer) as public:
        try:
            for port in ports[:2]:
                workers.append(await webhook_worker(server, db_url, port, public, log))
            for person in residents:
                await person.send_text(person.private_chat, "小区里的路灯坏了好几个")
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("在哪里"), timeout=SETTLE)

            def kill_first(upstream: str) -> None:
                # The first worker acknowledged an update (stored it) and dies at once.
                if upstream == urls[0] and not killed:
                    killed.append(upstream)
                    os.kill(workers[0].pid, signal.SIGKILL)

            balancer.answered = kill_first
            for person in residents:
                await person.send_text(person.private_chat, "荷韵花园")
            await asyncio.wait_for(workers[0].wait(), SETTLE)
            # Another worker takes the dead one's place behind the proxy.
            workers.append(await webhook_worker(server, db_url, ports[2], public, log))
            balancer.upstreams = [urls[2], urls[1]]
            summaries = [
                await emu.wait_for_message(
                    p.private_chat, has("请核对", "荷韵花园"), timeout=SETTLE
                )
                for p in residents
            ]
            for person, summary in zip(residents, summaries, strict=True):
                await person.press_button(summary, "✅ 确认提交")
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("已受理"), timeout=SETTLE)
        finally:
            for process in workers:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), SETTLE)
    await emu.close()
    assert killed
    for person in residents:
        chat = person.private_chat
        assert said(chat, has("请核对", "荷韵花园")) in (1, 2)
        assert said(chat, has("已受理")) == 1
        assert doubled(chat) <= 1, emu.transcript(chat)
    async with uow:
        assert await unfinished(uow=uow) == []
        tickets = (await uow.session.exec(select(Ticket.number))).all()
    assert len(tickets) == len(residents)
