"""The one definition of every supervision figure (design.md), computed with SQL aggregates.

Each figure is one typed `Metric` in `METRICS` (its name and its definition in Chinese are in
storage/vocabulary.py); the digest, /stats, the chart and docs/metrics.md all read that table,
so a new figure is one entry here and one name and definition there.

A period is the half-open interval [since, until); the report is made at `now`. Figures are
grouped by the ticket's current department (events by the department they were written under).
Counts:

- received: tickets created in the period (but those a collector answered on the spot, 直办,
  counted apart by `channel_figures`); duplicates: those of them later marked 重复.
- received_resolved: of the received tickets that are not duplicates, those resolved by `now`
  with a code that ends the request (已解决, 已答复, 无法联系) and not reopened since.
- resolved (办结, a flow): tickets whose latest resolution falls in the period with a code that
  ends the request, whenever they were received. A reopened ticket stops counting until it is
  resolved again; 非本部门职责 never counts (it goes back to dispatch); 重复 is counted apart.
- 办结率 = received_resolved ÷ (received - duplicates): a share of the period's own requests,
  never above 100%.
- 结收比 = resolved ÷ (received - duplicates): the flow, which passes 100% when a period
  resolves older tickets; shown under its own name, never as 办结率.
- 按时办结率 = resolved with resolved_at <= due_at ÷ resolved.
- 满意率 = tickets closed in the period whose final rating is 满意 or 基本满意 ÷ tickets closed
  in the period with a final rating (one verdict per ticket; 未评价 is not in the denominator).
  An 不满意 that reopened a ticket is not a final rating: it is counted apart (reopened).
- 响应时长: routed → first staff reply, median over first replies in the period (hours).
- 办理时长: routed → resolved, median over the period's resolved tickets (hours, wall clock).
- 转办率 = tickets reassigned at least once ÷ tickets routed, both among those received.
- 重开率 = reopen events ÷ resolution events in the period.
- open and overdue are a snapshot at `now`.
- 签收及时率 = tickets whose acceptance deadline (of their latest routing) falls in the period
  and that were accepted by it ÷ tickets whose acceptance deadline falls in the period (one
  not accepted at all counts as late).
- 退单率 = 退单 (sent_back events) by the department in the period ÷ routings to it in the
  period (routed, dispatched and reassigned events).
- 延期: extensions approved (and requested) in the period, by the department asking.
- 协办: tickets a department was asked to co-handle in the period (apart from 主办, its routings).
- 直接答复: questions the knowledge base answered and residents marked 解决了 in the period;
  district-wide only (no department handled them), never part of 办结.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Executable,
    Integer,
    Select,
    and_,
    case,
    cast,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from storage.columns import utcnow
from storage.lifecycle import OPEN_STATUSES, WORKABLE_STATUSES
from storage.models import (
    Channel,
    ClosureCode,
    EventKind,
    Rating,
    Status,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "METRICS",
    "RESOLVING_CODES",
    "Backlog",
    "ChannelFigures",
    "DepartmentFigures",
    "Figures",
    "Metric",
    "MetricKey",
    "Unit",
    "accepted_in_time",
    "backlog",
    "channel_figures",
    "figures",
    "handling_hours",
    "is_overdue",
    "ratio",
    "resolved_on_time",
    "response_hours",
    "sample_texts",
]

RESOLVING_CODES = (ClosureCode.FIXED, ClosureCode.ANSWERED, ClosureCode.UNREACHABLE)
POSITIVE_RATINGS = (Rating.SATISFIED, Rating.BASICALLY)
GIVEN_RATINGS = (Rating.SATISFIED, Rating.BASICALLY, Rating.UNSATISFIED)
TOTAL = "*"


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def _hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def response_hours(*, routed_at: datetime | None, first_reply_at: datetime | None) -> float | None:
    """响应时长 of one ticket: routed → first staff reply (None before a reply)."""
    return _hours_between(routed_at, first_reply_at)


def handling_hours(*, routed_at: datetime | None, resolved_at: datetime | None) -> float | None:
    """办理时长 of one ticket: routed → resolved (None while not resolved)."""
    return _hours_between(routed_at, resolved_at)


def resolved_on_time(*, resolved_at: datetime | None, due_at: datetime | None) -> bool | None:
    """Whether a resolved ticket met its deadline (None while not resolved)."""
    if resolved_at is None:
        return None
    return due_at is None or resolved_at <= due_at


def accepted_in_time(
    *, accepted_at: datetime | None, accept_due_at: datetime | None
) -> bool | None:
    """签收 of one ticket's latest routing: in time, late (or not yet, after the deadline: see
    the period's figure), None when it was never routed."""
    if accept_due_at is None:
        return None
    return accepted_at is not None and accepted_at <= accept_due_at


