"""签收: a routed ticket must be accepted in time; reminded, then the dispatch desk is told."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from storage.deadlines import sweep_acceptance
from storage.models import EventKind, OutboxMessage, Ticket, TicketEvent
from storage.tickets import WallClockDeadlines, claim_ticket, reassign_ticket, reply_to_resident
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY

CLOCK = WallClockDeadlines()


async def row(uow: UnitOfWork, number: str) -> Ticket:
    async with uow:
        return (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()


async def acceptance_kinds(uow: UnitOfWork) -> list[tuple[str, str]]:
    async with uow:
        rows = (await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [(r.audience, r.kind) for r in rows if r.kind.startswith("accept_")]


async def test_routing_sets_the_acceptance_deadline_one_working_day_later(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    stored = await row(uow, ticket.number)
    assert stored.routed_at == NOW
    assert stored.accept_due_at == NOW + timedelta(hours=POLICY.accept_hours)
    assert stored.accepted_at is None


async def test_not_accepted_reminds_once_then_tells_dispatch_once(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    due = NOW + timedelta(hours=POLICY.accept_hours)
    moments = [
        due - timedelta(minutes=1),  # in time: nothing
        due + timedelta(minutes=1),  # reminder to the department
        due + timedelta(hours=2),  # nothing new
        due + timedelta(hours=4),  # the dispatch desk is told
        due + timedelta(hours=30),  # nothing new
    ]
    touched = []
    for moment in moments:
        async with uow:
            result = await sweep_acceptance(uow=uow, clock=CLOCK, now=moment)
        touched.append((result.reminded, result.escalated))
    n = (ticket.number,)
    assert touched == [((), ()), (n, ()), ((), ()), ((), n), ((), ())]
    # urban has no group bound in these tests: dispatch stands in for it
    assert await acceptance_kinds(uow) == [
        ("dispatch", "accept_reminder"),
        ("dispatch", "accept_escalation"),
    ]
    async with uow:
        kinds = (
            await uow.session.exec(
                select(TicketEvent.kind)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(col(TicketEvent.id))
            )
        ).all()
    assert kinds[-2:] == [EventKind.ACCEPT_REMINDED, EventKind.ACCEPT_ESCALATED]


async def test_a_claim_accepts_and_records_whether_in_time(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    prompt, late = await f.ticket(uow), await f.ticket(uow)
    due = NOW + timedelta(hours=POLICY.accept_hours)
    async with uow:
        await claim_ticket(uow=uow, actor=clerk, number=prompt.number, now=NOW + timedelta(hours=1))
    async with uow:  # an answer straight away accepts too
        await reply_to_resident(
            uow=uow, actor=clerk, number=late.number, text="已安排", now=due + timedelta(hours=1)
        )
    async with uow:
        result = await sweep_acceptance(uow=uow, clock=CLOCK, now=due + timedelta(hours=9))
    assert result == type(result)()  # accepted tickets are never reminded
    details = {}
    for ticket in (prompt, late):
        stored = await row(uow, ticket.number)
        assert stored.accepted_at is not None
        async with uow:
            event = (
                await uow.session.exec(
                    select(TicketEvent).where(
                        TicketEvent.ticket_id == ticket.id,
                        col(TicketEvent.kind).in_([EventKind.CLAIMED, EventKind.REPLIED]),
                    )
                )
            ).one()
        details[ticket.number] = event.detail["accepted_on_time"]
    assert details == {prompt.number: True, late.number: False}


async def test_a_reassigned_ticket_is_accepted_anew_by_its_new_department(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    ticket = await f.ticket(uow)
    async with uow:
        await claim_ticket(uow=uow, actor=clerk, number=ticket.number, now=NOW)
    moved = NOW + timedelta(hours=2)
    async with uow:
        await reassign_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            department_code="housing",
            policy=POLICY,
            now=moved,
        )
    stored = await row(uow, ticket.number)
    assert stored.accepted_at is None
    assert stored.accept_due_at == moved + timedelta(hours=POLICY.accept_hours)
    async with uow:
        result = await sweep_acceptance(
            uow=uow, clock=CLOCK, now=moved + timedelta(hours=POLICY.accept_hours, minutes=1)
        )
    assert result.reminded == (ticket.number,)
