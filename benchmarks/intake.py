"""Benchmark of the resident intake and outbox delivery: the real bot against the emulator.

Usage:
    .venv/bin/python benchmarks/intake.py --residents N --database sqlite|postgres
        [--limits on|off] [--classifier model|fake] [--photos F] [--think S]
        [--bot-process separate|same] [--timeout S] [--seed N] [--what-if FLAG ...]
        [--count-sql] [--profile FILE]
    .venv/bin/python benchmarks/intake.py --workers N --database postgres [--residents N]
        [--limits on|off] [--kill-one] [--redeliver SHARE] [--backlog N]
        [--what-if per-process-pace]

Starts the Bot API emulator over HTTP on 127.0.0.1 (EmulatorServer) and the real bot
(bot.app.build_application + running: handlers, FloodLimits, outbox sender) with the shipped
model (classifiers/default_model) or a trivial fake classifier, on a fresh database: a SQLite file
in a temp dir, or a throwaway PostgreSQL database minyi_bench_<random> on
postgresql://postgres@127.0.0.1:5432 that is dropped afterwards. Every department is bound to a
group of its own (forum groups; dispatch a plain group). N residents then walk the whole intake at
once, as tests/e2e/test_resident.py's report() does: problem → place (pin, address or 跳过) →
optional photo → 完成 → phone (contact or 不留电话) → 确认提交 → "已提交" answer and the
"已受理" confirmation with the ticket number (sent through the outbox). When every resident is
confirmed, the outbox is drained, the bot stopped, and the emulator's chats are compared with the
database: each ticket must give exactly one confirmation to its resident, one card to the group
it was routed to (dispatch when unsure) and, with a photo, one photo message there.

By default the bot runs in a child process (the emulator and the residents stand in for Telegram
and its users, so they get their own process and core); ``--bot-process same`` runs all of it in
one event loop, as the end-to-end tests do. ``--what-if`` flags change the bot *in this process
only* to show what a proposed fix would buy; they are off by default and echoed in the output.
``--count-sql`` counts the bot's transactions and statements; ``--profile`` runs py-spy (not a
project dependency) on the bot during the intake phase.

``--workers N`` (PostgreSQL only) runs N webhook workers instead, each a process of its own
(tests/e2e/bot_process.py, with the fake classifier below) behind a round-robin proxy on loopback
(tests/e2e/fleet.py), as behind a load balancer: the residents' updates spread over them and
every worker runs an outbox sender. ``--kill-one`` SIGKILLs the first worker once a third of the
residents are confirmed and starts another in its place; ``--redeliver SHARE`` makes the
emulator send that share of updates twice (Telegram re-sending a webhook it heard no answer to);
``--backlog N`` queues N plain notices to the residents as they start (every worker's sender
takes its share); ``--what-if per-process-pace`` has each worker pace itself alone (as before
the shared pace).
The JSON then says whether every update's effect happened exactly once (a ticket per report,
one confirmation and one card each), what was lost, doubled or out of order, the 429s by cause,
and the messages per second against the ceiling of Telegram's limits for that mix.

With limits on, two ceilings: ``limits_utilisation`` counts every message the emulator accepted
as if it existed when the first resident started; ``limits_utilisation_given_arrivals``
releases each only when it came into being (a handler's when the handler handed it to the
rate limiter, stamped in the bot's process; an outbox message when its row was queued) and
gives a bound no pacer can beat and one schedule that keeps all three limits at once.

Prints one JSON object. The script always stops by itself (``--timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import math
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import greenlet
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from telegram.ext import AIORateLimiter, BaseRateLimiter, SimpleUpdateProcessor

from admin.settings import Settings, load_settings
from bot.app import HANDLER_RETRIES, build_application, load_classifier, running
from bot.understanding import emergency, is_vague, small_talk
from classifiers.model import Classifier, Prediction
from delivery.pacing import GROUP_RATE, MESSAGE_ENDPOINTS, FloodLimits
from delivery.sender import NO_RETRIES, OutboxSender
from emulator import Chat, Emulator, EmulatorServer, Limits, Message, Person
from emulator.parameters import Parameters
from emulator.state import JSON
from storage import database
from storage.district import District, bind_department, load_departments, read_district
from storage.inbox import unfinished
from storage.models import (
    Audience,
    InboundUpdate,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Status,
    Ticket,
)
from storage.notices import Digest
from storage.outbox import enqueue
from storage.unit_of_work import UnitOfWork
from tests.e2e.fleet import Balancer, free_port, round_robin, webhook_worker

POSTGRES_ADMIN = os.environ.get("MINYI_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
CORPUS = Path(__file__).resolve().parents[1] / "classifiers" / "corpus"
NUMBER = re.compile(r"[A-Z]{1,8}-\d{8}-\d{4,6}")
WHAT_IF = {
    "no-bot-limiter": "FloodLimits without its overall, group and private buckets "
    "(RetryAfter retries kept)",
    "concurrent-updates": "ApplicationBuilder.concurrent_updates(True): 256 updates at once, "
    "in any order (the bot itself keeps each chat in order)",
    "stock-limiter": "python-telegram-bot's own AIORateLimiter (its defaults: 30/s overall, "
    "20/min per group, private chats unpaced) with the same 429 retries as the bot's",
    "per-process-pace": "each webhook worker paces itself alone, without the buckets shared "
    "in PostgreSQL (--workers only)",
}
SETUP_CALLS = {"getMe", "deleteWebhook", "setMyCommands", "getUpdates"}
POLL = 0.1  # seconds between outbox checks while draining
STOP_GRACE = 45.0  # seconds the bot gets to shut down before its process is terminated

Clock = Callable[[], float]
clock: Clock = time.perf_counter


# --- what the residents do ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """One resident's report: what they write and which optional steps they take."""

    text: str
    pin: tuple[float, float] | None
    address: str | None
    photo: bool
    phone: str | None


@dataclass(slots=True)
class Outcome:
    """What happened to one resident; times are clock() readings."""

    chat_id: int
    plan: Plan
    steps: dict[str, float] = field(default_factory=dict)
    first_action: float | None = None
    confirm_pressed: float | None = None
    submitted: float | None = None
    confirmed: float | None = None
    number: str | None = None
    error: str | None = None


def corpus_texts() -> list[str]:
    """Realistic resident messages (the district corpus the model was built with)."""
    found: list[str] = []
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            found.extend(row["text"].strip() for row in csv.DictReader(handle))
    return [t for t in found if 5 <= len(t) <= 2000]


def ordinary(text: str) -> bool:
    """An ordinary report: no emergency, no small talk, not vague (bot.understanding)."""
    return not (emergency(text) or small_talk(text) or is_vague(text))


def make_plans(count: int, photos: float, seed: int) -> list[Plan]:
    """Seeded plans: 40 % pin, 40 % typed address, 20 % 跳过; `photos` with one photo; half
    share their phone."""
    rng = random.Random(seed)
    # Ordinary reports only: an emergency, small talk or a vague text is answered otherwise.
    texts = [t for t in corpus_texts() if ordinary(t)]
    plans: list[Plan] = []
    for index in range(count):
        roll = rng.random()
        pin = (35.40 + rng.random() / 10, 116.55 + rng.random() / 10) if roll < 0.4 else None
        address = (
            f"幸福里{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元" if 0.4 <= roll < 0.8 else None
        )
        plans.append(
            Plan(
                text=rng.choice(texts),
                pin=pin,
                address=address,
                photo=rng.random() < photos,
                phone=f"138{index:08d}" if rng.random() < 0.5 else None,
            )
        )
    return plans


