"""A paper register on SQLite and PostgreSQL: rows normalised (dates, channels, statuses,
销号), bad rows named by row number and left out whole, the good ones imported once as
historical tickets with their events, and counted by channel like any other."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import col, select

from storage.metrics import channel_figures
from storage.models import Channel, ClosureCode, EventKind, Status, Ticket, TicketEvent
from storage.registers import Columns, Outcome, Problem, import_register, parse_day, parse_rows
from storage.unit_of_work import UnitOfWork
from tests.factories import POLICY

ROWS = [
    {"走访日期": "2026年10月5日", "诉求内容": "楼道灯不亮", "渠道": "入户走访",
     "办理情况": "现场解答", "是否销号": "是", "群众": "张大爷"},
    {"走访日期": "2026/10/5", "诉求内容": "电梯经常停", "渠道": "", "承办部门": "住房和城乡建设局",
     "办理情况": "已办结", "是否销号": "√"},
    {"走访日期": "2026-10-15 00:00:00", "诉求内容": "占道经营", "渠道": "来电",
     "承办部门": "urban", "办理情况": "办理中", "是否销号": ""},
    {"走访日期": "2026-13-01", "诉求内容": "", "渠道": "座谈", "办理情况": "不知道",
     "是否销号": "也许"},
    {"走访日期": "", "诉求内容": "", "渠道": "", "办理情况": "", "是否销号": ""},
]  # fmt: skip
NAMES = {"住房和城乡建设局": "housing", "urban": "urban", "housing": "housing"}


def test_rows_are_normalised_and_bad_rows_named() -> None:
    assert parse_day("2026.10.5") == date(2026, 10, 5)
    entries, bad = parse_rows(ROWS, Columns(), NAMES)
    assert [(e.row, e.channel, e.outcome, e.written_off, e.department_code) for e in entries] == [
        (2, Channel.VISIT, Outcome.ON_THE_SPOT, True, None),
        (3, Channel.VISIT, Outcome.CLOSED, True, "housing"),
        (4, Channel.PHONE, Outcome.OPEN, False, "urban"),
    ]
    (wrong,) = bad  # the empty line is no row at all
    assert wrong.row == 5
    assert [p for p, _ in wrong.problems] == [
        Problem.DAY,
        Problem.TEXT,
        Problem.OUTCOME,
        Problem.WRITTEN_OFF,
    ]


async def test_a_register_is_imported_once_with_its_history(uow: UnitOfWork) -> None:
    entries, _ = parse_rows(ROWS, Columns(), NAMES)
    team = "市直第一民情书记队"
    async with uow:
        count = await import_register(
            uow=uow, team=team, entries=entries, source_sha256="ab" * 32, policy=POLICY,
            dispatch_code="dispatch",
        )  # fmt: skip
    assert count == 3
    async with uow:
        again = await import_register(
            uow=uow, team=team, entries=entries, source_sha256="ab" * 32, policy=POLICY,
            dispatch_code="dispatch",
        )  # fmt: skip
    assert again is None
    async with uow:
        tickets = (await uow.session.exec(select(Ticket).order_by(col(Ticket.id)))).all()
        kinds = [
            list(
                (
                    await uow.session.exec(
                        select(TicketEvent.kind)
                        .where(TicketEvent.ticket_id == t.id)
                        .order_by(col(TicketEvent.id))
                    )
                ).all()
            )
            for t in tickets
        ]
        rows = await channel_figures(
            uow=uow, since=datetime(2026, 10, 1, tzinfo=UTC), until=datetime(2027, 1, 1, tzinfo=UTC)
        )
    assert [(t.status, t.closure_code, t.team) for t in tickets] == [
        (Status.CLOSED, ClosureCode.ON_THE_SPOT, team),
        (Status.CLOSED, ClosureCode.ANSWERED, team),
        (Status.ROUTED, None, team),
    ]
    assert kinds[0] == [
        EventKind.RECEIVED,
        EventKind.ANSWERED_ON_SPOT,
        EventKind.CLOSED,
        EventKind.WRITTEN_OFF,
    ]
    assert kinds[2] == [EventKind.RECEIVED, EventKind.ROUTED]
    total = rows[-1]
    assert (total.collected, total.direct, total.resolved, total.written_off) == (3, 1, 1, 2)
    assert total.write_off_rate == 2 / 3
