"""退单: within the window, with a reason; the dispatch desk approves (re-dispatching, a training
example) or refuses (back to the same department, the clock not reset)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from storage.errors import IllegalTransition, InvalidInput, PermissionDenied, SendBackTooLate
from storage.models import LabelledExample, Role, Status, Ticket
from storage.tickets import (
    claim_ticket,
    dispatch_ticket,
    refuse_send_back,
    send_back_ticket,
)
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY

WINDOW = timedelta(hours=POLICY.send_back_days * POLICY.working_day_hours)


async def row(uow: UnitOfWork, number: str) -> Ticket:
    async with uow:
        return (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()


async def test_approved_send_back_is_re_dispatched_and_kept_as_an_example(
    uow: UnitOfWork,
) -> None:
    clerk = await f.staff(uow, "urban")
    desk = await f.member(uow, Role.DISPATCHER)
    ticket = await f.ticket(uow)
    async with uow:
        await claim_ticket(uow=uow, actor=clerk, number=ticket.number, now=NOW)
    sent = NOW + timedelta(hours=1)
    async with uow:
        view = await send_back_ticket(
            uow=uow, actor=clerk, number=ticket.number, reason="属物业管理", policy=POLICY, now=sent
        )
    assert (view.status, view.department_code) == (Status.SENT_BACK, "urban")
    with pytest.raises(IllegalTransition):  # nobody replies to the resident meanwhile
        async with uow:
            await claim_ticket(uow=uow, actor=clerk, number=ticket.number, now=sent)
    with pytest.raises(PermissionDenied):  # the department cannot approve its own 退单
        async with uow:
            await dispatch_ticket(
                uow=uow, actor=clerk, number=ticket.number, department_code="housing", policy=POLICY
            )
    with pytest.raises(InvalidInput):  # approving means another department
        async with uow:
            await dispatch_ticket(
                uow=uow, actor=desk, number=ticket.number, department_code="urban", policy=POLICY
            )
    moved = sent + timedelta(hours=1)
    async with uow:
        await dispatch_ticket(
            uow=uow,
            actor=desk,
            number=ticket.number,
            department_code="housing",
            policy=POLICY,
            now=moved,
        )
    stored = await row(uow, ticket.number)
    assert (stored.status, stored.department_code) == (Status.ROUTED, "housing")
    assert stored.accept_due_at == moved + timedelta(hours=POLICY.accept_hours)
    assert stored.assignee_user_id is None
    async with uow:
        examples = (
            await uow.session.exec(
                select(LabelledExample).where(LabelledExample.ticket_id == ticket.id)
            )
        ).all()
    assert [(e.label, e.predicted, e.source) for e in examples] == [
        ("housing", "urban", "send_back")
    ]


async def test_refused_send_back_returns_with_the_clock_running(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    desk = await f.member(uow, Role.DISPATCHER)
    ticket = await f.ticket(uow)
    before = await row(uow, ticket.number)
    async with uow:
        await send_back_ticket(
            uow=uow, actor=clerk, number=ticket.number, reason="不归我们", policy=POLICY, now=NOW
        )
    with pytest.raises(InvalidInput):
        async with uow:
            await refuse_send_back(uow=uow, actor=desk, number=ticket.number, reason="  ")
    with pytest.raises(PermissionDenied):
        async with uow:
            await refuse_send_back(uow=uow, actor=clerk, number=ticket.number, reason="自己驳回")
    async with uow:
        await refuse_send_back(
            uow=uow,
            actor=desk,
            number=ticket.number,
            reason="路灯在红线外，属城管",
            now=NOW + timedelta(days=1),
        )
    after = await row(uow, ticket.number)
    assert (after.status, after.department_code) == (Status.ROUTED, "urban")
    assert (after.routed_at, after.due_at, after.accept_due_at) == (
        before.routed_at,
        before.due_at,
        before.accept_due_at,
    )


async def test_send_back_needs_a_reason_and_the_window(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    other = await f.staff(uow, "housing")
    ticket = await f.ticket(uow)
    with pytest.raises(InvalidInput):
        async with uow:
            await send_back_ticket(
                uow=uow, actor=clerk, number=ticket.number, reason=" ", policy=POLICY, now=NOW
            )
    with pytest.raises(PermissionDenied):
        async with uow:
            await send_back_ticket(
                uow=uow, actor=other, number=ticket.number, reason="不归", policy=POLICY, now=NOW
            )
    late = NOW + WINDOW + timedelta(minutes=1)
    with pytest.raises(SendBackTooLate) as refused:
        async with uow:
            await send_back_ticket(
                uow=uow, actor=clerk, number=ticket.number, reason="不归", policy=POLICY, now=late
            )
    assert refused.value.days == POLICY.send_back_days
    assert (await row(uow, ticket.number)).status == Status.ROUTED
    async with uow:  # just inside the window
        await send_back_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            reason="不归",
            policy=POLICY,
            now=NOW + WINDOW,
        )
