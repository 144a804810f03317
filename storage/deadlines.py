"""Deadline supervision: reminders before, 催办 at, and 督办 well after a ticket's due time.

Each step is recorded on the ticket (reminded_at, overdue_at, escalated_at), so it happens once,
however many workers sweep and however often they restart. A question to the resident pauses
the clock, but not for ever: after `max_wait_hours` working hours without an answer the clock
runs again (the waiting is given back, as for an answer) and the department is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select

from storage.columns import utcnow
from storage.lifecycle import WORKABLE_STATUSES, Action, require, sources
from storage.models import (
    ActorKind,
    Audience,
    Department,
    EventKind,
    JobRun,
    Ticket,
    TicketEvent,
)
from storage.notices import (
    AcceptEscalation,
    AcceptReminder,
    Escalation,
    EscalationWhy,
    Notice,
    Overdue,
    Reminder,
    Unanswered,
)
from storage.outbox import announce
from storage.unit_of_work import UnitOfWork

LOOKAHEAD = timedelta(days=10)  # covers the longest holiday (National Day) plus a weekend
MAX_WAIT_HOURS = 24.0  # three working days waiting for the resident's answer, at most
ACCEPT_ESCALATE_AFTER_HOURS = 4.0  # 签收: working hours after the reminder before dispatch hears


class WorkingClock(Protocol):
    """Measures working time between two moments."""

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds from `start` to `end`."""
        ...

    def extend(self, due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
        """Move a deadline by the working time of a pause."""
        ...


@dataclass(frozen=True, slots=True)
class SweepResult:
    """Ticket numbers touched by one sweep."""

    reminded: tuple[str, ...] = ()
    overdue: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()  # questions left unanswered too long: the clock runs again


def _event(uow: UnitOfWork, ticket: Ticket, kind: EventKind, now: datetime) -> None:
    uow.session.add(
        TicketEvent(
            ticket_id=ticket.id or 0,
            at=now,
            kind=kind,
            actor_kind=ActorKind.SYSTEM,
            from_status=ticket.status,
            to_status=ticket.status,
            department_code=ticket.department_code,
        )
    )


async def _tell_department(
    uow: UnitOfWork,
    ticket: Ticket,
    department: Department,
    action: Action,
    notice: Notice,
    now: datetime,
) -> None:
    """Record a supervision step on the ticket and queue its notice for the department."""
    step = require(ticket.number, ticket.status, action)
    for kind in step.events:
        _event(uow, ticket, kind, now)
    await announce(uow, step, ticket, Audience.DEPARTMENT, notice, now=now, department=department)


async def sweep_deadlines(
    *,
    uow: UnitOfWork,
    clock: WorkingClock,
    remind_within_hours: float = 4.0,
    escalate_after_hours: float = 8.0,
    max_wait_hours: float = MAX_WAIT_HOURS,
    now: datetime | None = None,
    limit: int = 500,
) -> SweepResult:
    """Remind, mark overdue and escalate (a working day late) whatever is due; tickets
    waiting for the resident are paused, until the wait exceeds `max_wait_hours`."""
    now = now or utcnow()
    resumed = await _resume_unanswered(
        uow=uow, clock=clock, max_wait_hours=max_wait_hours, now=now, limit=limit
    )
    query = (
        select(Ticket)
        .where(
            col(Ticket.status).in_([s.value for s in WORKABLE_STATUSES]),
            col(Ticket.escalated_at).is_(None),
            col(Ticket.awaiting_resident).is_(False),
            # Only tickets with something left to do, so a backlog cannot starve the rest.
            or_(
                col(Ticket.reminded_at).is_(None)
                & (col(Ticket.due_at) > now)
                & (col(Ticket.due_at) <= now + LOOKAHEAD),
                col(Ticket.overdue_at).is_(None) & (col(Ticket.due_at) <= now),
                # working time never exceeds wall-clock time: a cheap necessary condition
                col(Ticket.due_at) <= now - timedelta(hours=escalate_after_hours),
            ),
        )
        .order_by(col(Ticket.due_at))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        # Several workers may sweep at once: each ticket is handled by exactly one of them.
        query = query.with_for_update(skip_locked=True)
    rows = await uow.session.exec(query)
    departments = {d.code: d for d in (await uow.session.exec(select(Department))).all()}
    reminded: list[str] = []
    overdue: list[str] = []
    escalated: list[str] = []
    for ticket in rows.all():
        assert ticket.due_at is not None
        department = departments.get(ticket.department_code or "")
        if department is None:
            continue
        if ticket.due_at > now:
            left = clock.working_seconds_between(now, ticket.due_at) / 3600
            if ticket.reminded_at is None and left <= remind_within_hours:
                ticket.reminded_at = now
                reminder = Reminder(ticket.number, ticket.due_at, left)
                await _tell_department(uow, ticket, department, Action.REMIND, reminder, now)
                reminded.append(ticket.number)
        else:
            if ticket.overdue_at is None:
                ticket.overdue_at = now
                overdue_notice = Overdue(ticket.number, ticket.due_at)
                await _tell_department(
                    uow, ticket, department, Action.MARK_OVERDUE, overdue_notice, now
                )
                overdue.append(ticket.number)
            late = clock.working_seconds_between(ticket.due_at, now) / 3600
            if late >= escalate_after_hours:  # one working day past the deadline: 督办
                ticket.escalated_at = now
                step = require(ticket.number, ticket.status, Action.ESCALATE)
                _event(uow, ticket, EventKind.ESCALATED, now)
                escalation = Escalation(ticket.number, department.code, EscalationWhy.OVERDUE)
                await announce(uow, step, ticket, Audience.SUPERVISORS, escalation, now=now)
                escalated.append(ticket.number)
        uow.session.add(ticket)
    await uow.commit()
    return SweepResult(tuple(reminded), tuple(overdue), tuple(escalated), tuple(resumed))


@dataclass(frozen=True, slots=True)
class AcceptanceSweep:
    """Ticket numbers touched by one 签收 sweep."""

    reminded: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()


async def sweep_acceptance(
    *,
    uow: UnitOfWork,
    clock: WorkingClock,
    escalate_after_hours: float = ACCEPT_ESCALATE_AFTER_HOURS,
    now: datetime | None = None,
    limit: int = 500,
) -> AcceptanceSweep:
    """签收: a routed ticket nobody accepted by its acceptance deadline is reminded to its
    department; `escalate_after_hours` working hours past the deadline the dispatch desk is
    told. Each once per routing (a new department starts a new deadline)."""
    now = now or utcnow()
    query = (
        select(Ticket)
        .where(
            col(Ticket.status).in_([s.value for s in sources(Action.ACCEPT_REMIND)]),
            col(Ticket.accepted_at).is_(None),
            col(Ticket.accept_escalated_at).is_(None),
            col(Ticket.accept_due_at) <= now,
        )
        .order_by(col(Ticket.accept_due_at))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)  # one worker per ticket
    rows = await uow.session.exec(query)
    departments = {d.code: d for d in (await uow.session.exec(select(Department))).all()}
    reminded: list[str] = []
    escalated: list[str] = []
    for ticket in rows.all():
        department = departments.get(ticket.department_code or "")
        if department is None or ticket.accept_due_at is None or ticket.routed_at is None:
            continue
        if ticket.accept_reminded_at is None:
            ticket.accept_reminded_at = now
            reminder = AcceptReminder(ticket.number, ticket.accept_due_at)
            await _tell_department(uow, ticket, department, Action.ACCEPT_REMIND, reminder, now)
            reminded.append(ticket.number)
        late = clock.working_seconds_between(ticket.accept_due_at, now) / 3600
        if late >= escalate_after_hours:
            ticket.accept_escalated_at = now
            step = require(ticket.number, ticket.status, Action.ACCEPT_ESCALATE)
            _event(uow, ticket, EventKind.ACCEPT_ESCALATED, now)
            escalation = AcceptEscalation(
                ticket.number, department.code, ticket.routed_at, ticket.accept_due_at
            )
            await announce(uow, step, ticket, Audience.DISPATCH, escalation, now=now)
            escalated.append(ticket.number)
        uow.session.add(ticket)
    await uow.commit()
    return AcceptanceSweep(tuple(reminded), tuple(escalated))


async def _resume_unanswered(
    *, uow: UnitOfWork, clock: WorkingClock, max_wait_hours: float, now: datetime, limit: int
) -> list[str]:
    """End the pause of tickets whose question has waited too long; the caller commits."""
    rows = await uow.session.exec(
        select(Ticket, func.max(TicketEvent.at))
        .join(TicketEvent, col(TicketEvent.ticket_id) == col(Ticket.id))
        .where(
            col(Ticket.status).in_([s.value for s in WORKABLE_STATUSES]),
            col(Ticket.awaiting_resident).is_(True),
            TicketEvent.kind == EventKind.ASKED,
        )
        .group_by(col(Ticket.id))
        # working time never exceeds wall-clock time: a cheap necessary condition
        .having(func.max(TicketEvent.at) <= now - timedelta(hours=max_wait_hours))
        .order_by(func.max(TicketEvent.at))  # the longest waiting first
        .limit(limit)
    )
    resumed: list[str] = []
    for ticket, asked_at in rows.all():
        waited = clock.working_seconds_between(asked_at, now) / 3600
        if waited < max_wait_hours:
            continue
        department = await uow.session.get(Department, ticket.department_code or "")
        if department is None:
            continue
        ticket.awaiting_resident = False
        if ticket.due_at is not None and asked_at < ticket.due_at:
            ticket.due_at = clock.extend(ticket.due_at, asked_at, min(now, ticket.due_at))
        unanswered = Unanswered(ticket.number, round(waited, 1), ticket.due_at)
        await _tell_department(uow, ticket, department, Action.RESUME_CLOCK, unanswered, now)
        uow.session.add(ticket)
        resumed.append(ticket.number)
    return resumed


async def job_has_run(*, uow: UnitOfWork, name: str, key: str) -> bool:
    """Whether a job already ran for this key."""
    return await uow.session.get(JobRun, (name, key)) is not None


async def claim_job_run(
    *, uow: UnitOfWork, name: str, key: str, now: datetime | None = None, commit: bool = True
) -> bool:
    """True for exactly one caller per (name, key), across every worker and restart.

    With `commit=False` the claim joins the caller's transaction, so the job's results and
    its claim commit together (a crash in between leaves the job to run again)."""
    try:
        async with uow.session.begin_nested():
            await uow.session.exec(
                insert(JobRun).values(name=name, key=key, ran_at=now or utcnow())
            )
    except IntegrityError:
        return False
    if commit:
        await uow.commit()
    return True