class Arrivals:
    """When each bot message reached the emulator, stamped inside Emulator.record itself, so the
    latencies do not include the time this process takes to wake the waiting resident; and
    which calls were answered 429."""

    def __init__(self, emu: Emulator) -> None:
        self.at: dict[tuple[int, int], float] = {}
        original = emu.record

        def record(message: Message) -> Message:
            recorded = original(message)
            if message.from_bot:
                self.at[(message.chat.id, message.message_id)] = clock()
            return recorded

        emu.record = record  # type: ignore[method-assign]
        self.too_many: Counter[str] = Counter()
        serve = emu.call

        async def call(token: str, method: str, params: Parameters) -> tuple[int, JSON]:
            status, body = await serve(token, method, params)
            if status == 429:
                chat_id = str(params.values.get("chat_id", ""))
                self.too_many[f"{method} {'group' if chat_id.startswith('-') else 'private'}"] += 1
            return status, body

        emu.call = call  # type: ignore[method-assign]

    def of(self, message: Message) -> float:
        """The arrival time of a bot message."""
        return self.at[(message.chat.id, message.message_id)]


def has(text: str) -> Callable[[Message], bool]:
    """A predicate: the message (text or caption) contains `text`."""
    return lambda m: text in (m.text or m.caption or "")


async def bot_reply(
    emu: Emulator, chat: Chat, start: int, predicate: Callable[[Message], bool], deadline: float
) -> Message:
    """The first bot message at or after index `start` of the chat that matches; waits for it."""
    while True:
        for message in chat.messages[start:]:
            if message.from_bot and not message.deleted and predicate(message):
                return message
        remaining = deadline - clock()
        if remaining <= 0:
            raise TimeoutError
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(emu.changed(chat), remaining)


async def walk(
    emu: Emulator,
    person: Person,
    outcome: Outcome,
    arrivals: Arrivals,
    *,
    think: float,
    deadline: float,
) -> None:
    """One resident through the whole intake, timing every answer of the bot."""
    chat = person.private_chat
    plan = outcome.plan

    async def step(
        name: str, action: Callable[[], Awaitable[object]], predicate: Callable[[Message], bool]
    ) -> Message:
        if think:
            await asyncio.sleep(think)
        start = len(chat.messages)
        pressed = clock()
        if outcome.first_action is None:
            outcome.first_action = pressed
        await action()
        answer = await bot_reply(emu, chat, start, predicate, deadline)
        outcome.steps[name] = arrivals.of(answer) - pressed
        return answer

    try:
        asked = lambda m: has("在哪里")(m) or has("请核对")(m)  # noqa: E731
        summary = await step("problem", lambda: person.send_text(chat, plan.text), asked)
        if "在哪里" in (summary.text or ""):  # the text named no place: the bot asks
            if plan.pin is not None:
                place = lambda: person.send_location(chat, *plan.pin)  # type: ignore[misc]  # noqa: E731
            else:
                place = lambda: person.send_text(chat, plan.address or "跳过")  # noqa: E731
            summary = await step("place", place, has("请核对"))
        if plan.photo:
            shown = summary
            await step(
                "photo_button", lambda: person.press_button(shown, "🖼 照片"), has("现场照片")
            )
            prompt = await step("photo", lambda: person.send_photo(chat), has("已收到第 1 张"))
            summary = await step("done", lambda: person.press_button(prompt, "好了"), has("请核对"))
        if plan.phone is not None:
            shown = summary
            await step(
                "phone_button", lambda: person.press_button(shown, "📞 电话"), has("联系电话")
            )
            phone = lambda: person.send_contact(chat, plan.phone or "")  # noqa: E731
            summary = await step("phone", phone, has("请核对"))
        if think:
            await asyncio.sleep(think)
        start = len(chat.messages)
        outcome.confirm_pressed = clock()
        await person.press_button(summary, "✅ 确认提交")
        # The summary itself becomes the receipt (edited); the number comes from the outbox.
        confirmed = await bot_reply(emu, chat, start, has("已受理"), deadline)
        outcome.confirmed = arrivals.of(confirmed)
        outcome.submitted = outcome.confirmed
        outcome.steps["confirm"] = outcome.submitted - outcome.confirm_pressed
        found = NUMBER.search(confirmed.text or "")
        outcome.number = found.group(0) if found else None
    except TimeoutError:
        outcome.error = f"timeout after {len(outcome.steps)} steps"
    except Exception as error:  # a broken resident must not stop the benchmark
        outcome.error = f"{type(error).__name__}: {error}"


# --- the bot -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BotConfig:
    """Everything the bot process needs (picklable)."""

    database_url: str
    base_url: str
    token: str
    classifier: str
    what_if: tuple[str, ...]
    lifetime: float
    count_sql: bool = False


PROJECT = Path(__file__).resolve().parent.parent
OWN_PACKAGES = ("bot", "delivery", "storage", "admin")


def sql_source() -> str:
    """Where the running statement comes from: the outermost and innermost functions of this
    project on the stack of the coroutine that called SQLAlchemy ("entry > storage function");
    SQLAlchemy's async layer runs the statement in a greenlet whose parent holds that stack."""
    current = greenlet.getcurrent()
    frame = current.parent.gr_frame if current.parent is not None else sys._getframe(1)
    names: list[str] = []
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if (
            path.is_relative_to(PROJECT)
            and path.relative_to(PROJECT).parts[0] in OWN_PACKAGES
            and path.name != "unit_of_work.py"
        ):
            names.append(f"{path.parent.name}/{path.stem}.{frame.f_code.co_qualname}")
        frame = frame.f_back
    if not names:
        return "-"
    return names[0] if len(names) == 1 else f"{names[-1]} > {names[0]}"