def is_overdue(*, status: str, due_at: datetime | None, now: datetime) -> bool:
    """An open ticket being worked on past its deadline."""
    return status in WORKABLE_STATUSES and due_at is not None and due_at < now


class MetricKey(StrEnum):
    """Every figure the digest, /stats and the chart show (names in storage/vocabulary.py)."""

    RESOLUTION_RATE = "resolution_rate"  # 办结率
    CLOSURE_RATIO = "closure_ratio"  # 结收比
    ON_TIME_RATE = "on_time_rate"  # 按时办结率
    SATISFACTION_RATE = "satisfaction_rate"  # 满意率
    REASSIGN_RATE = "reassign_rate"  # 转办率
    REOPEN_RATE = "reopen_rate"  # 重开率
    RESPONSE_HOURS = "response_hours"  # 响应时长
    HANDLING_HOURS = "handling_hours"  # 办理时长
    ACCEPTANCE_RATE = "acceptance_rate"  # 签收及时率
    SEND_BACK_RATE = "send_back_rate"  # 退单率


class Unit(StrEnum):
    """How a figure reads: a share of a whole, a ratio of two flows, or a duration."""

    SHARE = "share"  # part of a whole: never above 100 %
    RATIO = "ratio"  # one flow over another: may pass 100 %
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    """The raw counts and medians of one department (or the total) for one period."""

    code: str
    name: str
    is_dispatch: bool = False
    received: int = 0
    duplicates: int = 0
    received_resolved: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    closures: Mapping[str, int] = field(default_factory=dict)
    rated: int = 0
    satisfied: int = 0
    unrated: int = 0
    routed: int = 0
    reassigned: int = 0
    resolutions: int = 0
    reopened: int = 0
    open: int = 0
    overdue: int = 0
    median_response_hours: float | None = None
    median_handling_hours: float | None = None
    accept_due: int = 0  # 签收 deadlines in the period
    accepted_in_time: int = 0
    routings: int = 0  # routings to the department in the period (events)
    sent_back: int = 0  # 退单 by the department in the period
    extensions: int = 0  # 延期 approved in the period
    extension_requests: int = 0
    direct_answers: int | None = None  # 直接答复: the district's total only (None elsewhere)
    cohandled: int = 0  # 协办: asked to co-handle in the period

    @property
    def acceptance_rate(self) -> float | None:
        """签收及时率 (METRICS)."""
        return self.value(MetricKey.ACCEPTANCE_RATE)

    @property
    def send_back_rate(self) -> float | None:
        """退单率 (METRICS)."""
        return self.value(MetricKey.SEND_BACK_RATE)

    def value(self, key: MetricKey) -> float | None:
        """The figure `key` as METRICS defines it (None when there is nothing to measure)."""
        return METRICS[key].of(self)

    @property
    def requests(self) -> int:
        """Tickets received in the period that are requests of their own (not 重复)."""
        return self.received - self.duplicates

    @property
    def resolution_rate(self) -> float | None:
        """办结率 (METRICS)."""
        return self.value(MetricKey.RESOLUTION_RATE)

    @property
    def closure_ratio(self) -> float | None:
        """结收比 (METRICS)."""
        return self.value(MetricKey.CLOSURE_RATIO)

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率 (METRICS)."""
        return self.value(MetricKey.ON_TIME_RATE)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 (METRICS)."""
        return self.value(MetricKey.SATISFACTION_RATE)

    @property
    def reassign_rate(self) -> float | None:
        """转办率 (METRICS)."""
        return self.value(MetricKey.REASSIGN_RATE)

    @property
    def reopen_rate(self) -> float | None:
        """重开率 (METRICS)."""
        return self.value(MetricKey.REOPEN_RATE)

    @property
    def is_quiet(self) -> bool:
        """Nothing happened and nothing is open."""
        return not (
            self.received
            or self.resolutions
            or self.rated
            or self.unrated
            or self.reopened
            or self.open
            or any(self.closures.values())
        )


@dataclass(frozen=True, slots=True)
class Metric:
    """One figure: its unit and how it follows from a department's counts."""

    key: MetricKey
    unit: Unit
    of: Callable[[DepartmentFigures], float | None]


def _share(
    part: Callable[[DepartmentFigures], int], whole: Callable[[DepartmentFigures], int]
) -> Callable[[DepartmentFigures], float | None]:
    return lambda row: ratio(part(row), whole(row))


