"""Benchmark of the bot's pacing alone: `FloodLimits` against the emulator's rate limits.

Usage:
    .venv/bin/python benchmarks/pacing.py [--private N] [--per-private M] [--groups G]
        [--per-group K] [--source DIR] [--seed S]

Starts the Bot API emulator over HTTP with Telegram's rates enforced (30 messages/s overall
with a burst of 30, 20/min per group, 1/s per private chat with a burst of 2) and, in a child
process, a python-telegram-bot `ExtBot` whose rate limiter is `delivery.pacing.FloodLimits`.
The child sends M messages to each of N private chats and K to each of G groups, every chat's
one after another, all chats at once, as fast as the limiter lets them: no database, no
handlers, no classifier, so what is measured is the pacing itself (how close it runs to the
limits, and whether it earns a 429), not the bot's CPU. ``--source DIR`` imports
`delivery.pacing` from another checkout (e.g. the branch point) to compare the two in one
sitting.

Prints one JSON object: messages accepted, the shortest time that mix could take within the
limits (the same bound as benchmarks/intake.py's ``pct_of_limits``), the time it took (first
message sent → last accepted), their ratio, and the 429s by cause.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator import Emulator, EmulatorServer, Limits, Message  # noqa: E402


def _bot_process(
    source: str | None, base_url: str, token: str, plan: list[tuple[int, int]], pipe: Connection
) -> None:
    if source:
        sys.path.insert(0, source)
    asyncio.run(_send_all(base_url, token, plan, pipe))


async def _send_all(
    base_url: str, token: str, plan: list[tuple[int, int]], pipe: Connection
) -> None:
    from telegram.ext import ExtBot

    from delivery.pacing import FloodLimits

    limits = FloodLimits()
    bot: ExtBot[Any] = ExtBot(token, base_url=base_url, rate_limiter=limits)
    async with bot:
        started = time.monotonic()

        async def chat(chat_id: int, count: int) -> None:
            for i in range(count):
                await bot.send_message(chat_id, f"消息 {i + 1}")

        await asyncio.gather(*(chat(chat_id, count) for chat_id, count in plan))
        pipe.send(
            {
                "started": started,
                "retried_after": limits.retried_after,
                "module": sys.modules["delivery.pacing"].__file__,
            }
        )


def shortest(count: int, burst: float, rate: float) -> float:
    """The least time `count` messages take through a bucket of `burst` refilled at `rate`/s."""
    return max(0.0, (count - burst) / rate)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    limits = Limits()
    emu = Emulator(limits=limits)
    arrivals: list[float] = []
    record = emu.record

    def stamped(message: Message) -> Message:
        recorded = record(message)
        if message.from_bot:
            arrivals.append(time.monotonic())
        return recorded

    emu.record = stamped  # type: ignore[method-assign]
    privates = [emu.add_private_chat(emu.add_user(f"居民{i}")).id for i in range(args.private)]
    groups = [emu.add_supergroup(f"部门{i}").id for i in range(args.groups)]
    plan = [(c, args.per_private) for c in privates] + [(g, args.per_group) for g in groups]
    load_before = os.getloadavg()[0]
    async with EmulatorServer(emu) as server:
        here, there = multiprocessing.get_context("spawn").Pipe()
        child = multiprocessing.get_context("spawn").Process(
            target=_bot_process, args=(args.source, server.base_url, emu.token, plan, there)
        )
        child.start()
        result = await asyncio.to_thread(here.recv)  # the child's report, when it is done
        await asyncio.to_thread(child.join, 30)
    await emu.close()
    total = len(arrivals)
    bound = max(
        shortest(total, limits.global_burst, limits.global_per_second),
        shortest(args.per_group if groups else 0, limits.group_burst, limits.group_per_minute / 60),
        shortest(args.per_private if privates else 0, limits.private_burst, 1.0),
    )
    took = max(arrivals) - result["started"] if arrivals else 0.0
    return {
        "benchmark": "pacing",
        "pacing_module": result["module"],
        "private_chats": args.private,
        "per_private": args.per_private,
        "groups": args.groups,
        "per_group": args.per_group,
        "messages_accepted": total,
        "shortest_possible_s": round(bound, 2),
        "took_s": round(took, 2),
        "ratio_to_ceiling": round(bound / took, 3) if took else None,
        "retry_after_429": sum(limits.refusals.values()),
        "retry_after_429_by_cause": dict(Counter(limits.refusals)),
        "retried_by_the_bot": result["retried_after"],
        "load_1min_before": round(load_before, 2),
        "load_1min_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--private", type=int, default=100)
    parser.add_argument("--per-private", type=int, default=6)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--per-group", type=int, default=25)
    parser.add_argument("--source", help="import delivery.pacing from this checkout")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