class SqlCounter:
    """Counts the bot's transactions and statements (``--count-sql``; diagnostics only), also
    by source (`sql_source`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.by_source: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._original = database.create_engine

    def install(self) -> None:
        """Count on every engine the bot makes from now on."""

        def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
            engine = self._original(url, **kwargs)
            target = engine.sync_engine
            for name in ("begin", "commit", "rollback"):
                event.listen(target, name, self._counting(name))
            event.listen(target, "before_cursor_execute", self._statement)
            return engine

        database.create_engine = create_engine  # type: ignore[assignment]

    def _counting(self, name: str) -> Callable[..., None]:
        def count(*_: Any) -> None:
            self.counts[name] += 1
            self.by_source[sql_source()][name] += 1

        return count

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        self.counts[f"statement {verb}"] += 1
        self.by_source[sql_source()][verb] += 1


class FakeClassifier:
    """A trivial, instant classifier: a stable department per text, unsure for about 10 %."""

    def __init__(self, codes: tuple[str, ...]) -> None:
        self.codes = codes

    def predict(self, text: str) -> Prediction:
        """Confident for nine texts in ten, spread over the departments by a stable hash."""
        digest = sum(text.encode()) * 2654435761 % 2**32
        code = self.codes[digest % len(self.codes)]
        runner_up = self.codes[(digest + 1) % len(self.codes)]
        confidence = 0.31 if digest % 10 == 0 else 0.93
        return Prediction(code, confidence, ((runner_up, 0.04),))


def fake_loader(settings: Settings, district: District) -> Classifier:
    """The classifier loader for `--classifier fake`."""
    return FakeClassifier(tuple(district.codes))


@dataclass(frozen=True, slots=True)
class WhatIfParts:
    """The parts a what-if run hands to build_application instead of its defaults."""

    rate_limiter: BaseRateLimiter[Any] | None = None
    update_processor: SimpleUpdateProcessor | None = None


def what_if_parts(flags: tuple[str, ...]) -> WhatIfParts:
    """The bot's parts for a what-if run (this process only; nothing on disk changes)."""
    limiter: BaseRateLimiter[Any] | None = None
    if "no-bot-limiter" in flags:
        off = (0.0, 1.0)
        limiter = FloodLimits(overall=off, group=off, private=off, max_retries=HANDLER_RETRIES)
    if "stock-limiter" in flags:
        limiter = AIORateLimiter(max_retries=HANDLER_RETRIES)
    # what ApplicationBuilder.concurrent_updates(True) builds
    processor = SimpleUpdateProcessor(256) if "concurrent-updates" in flags else None
    return WhatIfParts(rate_limiter=limiter, update_processor=processor)


def quiet_logging() -> None:
    """Warnings and errors only (the bot logs every delivery at INFO)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, from /proc/stat), to
    show how much other processes took during a run; 0 where /proc/stat is missing."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields]
    busy = sum(ticks[:8]) - ticks[3] - ticks[4]  # everything but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


class StampingLimiter(BaseRateLimiter[Any]):
    """The bot's rate limiter, noting when each message a handler sends came into being: the
    moment the handler handed it over, on `time.monotonic` (one clock for every process on the
    machine). The outbox's messages are not noted here: their rows' ``created_at`` say when
    they were queued (the sender hands one over only after its chat's previous one was sent)."""

    def __init__(self, limiter: BaseRateLimiter[Any]) -> None:
        self.limiter = limiter
        self.made: list[tuple[int, int, float]] = []  # (chat id, messages, monotonic seconds)

    async def initialize(self) -> None:
        """The limiter's own."""
        await self.limiter.initialize()

    async def shutdown(self) -> None:
        """The limiter's own."""
        await self.limiter.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Note a handler's message, then hand the request to the limiter."""
        chat = data.get("chat_id")
        if endpoint in MESSAGE_ENDPOINTS and rate_limit_args != NO_RETRIES and chat is not None:
            items = data.get("media")
            count = len(items) if isinstance(items, list | tuple) and items else 1
            self.made.append((int(chat), count, time.monotonic()))
        return await self.limiter.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


async def serve_bot(
    config: BotConfig, ready: Callable[[], None], stop: asyncio.Event
) -> dict[str, Any]:
    """Run the real bot until `stop` (or its lifetime ends); returns the sender's counters and
    when each handler's message came into being (`CreationStamps`)."""
    parts = what_if_parts(config.what_if)
    sql = SqlCounter()
    if config.count_sql:
        sql.install()
    settings = load_settings(
        database_url=config.database_url,
        telegram_api_base_url=config.base_url,
        telegram_bot_token=config.token,
    )
    loader = fake_loader if config.classifier == "fake" else load_classifier
    # build_application's own default when no what-if gives one
    stamped = StampingLimiter(parts.rate_limiter or FloodLimits(max_retries=HANDLER_RETRIES))
    application = build_application(
        settings,
        classifier_loader=loader,
        rate_limiter=stamped,
        update_processor=parts.update_processor,
    )
    async with running(application):
        cpu_at_ready = cpu_seconds()
        sql_at_ready = Counter(sql.counts)
        sources_at_ready = {k: Counter(v) for k, v in sql.by_source.items()}
        ready()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), config.lifetime)
        cpu_used = cpu_seconds() - cpu_at_ready
        sender = application.bot_data.get("minyi.sender")
        sql_counts = dict(sql.counts - sql_at_ready)
        sql_sources = {
            source: dict(counts - sources_at_ready.get(source, Counter()))
            for source, counts in sql.by_source.items()
        }
    stats: dict[str, Any] = {
        "cpu_s": round(cpu_used, 2),
        "pid": os.getpid(),
        "handler_messages_made": stamped.made,
    }
    if config.count_sql:
        stats["sql"] = sql_counts
        stats["sql_by_source"] = {k: v for k, v in sql_sources.items() if v}
    if isinstance(sender, OutboxSender):
        stats.update(sent=sender.sent, retried=sender.retried, failed=sender.failed)
    return stats


def bot_process(config: BotConfig, conn: Connection) -> None:
    """Entry point of the bot's child process: ready/stop/stats over a pipe."""
    os.environ["PTB_TIMEDELTA"] = "true"
    quiet_logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def ready() -> None:
            conn.send(("ready", os.getpid()))

        async def listen() -> None:
            deadline = loop.time() + config.lifetime
            while loop.time() < deadline:
                if await asyncio.to_thread(conn.poll, 0.5):
                    conn.recv()
                    break
            stop.set()

        listener = asyncio.create_task(listen())
        try:
            stats = await serve_bot(config, ready, stop)
        finally:
            listener.cancel()
        conn.send(("stats", stats))

    try:
        asyncio.run(main())
    except Exception as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
        raise


