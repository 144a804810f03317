"""Reminders, 催办 and 督办 happen once each, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.deadlines import claim_job_run, sweep_deadlines
from storage.models import ClosureCode, OutboxMessage, Rating, Role, Ticket
from storage.tickets import (
    WallClockDeadlines,
    add_resident_info,
    ask_resident,
    rate_ticket,
    resolve_ticket,
)
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY


async def kinds(uow: UnitOfWork) -> list[tuple[str, str]]:
    async with uow:
        rows = (await uow.session.exec(select(OutboxMessage))).all()
    return [(r.audience, r.kind) for r in rows if r.kind in ("reminder", "overdue", "escalation")]


async def test_remind_then_overdue_then_escalate_each_once(uow: UnitOfWork) -> None:
    await f.member(uow, Role.SUPERVISOR, "督查室")
    ticket = await f.ticket(uow)  # urban: 72 h
    assert ticket.due_at is not None
    moments = [
        ticket.due_at - timedelta(hours=10),  # nothing yet
        ticket.due_at - timedelta(hours=3),  # reminder
        ticket.due_at - timedelta(hours=2),  # nothing new
        ticket.due_at + timedelta(minutes=1),  # 催办
        ticket.due_at + timedelta(hours=2),  # nothing new
        ticket.due_at + timedelta(hours=25),  # 督办
        ticket.due_at + timedelta(hours=30),  # nothing new
    ]
    results = []
    for moment in moments:
        async with uow:
            results.append(await sweep_deadlines(uow=uow, clock=WallClockDeadlines(), now=moment))
    touched = [(r.reminded, r.overdue, r.escalated) for r in results]
    n = (ticket.number,)
    assert touched == [
        ((), (), ()),
        (n, (), ()),
        ((), (), ()),
        ((), n, ()),
        ((), (), ()),
        ((), (), n),
        ((), (), ()),
    ]
    assert await kinds(uow) == [
        ("dispatch", "reminder"),  # urban has no group bound in these tests: dispatch stands in
        ("dispatch", "overdue"),
        ("supervisors", "escalation"),
    ]


async def test_waiting_for_the_resident_pauses_the_clock(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        await ask_resident(uow=uow, actor=clerk, number=ticket.number, text="在哪？", now=NOW)
    assert ticket.due_at is not None
    async with uow:
        result = await sweep_deadlines(
            uow=uow, clock=WallClockDeadlines(), now=ticket.due_at + timedelta(hours=1)
        )
    assert result.overdue == ()


async def test_a_job_runs_once_per_key(uow: UnitOfWork) -> None:
    async with uow:
        first = await claim_job_run(uow=uow, name="digest", key="2026-11-24")
    async with uow:
        second = await claim_job_run(uow=uow, name="digest", key="2026-11-24")
    async with uow:
        other = await claim_job_run(uow=uow, name="digest", key="2026-11-25")
    assert (first, second, other) == (True, False, True)


def test_wall_clock_deadlines_extend_by_the_pause() -> None:
    due = NOW + timedelta(hours=72)
    extended = WallClockDeadlines().extend(due, NOW, NOW + timedelta(hours=3))
    assert extended == due + timedelta(hours=3)


async def test_a_question_asked_after_the_deadline_gives_no_time_back(uow: UnitOfWork) -> None:
    who = f.resident()
    ticket = await f.ticket(uow, who)
    clerk = await f.staff(uow, "urban")
    assert ticket.due_at is not None
    late = ticket.due_at + timedelta(hours=28)
    async with uow:
        await ask_resident(uow=uow, actor=clerk, number=ticket.number, text="在哪？", now=late)
    async with uow:
        answered = await add_resident_info(
            uow=uow,
            resident_user_id=who.user_id,
            number=ticket.number,
            text="3栋",
            policy=POLICY,
            now=late + timedelta(hours=5),
        )
    assert answered.due_at == ticket.due_at


async def test_a_reopened_ticket_is_supervised_again_after_an_escalation(uow: UnitOfWork) -> None:
    who = f.resident()
    ticket = await f.ticket(uow, who)
    clerk = await f.staff(uow, "urban")
    assert ticket.due_at is not None
    late = ticket.due_at + timedelta(hours=30)
    async with uow:
        first = await sweep_deadlines(uow=uow, clock=WallClockDeadlines(), now=late)
    assert first.escalated == (ticket.number,)
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.FIXED,
            answer="好了",
            now=late,
        )
    async with uow:
        reopened = await rate_ticket(
            uow=uow,
            resident_user_id=who.user_id,
            number=ticket.number,
            rating=Rating.UNSATISFIED,
            policy=POLICY,
            now=late,
        )
    assert reopened.due_at is not None
    async with uow:
        again = await sweep_deadlines(
            uow=uow, clock=WallClockDeadlines(), now=reopened.due_at + timedelta(minutes=1)
        )
    assert again.overdue == (ticket.number,)


async def test_working_hours_in_production_deadline_and_escalation(uow: UnitOfWork) -> None:
    """The production calendar end to end: routed on a Friday, counted in office hours."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from storage.tickets import Draft, Policy, open_ticket
    from storage.worktime import DEFAULT_OFFICE_HOURS, WorkingCalendar

    shanghai = ZoneInfo("Asia/Shanghai")
    calendar = WorkingCalendar(DEFAULT_OFFICE_HOURS, shanghai)
    policy = Policy(deadlines=calendar, timezone=shanghai)

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, day, hour, minute, tzinfo=shanghai).astimezone(UTC)

    async with uow:
        ticket = await open_ticket(
            uow=uow,
            resident=f.resident(),
            draft=Draft(text="有人在小区里推销保健品骗老人"),
            prediction=f.prediction("police"),
            policy=policy,
            now=at(20, 16),  # Friday; police: 24 working h
        )
    assert ticket.due_at is not None
    # 1.5 h on Friday, no weekend, 7.5 h each on Monday, Tuesday and Wednesday.
    assert ticket.due_at == at(25, 17, 30)
    async with uow:
        thursday = await sweep_deadlines(uow=uow, clock=calendar, now=at(26, 12))
    assert (thursday.overdue, thursday.escalated) == ((ticket.number,), ())  # 3.5 h late
    async with uow:
        friday = await sweep_deadlines(uow=uow, clock=calendar, now=at(27, 9, 30))
    assert friday.escalated == (ticket.number,)  # 8.5 working hours late: 督办


