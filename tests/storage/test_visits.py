"""Collectors' visits on SQLite and PostgreSQL: logged, counted against the 5th/15th/25th
schedule per team, and the reminder the day before queued once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from storage.errors import PermissionDenied
from storage.models import OutboxMessage, Role
from storage.notices import VisitReminder, decode
from storage.unit_of_work import UnitOfWork
from storage.visits import (
    log_visit,
    queue_visit_reminders,
    scheduled_days,
    visit_tomorrow,
    visits_against_schedule,
)
from tests import factories as f


def test_the_schedule_is_the_5th_15th_and_25th() -> None:
    assert scheduled_days(date(2026, 12, 1), date(2026, 12, 16)) == [
        date(2026, 12, 5),
        date(2026, 12, 15),
    ]
    assert visit_tomorrow(date(2026, 12, 4)) == date(2026, 12, 5)
    assert visit_tomorrow(date(2026, 12, 5)) is None


async def test_visits_are_counted_against_the_schedule_per_team(uow: UnitOfWork) -> None:
    zhou = await f.collector(uow, team="市直第一民情书记队")
    await f.collector(uow, team="市直第二民情书记队", name="钱书记")
    for day, households, requests in ((5, 350, 93), (5, 20, 3), (15, 120, 30)):
        async with uow:
            await log_visit(
                uow=uow, collector=zhou, day=date(2026, 12, day), households=households,
                requests=requests, community="荷韵社区",
            )  # fmt: skip
    async with uow:
        rows = await visits_against_schedule(
            uow=uow, first=date(2026, 12, 1), last=date(2026, 12, 26)
        )
    assert [(r.team, r.made, r.scheduled, r.households, r.requests) for r in rows] == [
        ("市直第一民情书记队", 2, 3, 490, 126),
        ("市直第二民情书记队", 0, 3, 0, 0),
    ]
    boss = await f.member(uow, Role.SUPERVISOR)
    async with uow:
        with pytest.raises(PermissionDenied):
            await log_visit(
                uow=uow, collector=boss, day=date(2026, 12, 5), households=1, requests=1
            )


async def test_the_reminder_the_day_before_is_queued_once_for_every_collector(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow, team="市直第一民情书记队")
    qian = await f.collector(uow, team="市直第二民情书记队", name="钱书记")
    async with uow:
        assert await queue_visit_reminders(uow=uow, today=date(2026, 12, 3)) == 0
    async with uow:
        assert await queue_visit_reminders(uow=uow, today=date(2026, 12, 4)) == 2
    async with uow:
        assert await queue_visit_reminders(uow=uow, today=date(2026, 12, 4)) == 0  # once
    async with uow:
        rows = (await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert {(r.chat_id, decode(r.kind, r.payload)) for r in rows} == {
        (zhou.user_id, VisitReminder(date(2026, 12, 5), "市直第一民情书记队")),
        (qian.user_id, VisitReminder(date(2026, 12, 5), "市直第二民情书记队")),
    }