class BotHandle:
    """The bot, in a child process or as a task in this event loop."""

    def __init__(self, config: BotConfig, *, separate: bool) -> None:
        self.config = config
        self.separate = separate
        self.pid = os.getpid()
        self._process: Any = None
        self._conn: Connection | None = None
        self._task: asyncio.Task[dict[str, Any]] | None = None
        self._stop = asyncio.Event()

    async def start(self, within: float) -> None:
        """Start the bot and wait until it polls."""
        if not self.separate:
            ready = asyncio.Event()
            self._task = asyncio.create_task(serve_bot(self.config, ready.set, self._stop))
            waiter = asyncio.create_task(ready.wait())
            done, _ = await asyncio.wait(
                {waiter, self._task}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
            waiter.cancel()
            if self._task in done:
                self._task.result()  # raises what went wrong
            if not ready.is_set():
                raise TimeoutError("the bot did not start in time")
            return
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        self._conn = parent
        self._process = context.Process(
            target=bot_process, args=(self.config, child), name="minyi-bench-bot", daemon=True
        )
        self._process.start()
        child.close()
        message = await self._receive(within)
        if message is None or message[0] != "ready":
            raise RuntimeError(f"the bot did not start: {message}")
        self.pid = int(message[1])

    async def _receive(self, within: float) -> tuple[str, Any] | None:
        assert self._conn is not None
        if not await asyncio.to_thread(self._conn.poll, within):
            return None
        with contextlib.suppress(EOFError):
            received: tuple[str, Any] = self._conn.recv()
            return received
        return None

    async def stop(self) -> dict[str, Any]:
        """Stop the bot (the sender finishes its pass) and return its counters."""
        if not self.separate:
            self._stop.set()
            assert self._task is not None
            return await asyncio.wait_for(self._task, STOP_GRACE)
        assert self._conn is not None
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send("stop")
        message = await self._receive(STOP_GRACE)
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.terminate()
            await asyncio.to_thread(self._process.join, 5)
        if message is None or message[0] != "stats":
            return {"error": str(message)}
        stats: dict[str, Any] = message[1]
        return stats

    def kill(self) -> None:
        """Last resort on the way out: end the child process we started."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(5)


# --- the world ---------------------------------------------------------------------------------


@dataclass(slots=True)
class World:
    """The emulator, its groups (department code → chat) and the residents."""

    emu: Emulator
    groups: dict[str, Chat]
    people: list[Person]


async def prepare(database_url: str, emu: Emulator, residents: int) -> World:
    """Load the departments, give each a group and bind it; create the residents."""
    district = read_district(load_settings(database_url=database_url).departments_file)
    engine = database.create_engine(database_url)
    uow = UnitOfWork(database.session_factory(engine))
    async with uow:
        await load_departments(uow=uow, district=district)
        await uow.commit()
    groups: dict[str, Chat] = {}
    for spec in district.all():
        forum = not spec.is_dispatch
        chat = emu.add_supergroup(f"{spec.name}工作群", forum=forum)
        groups[spec.code] = chat
        async with uow:
            await bind_department(uow=uow, code=spec.code, chat_id=chat.id, is_forum=forum)
    await engine.dispose()
    people = [emu.add_user(f"居民{index:04d}") for index in range(residents)]
    for person in people:
        emu.add_private_chat(person)
    return World(emu, groups, people)


async def outbox_counts(uow: UnitOfWork) -> Counter[str]:
    """Outbox rows by status."""
    rows = await uow.session.exec(select(OutboxMessage.status))
    return Counter(str(status) for status in rows.all())


async def drain(database_url: str, deadline: float) -> tuple[float | None, Counter[str]]:
    """Wait until nothing is pending or being sent; returns when that was (None: timed out)."""
    engine = database.create_engine(database_url)
    uow = UnitOfWork(database.session_factory(engine))
    try:
        while True:
            async with uow:
                counts = await outbox_counts(uow)
            if counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING] == 0:
                return clock(), counts
            if clock() > deadline:
                return None, counts
            await asyncio.sleep(POLL)
    finally:
        await engine.dispose()


# --- analysis ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as stored, with where its messages must go."""

    number: str
    status: str
    department_code: str | None
    resident_chat_id: int
    photos: int


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One outbox message as stored."""

    status: str
    kind: str
    chat_id: int | None
    created_at: datetime
    sent_at: datetime | None
    attempts: int


async def read_store(database_url: str) -> tuple[list[TicketRow], list[OutboxRow]]:
    """Every ticket and outbox row."""
    engine = database.create_engine(database_url)
    uow = UnitOfWork(database.session_factory(engine))
    try:
        async with uow:
            found = await uow.session.exec(
                select(Ticket, Resident.chat_id).join(
                    Resident, col(Resident.id) == col(Ticket.resident_id)
                )
            )
            tickets = [
                TicketRow(
                    t.number, str(t.status), t.department_code, chat_id, len(t.photo_file_ids or [])
                )
                for t, chat_id in found.all()
            ]
            rows = await uow.session.exec(select(OutboxMessage))
            outbox = [
                OutboxRow(str(r.status), r.kind, r.chat_id, r.created_at, r.sent_at, r.attempts)
                for r in rows.all()
            ]
    finally:
        await engine.dispose()
    return tickets, outbox


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """p50, p99 and max in milliseconds, with the sample size."""
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else None

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    return {
        "n": len(ordered),
        "p50_ms": ms(statistics.median(ordered)),
        "p99_ms": ms(cuts[98] if cuts else ordered[0]),
        "max_ms": ms(ordered[-1]),
    }


def check_delivery(
    world: World, tickets: list[TicketRow], outcomes: list[Outcome]
) -> dict[str, Any]:
    """Compare what each ticket must produce with what the emulator's chats hold."""
    group_of = {chat.id: code for code, chat in world.groups.items()}
    cards: dict[str, list[Message]] = defaultdict(list)
    photos_by_place: dict[tuple[int, int], int] = Counter()
    for chat in world.groups.values():
        for message in world.emu.messages(chat):
            if "photo" in message.media:
                if chat.is_forum and message.message_thread_id is not None:
                    photos_by_place[(chat.id, message.message_thread_id)] += 1
                elif message.reply_to is not None:
                    photos_by_place[(chat.id, -message.reply_to.message_id)] += 1
                continue
            found = NUMBER.search(message.text or "")
            if found and message.buttons:
                cards[found.group(0)].append(message)
    confirmations: dict[str, int] = Counter()
    private_duplicates = 0
    for person in world.people:
        seen: set[str] = set()
        for message in world.emu.messages(person.private_chat):
            body = message.text or message.caption or ""
            if body in seen:
                private_duplicates += 1
            seen.add(body)
            found = NUMBER.search(body)
            if found and "已受理" in body:
                confirmations[found.group(0)] += 1
    expected = lost = duplicated = misplaced = 0
    for ticket in tickets:
        target = "dispatch" if ticket.status == Status.PENDING_DISPATCH else ticket.department_code
        expected += 2
        got = confirmations.get(ticket.number, 0)
        lost += got == 0
        duplicated += max(0, got - 1)
        placed = cards.get(ticket.number, [])
        lost += not placed
        duplicated += max(0, len(placed) - 1)
        misplaced += sum(group_of.get(m.chat.id) != target for m in placed)
        if ticket.photos:
            expected += 1
            card = placed[0] if placed else None
            count = 0
            if card is not None:
                key = (
                    (card.chat.id, card.message_thread_id or 0)
                    if card.chat.is_forum
                    else (card.chat.id, -card.message_id)
                )
                count = photos_by_place.get(key, 0)
            lost += count == 0
            duplicated += max(0, count - 1)
    numbers = {t.number for t in tickets}
    confirmed_numbers = {o.number for o in outcomes if o.number}
    to_residents = sum(
        message.sender.is_bot
        for person in world.people
        for message in world.emu.messages(person.private_chat)
    )
    return {
        "bot_messages_to_the_resident_per_ticket": (
            round(to_residents / len(tickets), 2) if tickets else None
        ),
        "expected": expected,
        "lost": lost,
        "duplicated": duplicated,
        "misplaced": misplaced,
        "unknown_cards": sum(len(v) for k, v in cards.items() if k not in numbers),
        "confirmations_not_matching_a_ticket": len(confirmed_numbers - numbers),
        "private_chat_repeats": private_duplicates,
    }


def limit_utilisation(
    emu: Emulator, limits: Limits, arrivals: Arrivals, start: float, end: float
) -> dict[str, Any]:
    """All bot messages the emulator accepted against its token buckets: the shortest time that
    mix could take within the limits, versus the time it took (both from the first resident
    message)."""
    per_chat: Counter[int] = Counter(chat_id for chat_id, _ in arrivals.at)
    total = sum(per_chat.values())
    groups = {chat.id for chat in emu.chats.values() if chat.is_group}

    def shortest(count: int, burst: float, rate: float) -> float:
        return max(0.0, (count - burst) / rate)

    overall = shortest(total, limits.global_burst, limits.global_per_second)
    group_rate = limits.group_per_minute / 60
    busiest_group = max((n for c, n in per_chat.items() if c in groups), default=0)
    busiest_private = max((n for c, n in per_chat.items() if c not in groups), default=0)
    by_group = shortest(busiest_group, limits.group_burst, group_rate)
    by_private = shortest(busiest_private, limits.private_burst, limits.private_per_second)
    bound = max(overall, by_group, by_private)
    took = max(end - start, 1e-9)
    binding = {overall: "overall 30/s", by_group: "busiest group 20/min"}.get(
        bound, "one private chat 1/s"
    )
    per_second = Counter(int(t - start) for t in arrivals.at.values())
    return {
        "bot_messages": total,
        "messages_per_second": [per_second.get(i, 0) for i in range(int(took) + 1)],
        "group_messages": sum(n for c, n in per_chat.items() if c in groups),
        "busiest_group_messages": busiest_group,
        "shortest_possible_s": round(bound, 2),
        "binding_limit": binding,
        "took_s": round(took, 2),
        "achieved_msgs_per_s": round(total / took, 2),
        "max_msgs_per_s_for_this_mix": round(total / bound, 2) if bound else None,
        "pct_of_limits": round(100 * bound / took, 1) if bound else None,
    }


Rate = tuple[float, float]  # (burst, messages per second) of a token bucket


@dataclass(slots=True)
class Bucket:
    """A token bucket as the emulator keeps it: full at first, refilled continuously."""

    burst: float
    per_second: float
    tokens: float
    updated: float

    def at(self, now: float) -> float:
        """Tokens at ``now`` (refills first)."""
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
        return self.tokens

    def next_token(self, now: float) -> float:
        """When one whole token is there (``now`` if it is)."""
        return now + max(0.0, 1 - self.at(now)) / self.per_second


def alone_from(bucket: Bucket, releases: list[float], now: float) -> float:
    """When the last of ``releases`` (sorted) could leave from ``now`` through ``bucket`` as it
    is now, and nothing else (the bucket is left as it was)."""
    copy = Bucket(bucket.burst, bucket.per_second, bucket.tokens, bucket.updated)
    sent = now
    for made in releases:
        sent = copy.next_token(max(made, sent))
        copy.at(sent)
        copy.tokens -= 1
    return sent


def alone(releases: list[float], rate: Rate, start: float) -> float:
    """When the last of ``releases`` (sorted) could leave through one bucket and nothing else:
    each as soon as it exists and the bucket has a token (the best any schedule can do)."""
    return alone_from(Bucket(rate[0], rate[1], rate[0], start), releases, start)


def one_schedule(
    releases: dict[int, list[float]], rates: dict[int, Rate], overall: Rate, start: float
) -> float:
    """When the last message leaves in one schedule that keeps all three limits at once, made
    knowing every message's creation time in advance: whenever the bot's bucket has a token and
    some chat's bucket has one for a message that exists, the message goes of the chat that
    would finish last on its own limit from then (the critical one). The best possible is no
    later than this (and no earlier than `alone` says)."""
    bot = Bucket(overall[0], overall[1], overall[0], start)
    chats = {chat: Bucket(r[0], r[1], r[0], start) for chat, r in rates.items()}
    heads = dict.fromkeys(releases, 0)
    left = sum(len(times) for times in releases.values())
    now = last = start
    eps = 1e-9
    while left:
        ready: list[int] = []
        soonest = math.inf
        for chat, index in heads.items():
            times = releases[chat]
            if index == len(times):
                continue
            if times[index] > now:
                soonest = min(soonest, times[index])
            elif chats[chat].at(now) >= 1 - eps:
                ready.append(chat)
            else:
                soonest = min(soonest, chats[chat].next_token(now))
        if ready and bot.at(now) >= 1 - eps:
            chat = max(ready, key=lambda c: alone_from(chats[c], releases[c][heads[c] :], now))
            chats[chat].tokens -= 1
            bot.tokens -= 1
            heads[chat] += 1
            left -= 1
            last = now
            continue
        now = bot.next_token(now) if ready else soonest
    return last


def limits_given_arrivals(
    emu: Emulator,
    limits: Limits,
    arrivals: Arrivals,
    made: dict[int, list[float]],
    start: float,
    end: float,
) -> dict[str, Any]:
    """The ceiling of `limit_utilisation` with each message released only when it came into
    being (``made``: creation times per chat, on this process's clock): a message cannot leave
    before it exists, and a group's last cards exist only when its last residents confirm.

    ``shortest_possible_s`` is a bound no pacer can beat (each of the three limits alone, over
    the creation times); ``one_schedule_s`` is when one schedule that keeps all three together
    ends (`one_schedule`), so the best possible lies between them (equal: it is exact).
    Creation times missing for a chat count from the start (which can only lower the bound);
    none counts later than its arrival."""
    groups = {chat.id for chat in emu.chats.values() if chat.is_group}
    arrived: dict[int, list[float]] = defaultdict(list)
    for (chat_id, _), at in arrivals.at.items():
        arrived[chat_id].append(at)
    releases: dict[int, list[float]] = {}
    unknown = 0
    for chat_id, times in arrived.items():
        times.sort()
        known = sorted(max(start, t) for t in made.get(chat_id, []))[: len(times)]
        unknown += len(times) - len(known)
        padded = [start] * (len(times) - len(known)) + known
        releases[chat_id] = [min(r, a) for r, a in zip(padded, times, strict=True)]
    overall: Rate = (limits.global_burst, limits.global_per_second)
    group: Rate = (limits.group_burst, limits.group_per_minute / 60)
    private: Rate = (limits.private_burst, limits.private_per_second)
    rates = {chat: group if chat in groups else private for chat in releases}
    everything = sorted(r for times in releases.values() for r in times)
    bounds = {"overall 30/s": alone(everything, overall, start)}
    for chat, times in releases.items():
        name = "a group 20/min" if chat in groups else "a private chat 1/s"
        bounds[name] = max(bounds.get(name, start), alone(times, rates[chat], start))
    binding = max(bounds, key=lambda name: bounds[name])
    bound = bounds[binding] - start
    scheduled = one_schedule(releases, rates, overall, start) - start
    took = max(end - start, 1e-9)
    return {
        "messages": len(everything),
        "creation_unknown_counted_from_start": unknown,
        "last_created_s": round(max(everything, default=start) - start, 2),
        "shortest_possible_s": round(bound, 2),
        "binding_limit": binding,
        "one_schedule_s": round(scheduled, 2),
        "took_s": round(took, 2),
        "pct_of_limits": round(100 * bound / took, 1) if bound else None,
        "pct_of_one_schedule": round(100 * scheduled / took, 1) if scheduled else None,
    }


def creation_times(
    handler_made: list[tuple[int, int, float]], outbox: list[OutboxRow]
) -> dict[int, list[float]]:
    """When each message came into being, per chat, on this process's clock: the handlers'
    (stamped on `time.monotonic` in the bot's process) and the outbox's sent rows (queued)."""
    from_monotonic = clock() - time.monotonic()
    from_wall = clock() - time.time()
    made: dict[int, list[float]] = defaultdict(list)
    for chat_id, count, at in handler_made:
        made[chat_id].extend([at + from_monotonic] * count)
    for row in outbox:
        if row.status != OutboxStatus.SENT or row.chat_id is None:
            continue
        created = row.created_at
        if created.tzinfo is None:  # SQLite gives it back without its zone: it is UTC
            created = created.replace(tzinfo=UTC)
        made[row.chat_id].append(created.timestamp() + from_wall)
    return made


def delivery(rows: list[OutboxRow]) -> dict[str, Any]:
    """How fast a set of outbox rows went out: rate over its window (first queued → last
    sent) and the queue delay of each row (queued → sent)."""
    sent = [r for r in rows if r.status == OutboxStatus.SENT and r.sent_at is not None]
    if not sent:
        return {"sent": 0}
    first = min(r.created_at for r in rows)
    last = max(r.sent_at for r in sent if r.sent_at is not None)
    window = (last - first).total_seconds()
    delays = [(r.sent_at - r.created_at).total_seconds() for r in sent if r.sent_at is not None]
    return {
        "sent": len(sent),
        "window_s": round(window, 2),
        "per_s": round(len(sent) / window, 2) if window > 0 else None,
        "queued_to_sent": percentiles(delays),
    }


def outbox_summary(outbox: list[OutboxRow], drain_tail: float | None) -> dict[str, Any]:
    """Outbox rows by status and kind, and the rate at which they were delivered, overall and
    for residents (private chats) and staff groups apart; the sender paces each group at
    Telegram's 20/min whatever the emulator enforces, which bounds the drain."""
    per_group = Counter(r.chat_id for r in outbox if r.chat_id is not None and r.chat_id < 0)
    busiest = max(per_group.values(), default=0)
    burst, period = GROUP_RATE
    overall = delivery(outbox)
    return {
        "rows": len(outbox),
        "by_status": dict(Counter(r.status for r in outbox)),
        "by_kind": dict(Counter(r.kind for r in outbox)),
        "retried_rows": sum(r.attempts > 1 for r in outbox),
        "delivered_per_s": overall.get("per_s"),
        "all": overall,
        "residents": delivery([r for r in outbox if r.chat_id is not None and r.chat_id > 0]),
        "groups": delivery([r for r in outbox if r.chat_id is not None and r.chat_id < 0]),
        "busiest_group_messages": busiest,
        "group_pacing_floor_s": round(max(0, busiest - burst) * period / burst, 1),
        "drain_after_last_confirmation_s": drain_tail,
    }


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    """The command line."""

    residents: int
    database: str
    limits: bool
    classifier: str
    photos: float
    think: float
    separate: bool
    timeout: float
    seed: int
    what_if: tuple[str, ...]
    profile: str | None
    count_sql: bool
    workers: int = 0
    kill_one: bool = False
    redeliver: float = 0.0
    backlog: int = 0


def start_profiler(pid: int, path: str, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the bot process for the intake phase (diagnostics only; py-spy is not a
    project dependency)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy not found; --profile ignored", file=sys.stderr)
        return None
    fmt = (
        "speedscope"
        if path.endswith(".json")
        else ("flamegraph" if path.endswith(".svg") else "raw")
    )
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "100",
            "--duration",
            str(int(seconds)),
            "--format",
            fmt,
            "--output",
            path,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def stop_profiler(profiler: subprocess.Popen[bytes] | None) -> None:
    """Make py-spy write what it has (it does on SIGINT); kill it if it does not finish."""
    if profiler is None or profiler.poll() is not None:
        return
    profiler.send_signal(signal.SIGINT)
    try:
        await asyncio.to_thread(profiler.wait, 30)
    except subprocess.TimeoutExpired:
        profiler.kill()
        await asyncio.to_thread(profiler.wait, 5)


async def run(options: Options, database_url: str) -> dict[str, Any]:
    """Start everything, drive the residents, drain the outbox, and measure."""
    limits = Limits() if options.limits else Limits(enforce_rates=False)
    emu = Emulator(limits=limits)
    arrivals = Arrivals(emu)
    world = await prepare(database_url, emu, options.residents)
    plans = make_plans(options.residents, options.photos, options.seed)
    outcomes = [
        Outcome(p.private_chat.id, plan) for p, plan in zip(world.people, plans, strict=True)
    ]
    hard_deadline = clock() + options.timeout
    async with EmulatorServer(emu) as server:
        config = BotConfig(
            database_url=database_url,
            base_url=server.base_url,
            token=emu.token,
            classifier=options.classifier,
            what_if=options.what_if,
            count_sql=options.count_sql,
            lifetime=options.timeout + 60,
        )
        handle = BotHandle(config, separate=options.separate)
        try:
            profiler = None
            started = clock()
            await handle.start(within=180)
            startup = clock() - started
            profiler = (
                start_profiler(handle.pid, options.profile, options.timeout)
                if options.profile and options.separate
                else None
            )
            cpu_before, busy_before = cpu_seconds(), machine_busy_seconds()
            load_before = os.getloadavg()[0]
            emu.counters.retry_after_issued = 0
            emu.limits.refusals.clear()
            await asyncio.gather(
                *(
                    walk(
                        emu, person, outcome, arrivals, think=options.think, deadline=hard_deadline
                    )
                    for person, outcome in zip(world.people, outcomes, strict=True)
                )
            )
            await stop_profiler(profiler)
            drained_at, counts = await drain(database_url, hard_deadline)
            cpu_here = cpu_seconds() - cpu_before
            busy = machine_busy_seconds() - busy_before
            bot_stats = await handle.stop()
        finally:
            with contextlib.suppress(Exception):
                await stop_profiler(profiler)
            handle.kill()
    await emu.close()
    tickets, outbox = await read_store(database_url)
    return report(
        options,
        world,
        outcomes,
        tickets,
        outbox,
        arrivals,
        limits,
        drained_at=drained_at,
        startup=startup,
        cpu_here=cpu_here,
        machine_busy=busy,
        load_before=load_before,
        bot_stats=bot_stats,
        pending=counts,
    )


def report(
    options: Options,
    world: World,
    outcomes: list[Outcome],
    tickets: list[TicketRow],
    outbox: list[OutboxRow],
    arrivals: Arrivals,
    limits: Limits,
    *,
    drained_at: float | None,
    startup: float,
    cpu_here: float,
    machine_busy: float,
    load_before: float,
    bot_stats: dict[str, Any],
    pending: Counter[str],
) -> dict[str, Any]:
    """The JSON result."""
    emu = world.emu
    done = [o for o in outcomes if o.confirmed is not None]
    firsts = [o.first_action for o in outcomes if o.first_action is not None]
    start = min(firsts) if firsts else clock()
    last_confirmed = max((o.confirmed for o in done if o.confirmed), default=None)
    last_submitted = max((o.submitted for o in outcomes if o.submitted), default=None)
    wall = (last_confirmed - start) if last_confirmed else None
    steps: dict[str, list[float]] = defaultdict(list)
    for outcome in outcomes:
        for name, seconds in outcome.steps.items():
            steps[name].append(seconds)
    confirm_latency = [
        o.confirmed - o.confirm_pressed for o in done if o.confirmed and o.confirm_pressed
    ]
    end = max(arrivals.at.values(), default=start)
    handler_made: list[tuple[int, int, float]] = bot_stats.pop("handler_messages_made", [])
    errors = Counter(o.error for o in outcomes if o.error)
    own_cpu = cpu_here if options.separate else 0.0  # same process: the bot's figure is all
    result: dict[str, Any] = {
        "benchmark": "intake",
        "residents": options.residents,
        "database": options.database,
        "limits": "on" if options.limits else "off",
        "classifier": options.classifier,
        "bot_process": "separate" if options.separate else "same",
        "what_if": list(options.what_if),
        "photos_share": options.photos,
        "think_s": options.think,
        "completed": len(done) == options.residents and drained_at is not None,
        "tickets_stored": len(tickets),
        "routed_to_department": sum(t.status == Status.ROUTED for t in tickets),
        "sent_to_dispatch": sum(t.status == Status.PENDING_DISPATCH for t in tickets),
        "residents_confirmed": len(done),
        "resident_errors": dict(errors),
        "wall_s": round(wall, 2) if wall else None,
        "tickets_per_s": round(len(done) / wall, 2) if wall else None,
        "tickets_committed_per_s": (
            round(sum(o.submitted is not None for o in outcomes) / (last_submitted - start), 2)
            if last_submitted
            else None
        ),
        "confirm_to_accepted": percentiles(confirm_latency),
        "step_answer": {
            name: percentiles(steps[name])
            for name in (
                "problem",
                "place",
                "photo_button",
                "photo",
                "done",
                "phone_button",
                "phone",
                "confirm",
            )
        },
        "outbox": outbox_summary(
            outbox, round(drained_at - last_confirmed, 2) if drained_at and last_confirmed else None
        ),
        "retry_after_429": emu.counters.retry_after_issued,
        "retry_after_429_by_call": dict(arrivals.too_many),
        "retry_after_429_by_cause": dict(world.emu.limits.refusals),
        "retry_after_429_earned_early": world.emu.limits.early_retries,
        "emulator": {
            "messages_accepted": emu.counters.messages_accepted,
            "errors": {str(k): v for k, v in emu.counters.errors.items()},
            "calls": dict(emu.counters.calls.most_common()),
            "calls_per_ticket": {
                method: round(count / len(tickets), 2)
                for method, count in emu.counters.calls.most_common()
                if tickets and method not in SETUP_CALLS
            },
        },
        "messages": check_delivery(world, tickets, outcomes),
        "limits_utilisation": (
            limit_utilisation(emu, limits, arrivals, start, end) if options.limits else None
        ),
        "limits_utilisation_given_arrivals": (
            limits_given_arrivals(
                emu, limits, arrivals, creation_times(handler_made, outbox), start, end
            )
            if options.limits
            else None
        ),
        "bot": {"startup_s": round(startup, 2), **bot_stats},
        "bot_cpu_ms_per_ticket": (
            round(1000 * float(bot_stats["cpu_s"]) / len(tickets), 1)
            if tickets and "cpu_s" in bot_stats
            else None
        ),
        "sql_per_ticket": (
            {k: round(v / len(tickets), 1) for k, v in sorted(bot_stats["sql"].items())}
            if tickets and "sql" in bot_stats
            else None
        ),
        "sql_per_ticket_by_source": (
            {
                source: {k: round(v / len(tickets), 2) for k, v in sorted(counts.items())}
                for source, counts in sorted(
                    bot_stats.pop("sql_by_source").items(), key=lambda item: -sum(item[1].values())
                )
            }
            if tickets and "sql_by_source" in bot_stats
            else None
        ),
        "cpu_s_emulator_and_residents": round(cpu_here, 2) if options.separate else None,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "load_1min_before": round(load_before, 2),
            "other_processes_cpu_s": round(
                max(0.0, machine_busy - own_cpu - float(bot_stats.get("cpu_s", 0.0))), 1
            ),
        },
    }
    if pending[OutboxStatus.PENDING] or pending[OutboxStatus.SENDING]:
        result["outbox"]["left_undelivered"] = (
            pending[OutboxStatus.PENDING] + pending[OutboxStatus.SENDING]
        )
    return result


# --- several webhook workers -------------------------------------------------------------------


async def run_workers(options: Options, database_url: str) -> dict[str, Any]:
    """N webhook workers behind a round-robin proxy; the residents walk the intake; optionally a
    worker is killed and replaced, and Telegram re-sends a share of updates."""
    limits = Limits() if options.limits else Limits(enforce_rates=False)
    emu = Emulator(limits=limits)
    arrivals = Arrivals(emu)
    world = await prepare(database_url, emu, options.residents)
    plans = make_plans(options.residents, options.photos, options.seed)
    outcomes = [
        Outcome(p.private_chat.id, plan) for p, plan in zip(world.people, plans, strict=True)
    ]
    if options.redeliver:
        emu.webhook_resend_every = max(1, round(1 / options.redeliver))
    env = {"PTB_TIMEDELTA": "true", "MINYI_BENCH_CLASSIFIER": "spread"}
    if "per-process-pace" in options.what_if:
        env["MINYI_BENCH_LOCAL_PACE"] = "1"
    hard_deadline = clock() + options.timeout
    ports = [free_port() for _ in range(options.workers)]
    balancer = Balancer([f"http://127.0.0.1:{port}/telegram" for port in ports])
    processes: list[asyncio.subprocess.Process] = []
    killed: dict[str, Any] = {}
    log = Path(tempfile.gettempdir()) / f"minyi-bench-workers-{os.getpid()}.log"
    async with EmulatorServer(emu) as server, round_robin(balancer) as public:

        async def start(port: int) -> asyncio.subprocess.Process:
            process = await webhook_worker(server, database_url, port, public, log, env=env)
            processes.append(process)
            return process

        async def kill_one() -> None:
            """SIGKILL the first worker once a third of the residents are confirmed, then
            start another in its place behind the proxy."""
            while sum(o.confirmed is not None for o in outcomes) < max(1, options.residents // 3):
                if clock() > hard_deadline:
                    return
                await asyncio.sleep(0.05)
            victim = processes[0]
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            killed["at_confirmed"] = sum(o.confirmed is not None for o in outcomes)
            started = clock()
            port = free_port()
            await start(port)
            killed["replacement_start_s"] = round(clock() - started, 2)
            balancer.upstreams = [f"http://127.0.0.1:{port}/telegram", *balancer.upstreams[1:]]

        try:
            started = clock()
            for port in ports:
                await start(port)
            startup = clock() - started
            load_before = os.getloadavg()
            emu.counters.retry_after_issued = 0
            emu.limits.refusals.clear()
            killer = asyncio.create_task(kill_one()) if options.kill_one else None
            if options.backlog:  # every worker's sender takes its share at once
                await queue_backlog(database_url, world, options.backlog)
            await asyncio.gather(
                *(
                    walk(
                        emu, person, outcome, arrivals, think=options.think, deadline=hard_deadline
                    )
                    for person, outcome in zip(world.people, outcomes, strict=True)
                )
            )
            if killer is not None:
                await killer
            drained_at, pending = await drain(database_url, hard_deadline)
            load_after = os.getloadavg()
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), STOP_GRACE)
                if process.returncode is None:
                    process.kill()
        assert emu.webhook is not None
        resent, delivered = emu.webhook.resent, emu.webhook.delivered
    await emu.close()
    tickets, _ = await read_store(database_url)
    updates, left = await inbox_counts(database_url)
    done = [o for o in outcomes if o.confirmed is not None]
    firsts = [o.first_action for o in outcomes if o.first_action is not None]
    start_at = min(firsts) if firsts else clock()
    end = max(arrivals.at.values(), default=start_at)
    messages = check_delivery(world, tickets, outcomes)
    utilisation = limit_utilisation(emu, limits, arrivals, start_at, end)
    utilisation.pop("messages_per_second", None)
    return {
        "benchmark": "intake --workers",
        "residents": options.residents,
        "workers": options.workers,
        "database": options.database,
        "limits": "on" if options.limits else "off",
        "classifier": "fake (spread over the departments)",
        "what_if": list(options.what_if),
        "kill_one": killed or (False if not options.kill_one else "not reached"),
        "redeliver_share": options.redeliver,
        "backlog": options.backlog,
        "completed": len(done) == options.residents and drained_at is not None,
        "reports": options.residents,
        "tickets": len(tickets),
        "residents_confirmed": len(done),
        "resident_errors": dict(Counter(o.error for o in outcomes if o.error)),
        "exactly_once": (
            len(tickets) == options.residents
            and messages["lost"] == 0
            and messages["duplicated"] == 0
            and not left
        ),
        "updates": {
            "delivered": delivered,
            "resent_by_telegram": resent,
            "stored": updates,
            "unfinished": left,
        },
        "lost": messages["lost"],
        "doubled": messages["duplicated"],
        "private_chat_repeats": messages["private_chat_repeats"],
        "out_of_order_chats": out_of_order(world),
        "outbox_left_undelivered": pending[OutboxStatus.PENDING] + pending[OutboxStatus.SENDING],
        "retry_after_429": emu.counters.retry_after_issued,
        "retry_after_429_by_cause": dict(limits.refusals),
        "retry_after_429_earned_early": limits.early_retries,
        "msgs_per_s": utilisation["achieved_msgs_per_s"],
        "ceiling_msgs_per_s_for_this_mix": utilisation["max_msgs_per_s_for_this_mix"],
        "share_of_ceiling": (
            round(utilisation["pct_of_limits"] / 100, 3) if utilisation["pct_of_limits"] else None
        ),
        "limits_utilisation": utilisation,
        "wall_s": round(end - start_at, 2),
        "workers_startup_s": round(startup, 2),
        "confirm_to_accepted": percentiles(
            [o.confirmed - o.confirm_pressed for o in done if o.confirmed and o.confirm_pressed]
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in load_after],
        },
        "worker_log": str(log),
    }


