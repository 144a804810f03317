"""Tickets of a period as flat rows for CSV/XLSX exports, streamed from the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import SQLModel

from storage.columns import utcnow
from storage.metrics import (
    accepted_in_time,
    handling_hours,
    is_overdue,
    resolved_on_time,
    response_hours,
)
from storage.unit_of_work import UnitOfWork

__all__ = ["TicketRow", "ticket_rows"]


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket with its department's name and its durations; the phone only with consent."""

    number: str
    created_at: datetime
    status: str
    department_code: str | None
    department: str | None
    predicted: str | None
    confidence: float | None
    text: str
    address: str | None
    latitude: float | None
    longitude: float | None
    photos: int
    phone: str | None
    routed_at: datetime | None
    first_reply_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    closure: str | None
    answer: str | None
    rating: str | None
    reopen_count: int
    reassign_count: int
    duplicate_of: str | None
    on_time: bool | None
    overdue: bool
    response_hours: float | None
    handling_hours: float | None
    anonymised_at: datetime | None
    channel: str = "bot"  # how the request reached the campaign (storage.models.Channel)
    team: str | None = None  # the collector's team, for a request a collector recorded
    person_name: str | None = None  # 群众 as the collector wrote them down
    written_off_at: datetime | None = None  # 销号
    accept_due_at: datetime | None = None
    accepted_at: datetime | None = None
    accepted_in_time: bool | None = None
    extension_count: int = 0


async def ticket_rows(
    *,
    uow: UnitOfWork,
    since: datetime,
    until: datetime,
    now: datetime | None = None,
    batch_size: int = 2000,
) -> AsyncIterator[TicketRow]:
    """Every ticket received in [since, until), oldest first, streamed in batches."""
    now = now or utcnow()
    tables = SQLModel.metadata.tables
    tickets, departments = tables["tickets"], tables["departments"]
    original = tickets.alias("original")
    statement = (
        select(tickets, departments.c.name.label("department_name"), original.c.number)
        .outerjoin(departments, departments.c.code == tickets.c.department_code)
        .outerjoin(original, original.c.id == tickets.c.duplicate_of_id)
        .where(tickets.c.created_at >= since, tickets.c.created_at < until)
        .order_by(tickets.c.created_at, tickets.c.id)
        .execution_options(yield_per=batch_size)
    )
    connection = await uow.session.connection()
    result = await connection.stream(statement)
    async for row in result:
        t = row._mapping
        yield TicketRow(
            number=t[tickets.c.number],
            created_at=t[tickets.c.created_at],
            status=t[tickets.c.status],
            department_code=t[tickets.c.department_code],
            department=t["department_name"],
            predicted=t[tickets.c.predicted_code],
            confidence=t[tickets.c.confidence],
            text=t[tickets.c.text],
            address=t[tickets.c.address],
            latitude=t[tickets.c.latitude],
            longitude=t[tickets.c.longitude],
            photos=len(t[tickets.c.photo_file_ids] or ()),
            phone=t[tickets.c.phone] if t[tickets.c.phone_consent] else None,
            routed_at=t[tickets.c.routed_at],
            first_reply_at=t[tickets.c.first_reply_at],
            due_at=t[tickets.c.due_at],
            resolved_at=t[tickets.c.resolved_at],
            closed_at=t[tickets.c.closed_at],
            closure=t[tickets.c.closure_code],
            answer=t[tickets.c.answer],
            rating=t[tickets.c.rating],
            reopen_count=t[tickets.c.reopen_count],
            reassign_count=t[tickets.c.reassign_count],
            duplicate_of=t[original.c.number],
            on_time=resolved_on_time(
                resolved_at=t[tickets.c.resolved_at], due_at=t[tickets.c.due_at]
            ),
            overdue=is_overdue(status=t[tickets.c.status], due_at=t[tickets.c.due_at], now=now),
            response_hours=response_hours(
                routed_at=t[tickets.c.routed_at], first_reply_at=t[tickets.c.first_reply_at]
            ),
            handling_hours=handling_hours(
                routed_at=t[tickets.c.routed_at], resolved_at=t[tickets.c.resolved_at]
            ),
            anonymised_at=t[tickets.c.anonymised_at],
            channel=t[tickets.c.channel],
            team=t[tickets.c.team],
            person_name=t[tickets.c.person_name],
            written_off_at=t[tickets.c.written_off_at],
            accept_due_at=t[tickets.c.accept_due_at],
            accepted_at=t[tickets.c.accepted_at],
            accepted_in_time=accepted_in_time(
                accepted_at=t[tickets.c.accepted_at], accept_due_at=t[tickets.c.accept_due_at]
            ),
            extension_count=t[tickets.c.extension_count],
        )
    await result.close()
