"""Loading rows by their keys, shared by the lifecycle (storage.tickets) and the reads
(storage.queries); missing rows become typed errors."""

from __future__ import annotations

from sqlmodel import col, select

from storage.errors import TicketNotFound, UnknownDepartment
from storage.models import Department, Resident, Status, Ticket
from storage.notices import StaffCard
from storage.unit_of_work import UnitOfWork


async def ticket_row(uow: UnitOfWork, number: str, *, lock: bool = True) -> Ticket:
    """A ticket by its number (locked for update on PostgreSQL unless `lock=False`)."""
    query = select(Ticket).where(Ticket.number == number.strip().upper())
    if lock and uow.dialect == "postgresql":
        query = query.with_for_update()
    row = (await uow.session.exec(query)).first()
    if row is None:
        raise TicketNotFound(number)
    return row


async def department_row(uow: UnitOfWork, code: str) -> Department:
    """A department by code."""
    row = await uow.session.get(Department, code)
    if row is None:
        codes = (await uow.session.exec(select(Department.code))).all()
        raise UnknownDepartment(code, sorted(codes))
    return row


async def dispatch_row(uow: UnitOfWork) -> Department:
    """The dispatch desk."""
    row = (await uow.session.exec(select(Department).where(col(Department.is_dispatch)))).first()
    if row is None:
        raise UnknownDepartment("dispatch")
    return row


async def routable_codes(uow: UnitOfWork) -> frozenset[str]:
    """The departments a ticket can be routed to (all but the dispatch desk)."""
    rows = await uow.session.exec(select(Department.code).where(~col(Department.is_dispatch)))
    return frozenset(rows.all())


async def resident_row(uow: UnitOfWork, ticket: Ticket) -> Resident | None:
    """The resident who opened a ticket (None: a collector recorded it and no resident has
    opened its start link yet)."""
    if ticket.resident_id is None:
        return None
    row = await uow.session.get(Resident, ticket.resident_id)
    assert row is not None
    return row


async def owned_ticket_row(uow: UnitOfWork, resident_user_id: int, number: str) -> Ticket:
    """A resident's own ticket; someone else's looks exactly like a missing one."""
    ticket = await ticket_row(uow, number)
    resident = await resident_row(uow, ticket)
    if resident is None or resident.user_id != resident_user_id:
        # Someone else's ticket looks exactly like a missing one.
        raise TicketNotFound(number)
    return ticket


def staff_card(ticket: Ticket, resident: Resident | None) -> StaffCard:
    """Everything staff see about a ticket; the phone only with consent, never Telegram ids.
    A ticket a collector recorded shows the person as the collector wrote them down."""
    return StaffCard(
        number=ticket.number,
        text=ticket.text,
        status=Status(ticket.status),
        department_code=ticket.department_code or "",
        resident_name=ticket.person_name or (resident.display_name if resident else ""),
        address=ticket.address,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        photos=tuple(ticket.photo_file_ids or ()),
        phone=ticket.phone if ticket.phone_consent else None,
        confidence=ticket.confidence,
        due_at=ticket.due_at,
        voices=tuple(ticket.voice_file_ids or ()),
        channel=ticket.channel,
        team=ticket.team,
    )
