"""Reading tickets: a resident's own, a department's open ones, the overdue, the history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import col, select

from storage.columns import utcnow
from storage.lifecycle import OPEN_STATUSES
from storage.models import Resident, Ticket, TicketEvent
from storage.notices import StaffCard
from storage.rows import owned_ticket_row, resident_row, staff_card, ticket_row
from storage.unit_of_work import UnitOfWork
from storage.views import EventView, TicketView


async def get_ticket(*, uow: UnitOfWork, number: str) -> TicketView:
    """A ticket by number (staff side)."""
    return TicketView.of(await ticket_row(uow, number, lock=False))


async def resident_ticket(
    *, uow: UnitOfWork, resident_user_id: int, number: str
) -> tuple[TicketView, list[EventView]]:
    """A resident's own ticket and its history; someone else's looks like a missing one."""
    ticket = await owned_ticket_row(uow, resident_user_id, number)
    return TicketView.of(ticket), await history(uow=uow, ticket_id=ticket.id or 0)


async def history(*, uow: UnitOfWork, ticket_id: int) -> list[EventView]:
    """A ticket's events, oldest first."""
    rows = await uow.session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(col(TicketEvent.id))
    )
    return [EventView.of(r) for r in rows.all()]


async def resident_tickets(
    *, uow: UnitOfWork, resident_user_id: int, limit: int = 20
) -> list[TicketView]:
    """A resident's tickets, newest first."""
    rows = await uow.session.exec(
        select(Ticket)
        .join(Resident, col(Resident.id) == col(Ticket.resident_id))
        .where(Resident.user_id == resident_user_id)
        .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
        .limit(limit)
    )
    return [TicketView.of(r) for r in rows.all()]


async def department_open_tickets(
    *, uow: UnitOfWork, department_code: str, limit: int = 50
) -> list[TicketView]:
    """A department's open tickets, oldest first."""
    rows = await uow.session.exec(
        select(Ticket)
        .where(
            Ticket.department_code == department_code,
            col(Ticket.status).in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(col(Ticket.created_at))
        .limit(limit)
    )
    return [TicketView.of(r) for r in rows.all()]


async def open_ticket_for_resident(*, uow: UnitOfWork, resident_user_id: int) -> TicketView | None:
    """The resident's ticket that is waiting for their answer, if any."""
    rows = await uow.session.exec(
        select(Ticket)
        .join(Resident, col(Resident.id) == col(Ticket.resident_id))
        .where(Resident.user_id == resident_user_id, col(Ticket.awaiting_resident))
        .order_by(col(Ticket.id).desc())
        .limit(1)
    )
    row = rows.first()
    return TicketView.of(row) if row else None


async def staff_ticket(*, uow: UnitOfWork, number: str) -> tuple[StaffCard, list[EventView]]:
    """What staff see of a ticket (the card: phone only with consent) and its history."""
    ticket = await ticket_row(uow, number, lock=False)
    resident = await resident_row(uow, ticket)
    return staff_card(ticket, resident), await history(uow=uow, ticket_id=ticket.id or 0)


async def overdue_tickets(
    *,
    uow: UnitOfWork,
    department_code: str | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> list[TicketView]:
    """Open tickets past their deadline (of one department, or all), most overdue first."""
    now = now or utcnow()
    query = select(Ticket).where(
        col(Ticket.status).in_([s.value for s in OPEN_STATUSES]),
        col(Ticket.due_at).is_not(None),
        col(Ticket.due_at) < now,
    )
    if department_code is not None:
        query = query.where(Ticket.department_code == department_code)
    rows = await uow.session.exec(query.order_by(col(Ticket.due_at)).limit(limit))
    return [TicketView.of(r) for r in rows.all()]


async def resident_overview(
    *, uow: UnitOfWork, resident_user_id: int, recent: int = 5
) -> tuple[TicketView | None, list[TicketView]]:
    """`open_ticket_for_resident` and the latest `recent` of `resident_tickets`, in one SELECT:
    the resident's tickets that wait for their answer or are among the latest."""
    theirs = aliased(Ticket)  # the subqueries' own tickets, not correlated with the outer
    mine = (
        select(theirs.id)
        .join(Resident, col(Resident.id) == col(theirs.resident_id))
        .where(Resident.user_id == resident_user_id)
    )
    latest = mine.order_by(col(theirs.created_at).desc(), col(theirs.id).desc()).limit(recent)
    rows = await uow.session.exec(
        select(Ticket)
        .where(
            col(Ticket.id).in_(mine.where(col(theirs.awaiting_resident)))
            | col(Ticket.id).in_(latest)
        )
        .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    )
    found = list(rows.all())
    waiting = max((r for r in found if r.awaiting_resident), key=lambda r: r.id or 0, default=None)
    return (
        TicketView.of(waiting) if waiting else None,
        [TicketView.of(r) for r in found[:recent]],
    )
