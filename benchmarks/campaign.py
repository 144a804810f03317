"""A generated quarter of the campaign: 1,734 requests across channels, recorded through the
product's own use cases, and the digest's channel breakdown that rebuilds "collected, closed".

Usage: python benchmarks/campaign.py [--requests N] [--seed S] [--database sqlite|postgres]
                                     [--via record|import]
A fresh store (SQLite file in a temp dir; PostgreSQL: a throwaway database
minyi_bench_<random> on postgresql://postgres@127.0.0.1:5432, dropped afterwards). Two teams of
民情书记 visit their communities on the 5th, 15th and 25th of October to December 2026 and record
what they hear (入户走访, 电话, 座谈, 接待点): most is answered on the spot (现场解答), the rest
sent on; residents also write to the bot (居民自报). Departments resolve what was sent on;
residents who opened the start link rate it themselves, the others are followed up by the
collector; closed tickets are ticked off the register (销号). With `--via import` the
collectors' lines are instead written as each team's paper register (a GBK CSV in the
export's columns) and brought in with the code of `minyi import register`. Then it times
channel_figures and the digest of the last day, and prints one JSON object with the digest's
channel lines.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from admin.digest import build_digest, channel_lines
from classifiers.dataset import read_table
from classifiers.model import Prediction
from storage import database
from storage.collect import Record, link_resident, record_follow_up, record_ticket, write_off
from storage.district import load_departments, read_district
from storage.members import actor_for, add_member
from storage.metrics import channel_figures
from storage.models import Channel, ClosureCode, Rating, Role
from storage.registers import HEADERS, Columns, import_register, parse_rows
from storage.tickets import Draft, Policy, ResidentRef, open_ticket, rate_ticket, resolve_ticket
from storage.unit_of_work import UnitOfWork

TZ = ZoneInfo("Asia/Shanghai")
POSTGRES_ADMIN = os.environ.get("MINYI_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
QUARTER = (date(2026, 10, 1), date(2026, 12, 31))
# How many of the quarter's requests came by each channel, and the share a collector answered
# on the spot (the reported team: 93 collected, 79 answered at the door).
MIX: dict[Channel, tuple[float, float]] = {
    Channel.BOT: (0.18, 0.0),
    Channel.VISIT: (0.52, 0.85),
    Channel.PHONE: (0.12, 0.55),
    Channel.TALK: (0.10, 0.70),
    Channel.DESK: (0.08, 0.80),
}
REQUESTS = [
    ("urban", "小区门口的路灯坏了好几天，晚上出门看不清路"),
    ("urban", "楼下垃圾桶满了没人清运，味道很大"),
    ("housing", "单元电梯经常停运，老人上下楼很困难"),
    ("housing", "物业收费不明细，想问问维修基金怎么用"),
    ("civil", "想咨询高龄补贴怎么申请，需要带什么材料"),
    ("civil", "老年人被推销保健品骗了钱，希望社区多宣传防诈骗"),
    ("utilities", "这两天老是停水，也没有提前通知"),
    ("environment", "楼下饭店油烟直排，窗户都不敢开"),
    ("labor", "在工地干了三个月，工资一直拖着不发"),
    ("community", "社区活动室能不能晚上也开放"),
]
ANSWERS = ["已当场解释政策并告知办理窗口", "已联系物业当天处理", "已告知报修电话并协助登记"]
MASK = 2**31


def _visit_days() -> list[date]:
    first, last = QUARTER
    days = []
    day = first
    while day <= last:
        if day.day in (5, 15, 25):
            days.append(day)
        day += timedelta(days=1)
    return days


def _at(day: date, rng: random.Random) -> datetime:
    local = datetime(day.year, day.month, day.day, 9, tzinfo=TZ)
    return (local + timedelta(minutes=rng.randrange(0, 8 * 60))).astimezone(UTC)


WORDS = {
    Channel.VISIT: "入户走访",
    Channel.PHONE: "电话",
    Channel.TALK: "座谈",
    Channel.DESK: "接待点",
}


def _register_row(
    day: date, text: str, channel: Channel, outcome: str, done: bool
) -> dict[str, str]:
    return {
        "走访日期": day.isoformat(),
        "社区": "荷韵社区",
        "群众": "",
        "诉求内容": text,
        "渠道": WORDS[channel],
        "承办部门": "",
        "办理情况": outcome,
        "是否销号": "是" if done else "否",
    }


async def _import(sessions: Any, registers: dict[str, list[dict[str, str]]], folder: Path) -> float:
    """Each team's register written as a GBK CSV, read and imported as the CLI does."""
    started = time.perf_counter()
    district = read_district()
    names = {d.name: d.code for d in district.departments}
    for index, (team, rows) in enumerate(registers.items()):
        path = folder / f"register-{index}.csv"
        with path.open("w", encoding="gbk", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(HEADERS[1:]))
            writer.writeheader()
            writer.writerows(rows)
        table = read_table(path)
        entries, bad = parse_rows(table.rows, Columns(), names)
        assert not bad, bad[:3]
        async with UnitOfWork(sessions) as uow:
            await import_register(
                uow=uow, team=team, entries=entries, source_sha256=table.sha256,
                policy=Policy(), dispatch_code=district.dispatch.code,
            )  # fmt: skip
    return time.perf_counter() - started


