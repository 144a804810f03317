"""Memory of the real `minyi run` process: idle, and after N residents walked the intake.

Usage:
    .venv/bin/python benchmarks/run_memory.py [--residents N] [--database sqlite|postgres]
        [--photos F] [--settle S] [--timeout S] [--seed N]

Starts the Bot API emulator over HTTP (as benchmarks/intake.py does, with Telegram's limits
lifted), then the unmodified command `python -m minyi run` in a child process pointed at it
(TELEGRAM_API_BASE_URL, a fresh database, the shipped model). When the bot polls, its resident
memory is read from /proc (idle); then N residents walk the whole intake at once (intake.py's
walk), the outbox is drained, and the memory is read again (VmRSS now, VmHWM = the peak so far,
what `ru_maxrss` reports). The bot is then stopped with SIGINT, as an operator's Ctrl-C.

It also lists which of the training libraries (scikit-learn, SciPy, pandas, matplotlib) have a
shared object mapped into the bot (/proc/PID/maps): the bot must not load them.

Prints one JSON object. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from asyncio.subprocess import Process
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import intake  # noqa: E402  (the intake walk, the world and the fresh database)

from emulator import Emulator, EmulatorServer, Limits  # noqa: E402

TRAINING_LIBRARIES = ("sklearn", "scipy", "pandas", "matplotlib")


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MiB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


def mapped_libraries(pid: int) -> list[str]:
    """The training libraries with a file mapped into the process."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [
        name
        for name in TRAINING_LIBRARIES
        if re.search(rf"/site-packages/{name}(\.libs)?/", maps) is not None
    ]


async def wait_until_polling(emu: Emulator, process: Process, within: float) -> None:
    """Return once the bot has asked for updates; fail if it exits or takes too long."""
    deadline = time.monotonic() + within
    while emu.counters.calls["getUpdates"] == 0:
        if process.returncode is not None:
            raise RuntimeError(f"`minyi run` exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError("`minyi run` did not start polling in time")
        await asyncio.sleep(0.05)


async def measure(options: argparse.Namespace, database_url: str, log: Path) -> dict[str, Any]:
    """Start the emulator and `minyi run`, walk the residents, read the bot's memory."""
    emu = Emulator(limits=Limits(enforce_rates=False))
    arrivals = intake.Arrivals(emu)
    world = await intake.prepare(database_url, emu, options.residents)
    plans = intake.make_plans(options.residents, options.photos, options.seed)
    outcomes = [
        intake.Outcome(p.private_chat.id, plan) for p, plan in zip(world.people, plans, strict=True)
    ]
    result: dict[str, Any] = {
        "benchmark": "run_memory",
        "command": "python -m minyi run",
        "residents": options.residents,
        "database": options.database,
    }
    async with EmulatorServer(emu) as server:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": server.base_url,
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("MINYI_MODEL", None)  # the shipped model
        with log.open("wb") as sink:
            started = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "minyi",
                "run",
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
            try:
                await wait_until_polling(emu, process, within=120)
                result["startup_s"] = round(time.monotonic() - started, 2)
                await asyncio.sleep(options.settle)
                result["idle"] = memory_mb(process.pid)
                deadline = intake.clock() + options.timeout
                await asyncio.gather(
                    *(
                        intake.walk(emu, person, outcome, arrivals, think=0.0, deadline=deadline)
                        for person, outcome in zip(world.people, outcomes, strict=True)
                    )
                )
                drained_at, _ = await intake.drain(database_url, deadline)
                await asyncio.sleep(options.settle)
                result["after_residents"] = memory_mb(process.pid)
                result["training_libraries_mapped"] = mapped_libraries(process.pid)
                result["residents_confirmed"] = sum(o.confirmed is not None for o in outcomes)
                result["outbox_drained"] = drained_at is not None
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                    try:
                        await asyncio.wait_for(process.wait(), 60)
                    except TimeoutError:
                        process.kill()
                        await asyncio.wait_for(process.wait(), 10)
        result["exit_code"] = process.returncode
    await emu.close()
    return result


def main() -> None:
    """Run once and print the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--photos", type=float, default=0.25, help="share sending one photo")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before each reading")
    parser.add_argument("--timeout", type=float, help="seconds; default 120 + 2 per resident")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    options.timeout = options.timeout or 120 + 2 * options.residents
    intake.quiet_logging()
    with (
        tempfile.TemporaryDirectory(prefix="minyi-run-memory-") as folder,
        intake.fresh_database(options.database) as url,
    ):
        log = Path(folder) / "minyi-run.log"
        try:
            result = asyncio.run(measure(options, url, log))
        except Exception:
            with contextlib.suppress(OSError):
                sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-4000:])
            raise
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
