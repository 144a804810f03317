"""Benchmark of stopping one of two webhook workers mid-backlog, with SIGTERM (a clean stop) or
SIGKILL (a crash): how soon the other one carries on, and what was lost or doubled; and what a
`GET /healthz` costs with a large backlog waiting.

Usage:
    .venv/bin/python benchmarks/handover.py [--database sqlite|postgres] [--signal term|kill]
        [--chats N] [--backlog N] [--waiting N] [--timeout S]

The emulator runs here; the two workers are child processes (tests/e2e/bot_process.py, webhook
mode, each with a health port). `--backlog` plain messages per chat for `--chats` chats are
queued; the first worker gets the signal the moment Telegram accepts the first message 「通知2」
(both workers' senders hold heads of chats then). Seconds are from the signal. Then `--waiting`
messages are queued for one more chat (sent at about 1 a second, so they stay waiting) and
`/healthz` of the surviving worker is asked 50 times. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import Chat, Emulator, EmulatorServer, Limits, Tripwire  # noqa: E402

HARNESS = ROOT / "tests" / "e2e" / "bot_process.py"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PTB_TIMEDELTA": "true"}
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def harness(log: Path, *args: str) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            PYTHON, str(HARNESS), *args, cwd=ROOT, stdout=out, stderr=out, env=ENV
        )


async def worker(server: EmulatorServer, url: str, log: Path) -> tuple[Any, int]:
    """A webhook worker; returns it and its health port once /healthz answers 200."""
    port, health = free_port(), free_port()
    public = f"http://127.0.0.1:{port}/telegram"
    process = await harness(
        log, "run", url, server.base_url, server.emulator.token, str(port), public, str(health)
    )
    async with httpx.AsyncClient(timeout=5) as client:
        for _ in range(600):
            try:
                if (await client.get(f"http://127.0.0.1:{health}/healthz")).status_code == 200:
                    return process, health
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"worker did not start; see {log}")


def notices(chat: Chat) -> list[str]:
    return [m.text or "" for m in chat.messages if m.sender.is_bot]


async def scenario(
    server: EmulatorServer, url: str, log: Path, args: argparse.Namespace
) -> dict[str, Any]:
    emu = server.emulator
    chats = [emu.add_user(f"居民{i}").private_chat for i in range(args.chats)]
    prepared = await harness(log, "prepare", url, json.dumps({"groups": [], "members": []}))
    assert await prepared.wait() == 0
    first, _ = await worker(server, url, log)
    second, health = await worker(server, url, log)
    signalled: list[float] = []

    def stop_first() -> None:
        signalled.append(time.monotonic())
        os.kill(first.pid, signal.SIGTERM if args.signal == "term" else signal.SIGKILL)

    wire = Tripwire("sendMessage", stop_first, lambda v: "通知2" in str(v.get("text")))
    emu.tripwires.append(wire)
    queued = await harness(
        log,
        "queue",
        url,
        json.dumps([[c.id, f"通知{i}"] for i in range(args.backlog) for c in chats]),
    )
    assert await queued.wait() == 0
    await emu.wait_until(lambda: wire.sprung, timeout=args.timeout)
    at = signalled[0]
    sent_at_signal = [len(notices(c)) for c in chats]
    code = await asyncio.wait_for(first.wait(), args.timeout)
    exited = time.monotonic() - at

    def moving() -> bool:  # every chat that had more to come got its next message
        return all(
            len(notices(c)) > n or n >= args.backlog
            for c, n in zip(chats, sent_at_signal, strict=True)
        )

    await emu.wait_until(moving, timeout=args.timeout)
    all_moving = time.monotonic() - at
    expected = args.backlog * len(chats)
    await emu.wait_until(
        lambda: sum(len(set(notices(c))) for c in chats) >= expected, timeout=args.timeout
    )
    drained = time.monotonic() - at
    doubled = [sum(n - 1 for n in Counter(notices(c)).values()) for c in chats]
    in_order = all(
        list(dict.fromkeys(notices(c))) == [f"通知{i}" for i in range(args.backlog)] for c in chats
    )
    waiting_chat = emu.add_user("居民等候").private_chat
    for start in range(0, args.waiting, 2000):  # one argument holds at most 128 KiB
        rows = [
            [waiting_chat.id, f"等候{i}"] for i in range(start, min(args.waiting, start + 2000))
        ]
        queued = await harness(log, "queue", url, json.dumps(rows))
        assert await queued.wait() == 0
    latencies = []
    backlog = None
    async with httpx.AsyncClient(timeout=10) as client:
        for _ in range(50):
            started = time.monotonic()
            answer = await client.get(f"http://127.0.0.1:{health}/healthz")
            latencies.append(time.monotonic() - started)
            backlog = answer.json()["backlog"]
    second.send_signal(signal.SIGTERM)
    second_code = await asyncio.wait_for(second.wait(), args.timeout)
    return {
        "signal": args.signal,
        "exit_code": code,
        "signal_to_exit_s": round(exited, 2),
        "signal_to_every_chat_moving_s": round(all_moving, 2),
        "signal_to_drained_s": round(drained, 2),
        "expected": expected,
        "lost": expected - sum(len(set(notices(c))) for c in chats),
        "doubled": sum(doubled),
        "in_order": in_order,
        "healthz_backlog": backlog,
        "healthz_median_ms": round(statistics.median(latencies) * 1000, 1),
        "healthz_max_ms": round(max(latencies) * 1000, 1),
        "survivor_exit_code": second_code,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--signal", choices=["term", "kill"], default="term")
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--backlog", type=int, default=5)
    parser.add_argument("--waiting", type=int, default=10000)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
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
                result = await scenario(server, url, Path(folder) / "workers.log", args)
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
                "database": args.database,
                "chats": args.chats,
                "backlog": args.backlog,
                "waiting": args.waiting,
                "load_average": [round(x, 2) for x in load],
                **result,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