# The one definition of each figure, in the order the digest and /stats show them.
METRICS: Mapping[MetricKey, Metric] = MappingProxyType(
    {
        metric.key: metric
        for metric in (
            Metric(
                MetricKey.RESOLUTION_RATE,
                Unit.SHARE,
                _share(lambda r: r.received_resolved, lambda r: r.requests),
            ),
            Metric(
                MetricKey.CLOSURE_RATIO,
                Unit.RATIO,
                _share(lambda r: r.resolved, lambda r: r.requests),
            ),
            Metric(
                MetricKey.ON_TIME_RATE,
                Unit.SHARE,
                _share(lambda r: r.resolved_on_time, lambda r: r.resolved),
            ),
            Metric(
                MetricKey.SATISFACTION_RATE,
                Unit.SHARE,
                _share(lambda r: r.satisfied, lambda r: r.rated),
            ),
            Metric(
                MetricKey.REASSIGN_RATE,
                Unit.SHARE,
                _share(lambda r: r.reassigned, lambda r: r.routed),
            ),
            Metric(
                MetricKey.REOPEN_RATE,
                Unit.RATIO,
                _share(lambda r: r.reopened, lambda r: r.resolutions),
            ),
            Metric(MetricKey.RESPONSE_HOURS, Unit.HOURS, lambda r: r.median_response_hours),
            Metric(MetricKey.HANDLING_HOURS, Unit.HOURS, lambda r: r.median_handling_hours),
            Metric(
                MetricKey.ACCEPTANCE_RATE,
                Unit.SHARE,
                _share(lambda r: r.accepted_in_time, lambda r: r.accept_due),
            ),
            Metric(
                MetricKey.SEND_BACK_RATE,
                Unit.SHARE,
                _share(lambda r: r.sent_back, lambda r: r.routings),
            ),
        )
    }
)


@dataclass(frozen=True, slots=True)
class Figures:
    """Every metric of one period: per department and in total."""

    since: datetime
    until: datetime
    now: datetime
    departments: tuple[DepartmentFigures, ...]
    total: DepartmentFigures

    def department(self, code: str) -> DepartmentFigures:
        """The figures of one department (zeros if it had none)."""
        for row in self.departments:
            if row.code == code:
                return row
        return DepartmentFigures(code=code, name=code)


# --- SQL building blocks -----------------------------------------------------------------------


def _tables() -> tuple[Any, Any, Any]:
    tables = SQLModel.metadata.tables
    return tables["tickets"], tables["ticket_events"], tables["departments"]


def _hours(dialect: str, end: Any, start: Any) -> ColumnElement[Any]:
    """end - start in hours, as a float, on either backend."""
    if dialect == "postgresql":
        return func.date_part("epoch", end - start) / 3600.0  # float8; extract() is numeric
    return (func.julianday(end) - func.julianday(start)) * 24.0


def _json_text(dialect: str, column: Any, key: str) -> ColumnElement[str]:
    """A top-level text value of a JSON-as-text column."""
    if dialect == "postgresql":
        return func.json_extract_path_text(cast(column, JSON), key)
    return func.json_extract(column, f"$.{key}")


def _not_direct(tickets: Any) -> ColumnElement[bool]:
    """Not answered on the spot by a collector (现场解答 is 直办, apart from departments' work)."""
    code = tickets.c.closure_code
    return or_(code.is_(None), code != ClosureCode.ON_THE_SPOT.value)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _median_statement(
    dialect: str,
    *,
    start: Any,
    end: Any,
    group: Any,
    where: Sequence[ColumnElement[bool]],
) -> Select[Any]:
    """Median hours from `start` to `end` per group and in total (`_medians` reads it), in one
    scan."""
    if dialect == "postgresql":
        median = func.percentile_cont(0.5).within_group(_hours(dialect, end, start))
        return (
            select(group, func.grouping(group), median).where(*where).group_by(func.rollup(group))
        )
    # SQLite has no percentile: fetch whole seconds packed per group (a few rows, not one per
    # ticket) and take the middle in Python; window functions are several times slower here.
    inner = select(group.label("key"), _seconds(start, end).label("s")).where(*where).subquery()
    return select(inner.c.key, func.group_concat(inner.c.s)).group_by(inner.c.key)


def _medians(dialect: str, rows: Sequence[Any]) -> dict[str, float]:
    """The medians per group and in total (key TOTAL) from `_median_statement`'s rows."""
    if dialect == "postgresql":
        return {
            TOTAL if is_total else str(key): round(float(value), 4)
            for key, is_total, value in rows
            if value is not None
        }
    return _packed_medians(rows)


def _seconds(start: Any, end: Any) -> ColumnElement[int]:
    """end - start in whole seconds (SQLite)."""
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)


