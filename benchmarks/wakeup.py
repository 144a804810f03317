"""Benchmark of how soon a queued notice leaves with two webhook workers on PostgreSQL: from a
staff reply (through a proxy sending each update to the next worker) to the resident's notice,
and from a row queued by another process (no worker was told) to its delivery.

Usage:
    .venv/bin/python benchmarks/wakeup.py [--checkout PATH] [--residents N] [--replies N]
        [--queued N] [--timeout S]

The emulator and a round-robin proxy run here; the two workers are child processes of
`--checkout` (default: this one; e.g. /work/main for the code before LISTEN/NOTIFY), with that
checkout's interpreter and migrations, through this checkout's tests/e2e/bot_process.py.
`--residents` residents file a report each; the clerk answers each ticket `--replies` times in
its topic, one reply at a time, each resident in turn (so no chat's pace, about 1 message a
second, holds a notice back), waiting for the clerk's acknowledgement (paced at the group's 20 a
minute) before the next; then `--queued` notices are queued one at a time by this process,
each for a chat of its own, 0 to 1 s apart (a random phase against the workers' idle poll).
Prints one JSON object with the one-minute load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import Chat, Emulator, EmulatorServer, Limits, Message, Person  # noqa: E402
from sandbox.walks import has, walk_intake  # noqa: E402
from storage import database  # noqa: E402
from storage.models import Audience  # noqa: E402
from storage.notices import Digest  # noqa: E402
from storage.outbox import enqueue  # noqa: E402
from storage.unit_of_work import UnitOfWork  # noqa: E402
from tests.e2e.test_webhook_workers import Balancer, round_robin  # noqa: E402

HARNESS = ROOT / "tests" / "e2e" / "bot_process.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PTB_TIMEDELTA": "true"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load() -> float:
    return round(os.getloadavg()[0], 2)


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "mean_ms": round(statistics.mean(ms), 1),
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


def card_in(group: Chat, number: str) -> Message | None:
    """The ticket's card in its department's group (its number, with buttons), once posted."""
    return next((m for m in group.messages if number in (m.text or "") and m.buttons), None)


def relayed(group: Chat, number: str) -> int:
    """How many times the clerk was told a reply on this ticket reached the resident."""
    return sum(f"已转达群众（{number}）" in (m.text or "") for m in group.messages)


def acknowledged(group: Chat, number: str, times: int) -> Callable[[], bool]:
    """A condition: the clerk was told `times` replies on this ticket reached the resident."""
    return lambda: relayed(group, number) >= times


class Workers:
    """The checkout under test: its harness and its webhook workers."""

    def __init__(self, checkout: Path, url: str, server: EmulatorServer, log: Path) -> None:
        self.python = str(checkout / ".venv" / "bin" / "python")
        self.checkout = checkout
        self.url = url
        self.server = server
        self.log = log
        self.processes: list[asyncio.subprocess.Process] = []

    async def prepare(self, spec: dict[str, Any]) -> None:
        with self.log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                self.python, str(HARNESS), "prepare", self.url, json.dumps(spec),
                cwd=self.checkout, stdout=out, stderr=out, env=ENV,
            )  # fmt: skip
        if await process.wait() != 0:
            raise SystemExit(f"prepare failed; see {self.log}")

    async def start(self, port: int, public: str) -> None:
        emu = self.server.emulator
        with self.log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                self.python, str(HARNESS), "run", self.url, self.server.base_url, emu.token,
                str(port), public,
                cwd=self.checkout, stdout=asyncio.subprocess.PIPE, stderr=out, env=ENV,
            )  # fmt: skip
        assert process.stdout is not None
        ready = await asyncio.wait_for(process.stdout.readline(), 60)
        if ready.strip() != b"ready":
            raise SystemExit(f"worker did not start; see {self.log}")
        self.processes.append(process)

    async def stop(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()


async def scenario(workers: Workers, args: argparse.Namespace) -> dict[str, Any]:
    emu = workers.server.emulator
    clerk = emu.add_user("城管小李")
    dispatcher = emu.add_user("调度老张")
    urban = emu.add_supergroup("城管局工作群", forum=True, members=[clerk])
    desk = emu.add_supergroup("区民意调度中心", forum=False, members=[dispatcher])
    await workers.prepare(
        {
            "groups": [["urban", urban.id, True], ["dispatch", desk.id, False]],
            "members": [
                [clerk.id, "staff", "urban", "城管小李"],
                [dispatcher.id, "dispatcher", None, "调度老张"],
            ],
        }
    )
    ports = [free_port() for _ in range(2)]
    balancer = Balancer([f"http://127.0.0.1:{port}/telegram" for port in ports])
    async with round_robin(balancer) as public:
        for port in ports:
            await workers.start(port, public)
        people: list[Person] = [emu.add_user(f"居民{i}") for i in range(args.residents)]
        numbers = await asyncio.gather(
            *(
                walk_intake(emu, p, f"{p.user.first_name}家楼下的路灯坏了", address="荷韵花园")
                for p in people
            )
        )
        await emu.wait_until(lambda: all(card_in(urban, n) for n in numbers), timeout=60)
        cards = [card_in(urban, n) for n in numbers]
        replies: list[float] = []
        # Each resident in turn: no chat hears from the bot faster than its pace (≈1 a second).
        for i in range(args.replies):
            for person, number, card in zip(people, numbers, cards, strict=True):
                words = f"第{i}次答复：已安排维修，编号{number}"
                started = time.monotonic()
                assert card is not None
                await clerk.send_text(urban, words, thread=card.message_thread_id)
                await emu.wait_for_message(person.private_chat, has(words), timeout=args.timeout)
                replies.append(time.monotonic() - started)
                # The clerk's acknowledgement is paced at the group's 20 a minute; the next
                # reply (the same chat's next update) waits for it, so it is not measured.
                await emu.wait_until(acknowledged(urban, number, i + 1), timeout=args.timeout)
        engine = database.create_engine(workers.url)
        queued: list[float] = []
        try:
            for i in range(args.queued):
                await asyncio.sleep(random.random())
                chat = emu.add_user(f"新居民{i}").private_chat  # a chat of its own: never paced
                words = f"通知{i}"
                async with UnitOfWork(database.session_factory(engine)) as uow:
                    await enqueue(
                        uow=uow, chat_id=chat.id, notice=Digest(words), audience=Audience.DISPATCH
                    )
                started = time.monotonic()
                await emu.wait_for_message(chat, has(words), timeout=args.timeout)
                queued.append(time.monotonic() - started)
        finally:
            await engine.dispose()
            await workers.stop()
    return {
        "reply_to_notice": {"n": len(replies), **summary(replies)},
        "queued_elsewhere_to_sent": {"n": len(queued), **summary(queued)},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--residents", type=int, default=8)
    parser.add_argument("--replies", type=int, default=3)
    parser.add_argument("--queued", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    before = load()
    name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{POSTGRES}/test")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    with tempfile.TemporaryDirectory() as folder:
        emu = Emulator(limits=Limits(enforce_rates=False))
        try:
            async with EmulatorServer(emu) as server:
                workers = Workers(args.checkout.resolve(), url, server, Path(folder) / "w.log")
                result = await scenario(workers, args)
            await emu.close()
        finally:
            admin = await asyncpg.connect(f"{POSTGRES}/test")
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
    print(
        json.dumps(
            {
                "checkout": str(args.checkout.resolve()),
                "workers": 2,
                "residents": args.residents,
                "replies": args.replies,
                "queued": args.queued,
                "load_1min_before": before,
                "load_1min_after": load(),
                **result,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
