"""A team's paper register (诉求台账) in and out: the rows of an Excel/CSV register normalised
(dates, channels, statuses, 销号), imported as historical tickets with their events, and the
register written back in the same shape.

Pure normalisation here and one transaction for the import; reading and writing files is the
operator CLI's (admin/cli_register.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from storage.collect import Stage
from storage.deadlines import claim_job_run
from storage.models import (
    ActorKind,
    Channel,
    ClosureCode,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
)
from storage.tickets import Policy, _next_number
from storage.unit_of_work import UnitOfWork

# The register's columns, as `minyi export register` writes them and `import` reads by default.
HEADERS = (
    "序号",
    "走访日期",
    "社区",
    "群众",
    "诉求内容",
    "渠道",
    "承办部门",
    "办理情况",
    "是否销号",
)
STAGE_WORDS: Mapping[Stage, str] = {
    Stage.OPEN: "在办",
    Stage.AWAITING_FOLLOW_UP: "待回访",
    Stage.TO_WRITE_OFF: "已办结待销号",
    Stage.ON_THE_SPOT: "现场解答",
    Stage.WRITTEN_OFF: "已办结",
}
_CHANNEL_WORDS: tuple[tuple[Channel, tuple[str, ...]], ...] = (
    (Channel.VISIT, ("入户走访", "入户", "走访", "上门")),
    (Channel.PHONE, ("电话", "来电", "热线")),
    (Channel.TALK, ("座谈", "座谈会", "议事", "恳谈")),
    (Channel.DESK, ("接待点", "接待", "街头", "摆摊", "窗口")),
    (Channel.BOT, ("居民自报", "自报", "线上", "机器人")),
    (Channel.OTHER, ("其他", "其它")),
)


class Outcome(StrEnum):
    """Where a register line stood when it was written down."""

    ON_THE_SPOT = "on_the_spot"
    CLOSED = "closed"
    OPEN = "open"


_OUTCOME_WORDS: tuple[tuple[Outcome, tuple[str, ...]], ...] = (
    (Outcome.ON_THE_SPOT, ("现场解答", "现场解决", "当场解决", "当场答复", "直办", "已解答")),
    (Outcome.OPEN, ("在办", "办理中", "转办", "已转办", "待办", "处理中", "未办结")),
    (
        Outcome.CLOSED,
        ("已办结", "办结", "已解决", "已答复", "待回访", "已办结待销号", "已完成", "完成"),
    ),
)
_YES = ("是", "已销号", "销号", "√", "✓", "y", "yes", "1", "已")
_NO = ("否", "未销号", "未", "\u00d7", "n", "no", "0", "")  # \u00d7: a cross mark
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which column of the file holds what (defaults: the export's headers)."""

    day: str = "走访日期"
    community: str = "社区"
    person: str = "群众"
    text: str = "诉求内容"
    channel: str = "渠道"
    department: str = "承办部门"
    outcome: str = "办理情况"
    written_off: str = "是否销号"

    def required(self) -> tuple[str, ...]:
        """The columns a register must have."""
        return (self.day, self.text, self.outcome)


@dataclass(frozen=True, slots=True)
class Entry:
    """One register line, normalised."""

    row: int  # the file's row number (the header is row 1)
    day: date
    text: str
    channel: Channel
    outcome: Outcome
    written_off: bool
    person: str = ""
    community: str = ""
    department_code: str | None = None


class Problem(StrEnum):
    """What is wrong with a register line (the CLI says it in Chinese)."""

    DAY = "day"
    TEXT = "text"
    CHANNEL = "channel"
    OUTCOME = "outcome"
    WRITTEN_OFF = "written_off"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class BadRow:
    """A line that cannot be imported: each problem with the cell's value."""

    row: int
    problems: tuple[tuple[Problem, str], ...]


def parse_day(value: str) -> date | None:
    """2026-10-05, 2026/10/5, 2026.10.05, 2026年10月5日 (a time after it is ignored)."""
    found = _DATE.match(value.strip())
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def _matches(value: str, words: Sequence[str]) -> bool:
    flat = value.strip().lower()
    return any(flat == w or (len(w) > 1 and w in flat) for w in words)


def parse_channel(value: str, default: Channel = Channel.VISIT) -> Channel | None:
    """A channel from how registers write it; an empty cell is the register's default."""
    if not value.strip():
        return default
    for channel, words in _CHANNEL_WORDS:
        if _matches(value, words):
            return channel
    return None


def parse_outcome(value: str) -> Outcome | None:
    """现场解答 / 办结 / 在办, in the words registers use."""
    for outcome, words in _OUTCOME_WORDS:
        if _matches(value, words):
            return outcome
    return None


def parse_yes(value: str) -> bool | None:
    """是否销号: yes, no, or None when unreadable."""
    flat = value.strip().lower()
    if flat in _YES:
        return True
    if flat in _NO:
        return False
    return None