async def test_a_question_left_unanswered_for_three_working_days_resumes_the_clock(
    uow: UnitOfWork,
) -> None:
    ticket = await f.ticket(uow)
    clerk = await f.staff(uow, "urban")
    assert ticket.due_at is not None
    async with uow:
        await ask_resident(uow=uow, actor=clerk, number=ticket.number, text="在哪？", now=NOW)
    clock = WallClockDeadlines()
    async with uow:
        early = await sweep_deadlines(uow=uow, clock=clock, now=NOW + timedelta(hours=23))
    async with uow:
        expired = await sweep_deadlines(uow=uow, clock=clock, now=NOW + timedelta(hours=25))
    async with uow:
        again = await sweep_deadlines(uow=uow, clock=clock, now=NOW + timedelta(hours=26))
    assert (early.resumed, expired.resumed, again.resumed) == ((), (ticket.number,), ())
    async with uow:
        row = (await uow.session.exec(select(Ticket).where(Ticket.id == ticket.id))).one()
        notices = (
            await uow.session.exec(select(OutboxMessage).where(OutboxMessage.kind == "unanswered"))
        ).all()
    waited = min(timedelta(hours=25), ticket.due_at - NOW)  # only waiting before the deadline
    assert (row.awaiting_resident, row.due_at) == (False, ticket.due_at + waited)
    # to the department (here: to dispatch, as the test department has no group bound)
    assert [n.payload["number"] for n in notices] == [ticket.number]
    assert row.due_at is not None
    async with uow:  # the clock runs again: the ticket can now fall overdue
        late = await sweep_deadlines(uow=uow, clock=clock, now=row.due_at + timedelta(minutes=1))
    assert late.overdue == (ticket.number,)
