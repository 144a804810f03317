"""延期: N working days with a reason, bounded; supervisors approve (the due date moves, the
resident is told) or deny (the department is told); at most `max_extensions` per ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage.errors import ExtensionRefused, InvalidInput, PermissionDenied
from storage.models import ClosureCode, EventKind, OutboxMessage, Role, Ticket, TicketEvent
from storage.tickets import decide_extension, request_extension, resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import POLICY


async def row(uow: UnitOfWork, number: str) -> Ticket:
    async with uow:
        return (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()


async def queued(uow: UnitOfWork) -> list[tuple[str, str]]:
    async with uow:
        rows = (await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [(r.audience, r.kind) for r in rows if r.kind.startswith("extension")]


async def test_approved_extension_moves_the_due_date_and_counts_on_time(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    chief = await f.member(uow, Role.SUPERVISOR, "督查室")
    ticket = await f.ticket(uow)
    due = (await row(uow, ticket.number)).due_at
    assert due is not None
    async with uow:
        await request_extension(
            uow=uow, actor=clerk, number=ticket.number, days=3, reason="需停电施工", policy=POLICY
        )
    with pytest.raises(ExtensionRefused) as pending:  # one request at a time
        async with uow:
            await request_extension(
                uow=uow, actor=clerk, number=ticket.number, days=2, reason="再延", policy=POLICY
            )
    assert pending.value.why == "pending"
    with pytest.raises(PermissionDenied):  # the department cannot approve its own
        async with uow:
            await decide_extension(
                uow=uow, actor=clerk, number=ticket.number, days=3, approve=True, policy=POLICY
            )
    with pytest.raises(InvalidInput):  # a button for another request changes nothing
        async with uow:
            await decide_extension(
                uow=uow, actor=chief, number=ticket.number, days=5, approve=True, policy=POLICY
            )
    async with uow:
        await decide_extension(
            uow=uow, actor=chief, number=ticket.number, days=3, approve=True, policy=POLICY
        )
    stored = await row(uow, ticket.number)
    new_due = due + timedelta(hours=3 * POLICY.working_day_hours)
    assert (stored.due_at, stored.extension_count, stored.extension_pending_days) == (
        new_due,
        1,
        None,
    )
    assert await queued(uow) == [
        ("supervisors", "extension_request"),
        ("resident", "extension_approved"),
        ("dispatch", "extension_decided"),  # urban has no group here: dispatch stands in
    ]
    # Resolved after the old deadline but before the approved one: on time.
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.FIXED,
            answer="已修好",
            now=due + timedelta(hours=1),
        )
    async with uow:
        resolved = (
            await uow.session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.RESOLVED
                )
            )
        ).one()
    assert resolved.detail["on_time"] is True


async def test_limits_too_long_too_many_and_denied(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    chief = await f.member(uow, Role.SUPERVISOR, "督查室")
    ticket = await f.ticket(uow)
    due = (await row(uow, ticket.number)).due_at
    with pytest.raises(ExtensionRefused) as too_long:
        async with uow:
            await request_extension(
                uow=uow,
                actor=clerk,
                number=ticket.number,
                days=POLICY.max_extension_days + 1,
                reason="太复杂",
                policy=POLICY,
            )
    assert (too_long.value.why, too_long.value.limit) == ("too_long", POLICY.max_extension_days)
    with pytest.raises(InvalidInput):
        async with uow:
            await request_extension(
                uow=uow, actor=clerk, number=ticket.number, days=2, reason=" ", policy=POLICY
            )
    async with uow:  # denied: nothing moves, and the department may ask again
        await request_extension(
            uow=uow, actor=clerk, number=ticket.number, days=2, reason="材料未齐", policy=POLICY
        )
    async with uow:
        await decide_extension(
            uow=uow, actor=chief, number=ticket.number, days=2, approve=False, policy=POLICY
        )
    assert (await row(uow, ticket.number)).due_at == due
    async with uow:
        await request_extension(
            uow=uow, actor=clerk, number=ticket.number, days=2, reason="材料未齐", policy=POLICY
        )
    async with uow:
        await decide_extension(
            uow=uow, actor=chief, number=ticket.number, days=2, approve=True, policy=POLICY
        )
    with pytest.raises(ExtensionRefused) as too_many:  # the second approved one is past the limit
        async with uow:
            await request_extension(
                uow=uow, actor=clerk, number=ticket.number, days=1, reason="还要", policy=POLICY
            )
    assert (too_many.value.why, too_many.value.limit) == ("too_many", POLICY.max_extensions)