def _packed_medians(rows: Iterable[Sequence[Any]]) -> dict[str, float]:
    """Median hours per group and in total (TOTAL) from (group, "s1,s2,…") rows (SQLite).

    numpy parses and partitions a month's 80,000 durations ten times faster than int() and
    statistics.median; the values are whole seconds, so the result is the same. (Imported
    here: the command line's start-up does not pay for it.)
    """
    import numpy as np

    groups: dict[str, list[Any]] = defaultdict(list)
    for key, packed in rows:
        if packed:
            groups[str(key)].append(np.fromstring(packed, dtype=np.int64, sep=","))
    merged = {key: np.concatenate(parts) for key, parts in groups.items()}
    if merged:
        merged[TOTAL] = np.concatenate(list(merged.values()))
    return {key: round(float(np.median(values)) / 3600, 4) for key, values in merged.items()}


READERS = 3  # PostgreSQL connections one report reads with at the same time


class _Reader:
    """Runs a report's independent statements. By default, one after another on the unit of
    work's connection, each when its rows are awaited (in the order they are awaited). With
    ``concurrently`` on PostgreSQL, every statement started is queued at once and `READERS`
    connections of their own take them in turn, so the server works on several while the
    client reads the rows of another; they see committed data only (a report reads nothing
    else), each statement its own snapshot as on one connection at READ COMMITTED."""

    def __init__(self, uow: UnitOfWork, *, concurrently: bool) -> None:
        self._uow = uow
        self._concurrent = concurrently and uow.dialect == "postgresql"
        self._queue: list[tuple[Executable, asyncio.Future[Sequence[Any]]]] = []
        self._lanes: asyncio.TaskGroup | None = None

    async def __aenter__(self) -> _Reader:
        if self._concurrent:
            self._lanes = asyncio.TaskGroup()
            await self._lanes.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._lanes is not None:
            if exc[0] is not None:
                for _, future in self._queue:
                    future.cancel()
                self._queue.clear()
            await self._lanes.__aexit__(*exc)

    def start(self, statement: Executable) -> Awaitable[Sequence[Any]]:
        """The statement's rows, to be awaited."""
        if self._lanes is None:
            return self._now(statement)
        future: asyncio.Future[Sequence[Any]] = asyncio.get_running_loop().create_future()
        self._queue.append((statement, future))
        if len(self._queue) <= READERS:
            self._lanes.create_task(self._lane())
        return future

    async def _now(self, statement: Executable) -> Sequence[Any]:
        connection = await self._uow.session.connection()
        return (await connection.execute(statement)).all()

    async def _lane(self) -> None:
        await asyncio.sleep(0)  # the statements started with this one are queued by now
        if not self._queue:
            return
        engine = self._uow.session.bind
        assert isinstance(engine, AsyncEngine)
        async with engine.connect() as connection:
            while self._queue:
                statement, future = self._queue.pop(0)
                if future.cancelled():
                    continue
                try:
                    rows = (await connection.execute(statement)).all()
                except Exception as error:  # raised where the rows are awaited, as it was
                    future.set_exception(error)
                else:
                    future.set_result(rows)


# --- the figures -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backlog:
    """Open and overdue tickets per department at `now` (of one department, or all)."""

    now: datetime
    department_code: str | None
    counts: Mapping[str, tuple[int, int]]  # department code → (open, overdue)