async def queue_backlog(database_url: str, world: World, count: int) -> None:
    """`count` plain notices to the residents in turn, queued in one transaction (as a digest
    or a deadline sweep would queue many at once)."""
    engine = database.create_engine(database_url)
    try:
        async with UnitOfWork(database.session_factory(engine)) as uow:
            for index in range(count):
                person = world.people[index % len(world.people)]
                await enqueue(
                    uow=uow,
                    chat_id=person.private_chat.id,
                    notice=Digest(f"通知{index}"),
                    audience=Audience.DISPATCH,
                    commit=False,
                )
            await uow.commit()
    finally:
        await engine.dispose()


def out_of_order(world: World) -> int:
    """Residents' chats where the bot's words came out of the intake's order: the 已受理 notice
    (from the outbox) before the summary it confirms (from a handler)."""
    count = 0
    for person in world.people:
        said = [
            m.text or m.caption or "" for m in world.emu.messages(person.private_chat) if m.from_bot
        ]
        summary = next((i for i, t in enumerate(said) if "请核对" in t or "已提交" in t), None)
        accepted = next((i for i, t in enumerate(said) if "已受理" in t), None)
        count += summary is not None and accepted is not None and accepted < summary
    return count


async def inbox_counts(database_url: str) -> tuple[int, int]:
    """Updates stored in the inbox, and how many of them were never finished."""
    engine = database.create_engine(database_url)
    uow = UnitOfWork(database.session_factory(engine))
    try:
        async with uow:
            stored = len((await uow.session.exec(select(InboundUpdate.update_id))).all())
            left = len(await unfinished(uow=uow))
    finally:
        await engine.dispose()
    return stored, left


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated, empty database URL; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="minyi-bench-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'intake.sqlite3'}"
            database.upgrade(url)
            yield url
        return
    name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        host = POSTGRES_ADMIN.split("://", 1)[1].rstrip("/")
        url = f"postgresql+asyncpg://{host}/{name}"
        database.upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN}/postgres", timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def parse(argv: list[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--limits", choices=["on", "off"], default="off")
    parser.add_argument("--classifier", choices=["model", "fake"], default="model")
    parser.add_argument("--photos", type=float, default=0.25, help="share sending one photo")
    parser.add_argument("--think", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--bot-process", choices=["separate", "same"], default="separate")
    parser.add_argument("--timeout", type=float, help="seconds; default 120 + 2 per resident")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--what-if", action="append", choices=sorted(WHAT_IF), default=[])
    parser.add_argument("--profile", help="py-spy output of the bot process (.txt/.json/.svg)")
    parser.add_argument(
        "--count-sql", action="store_true", help="count the bot's transactions and statements"
    )
    parser.add_argument("--workers", type=int, default=0, help="webhook workers (PostgreSQL)")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL a worker mid-run")
    parser.add_argument("--redeliver", type=float, default=0.0, help="share of updates re-sent")
    parser.add_argument(
        "--backlog", type=int, default=0, help="notices queued to the residents at the start"
    )
    args = parser.parse_args(argv)
    if args.residents < 1:
        parser.error("--residents must be at least 1")
    if args.workers and args.database != "postgres":
        parser.error("--workers runs on PostgreSQL only (--database postgres)")
    if (args.kill_one or args.redeliver or "per-process-pace" in args.what_if) and not args.workers:
        parser.error("--kill-one, --redeliver and per-process-pace go with --workers")
    return Options(
        residents=args.residents,
        database=args.database,
        limits=args.limits == "on",
        classifier=args.classifier,
        photos=min(1.0, max(0.0, args.photos)),
        think=max(0.0, args.think),
        separate=args.bot_process == "separate",
        timeout=args.timeout or 120 + 2 * args.residents,
        seed=args.seed,
        what_if=tuple(dict.fromkeys(args.what_if)),
        profile=args.profile,
        count_sql=args.count_sql,
        workers=max(0, args.workers),
        kill_one=args.kill_one,
        redeliver=min(1.0, max(0.0, args.redeliver)),
        backlog=max(0, args.backlog) if args.workers else 0,
    )


def main(argv: list[str] | None = None) -> None:
    """Run once and print the JSON result."""
    os.environ["PTB_TIMEDELTA"] = "true"
    options = parse(argv)
    quiet_logging()
    with fresh_database(options.database) as url:
        result = asyncio.run(run_workers(options, url) if options.workers else run(options, url))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
