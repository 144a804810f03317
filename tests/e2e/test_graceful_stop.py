"""A webhook worker sent SIGTERM mid-backlog, while residents are writing: it stops taking
updates, finishes those in hand, hands back its claims at once and exits 0; the other worker
delivers the rest. Nothing lost, nothing doubled. Workers are processes of their own
(tests/e2e/bot_process.py)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from emulator import Emulator, EmulatorServer, Limits, Person
from emulator.faults import Tripwire
from sandbox.walks import has
from storage.database import session_factory
from storage.inbox import unfinished
from storage.models import InboundUpdate, OutboxMessage, OutboxStatus, Worker
from storage.unit_of_work import UnitOfWork
from tests.e2e.bot_process import queue
from tests.e2e.fleet import Balancer, free_port, round_robin, webhook_worker
from tests.e2e.test_crashes import SETTLE, _district, _outbox_settled, doubled, said

NOTICES = 5


async def test_sigterm_mid_backlog_hands_everything_back_and_exits_0(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    uow = UnitOfWork(session_factory(engine))
    emu = Emulator(limits=Limits(enforce_rates=False))
    await _district(emu, uow)
    residents: list[Person] = [emu.add_user(f"居民{i}") for i in range(3)]
    ports = [free_port() for _ in range(2)]
    urls = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    log = tmp_path / "workers.log"
    balancer = Balancer(list(urls))
    async with EmulatorServer(emu) as server, round_robin(balancer) as public:
        stopping = await webhook_worker(server, db_url, ports[0], public, log)
        staying = await webhook_worker(server, db_url, ports[1], public, log)
        try:
            for person in residents:
                await person.send_text(person.private_chat, "小区里的路灯坏了好几个")
            for person in residents:
                await emu.wait_for_message(person.private_chat, has("在哪里"), timeout=SETTLE)

            def terminate() -> None:
                os.kill(stopping.pid, signal.SIGTERM)

            def sent(values: dict[str, Any]) -> bool:
                return "通知1" in str(values.get("text"))

            # Mid-backlog: SIGTERM the moment Telegram accepts the first 通知1 (the workers'
            # senders hold the heads of the chats' queues); residents write at the same time.
            emu.tripwires.append(Tripwire("sendMessage", terminate, sent))
            await queue(
                db_url,
                [(p.private_chat.id, f"通知{i}") for i in range(NOTICES) for p in residents],
            )
            await emu.wait_until(lambda: emu.tripwires[0].sprung, timeout=SETTLE)
            for person in residents:
                await person.send_text(person.private_chat, "荷韵花园")
            code = await asyncio.wait_for(stopping.wait(), SETTLE)
            assert code == 0
            # Handed back at once: nothing is held by a worker that is not beating.
            async with uow:
                alive = set((await uow.session.exec(select(Worker.id))).all())
                held = (
                    await uow.session.exec(
                        select(OutboxMessage.worker).where(
                            OutboxMessage.status == OutboxStatus.SENDING
                        )
                    )
                ).all()
                holding = (
                    await uow.session.exec(
                        select(InboundUpdate.worker).where(col(InboundUpdate.finished_at).is_(None))
                    )
                ).all()
            assert len(alive) == 1
            assert set(held) <= alive
            assert set(holding) <= alive | {None}
            for person in residents:
                await emu.wait_for_message(
                    person.private_chat, has("请核对", "荷韵花园"), timeout=SETTLE
                )
            await _outbox_settled(uow)
        finally:
            for process in (stopping, staying):
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(process.wait(), SETTLE)
    await emu.close()
    assert staying.returncode == 0
    for person in residents:  # nothing lost, nothing doubled, each chat in order
        chat = person.private_chat
        notices = [
            m.text for m in chat.messages if m.sender.is_bot and (m.text or "").startswith("通知")
        ]
        assert notices == [f"通知{i}" for i in range(NOTICES)], emu.transcript(chat)
        assert said(chat, has("请核对", "荷韵花园")) == 1, emu.transcript(chat)
        assert doubled(chat) == 0, emu.transcript(chat)
    async with uow:
        assert await unfinished(uow=uow) == []
        stored = (await uow.session.exec(select(InboundUpdate.update_id))).all()
    assert sorted(stored) == list(range(1, emu.updates.newest_id + 1))
