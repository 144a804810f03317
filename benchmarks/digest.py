"""Benchmark of the daily digest and /stats over a store of N tickets with realistic histories.

Usage: python benchmarks/digest.py [--tickets N] [--database sqlite|postgres|both] [--days D]
Fills a fresh store (SQLite file in a temp dir; PostgreSQL: a throwaway database
minyi_bench_<random> on postgresql://postgres@127.0.0.1:5432, dropped afterwards) with N tickets
spread over D days and about seven events each, then times build_digest for the last day and
/stats (build_stats) over the last 30 days. Prints one JSON object, with the load average
before and after (the machine may be shared).

--keep-sqlite PATH / --keep-postgres keep the filled store; --reuse-sqlite PATH /
--reuse-postgres NAME time a store filled earlier (migrated to the current schema first, then
ANALYZEd), so several versions can be timed on the same data in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from admin.digest import build_digest, build_stats, render_digest_text
from classifiers.keywords import hot_keywords
from storage import database
from storage.district import load_departments, read_district
from storage.unit_of_work import UnitOfWork

TZ = ZoneInfo("Asia/Shanghai")
POSTGRES_ADMIN = os.environ.get("MINYI_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
CORPUS = Path(__file__).resolve().parents[1] / "classifiers" / "corpus"
CHUNK = 20_000
REPEAT = 3

TICKET_COLUMNS = [
    "id",
    "number",
    "resident_id",
    "text",
    "address",
    "latitude",
    "longitude",
    "photo_file_ids",
    "phone",
    "phone_consent",
    "predicted_code",
    "confidence",
    "department_code",
    "status",
    "priority",
    "assignee_user_id",
    "awaiting_resident",
    "created_at",
    "routed_at",
    "first_reply_at",
    "resolved_at",
    "closed_at",
    "due_at",
    "closure_code",
    "answer",
    "rating",
    "reopen_count",
    "reassign_count",
    "duplicate_of_id",
    "reminded_at",
    "overdue_at",
    "escalated_at",
    "anonymised_at",
]
EVENT_COLUMNS = [
    "id",
    "ticket_id",
    "at",
    "kind",
    "actor_kind",
    "actor_user_id",
    "from_status",
    "to_status",
    "department_code",
    "detail",
]
RESIDENT_COLUMNS = ["id", "user_id", "chat_id", "display_name", "blocked_at", "created_at"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to generate: N tickets over `days` days ending at `now`."""

    tickets: int
    days: int
    now: datetime
    seed: int = 20261125