async def _fill(url: str, requests: int, seed: int, via: str) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = database.create_engine(url)
    sessions = database.session_factory(engine)
    policy = Policy(tickets_per_hour=10_000)
    async with UnitOfWork(sessions) as uow:
        await load_departments(uow=uow, district=read_district())
    collectors = []
    for user_id, team in (
        (9_100_000_001, "市直第一民情书记队"),
        (9_100_000_002, "市直第二民情书记队"),
    ):
        async with UnitOfWork(sessions) as uow:
            await add_member(uow=uow, user_id=user_id, role=Role.COLLECTOR, team=team)
        async with UnitOfWork(sessions) as uow:
            collectors.append(await actor_for(uow=uow, user_id=user_id))
    async with UnitOfWork(sessions) as uow:
        await add_member(uow=uow, user_id=9_100_000_009, role=Role.SUPERVISOR)
    async with UnitOfWork(sessions) as uow:
        handler = await actor_for(uow=uow, user_id=9_100_000_009)  # resolves for every department
    visit_days = _visit_days()
    channels = list(MIX)
    weights = [MIX[c][0] for c in channels]
    started = time.perf_counter()
    residents = 0
    registers: dict[str, list[dict[str, str]]] = {
        "市直第一民情书记队": [],
        "市直第二民情书记队": [],
    }
    for index in range(requests):
        channel = rng.choices(channels, weights)[0]
        code, text = rng.choice(REQUESTS)
        prediction = Prediction(code, 0.93)
        if channel == Channel.BOT:
            day = QUARTER[0] + timedelta(days=rng.randrange((QUARTER[1] - QUARTER[0]).days + 1))
            now = _at(day, rng)
            residents += 1
            who = ResidentRef(9_200_000_000 + residents, 9_200_000_000 + residents)
            async with UnitOfWork(sessions) as uow:
                ticket = await open_ticket(
                    uow=uow, resident=who, draft=Draft(text), prediction=prediction,
                    policy=policy, now=now,
                )  # fmt: skip
            number, code_ = ticket.number, None
        elif via == "import":
            day = rng.choice(visit_days)
            on_spot = rng.random() < MIX[channel][1]
            outcome = "现场解答" if on_spot else "在办" if rng.random() < 0.03 else "已办结"
            done = outcome != "在办" and rng.random() < 0.98
            team = list(registers)[index % 2]
            registers[team].append(_register_row(day, text, channel, outcome, done))
            continue
        else:
            now = _at(rng.choice(visit_days), rng)
            collector = collectors[index % 2]
            record = Record(channel, text, person_name=rng.choice(["张大爷", "李阿姨", ""]))
            on_spot = rng.random() < MIX[channel][1]
            async with UnitOfWork(sessions) as uow:
                recorded = await record_ticket(
                    uow=uow, collector=collector, record=record, prediction=prediction,
                    policy=policy, answer_on_spot=rng.choice(ANSWERS) if on_spot else None,
                    now=now,
                )  # fmt: skip
            if on_spot:
                continue
            number, code_ = recorded.ticket.number, recorded.start_code
            who = None
            if rng.random() < 0.4:  # the resident opened the start link
                residents += 1
                who = ResidentRef(9_200_000_000 + residents, 9_200_000_000 + residents)
                async with UnitOfWork(sessions) as uow:
                    await link_resident(uow=uow, code=code_, resident=who, now=now)
        if rng.random() < 0.03:
            continue  # still being handled at the end of the quarter
        done = now + timedelta(days=rng.uniform(0.5, 6))
        async with UnitOfWork(sessions) as uow:
            await resolve_ticket(
                uow=uow, actor=handler, number=number, code=ClosureCode.FIXED,
                answer="已处理完毕", now=done,
            )  # fmt: skip
        verdict = rng.choices(
            [Rating.SATISFIED, Rating.BASICALLY, Rating.UNSATISFIED, Rating.NOT_REACHED],
            [0.80, 0.15, 0.03, 0.02],
        )[0]
        later = done + timedelta(hours=rng.uniform(2, 48))
        if channel == Channel.BOT or who is not None:
            assert who is not None
            if verdict == Rating.NOT_REACHED:
                continue  # never rated: closed unrated by the sweep later
            async with UnitOfWork(sessions) as uow:
                await rate_ticket(
                    uow=uow, resident_user_id=who.user_id, number=number, rating=verdict,
                    policy=policy, now=later,
                )  # fmt: skip
            if channel != Channel.BOT and verdict != Rating.UNSATISFIED:
                async with UnitOfWork(sessions) as uow:
                    await write_off(uow=uow, viewer=collectors[index % 2], number=number, now=later)
        else:
            async with UnitOfWork(sessions) as uow:
                await record_follow_up(
                    uow=uow, collector=collectors[index % 2], number=number, rating=verdict,
                    policy=policy, now=later,
                )  # fmt: skip
    imported = 0.0
    if via == "import":
        with tempfile.TemporaryDirectory() as folder:
            imported = await _import(sessions, registers, Path(folder))
    filled = time.perf_counter() - started
    since = datetime(2026, 10, 1, tzinfo=TZ)
    until = datetime(2027, 1, 1, tzinfo=TZ)
    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        async with UnitOfWork(sessions) as uow:
            rows = await channel_figures(uow=uow, since=since, until=until)
        timings.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    async with UnitOfWork(sessions) as uow:
        digest = await build_digest(uow=uow, day=QUARTER[1], tz=TZ, now=until)
    digest_seconds = time.perf_counter() - t0
    await engine.dispose()
    total = rows[-1]
    return {
        "requests": requests,
        "seed": seed,
        "via": via,
        "fill_seconds": round(filled, 2),
        "import_seconds": round(imported, 2),
        "requests_per_second": round(requests / filled, 1),
        "channel_figures_ms_median": round(sorted(timings)[1] * 1000, 2),
        "digest_last_day_ms": round(digest_seconds * 1000, 1),
        "total": {
            "collected": total.collected,
            "direct": total.direct,
            "sent_on": total.sent_on,
            "resolved": total.resolved,
            "closed_rate": round(total.closed_rate or 0, 4),
            "direct_share": round(total.direct_share or 0, 4),
            "resolution_rate_sent_on": round(total.resolution_rate or 0, 4),
            "write_off_rate": round(total.write_off_rate or 0, 4),
            "satisfaction_rate": round(total.satisfaction_rate or 0, 4),
        },
        "quarter_lines": channel_lines(rows)[1:],
        "digest_month_lines": channel_lines(digest.channels)[1:],
    }


async def _postgres_database() -> tuple[str, str]:
    name = f"minyi_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    host = POSTGRES_ADMIN.split("://", 1)[1]
    return name, f"postgresql+asyncpg://{host}/{name}"


async def _drop(name: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN}/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    """Fill, measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1734)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--via", choices=["record", "import"], default="record")
    args = parser.parse_args()
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'campaign.sqlite3'}"
            database.upgrade(url)
            result = asyncio.run(_fill(url, args.requests, args.seed, args.via))
    else:
        name, url = asyncio.run(_postgres_database())
        try:
            database.upgrade(url)
            result = asyncio.run(_fill(url, args.requests, args.seed, args.via))
        finally:
            asyncio.run(_drop(name))
    result["database"] = args.database
    result["load_average"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
