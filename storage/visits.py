"""Collectors' visits to their communities on the 5th, 15th and 25th of each month: logged by
the collectors (/visit), reminded the day before, and counted against the schedule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from storage.columns import utcnow
from storage.deadlines import claim_job_run
from storage.errors import InvalidInput, PermissionDenied
from storage.members import Actor
from storage.models import Audience, Member, Role, Visit
from storage.notices import VisitReminder
from storage.outbox import enqueue
from storage.unit_of_work import UnitOfWork

VISIT_DAYS = (5, 15, 25)  # 民意"5"来听
MAX_COUNT = 100_000


def scheduled_days(first: date, last: date) -> list[date]:
    """The visit days (5th, 15th, 25th) from `first` to `last`, inclusive."""
    days: list[date] = []
    day = first
    while day <= last:
        if day.day in VISIT_DAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def visit_tomorrow(today: date) -> date | None:
    """Tomorrow, when tomorrow is a visit day (the collectors are reminded today)."""
    tomorrow = today + timedelta(days=1)
    return tomorrow if tomorrow.day in VISIT_DAYS else None


@dataclass(frozen=True, slots=True)
class VisitView:
    """One logged visit."""

    day: date
    team: str
    community: str
    households: int
    requests: int
    notes: str


async def log_visit(
    *,
    uow: UnitOfWork,
    collector: Actor,
    day: date,
    households: int,
    requests: int,
    community: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> VisitView:
    """A collector logs a visit of their team: the day, households reached, requests heard."""
    team = collector.team
    if team is None:
        raise PermissionDenied("visit")
    if not (0 <= households <= MAX_COUNT and 0 <= requests <= MAX_COUNT):
        raise InvalidInput("counts out of range")
    row = Visit(
        day=day,
        team=team,
        community=community.strip()[:100],
        collector_user_id=collector.user_id,
        households=households,
        requests=requests,
        notes=notes.strip()[:1000],
        created_at=now or utcnow(),
    )
    uow.session.add(row)
    await uow.commit()
    return VisitView(day, team, row.community, households, requests, row.notes)


@dataclass(frozen=True, slots=True)
class TeamVisits:
    """A team's visits in a period against the schedule."""

    team: str
    scheduled: int
    made: int  # visit days with at least one visit logged
    households: int
    requests: int


async def visits_against_schedule(*, uow: UnitOfWork, first: date, last: date) -> list[TeamVisits]:
    """Per team (every collectors' team, and any team that logged a visit): the visit days from
    `first` to `last` against the days a visit was logged, with households and requests."""
    scheduled = len(scheduled_days(first, last))
    rows = await uow.session.exec(
        select(
            Visit.team,
            func.count(func.distinct(Visit.day)),
            func.coalesce(func.sum(Visit.households), 0),
            func.coalesce(func.sum(Visit.requests), 0),
        )
        .where(col(Visit.day) >= first, col(Visit.day) <= last)
        .group_by(col(Visit.team))
    )
    made = {team: (int(days), int(h), int(r)) for team, days, h, r in rows.all()}
    teams: Iterable[str | None] = (
        await uow.session.exec(select(Member.team).where(Member.role == Role.COLLECTOR).distinct())
    ).all()
    names = sorted({t for t in teams if t} | set(made))
    return [TeamVisits(t, scheduled, *made.get(t, (0, 0, 0))) for t in names]


async def queue_visit_reminders(
    *, uow: UnitOfWork, today: date, now: datetime | None = None
) -> int:
    """The day before a visit day, remind every collector once (across workers and restarts);
    returns the reminders queued."""
    tomorrow = visit_tomorrow(today)
    if tomorrow is None:
        return 0
    rows = await uow.session.exec(
        select(Member.user_id, Member.team).where(Member.role == Role.COLLECTOR)
    )
    collectors = sorted({(user_id, team) for user_id, team in rows.all() if team})
    if not await claim_job_run(
        uow=uow, name="visit_reminder", key=tomorrow.isoformat(), commit=False
    ):
        return 0
    for user_id, team in collectors:
        await enqueue(
            uow=uow,
            chat_id=user_id,
            notice=VisitReminder(tomorrow, team),
            audience=Audience.COLLECTOR,
            now=now,
            commit=False,
        )
    await uow.commit()
    return len(collectors)