async def backlog(*, uow: UnitOfWork, now: datetime, department_code: str | None = None) -> Backlog:
    """The open and overdue tickets at `now`, per department; read-only."""
    tickets, _, departments = _tables()
    dept = tickets.c.department_code
    overdue = and_(
        tickets.c.status.in_([s.value for s in WORKABLE_STATUSES]), tickets.c.due_at < now
    )
    scope = dept == department_code if department_code else dept.in_(select(departments.c.code))
    statement = (
        select(dept, func.count(), _count_if(overdue))
        .where(scope, tickets.c.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(dept)
    )
    connection = await uow.session.connection()
    rows = (await connection.execute(statement)).all()
    return Backlog(now, department_code, {code: (int(n), int(late)) for code, n, late in rows})


async def figures(
    *,
    uow: UnitOfWork,
    since: datetime,
    until: datetime,
    department_code: str | None = None,
    now: datetime | None = None,
    snapshot: Backlog | None = None,
    concurrently: bool = False,
) -> Figures:
    """Every metric for [since, until), per department and in total; read-only. A `snapshot`
    taken at the same `now` (and scope) saves reading the open tickets again. `concurrently`
    (reports on committed data only): on PostgreSQL the statements run at the same time on
    connections of their own (`_Reader`); SQLite runs them one after another either way."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    now = now or utcnow()
    async with _Reader(uow, concurrently=concurrently) as reader:
        return await _figures(
            reader,
            uow=uow,
            since=since,
            until=until,
            department_code=department_code,
            now=now,
            snapshot=snapshot,
        )


async def _figures(
    reader: _Reader,
    *,
    uow: UnitOfWork,
    since: datetime,
    until: datetime,
    department_code: str | None,
    now: datetime,
    snapshot: Backlog | None,
) -> Figures:
    """`figures`: every statement is started first (`reader`), then their rows are counted."""
    dialect = uow.dialect
    tickets, events, departments = _tables()
    counts: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))

    def scoped(column: Any) -> list[ColumnElement[bool]]:
        # Every query groups by department alone, reading an index that starts with it: the
        # rows come out in department order, so neither database sorts them (on SQLite the
        # sort was two thirds of the time at a million tickets). Closure codes, ratings and
        # kinds are counted in columns of their own, not grouped by.
        if department_code:
            return [column == department_code]
        return [column.in_(select(departments.c.code))]

    # Received in the period: duplicates, resolved by now (办结率), routed, reassigned.
    dept = tickets.c.department_code
    resolved_by_now = and_(
        tickets.c.status.in_([Status.RESOLVED.value, Status.CLOSED.value]),
        tickets.c.closure_code.in_([code.value for code in RESOLVING_CODES]),
        tickets.c.duplicate_of_id.is_(None),
        tickets.c.resolved_at <= now,
    )
    received = (
        select(
            dept,
            func.count(),
            _count_if(tickets.c.duplicate_of_id.is_not(None)),
            _count_if(resolved_by_now),
            _count_if(or_(tickets.c.routed_at.is_not(None), tickets.c.reassign_count > 0)),
            _count_if(tickets.c.reassign_count > 0),
        )
        .where(
            tickets.c.created_at >= since,
            tickets.c.created_at < until,
            *scoped(dept),
            _not_direct(tickets),  # 直办 is counted apart (channel_figures), never received here
        )
        .group_by(dept)
    )
    received_rows = reader.start(received)

    # Resolved in the period, by closure code, with the on-time share.
    resolved_in_period = [
        tickets.c.resolved_at >= since,
        tickets.c.resolved_at < until,
        tickets.c.status.in_([Status.RESOLVED.value, Status.CLOSED.value]),
        *scoped(dept),
    ]
    on_time = or_(tickets.c.due_at.is_(None), tickets.c.resolved_at <= tickets.c.due_at)
    # 办理时长 is measured on the same tickets (routed ones, 重复 left out): on SQLite in the
    # same scan, its seconds packed per group; PostgreSQL takes a percentile below.
    measured = and_(
        tickets.c.routed_at.is_not(None),
        tickets.c.closure_code != ClosureCode.DUPLICATE.value,
    )
    packed: Any = (
        func.group_concat(
            case((measured, _seconds(tickets.c.routed_at, tickets.c.resolved_at)), else_=None)
        )
        if dialect != "postgresql"
        else null()
    )
    closure = tickets.c.closure_code
    resolving = closure.in_([code.value for code in RESOLVING_CODES])
    codes = [code for code in ClosureCode if code != ClosureCode.NOT_OURS]
    resolved = (
        select(
            dept,
            _count_if(resolving),
            _count_if(and_(resolving, on_time)),
            packed,
            *(_count_if(closure == code.value) for code in codes),
        )
        .where(*resolved_in_period)
        .group_by(dept)
    )
    handling_packed: list[tuple[str, str]] = []
    resolved_rows = reader.start(resolved)

    # 非本部门职责: the department that said so is the one of the event before.
    before = events.alias("before")
    previous_department = (
        select(before.c.department_code)
        .where(before.c.ticket_id == events.c.ticket_id, before.c.id < events.c.id)
        .order_by(before.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    not_ours = (
        select(previous_department, func.count())
        .where(
            events.c.kind == EventKind.SENT_TO_DISPATCH.value,
            events.c.at >= since,
            events.c.at < until,
            _json_text(dialect, events.c.detail, "reason") == ClosureCode.NOT_OURS.value,
        )
        .group_by(previous_department)
    )
    not_ours_rows = reader.start(not_ours)

    # Final ratings: tickets closed in the period, one verdict each (未评价 reported apart, never
    # in the denominator); an 不满意 that reopened a ticket is a reopen event, counted below.
    rating = tickets.c.rating
    closed = (
        select(
            dept,
            _count_if(rating.in_([r.value for r in GIVEN_RATINGS])),
            _count_if(rating.in_([r.value for r in POSITIVE_RATINGS])),
            _count_if(rating == Rating.UNRATED.value),
        )
        .where(
            tickets.c.closed_at >= since,
            tickets.c.closed_at < until,
            *scoped(dept),
            _not_direct(tickets),  # 直办: the channel figures count it
        )
        .group_by(dept)
    )
    closed_rows = reader.start(closed)

    # Resolution and reopen events in the period (重开率; a reopen is an 不满意 rating).
    edept = events.c.department_code
    lifecycle = (
        select(
            edept,
            _count_if(events.c.kind == EventKind.RESOLVED.value),
            _count_if(events.c.kind == EventKind.REOPENED.value),
        )
        .where(
            *scoped(edept),
            events.c.kind.in_([EventKind.RESOLVED.value, EventKind.REOPENED.value]),
            events.c.at >= since,
            events.c.at < until,
        )
        .group_by(edept)
    )
    lifecycle_rows = reader.start(lifecycle)

    # 签收: acceptance deadlines in the period, and those met.
    in_time = and_(
        tickets.c.accepted_at.is_not(None), tickets.c.accepted_at <= tickets.c.accept_due_at
    )
    acceptance = (
        select(dept, func.count(), _count_if(in_time))
        .where(tickets.c.accept_due_at >= since, tickets.c.accept_due_at < until, *scoped(dept))
        .group_by(dept)
    )
    acceptance_rows = reader.start(acceptance)

    # 退单 and routings (退单率), 延期 approved and requested, by the event's department.
    handling_kinds = {
        EventKind.ROUTED.value: "routings",
        EventKind.DISPATCHED.value: "routings",
        EventKind.REASSIGNED.value: "routings",
        EventKind.SENT_BACK.value: "sent_back",
        EventKind.EXTENSION_APPROVED.value: "extensions",
        EventKind.EXTENSION_REQUESTED.value: "extension_requests",
    }
    handled = (
        select(edept, events.c.kind, func.count())
        .where(
            events.c.kind.in_(list(handling_kinds)),
            events.c.at >= since,
            events.c.at < until,
            *scoped(edept),
        )
        .group_by(edept, events.c.kind)
    )
    handled_rows = reader.start(handled)

    # 协办: counted for the department asked to help (the event's detail), not the lead.
    helper = _json_text(dialect, events.c.detail, "department")
    cohandled = (
        select(helper, func.count())
        .where(
            events.c.kind == EventKind.COHANDLER_ADDED.value,
            events.c.at >= since,
            events.c.at < until,
        )
        .group_by(helper)
    )
    cohandled_rows = reader.start(cohandled)

    # Medians.
    handling_rows = (
        reader.start(
            _median_statement(
                dialect,
                start=tickets.c.routed_at,
                end=tickets.c.resolved_at,
                group=dept,
                where=[*resolved_in_period, measured],
            )
        )
        if dialect == "postgresql"
        else None
    )
    response_rows = reader.start(
        _median_statement(
            dialect,
            start=tickets.c.routed_at,
            end=tickets.c.first_reply_at,
            group=dept,
            where=[
                tickets.c.first_reply_at >= since,
                tickets.c.first_reply_at < until,
                tickets.c.routed_at.is_not(None),
                tickets.c.first_reply_at >= tickets.c.routed_at,
                *scoped(dept),
            ],
        )
    )
    names_rows = reader.start(
        select(departments.c.code, departments.c.name, departments.c.is_dispatch).order_by(
            departments.c.is_dispatch, departments.c.code
        )
    )
    answers = SQLModel.metadata.tables["direct_answers"]
    solved_rows = (
        reader.start(
            select(func.count())
            .select_from(answers)
            .where(
                answers.c.decided_at >= since,
                answers.c.decided_at < until,
                answers.c.outcome == "solved",
            )
        )
        if department_code is None
        else None
    )

    # Open and overdue now: the same for every period reported at `now` (the digest's day and
    # month share one).
    if snapshot is None or snapshot.now != now or snapshot.department_code != department_code:
        snapshot = await backlog(uow=uow, now=now, department_code=department_code)
    for code, (n, late) in snapshot.counts.items():
        counts[code]["open"], counts[code]["overdue"] = n, late

    # The rows, counted in the order the statements were written.
    for code, n, duplicates, done, routed, reassigned in await received_rows:
        row = counts[code]
        row["received"], row["duplicates"] = int(n), int(duplicates)
        row["received_resolved"] = int(done)
        row["routed"], row["reassigned"] = int(routed), int(reassigned)
    for code, n, in_time, seconds, *by_code in await resolved_rows:
        handling_packed.append((code, seconds))
        row = counts[code]
        row["resolved"], row["resolved_on_time"] = int(n), int(in_time)
        row["closures"] = {
            **row.get("closures", {}),
            **{c.value: int(k) for c, k in zip(codes, by_code, strict=True) if k},
        }
    for code, n in await not_ours_rows:
        if department_code and code != department_code:
            continue
        row = counts[code]
        row["closures"] = {**row.get("closures", {}), ClosureCode.NOT_OURS.value: int(n)}
    for code, rated, satisfied, unrated in await closed_rows:
        row = counts[code]
        row["rated"], row["satisfied"], row["unrated"] = int(rated), int(satisfied), int(unrated)
    for code, resolutions, reopened in await lifecycle_rows:
        counts[code]["resolutions"], counts[code]["reopened"] = int(resolutions), int(reopened)
    for code, n, met in await acceptance_rows:
        counts[code]["accept_due"], counts[code]["accepted_in_time"] = int(n), int(met)
    for code, kind, n in await handled_rows:
        counts[code][handling_kinds[kind]] += int(n)
    for code, n in await cohandled_rows:
        if department_code and code != department_code:
            continue
        counts[code]["cohandled"] += int(n)
    handling = (
        _medians(dialect, await handling_rows)
        if handling_rows is not None
        else _packed_medians(handling_packed)
    )
    response = _medians(dialect, await response_rows)

    names = {
        str(code): (str(name), bool(is_dispatch)) for code, name, is_dispatch in await names_rows
    }
    wanted = [department_code] if department_code else list(names)
    rows = tuple(
        _department_figures(
            code,
            names.get(code, (code, False)),
            counts.get(code, {}),
            response.get(code),
            handling.get(code),
        )
        for code in [*wanted, *(c for c in counts if c not in wanted and c is not None)]
    )
    total = _sum(rows, response=response.get(TOTAL), handling=handling.get(TOTAL))
    if solved_rows is not None:
        total = replace(total, direct_answers=int((await solved_rows)[0][0]))
    return Figures(since=since, until=until, now=now, departments=rows, total=total)


_COUNT_FIELDS = (
    "received",
    "duplicates",
    "received_resolved",
    "resolved",
    "resolved_on_time",
    "rated",
    "satisfied",
    "unrated",
    "routed",
    "reassigned",
    "resolutions",
    "reopened",
    "open",
    "overdue",
    "accept_due",
    "accepted_in_time",
    "routings",
    "sent_back",
    "extensions",
    "extension_requests",
    "cohandled",
)


def _department_figures(
    code: str,
    name_and_kind: tuple[str, bool],
    values: Mapping[str, Any],
    response: float | None,
    handling: float | None,
) -> DepartmentFigures:
    name, is_dispatch = name_and_kind
    fields: dict[str, Any] = {key: int(values.get(key, 0)) for key in _COUNT_FIELDS}
    return DepartmentFigures(
        code=code,
        name=name,
        is_dispatch=is_dispatch,
        closures=dict(values.get("closures", {})),
        median_response_hours=response,
        median_handling_hours=handling,
        **fields,
    )


def _sum(
    rows: Iterable[DepartmentFigures], *, response: float | None, handling: float | None
) -> DepartmentFigures:
    rows = list(rows)
    closures: dict[str, int] = defaultdict(int)
    for row in rows:
        for code, n in row.closures.items():
            closures[code] += n
    fields: dict[str, Any] = {key: sum(getattr(row, key) for row in rows) for key in _COUNT_FIELDS}
    return DepartmentFigures(
        code=TOTAL,
        name="",
        closures=dict(closures),
        median_response_hours=response,
        median_handling_hours=handling,
        **fields,
    )


async def sample_texts(
    *,
    uow: UnitOfWork,
    since: datetime,
    until: datetime,
    per_department: int = 2000,
    department_code: str | None = None,
) -> dict[str, list[tuple[str, str]]]:
    """The newest (number, text) pairs received in [since, until), at most N per department."""
    tickets, _, _ = _tables()
    dept = tickets.c.department_code
    where = [tickets.c.created_at >= since, tickets.c.created_at < until]
    if department_code:
        where.append(dept == department_code)
    ranked = (
        select(
            dept.label("code"),
            tickets.c.number,
            tickets.c.text,
            func.row_number()
            .over(partition_by=dept, order_by=(tickets.c.created_at.desc(), tickets.c.id.desc()))
            .label("rn"),
        )
        .where(*where)
        .subquery()
    )
    statement = (
        select(ranked.c.code, ranked.c.number, ranked.c.text)
        .where(ranked.c.rn <= per_department)
        .order_by(ranked.c.code, ranked.c.rn)
    )
    connection = await uow.session.connection()
    result: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, number, text in (await connection.execute(statement)).all():
        result[str(code)].append((str(number), str(text)))
    return dict(result)


# --- channels: the campaign's own figures ---------------------------------------------------
#
# Every ticket records how the request reached the campaign (居民自报 through the bot, or a
# collector's 入户走访 / 电话 / 座谈 / 接待点 / 其他). Of the tickets collected in [since, until):
#
# - 收集 collected: all of them; 直办 direct: answered on the spot by a collector (现场解答),
#   closed at intake and never a department's 办结; 转办 sent on: the rest.
# - 办结 resolved: tickets sent on whose department has resolved them by now with a code that
#   ends the request (已解决, 已答复, 无法联系) and not reopened since; duplicates are left out.
# - 办结率 of what was sent on = resolved ÷ (sent on - duplicates).
# - 总办结率 (含直办) = (direct + resolved) ÷ (collected - duplicates): the campaign's
#   "97 % closed", with direct ÷ collected beside it: how much was answered at the door.
# - 销号率 = written off (closed and the resident told) ÷ the lines of the teams' registers
#   (recorded by collectors or imported; a resident's own report is in none: no 销号率 for
#   居民自报).
# - 满意率 = of the closed requests with a final rating (the resident's, or the one the collector
#   recorded at the 回访), the share 满意 or 基本满意, as `figures` counts them; 联系不上 and
#   未评价 are no rating.
#
# A cohort of the period's requests, followed to now: unlike `figures`, which counts each
# resolution in the period it happened.


@dataclass(frozen=True, slots=True)
class ChannelFigures:
    """The campaign's figures for the requests of one channel (or all of them)."""

    channel: str  # a Channel value, or TOTAL
    collected: int = 0
    direct: int = 0
    duplicates: int = 0
    resolved: int = 0
    written_off: int = 0
    positive: int = 0
    rated: int = 0
    recorded: int = 0  # in a team's register (recorded by a collector, or imported)

    @property
    def sent_on(self) -> int:
        """转办: collected and not answered on the spot."""
        return self.collected - self.direct

    @property
    def resolution_rate(self) -> float | None:
        """办结率 of what was sent on."""
        return ratio(self.resolved, self.sent_on - self.duplicates)

    @property
    def closed_rate(self) -> float | None:
        """总办结率 (含直办): answered on the spot or resolved, of all collected."""
        return ratio(self.direct + self.resolved, self.collected - self.duplicates)

    @property
    def direct_share(self) -> float | None:
        """直办占比: how much was answered at the door."""
        return ratio(self.direct, self.collected)

    @property
    def write_off_rate(self) -> float | None:
        """销号率, of the requests collectors recorded."""
        return ratio(self.written_off, self.recorded)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率."""
        return ratio(self.positive, self.rated)


async def channel_figures(
    *, uow: UnitOfWork, since: datetime, until: datetime
) -> list[ChannelFigures]:
    """The campaign's figures per channel for the requests collected in [since, until), the
    total last (channels with no request are left out); read-only."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware")
    tickets = SQLModel.metadata.tables["tickets"]
    direct = tickets.c.closure_code == ClosureCode.ON_THE_SPOT.value
    resolved = and_(
        tickets.c.resolved_at.is_not(None),
        tickets.c.status.in_([Status.RESOLVED.value, Status.CLOSED.value]),
        tickets.c.closure_code.in_([c.value for c in RESOLVING_CODES]),
    )
    closed = tickets.c.status == Status.CLOSED.value
    query = (
        select(
            tickets.c.channel,
            func.count(),
            _count_if(direct),
            _count_if(and_(tickets.c.duplicate_of_id.is_not(None), ~direct)),
            _count_if(resolved),
            _count_if(tickets.c.written_off_at.is_not(None)),
            # 满意率 as in `figures`: each closed ticket's final rating (the resident's, or the
            # one the collector recorded at the 回访), here of the period's requests.
            _count_if(and_(closed, tickets.c.rating.in_([r.value for r in POSITIVE_RATINGS]))),
            _count_if(and_(closed, tickets.c.rating.in_([r.value for r in GIVEN_RATINGS]))),
            _count_if(tickets.c.team.is_not(None)),  # in a team's register
        )
        .where(tickets.c.created_at >= since, tickets.c.created_at < until)
        .group_by(tickets.c.channel)
    )
    connection = await uow.session.connection()
    rows = [
        ChannelFigures(str(channel), *(int(n) for n in counts))
        for channel, *counts in (await connection.execute(query)).all()
    ]
    order = [c.value for c in Channel]
    rows.sort(key=lambda r: order.index(r.channel) if r.channel in order else len(order))
    total = ChannelFigures(
        TOTAL,
        *(
            sum(getattr(r, name) for r in rows)
            for name in (
                "collected",
                "direct",
                "duplicates",
                "resolved",
                "written_off",
                "positive",
                "rated",
                "recorded",
            )
        ),
    )
    return [*rows, total]
