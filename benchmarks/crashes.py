"""Benchmark of a crash: the bot killed with SIGKILL mid-conversation and mid-backlog, then
restarted; counts what was lost and doubled, and how soon the restarted bot got going.

Usage:
    .venv/bin/python benchmarks/crashes.py [--checkout PATH] [--database sqlite|postgres]
        [--residents N] [--backlog N] [--timeout S]

The emulator runs here (over HTTP on 127.0.0.1); the bot runs as a child process from
`--checkout` (default: this one) with that checkout's interpreter and code, through this
checkout's tests/e2e/bot_process.py, so the same scenario measures another branch (e.g.
/work/main) before a change. The database is fresh: a SQLite file in a temp dir or a throwaway
PostgreSQL database, migrated by the checkout under test.

1. N residents each start a report and are asked where; then all answer the place at once and
   the bot is killed the moment Telegram accepts the first summary (the others' answers are
   fetched or on their way). The bot is restarted: an answer with no summary within
   `--timeout` is an update lost.
2. The residents confirm; then a backlog of `--backlog` plain messages per resident is queued
   and the bot is killed when the second resident's third message is accepted. It is restarted:
   a message missing after `--timeout` is lost; one that arrived twice is doubled.

Seconds are measured from starting the new process (its start-up included). Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import Chat, Emulator, EmulatorServer, Limits, Person, Tripwire  # noqa: E402
from sandbox.walks import has  # noqa: E402

HARNESS = ROOT / "tests" / "e2e" / "bot_process.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PTB_TIMEDELTA": "true"}


class Run:
    """The checkout under test, its database and its bot process."""

    def __init__(self, checkout: Path, url: str, server: EmulatorServer, log: Path) -> None:
        self.checkout = checkout
        self.python = str(checkout / ".venv" / "bin" / "python")
        self.url = url
        self.server = server
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def harness(self, *args: str) -> None:
        with self.log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                self.python,
                str(HARNESS),
                *args,
                cwd=self.checkout,
                stdout=out,
                stderr=out,
                env=ENV,
            )
        if await process.wait() != 0:
            raise SystemExit(f"harness {args[0]} failed; see {self.log}")

    async def start(self) -> float:
        """Start the bot; returns the time it was started (monotonic)."""
        emu = self.server.emulator
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                self.python,
                str(HARNESS),
                "run",
                self.url,
                self.server.base_url,
                emu.token,
                cwd=self.checkout,
                stdout=out,
                stderr=out,
                env=ENV,
            )
        return started

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()


def kill_when(emu: Emulator, run: Run, chat: Chat, text: str) -> Tripwire:
    def sent(values: dict[str, Any]) -> bool:
        return str(values.get("chat_id")) == str(chat.id) and text in str(values.get("text"))

    wire = Tripwire("sendMessage", run.kill, sent)
    emu.tripwires.append(wire)
    return wire


async def first_of(
    emu: Emulator, seen: Any, within: float, since: float | None = None
) -> float | None:
    """Seconds from `since` (default: now) until `seen()` holds, or None."""
    started = time.monotonic() if since is None else since
    try:
        await emu.wait_until(seen, timeout=within)
    except TimeoutError:
        return None
    return time.monotonic() - started


def bot_texts(chat: Chat) -> list[str]:
    return [m.text or m.caption or "" for m in chat.messages if m.sender.is_bot]


async def scenario(run: Run, residents: int, backlog: int, within: float) -> dict[str, Any]:
    emu = run.server.emulator
    clerk = emu.add_user("城管小李")
    dispatcher = emu.add_user("调度老张")
    urban = emu.add_supergroup("城管局工作群", forum=True, members=[clerk])
    dispatch = emu.add_supergroup("区民意调度中心", forum=False, members=[dispatcher])
    spec = {
        "groups": [["urban", urban.id, True], ["dispatch", dispatch.id, False]],
        "members": [
            [clerk.id, "staff", "urban", "城管小李"],
            [dispatcher.id, "dispatcher", None, "调度老张"],
        ],
    }
    await run.harness("prepare", run.url, json.dumps(spec))
    people: list[Person] = [emu.add_user(f"居民{i}") for i in range(residents)]
    await run.start()
    for person in people:
        await person.send_text(person.private_chat, "小区里的路灯坏了好几个")
    for person in people:
        await emu.wait_for_message(person.private_chat, has("在哪里"), timeout=within)
    # 1. mid-conversation
    wire = kill_when(emu, run, people[0].private_chat, "请核对")
    for person in people:
        await person.send_text(person.private_chat, "荷韵花园")
    assert run.process is not None
    await asyncio.wait_for(run.process.wait(), within)
    killed_at_a = wire.sprung
    polls = emu.counters.calls["getUpdates"]
    restarted = await run.start()
    first_poll = await first_of(
        emu, lambda: emu.counters.calls["getUpdates"] > polls, within, restarted
    )

    def summaries() -> list[int]:
        return [
            sum(1 for t in bot_texts(p.private_chat) if "请核对" in t and "荷韵花园" in t)
            for p in people
        ]

    first_answer = await first_of(emu, lambda: sum(summaries()) > 1, within, restarted)
    all_answered = await first_of(emu, lambda: all(summaries()), within, restarted)
    counts = summaries()
    inbound_lost = sum(1 for n in counts if n == 0)
    summary_doubled = sum(n - 1 for n in counts if n > 1)
    confirmed = 0
    for person, n in zip(people, counts, strict=True):
        if n:
            summary = await emu.wait_for_message(
                person.private_chat, has("请核对", "荷韵花园"), timeout=within
            )
            await person.press_button(summary, "✅ 确认提交")
            confirmed += 1
    await first_of(
        emu,
        lambda: (
            sum(1 for p in people if any("已受理" in t for t in bot_texts(p.private_chat)))
            >= confirmed
        ),
        within,
    )
    # 2. mid-backlog
    target = people[1 % len(people)].private_chat
    wire_b = kill_when(emu, run, target, "通知2")
    before = Counter(t for p in people for t in bot_texts(p.private_chat) if t.startswith("通知"))
    assert not before
    await run.harness(
        "queue",
        run.url,
        json.dumps([[p.private_chat.id, f"通知{i}"] for i in range(backlog) for p in people]),
    )
    await asyncio.wait_for(run.process.wait(), within)
    sent_before_kill = sum(
        1 for p in people for t in bot_texts(p.private_chat) if t.startswith("通知")
    )

    def delivered() -> int:
        return sum(1 for p in people for t in bot_texts(p.private_chat) if t.startswith("通知"))

    polls = emu.counters.calls["getUpdates"]
    restarted = await run.start()
    backlog_started = await first_of(emu, lambda: delivered() > sent_before_kill, within, restarted)
    expected = {(p.private_chat.id, f"通知{i}") for p in people for i in range(backlog)}

    def distinct() -> int:
        return len(
            {
                (p.private_chat.id, t)
                for p in people
                for t in bot_texts(p.private_chat)
                if t.startswith("通知")
            }
        )

    drained = await first_of(emu, lambda: distinct() == len(expected), within, restarted)
    polling_again = await first_of(
        emu, lambda: emu.counters.calls["getUpdates"] > polls, within, restarted
    )
    await run.stop()
    per_chat = [
        sum(n - 1 for n in Counter(t for t in bot_texts(p.private_chat)).values() if n > 1)
        for p in people
    ]
    in_order = all(
        list(dict.fromkeys(t for t in bot_texts(p.private_chat) if t.startswith("通知")))
        == [f"通知{i}" for i in range(backlog)]
        for p in people
        if distinct() == len(expected)
    )
    return {
        "killed_mid_conversation": killed_at_a,
        "killed_mid_backlog": wire_b.sprung,
        "inbound_lost": inbound_lost,
        "summary_doubled": summary_doubled,
        "restart_to_first_poll_s": _round(first_poll),
        "restart_to_first_answer_s": _round(first_answer),
        "restart_to_all_answered_s": _round(all_answered),
        "outbound_expected": len(expected),
        "outbound_lost": len(expected) - distinct(),
        "outbound_doubled": sum(per_chat),
        "max_doubled_per_chat": max(per_chat),
        "backlog_in_order": in_order,
        "restart_to_backlog_started_s": _round(backlog_started),
        "restart_to_polling_s": _round(polling_again),
        "restart_to_backlog_drained_s": _round(drained),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--residents", type=int, default=10)
    parser.add_argument("--backlog", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    checkout = args.checkout.resolve()
    with tempfile.TemporaryDirectory() as folder:
        name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
        if args.database == "sqlite":
            url = f"sqlite+aiosqlite:///{folder}/minyi.sqlite3"
        else:
            admin = await asyncpg.connect(f"{POSTGRES}/test")
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.close()
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        emu = Emulator(limits=Limits(enforce_rates=False))
        try:
            async with EmulatorServer(emu) as server:
                run = Run(checkout, url, server, Path(folder) / "bot.log")
                try:
                    result = await scenario(run, args.residents, args.backlog, args.timeout)
                finally:
                    run.kill()
            await emu.close()
        finally:
            if args.database == "postgres":
                admin = await asyncpg.connect(f"{POSTGRES}/test")
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
    load = os.getloadavg()
    print(
        json.dumps(
            {
                "checkout": str(checkout),
                "database": args.database,
                "residents": args.residents,
                "backlog": args.backlog,
                "load_average": [round(x, 2) for x in load],
                **result,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