def _texts(codes: list[str]) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for code in codes:
        path = CORPUS / f"{code}.csv"
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                texts[code] = [row["text"] for row in csv.DictReader(handle)]
    fallback = [t for rows in texts.values() for t in rows]
    return {code: texts.get(code) or fallback for code in codes}


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def generate(
    scenario: Scenario, sla: dict[str, int]
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (ticket rows, event rows) in column order, with aware UTC datetimes."""
    rng = random.Random(scenario.seed)
    codes = list(sla)
    weights = [3 if c in ("urban", "housing", "transport") else 1 for c in codes]
    corpus = _texts(codes)
    start = scenario.now - timedelta(days=scenario.days)
    step = timedelta(days=scenario.days) / scenario.tickets
    residents = max(1, scenario.tickets // 4)
    per_day: dict[str, int] = {}
    event_id = 0
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    now = scenario.now

    def event(
        ticket_id: int,
        at: datetime,
        kind: str,
        actor: str,
        to_status: str,
        dept: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        nonlocal event_id
        event_id += 1
        user = 900_000_000 + ticket_id % 5000 if actor == "staff" else None
        events.append(
            (event_id, ticket_id, at, kind, actor, user, None, to_status, dept, _json(detail or {}))
        )

    for i in range(1, scenario.tickets + 1):
        created = start + step * (i - 1) + timedelta(seconds=rng.random() * 30)
        day = created.astimezone(TZ).strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        number = f"TB-{day}-{per_day[day]:04d}"
        code = rng.choices(codes, weights)[0]
        text = rng.choice(corpus[code])
        event(i, created, "received", "resident", "received", code)
        routed = created + timedelta(seconds=2)
        reassigned = rng.random() < 0.08
        dept = code
        if rng.random() < 0.1:  # unsure: dispatch first, then a dispatcher assigns it
            event(
                i,
                created,
                "sent_to_dispatch",
                "system",
                "pending_dispatch",
                "dispatch",
                {"reason": "low_confidence", "candidates": []},
            )
            routed = created + timedelta(minutes=rng.expovariate(1 / 40))
            event(i, routed, "dispatched", "staff", "routed", dept)
        else:
            event(i, routed, "routed", "system", "routed", dept)
        if reassigned:
            other = rng.choice([c for c in codes if c != code])
            routed += timedelta(hours=rng.expovariate(1 / 3))
            if rng.random() < 0.3:
                event(
                    i,
                    routed,
                    "sent_to_dispatch",
                    "staff",
                    "pending_dispatch",
                    "dispatch",
                    {"reason": "not_ours", "candidates": []},
                )
                routed += timedelta(minutes=30)
                event(i, routed, "dispatched", "staff", "routed", other)
            else:
                event(
                    i,
                    routed,
                    "reassigned",
                    "staff",
                    "routed",
                    other,
                    {"from_department": dept, "reason": "不属于本部门"},
                )
            dept = other
        due = routed + timedelta(hours=sla[dept])
        first_reply = routed + timedelta(hours=rng.expovariate(1 / 4))
        resolved = first_reply + timedelta(hours=rng.expovariate(1 / 36))
        status, closure, rating, answer = "routed", None, None, None
        reply_at = resolved_at = closed_at = None
        reopen_count, duplicate_of = 0, None
        if first_reply < now:
            reply_at = first_reply
            status = "in_progress"
            event(i, first_reply, "claimed", "staff", "in_progress", dept)
            event(
                i,
                first_reply,
                "replied",
                "staff",
                "in_progress",
                dept,
                {"text": "已收到，正在核实"},
            )
        if resolved < now:
            closure = rng.choices(
                ["fixed", "answered", "unreachable", "duplicate"], [70, 22, 3, 5]
            )[0]
            if closure == "duplicate" and i > 1:
                duplicate_of = rng.randint(max(1, i - 50), i - 1)
            elif closure == "duplicate":
                closure = "fixed"
            answer = "已处理完毕"
            status, resolved_at = "resolved", resolved
            event(
                i,
                resolved,
                "resolved",
                "staff",
                "resolved",
                dept,
                {
                    "code": closure,
                    "answer": answer,
                    "on_time": resolved <= due,
                    "duplicate_of": None,
                },
            )
            verdict = rng.choices(
                ["satisfied", "basically_satisfied", "unsatisfied", "unrated"], [60, 20, 5, 15]
            )[0]
            rated_at = resolved + timedelta(hours=rng.expovariate(1 / 12))
            if verdict == "unrated":
                if resolved + timedelta(days=3) < now:
                    status, rating, closed_at = "closed", "unrated", resolved + timedelta(days=3)
                    event(i, closed_at, "closed", "system", "closed", dept)
            elif rated_at < now:
                rating = verdict
                event(
                    i,
                    rated_at,
                    "rated",
                    "resident",
                    "resolved",
                    dept,
                    {"rating": verdict, "reason": ""},
                )
                if verdict == "unsatisfied":
                    reopen_count = 1
                    event(
                        i,
                        rated_at,
                        "reopened",
                        "resident",
                        "reopened",
                        dept,
                        {"reason": "还是没解决"},
                    )
                    due = rated_at + timedelta(hours=sla[dept])
                    again = rated_at + timedelta(hours=rng.expovariate(1 / 24))
                    if again < now:
                        resolved_at = again
                        event(
                            i,
                            again,
                            "resolved",
                            "staff",
                            "resolved",
                            dept,
                            {
                                "code": "fixed",
                                "answer": answer,
                                "on_time": again <= due,
                                "duplicate_of": None,
                            },
                        )
                        closed_at = again + timedelta(days=3)
                        if closed_at < now:
                            status, rating = "closed", "unrated"
                            event(i, closed_at, "closed", "system", "closed", dept)
                        else:
                            status, closed_at = "resolved", None
                    else:
                        status, resolved_at, closure, rating = "reopened", None, None, verdict
                else:
                    status, closed_at = "closed", rated_at
                    event(i, rated_at, "closed", "system", "closed", dept)
        resident = rng.randint(1, residents)
        tickets.append(
            (
                i,
                number,
                resident,
                text,
                "太白湖新区荷韵花园",
                35.4,
                116.6,
                "[]",
                None,
                False,
                code,
                round(rng.uniform(0.3, 0.99), 3),
                dept,
                status,
                0,
                None,
                False,
                created,
                routed,
                reply_at,
                resolved_at,
                closed_at,
                due,
                closure,
                answer,
                rating,
                reopen_count,
                int(reassigned),
                duplicate_of,
                None,
                None,
                None,
                None,
            )
        )
        if len(tickets) >= CHUNK:
            yield tickets, events
            tickets, events = [], []
    if tickets:
        yield tickets, events


def _resident_rows(scenario: Scenario) -> Iterator[tuple[Any, ...]]:
    created = scenario.now - timedelta(days=scenario.days + 1)
    for i in range(1, max(1, scenario.tickets // 4) + 1):
        yield (i, 5_000_000_000 + i, 5_000_000_000 + i, f"居民{i}", None, created)


# --- loaders -----------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def load_sqlite(path: Path, scenario: Scenario, sla: dict[str, int]) -> None:
    """Bulk-insert with the stdlib driver and executemany, in big transactions."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")

    def insert(table: str, columns: list[str], rows: Any) -> None:
        marks = ", ".join("?" for _ in columns)
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            ([_sqlite_value(v) for v in row] for row in rows),
        )

    with connection:
        insert("residents", RESIDENT_COLUMNS, _resident_rows(scenario))
    for tickets, events in generate(scenario, sla):
        with connection:
            insert("tickets", TICKET_COLUMNS, tickets)
            insert("ticket_events", EVENT_COLUMNS, events)
    connection.execute("ANALYZE")
    connection.close()