def parse_rows(
    rows: Sequence[Mapping[str, str]],
    columns: Columns,
    departments: Mapping[str, str],
) -> tuple[list[Entry], list[BadRow]]:
    """Normalise a register's rows; each bad row is reported with its row number and why, and
    is left out whole. `departments` maps names and codes to codes."""
    entries: list[Entry] = []
    bad: list[BadRow] = []
    for index, raw in enumerate(rows, start=2):

        def cell(name: str, raw: Mapping[str, str] = raw) -> str:
            return (raw.get(name) or "").strip()

        if not any(v.strip() for v in raw.values() if v):
            continue  # an empty line
        day = parse_day(cell(columns.day))
        text = cell(columns.text)
        channel = parse_channel(cell(columns.channel))
        outcome = parse_outcome(cell(columns.outcome))
        written_off = parse_yes(cell(columns.written_off))
        department = cell(columns.department)
        code = departments.get(department) if department else None
        problems = tuple(
            (problem, value[:40])
            for problem, value, wrong in (
                (Problem.DAY, cell(columns.day), day is None),
                (Problem.TEXT, "", not text),
                (Problem.CHANNEL, cell(columns.channel), channel is None),
                (Problem.OUTCOME, cell(columns.outcome), outcome is None),
                (Problem.WRITTEN_OFF, cell(columns.written_off), written_off is None),
                (Problem.DEPARTMENT, department, bool(department) and code is None),
            )
            if wrong
        )
        if problems:
            bad.append(BadRow(index, problems))
            continue
        assert day is not None
        assert channel is not None
        assert outcome is not None
        entries.append(
            Entry(
                row=index,
                day=day,
                text=text[:4096],
                channel=channel,
                outcome=outcome,
                written_off=bool(written_off) or outcome == Outcome.ON_THE_SPOT,
                person=cell(columns.person)[:100],
                community=cell(columns.community)[:100],
                department_code=code,
            )
        )
    return entries, bad


async def import_register(
    *,
    uow: UnitOfWork,
    team: str,
    entries: Sequence[Entry],
    source_sha256: str,
    policy: Policy,
    dispatch_code: str,
) -> int | None:
    """Create the historical tickets of a register, each with its events, in one transaction;
    None when this file was imported before (nothing is imported twice)."""
    if not await claim_job_run(
        uow=uow, name="register_import", key=source_sha256[:64], commit=False
    ):
        return None
    for entry in entries:
        at = datetime.combine(entry.day, time(10), tzinfo=policy.timezone)
        ticket = Ticket(
            number=await _next_number(uow, policy, at),
            resident_id=None,
            text=entry.text,
            created_at=at,
            channel=entry.channel,
            team=team,
            person_name=entry.person or None,
            address=entry.community or None,
        )
        events: list[tuple[EventKind, Status, dict[str, object]]] = [
            (EventKind.RECEIVED, Status.RECEIVED, {"imported_row": entry.row, "team": team})
        ]
        if entry.outcome == Outcome.ON_THE_SPOT:
            ticket.status, ticket.closure_code, ticket.closed_at = (
                Status.CLOSED,
                ClosureCode.ON_THE_SPOT,
                at,
            )
            ticket.predicted_code = entry.department_code
            events += [
                (EventKind.ANSWERED_ON_SPOT, Status.CLOSED, {}),
                (EventKind.CLOSED, Status.CLOSED, {}),
            ]
        else:
            ticket.department_code = entry.department_code or dispatch_code
            ticket.routed_at = at
            events.append((EventKind.ROUTED, Status.ROUTED, {"imported": True}))
            if entry.outcome == Outcome.CLOSED:
                ticket.status, ticket.closure_code = Status.CLOSED, ClosureCode.ANSWERED
                ticket.resolved_at = ticket.closed_at = at
                events += [
                    (EventKind.RESOLVED, Status.RESOLVED, {"code": ClosureCode.ANSWERED}),
                    (EventKind.CLOSED, Status.CLOSED, {}),
                ]
            else:
                ticket.status = Status.ROUTED
        if entry.written_off and ticket.status == Status.CLOSED:
            ticket.written_off_at = at
            events.append((EventKind.WRITTEN_OFF, Status.CLOSED, {}))
        uow.session.add(ticket)
        await uow.flush()
        assert ticket.id is not None
        for kind, status, detail in events:
            uow.session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    at=at,
                    kind=kind,
                    actor_kind=ActorKind.SYSTEM,
                    to_status=status,
                    department_code=ticket.department_code,
                    detail=detail,
                )
            )
    await uow.commit()
    return len(entries)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The register's 走访日期 of a ticket: the day it was recorded, in the district's zone."""
    return moment.astimezone(tz).date()
