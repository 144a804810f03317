"""Retention: remove residents' personal data from old closed tickets, keep the statistics.

Removed: the resident's display name (once none of their tickets is still in use), phone,
address and location, photos, and what the resident wrote in events (added information,
reasons for a rating or a reopen) and in queued messages, and any phone or ID card number
typed into the request, staff answers and notes, or the stored training example. Kept: the
request's words, statuses, timestamps, closure codes, ratings, departments and every event's
kind and time, so every metric stays the same. Each ticket gets an `anonymised` event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, exists, func, not_, or_, select, type_coerce, update
from sqlmodel import SQLModel, col
from sqlmodel import select as model_select

from storage.columns import utcnow
from storage.models import (
    ActorKind,
    EventKind,
    LabelledExample,
    OutboxMessage,
    Status,
    TicketEvent,
)
from storage.notices import UnknownNotice, anonymised, decode, encode
from storage.redaction import mask_personal_numbers
from storage.unit_of_work import UnitOfWork

__all__ = ["RESIDENT_EVENT_KINDS", "RetentionReport", "anonymise_closed"]

RESIDENT_EVENT_KINDS = (EventKind.RESIDENT_INFO, EventKind.RATED, EventKind.REOPENED)
# What a resident-written event keeps: the verdict and whether it answered a question.
KEPT_DETAIL_KEYS = frozenset({"rating", "answer"})
FREE_TEXT_KEYS = frozenset({"text", "answer"})


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """How many tickets (and what in them) are, or would be, anonymised."""

    tickets: int
    phones: int
    places: int
    photos: int
    events: int
    residents: int
    applied: bool


def _tables() -> tuple[Any, Any, Any]:
    tables = SQLModel.metadata.tables
    return tables["tickets"], tables["ticket_events"], tables["residents"]


def _due(tickets: Any, closed_before: datetime) -> Any:
    return and_(
        tickets.c.status == Status.CLOSED.value,
        tickets.c.closed_at < closed_before,
        tickets.c.anonymised_at.is_(None),
    )


def _resident_is_done(tickets: Any, residents: Any, closed_before: datetime) -> Any:
    """No ticket of the resident is still open or recent."""
    other = tickets.alias("other")
    in_use = not_(and_(other.c.status == Status.CLOSED.value, other.c.closed_at < closed_before))
    return and_(
        residents.c.display_name != "",
        not_(exists().where(other.c.resident_id == residents.c.id, in_use)),
    )


async def _plan(uow: UnitOfWork, closed_before: datetime) -> RetentionReport:
    tickets, events, residents = _tables()
    due = _due(tickets, closed_before)
    connection = await uow.session.connection()

    has_photos = type_coerce(tickets.c.photo_file_ids, Text) != "[]"
    has_place = or_(tickets.c.address.is_not(None), tickets.c.latitude.is_not(None))
    row = (
        await connection.execute(
            select(
                func.count(),
                func.count(tickets.c.phone),
                func.count(func.nullif(has_place, False)),
                func.count(func.nullif(has_photos, False)),
            ).where(due)
        )
    ).one()
    due_ids = select(tickets.c.id).where(due)
    written = (
        await connection.execute(
            select(func.count()).where(
                events.c.ticket_id.in_(due_ids),
                events.c.actor_kind == ActorKind.RESIDENT.value,
                events.c.kind.in_([k.value for k in RESIDENT_EVENT_KINDS]),
            )
        )
    ).scalar_one()
    people = (
        await connection.execute(
            select(func.count()).where(
                residents.c.id.in_(select(tickets.c.resident_id).where(due)),
                _resident_is_done(tickets, residents, closed_before),
            )
        )
    ).scalar_one()
    return RetentionReport(
        tickets=int(row[0]),
        phones=int(row[1]),
        places=int(row[2]),
        photos=int(row[3]),
        events=int(written),
        residents=int(people),
        applied=False,
    )


def _masked(values: dict[str, Any] | None) -> dict[str, Any]:
    """Free texts (staff answers, questions, notes, the request in a card) without numbers."""
    return {
        key: mask_personal_numbers(value)
        if key in FREE_TEXT_KEYS and isinstance(value, str)
        else value
        for key, value in (values or {}).items()
    }


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in detail.items() if key in KEPT_DETAIL_KEYS}
    return {**kept, "anonymised": True}


async def _apply_batch(
    uow: UnitOfWork, ids: list[int], closed_before: datetime, now: datetime
) -> int:
    tickets, _, residents = _tables()
    session = uow.session
    resident_ids = select(tickets.c.resident_id).where(tickets.c.id.in_(ids))
    await session.exec(
        update(residents)
        .where(
            residents.c.id.in_(resident_ids), _resident_is_done(tickets, residents, closed_before)
        )
        .values(display_name="")
    )
    events = await session.exec(
        model_select(TicketEvent).where(col(TicketEvent.ticket_id).in_(ids))
    )
    for event in events.all():
        written_by_resident = event.actor_kind == ActorKind.RESIDENT and event.kind in (
            RESIDENT_EVENT_KINDS
        )
        detail = _scrub(event.detail or {}) if written_by_resident else _masked(event.detail)
        if detail != event.detail:
            event.detail = detail
            session.add(event)
    messages = await session.exec(
        model_select(OutboxMessage).where(col(OutboxMessage.ticket_id).in_(ids))
    )
    for message in messages.all():
        try:
            notice = decode(message.kind, message.payload)
        except UnknownNotice:
            kept: dict[str, Any] = {}  # unreadable, never sent: keep nothing of it
        else:
            kept = encode(anonymised(notice, mask_personal_numbers))
        if kept != message.payload:
            message.payload = kept
            session.add(message)
    examples = await session.exec(
        model_select(LabelledExample).where(col(LabelledExample.ticket_id).in_(ids))
    )
    for example in examples.all():
        masked = mask_personal_numbers(example.text)
        if masked != example.text:
            example.text = masked
            session.add(example)
    await session.exec(
        update(tickets)
        .where(tickets.c.id.in_(ids))
        .values(
            address=None,
            latitude=None,
            longitude=None,
            photo_file_ids=[],
            voice_file_ids=[],
            phone=None,
            phone_consent=False,
            person_name=None,  # 群众 as a collector wrote them down
            link_code_hash=None,
            anonymised_at=now,
        )
    )
    connection = await session.connection()
    rows = (
        await connection.execute(
            select(tickets.c.id, tickets.c.department_code, tickets.c.text).where(
                tickets.c.id.in_(ids)
            )
        )
    ).all()
    for ticket_id, _, text in rows:
        masked = mask_personal_numbers(text or "")
        if masked != text:
            await connection.execute(
                update(tickets).where(tickets.c.id == ticket_id).values(text=masked)
            )
    for ticket_id, department_code, _ in rows:
        session.add(
            TicketEvent(
                ticket_id=ticket_id,
                at=now,
                kind=EventKind.ANONYMISED,
                actor_kind=ActorKind.SYSTEM,
                from_status=Status.CLOSED,
                to_status=Status.CLOSED,
                department_code=department_code,
                detail={"closed_before": closed_before.isoformat()},
            )
        )
    await uow.commit()
    return len(ids)


async def anonymise_closed(
    *,
    uow: UnitOfWork,
    closed_before: datetime,
    apply: bool = False,
    now: datetime | None = None,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> RetentionReport:
    """Count (dry run) or anonymise tickets closed before a time; commits batch by batch.

    `progress` hears (tickets done, tickets planned) after each batch."""
    if closed_before.tzinfo is None:
        raise ValueError("closed_before must be timezone-aware")
    now = now or utcnow()
    plan = await _plan(uow, closed_before)
    if not apply:
        return plan
    tickets, _, _ = _tables()
    done = 0
    while True:
        connection = await uow.session.connection()
        ids = list(
            (
                await connection.execute(
                    select(tickets.c.id)
                    .where(_due(tickets, closed_before))
                    .order_by(tickets.c.id)
                    .limit(batch_size)
                )
            ).scalars()
        )
        if not ids:
            break
        done += await _apply_batch(uow, ids, closed_before, now)
        if progress is not None:
            progress(done, plan.tickets)
    # Questions the knowledge base answered are residents' words too: kept no longer.
    answers = SQLModel.metadata.tables["direct_answers"]
    connection = await uow.session.connection()
    await connection.execute(
        update(answers)
        .where(answers.c.created_at < closed_before, answers.c.text != "")
        .values(text="")
    )
    await uow.commit()
    return RetentionReport(
        tickets=done,
        phones=plan.phones,
        places=plan.places,
        photos=plan.photos,
        events=plan.events,
        residents=plan.residents,
        applied=True,
    )