async def load_postgres(dsn: str, scenario: Scenario, sla: dict[str, int]) -> None:
    """Bulk-load with COPY (asyncpg), then ANALYZE."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "residents", records=list(_resident_rows(scenario)), columns=RESIDENT_COLUMNS
        )
        for tickets, events in generate(scenario, sla):
            await connection.copy_records_to_table(
                "tickets", records=tickets, columns=TICKET_COLUMNS
            )
            await connection.copy_records_to_table(
                "ticket_events", records=events, columns=EVENT_COLUMNS
            )
        for table in ("residents", "tickets", "ticket_events"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


# --- timing ------------------------------------------------------------------------------------


async def _departments(url: str) -> dict[str, int]:
    engine = database.create_engine(url)
    try:
        async with UnitOfWork(database.session_factory(engine)) as uow:
            district = read_district()
            await load_departments(uow=uow, district=district)
        return {d.code: d.sla_hours for d in district.departments}
    finally:
        await engine.dispose()


async def _time(url: str, scenario: Scenario) -> dict[str, Any]:
    day = (scenario.now.astimezone(TZ) - timedelta(days=1)).date()
    first = day - timedelta(days=29)
    engine = database.create_engine(url)
    sessions = database.session_factory(engine)
    digest_times: list[float] = []
    stats_times: list[float] = []
    text = ""
    received = resolved = 0
    try:
        for _ in range(REPEAT):
            async with UnitOfWork(sessions) as uow:
                started = time.perf_counter()
                digest = await build_digest(uow=uow, day=day, tz=TZ, now=scenario.now)
                digest_times.append(time.perf_counter() - started)
            text = render_digest_text(digest)
            async with UnitOfWork(sessions) as uow:
                started = time.perf_counter()
                stats = await build_stats(uow=uow, since=first, until=day, tz=TZ, now=scenario.now)
                stats_times.append(time.perf_counter() - started)
            received, resolved = stats.figures.total.received, stats.figures.total.resolved
    finally:
        await engine.dispose()
    return {
        "digest_day": day.isoformat(),
        "digest_seconds_first": round(digest_times[0], 3),
        "digest_seconds_median": round(statistics.median(digest_times), 3),
        "day_received": digest.day_figures.total.received,
        "stats_period": f"{first.isoformat()}..{day.isoformat()}",
        "stats_seconds_first": round(stats_times[0], 3),
        "stats_seconds_median": round(statistics.median(stats_times), 3),
        "stats_received": received,
        "stats_resolved": resolved,
        "digest_chars": len(text),
    }


def _analyze_sqlite(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("ANALYZE")
    connection.close()


async def reuse_sqlite(path: Path, scenario: Scenario) -> dict[str, Any]:
    """Time the builders on a SQLite file filled earlier, migrated to the current schema."""
    url = f"sqlite+aiosqlite:///{path}"
    started = time.perf_counter()
    await asyncio.to_thread(database.upgrade, url)
    await asyncio.to_thread(_analyze_sqlite, path)
    migrated = time.perf_counter() - started
    result = await _time(url, scenario)
    return {"migrate_seconds": round(migrated, 1), **result}


async def reuse_postgres(name: str, scenario: Scenario) -> dict[str, Any]:
    """Time the builders on a PostgreSQL database filled earlier, migrated to the current schema."""
    host = POSTGRES_ADMIN.split("://", 1)[1]
    url = f"postgresql+asyncpg://{host}/{name}"
    started = time.perf_counter()
    await asyncio.to_thread(database.upgrade, url)
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN}/{name}")
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    migrated = time.perf_counter() - started
    result = await _time(url, scenario)
    return {"migrate_seconds": round(migrated, 1), "database": name, **result}


async def bench_sqlite(scenario: Scenario, keep: Path | None = None) -> dict[str, Any]:
    """Fill a SQLite file and time the builders (keep the file at `keep` when given)."""
    with tempfile.TemporaryDirectory(prefix="minyi_bench_") as folder:
        path = keep or Path(folder) / "bench.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(database.upgrade, url)
        sla = await _departments(url)
        started = time.perf_counter()
        await asyncio.to_thread(load_sqlite, path, scenario, sla)
        loaded = time.perf_counter() - started
        result = await _time(url, scenario)
        size = path.stat().st_size
    return {"load_seconds": round(loaded, 1), "database_mb": round(size / 2**20), **result}


async def bench_postgres(scenario: Scenario, keep: bool = False) -> dict[str, Any]:
    """Fill a throwaway PostgreSQL database and time the builders; drop it unless `keep`."""
    name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{POSTGRES_ADMIN}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        host = POSTGRES_ADMIN.split("://", 1)[1]
        url = f"postgresql+asyncpg://{host}/{name}"
        await asyncio.to_thread(database.upgrade, url)
        sla = await _departments(url)
        started = time.perf_counter()
        await load_postgres(f"{POSTGRES_ADMIN}/{name}", scenario, sla)
        loaded = time.perf_counter() - started
        result = await _time(url, scenario)
        size = await admin.fetchval("SELECT pg_database_size($1)", name)
    finally:
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    kept = {"database": name} if keep else {}
    return {"load_seconds": round(loaded, 1), "database_mb": round(size / 2**20), **kept, **result}


async def main() -> None:
    """Parse arguments, run the chosen backends, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--keep-sqlite", type=Path, help="keep the SQLite file at this path")
    parser.add_argument("--keep-postgres", action="store_true", help="keep the database")
    parser.add_argument("--reuse-sqlite", type=Path, help="time this SQLite file, no load")
    parser.add_argument("--reuse-postgres", help="time this PostgreSQL database, no load")
    args = parser.parse_args()
    now = datetime(2026, 11, 25, 8, 0, tzinfo=TZ).astimezone(UTC)
    scenario = Scenario(tickets=args.tickets, days=args.days, now=now)
    hot_keywords(["路灯不亮"])  # jieba loads its dictionaries once per process (post_init)
    report: dict[str, Any] = {
        "tickets": args.tickets,
        "days": args.days,
        "repeat": REPEAT,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    if args.database in ("sqlite", "both"):
        if args.reuse_sqlite:
            report["sqlite"] = await reuse_sqlite(args.reuse_sqlite, scenario)
        else:
            report["sqlite"] = await bench_sqlite(scenario, args.keep_sqlite)
    if args.database in ("postgres", "both"):
        if args.reuse_postgres:
            report["postgres"] = await reuse_postgres(args.reuse_postgres, scenario)
        else:
            report["postgres"] = await bench_postgres(scenario, args.keep_postgres)
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
