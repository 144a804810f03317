"""The ticket lifecycle: every state change is one transaction of ticket + event + outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.errors import (
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    RateLimited,
)
from storage.members import Actor, supervisor_ids
from storage.models import (
    OPEN_STATUSES,
    WORKABLE_STATUSES,
    ActorKind,
    Audience,
    ClosureCode,
    Department,
    EventKind,
    LabelledExample,
    OutboxMessage,
    OutboxStatus,
    Rating,
    Resident,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from storage.rows import (
    department_row,
    dispatch_row,
    owned_ticket_row,
    resident_row,
    staff_card,
    ticket_row,
)
from storage.unit_of_work import UnitOfWork
from storage.views import TicketView

MAX_TEXT_CHARS = 2000


class Deadlines(Protocol):
    """Turns a department's SLA into a due time (working hours in production)."""

    def due_at(self, start: datetime, sla_hours: float) -> datetime:
        """The deadline for work started at `start`."""
        ...

    def extend(self, due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
        """The deadline moved later by the (working) time of a pause."""
        ...

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds from `start` to `end`."""
        ...


class WallClockDeadlines:
    """Deadlines in plain hours; for tests and for districts that count wall-clock time."""

    def due_at(self, start: datetime, sla_hours: float) -> datetime:
        """`start` plus the SLA in hours."""
        return start + timedelta(hours=sla_hours)

    def extend(self, due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
        """The deadline moved later by the length of the pause."""
        return due + max(timedelta(0), paused_until - paused_from)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Every second counts."""
        return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True, slots=True)
class Policy:
    """The district's rules for tickets."""

    deadlines: Deadlines = field(default_factory=WallClockDeadlines)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    number_prefix: str = "TB"
    max_reopens: int = 2
    tickets_per_hour: int = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    """One department the classifier proposes, with its probability."""

    code: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Draft:
    """What a resident has told us, ready to become a ticket."""

    text: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photo_file_ids: tuple[str, ...] = ()
    phone: str | None = None
    phone_consent: bool = False


@dataclass(frozen=True, slots=True)
class ResidentRef:
    """The Telegram identity of a resident."""

    user_id: int
    chat_id: int
    display_name: str = ""


# --- helpers ---------------------------------------------------------------------------------


def _require(ticket: Ticket, allowed: frozenset[Status] | set[Status], action: str) -> None:
    if ticket.status not in allowed:
        raise IllegalTransition(ticket.number, ticket.status, action)


def _require_staff(actor: Actor, ticket: Ticket, action: str) -> None:
    if not actor.may_work_on(ticket.department_code):
        raise PermissionDenied(action)


def _event(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: EventKind,
    *,
    now: datetime,
    actor: Actor | None = None,
    resident: bool = False,
    from_status: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    assert ticket.id is not None
    actor_kind = ActorKind.RESIDENT if resident else ActorKind.STAFF if actor else ActorKind.SYSTEM
    uow.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            kind=kind,
            actor_kind=actor_kind,
            actor_user_id=actor.user_id if actor else None,
            from_status=from_status,
            to_status=ticket.status,
            department_code=ticket.department_code,
            detail=detail or {},
        )
    )


async def notify(
    uow: UnitOfWork,
    ticket: Ticket | None,
    audience: Audience,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    department: Department | None = None,
) -> None:
    """Queue a message in the outbox, resolving the chat now."""
    chat_ids: list[int | None]
    if audience == Audience.RESIDENT:
        assert ticket is not None
        chat_ids = [(await resident_row(uow, ticket)).chat_id]
    elif audience == Audience.DEPARTMENT:
        assert department is not None
        if department.chat_id is None:
            # Nobody can read a message for an unbound department: tell dispatch instead.
            dispatch = await dispatch_row(uow)
            payload = {**payload, "unbound_department": department.name}
            audience, chat_ids = Audience.DISPATCH, [dispatch.chat_id]
        else:
            chat_ids = [department.chat_id]
    elif audience == Audience.DISPATCH:
        chat_ids = [(await dispatch_row(uow)).chat_id]
    else:
        chat_ids = list(await supervisor_ids(uow=uow))
    for chat_id in chat_ids:
        uow.session.add(
            OutboxMessage(
                ticket_id=ticket.id if ticket else None,
                audience=audience,
                chat_id=chat_id,
                kind=kind,
                payload={**payload, "department_code": department.code if department else None},
                status=OutboxStatus.PENDING if chat_id is not None else OutboxStatus.FAILED,
                last_error=None if chat_id is not None else "no chat bound",
                created_at=now,
                next_attempt_at=now,
            )
        )


async def _next_number(uow: UnitOfWork, policy: Policy, now: datetime) -> str:
    day = now.astimezone(policy.timezone).strftime("%Y%m%d")
    counters = SQLModel.metadata.tables[TicketCounter.__tablename__]
    dialect_insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(counters)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": counters.c.last + 1})
        .returning(counters.c.last)
    )
    last = (await uow.session.exec(statement)).scalar_one()
    return f"{policy.number_prefix}-{day}-{last:04d}"


async def _route(
    uow: UnitOfWork,
    ticket: Ticket,
    department: Department,
    *,
    policy: Policy,
    now: datetime,
    actor: Actor | None,
    kind: EventKind,
    detail: dict[str, Any],
) -> None:
    from_status = ticket.status
    previous = ticket.department_code
    ticket.department_code = department.code
    ticket.status = Status.ROUTED
    ticket.routed_at = now
    ticket.assignee_user_id = None
    ticket.due_at = policy.deadlines.due_at(now, department.sla_hours)
    ticket.reminded_at = ticket.overdue_at = ticket.escalated_at = None
    ticket.awaiting_resident = False  # a new department starts without an open question
    uow.session.add(ticket)
    await uow.flush()
    _event(
        uow,
        ticket,
        kind,
        now=now,
        actor=actor,
        from_status=from_status,
        detail={**detail, "from_department": previous},
    )
    resident = await resident_row(uow, ticket)
    await notify(
        uow,
        ticket,
        Audience.DEPARTMENT,
        "ticket_card",
        {**staff_card(ticket, resident, department), "via": kind, "reason": detail.get("reason")},
        now=now,
        department=department,
    )
    await notify(
        uow,
        ticket,
        Audience.RESIDENT,
        "routed",
        {
            "number": ticket.number,
            "department": department.name,
            "due_at": ticket.due_at.isoformat(),
            "again": kind != EventKind.ROUTED,
        },
        now=now,
    )


# --- residents -------------------------------------------------------------------------------


async def upsert_resident(*, uow: UnitOfWork, resident: ResidentRef) -> int:
    """Create or refresh a resident; returns the resident's id (no commit)."""
    row = (
        await uow.session.exec(select(Resident).where(Resident.user_id == resident.user_id))
    ).first()
    if row is None:
        row = Resident(
            user_id=resident.user_id, chat_id=resident.chat_id, display_name=resident.display_name
        )
    else:
        row.chat_id = resident.chat_id
        row.display_name = resident.display_name or row.display_name
        row.blocked_at = None
    uow.session.add(row)
    await uow.flush()
    assert row.id is not None
    return row.id


async def open_ticket(
    *,
    uow: UnitOfWork,
    resident: ResidentRef,
    draft: Draft,
    route_to: str | None,
    candidates: Sequence[Candidate] = (),
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """Create a ticket and route it to `route_to`, or to dispatch when None; one transaction."""
    now = now or utcnow()
    text = draft.text.strip()
    if not text:
        raise InvalidInput("empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text longer than {MAX_TEXT_CHARS} characters")
    resident_id = await upsert_resident(uow=uow, resident=resident)
    recent = await uow.session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.resident_id == resident_id, Ticket.created_at > now - timedelta(hours=1))
    )
    if recent.one() >= policy.tickets_per_hour:
        raise RateLimited(policy.tickets_per_hour, 60)
    target = await department_row(uow, route_to) if route_to else None
    top = candidates[0] if candidates else None
    ticket = Ticket(
        number=await _next_number(uow, policy, now),
        resident_id=resident_id,
        text=text,
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        photo_file_ids=list(draft.photo_file_ids),
        phone=draft.phone if draft.phone_consent else None,
        phone_consent=draft.phone_consent and draft.phone is not None,
        predicted_code=top.code if top else None,
        confidence=top.confidence if top else None,
        created_at=now,
    )
    uow.session.add(ticket)
    await uow.flush()
    _event(uow, ticket, EventKind.RECEIVED, now=now, resident=True)
    if target is not None:
        await _route(
            uow,
            ticket,
            target,
            policy=policy,
            now=now,
            actor=None,
            kind=EventKind.ROUTED,
            detail={},
        )
    else:
        await _send_to_dispatch(uow, ticket, candidates, now=now, reason="low_confidence")
    await uow.commit()
    return TicketView.of(ticket)


async def _send_to_dispatch(
    uow: UnitOfWork,
    ticket: Ticket,
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    reason: str,
    actor: Actor | None = None,
    note: str = "",
) -> None:
    from_status = ticket.status
    dispatch = await dispatch_row(uow)
    ticket.status = Status.PENDING_DISPATCH
    ticket.department_code = dispatch.code
    ticket.routed_at = None
    ticket.due_at = None
    ticket.awaiting_resident = False
    uow.session.add(ticket)
    await uow.flush()
    _event(
        uow,
        ticket,
        EventKind.SENT_TO_DISPATCH,
        now=now,
        actor=actor,
        from_status=from_status,
        detail={
            "reason": reason,
            "note": note,
            "candidates": [[c.code, c.confidence] for c in candidates],
        },
    )
    resident = await resident_row(uow, ticket)
    await notify(
        uow,
        ticket,
        Audience.DISPATCH,
        "dispatch_card",
        {
            **staff_card(ticket, resident, dispatch),
            "candidates": [[c.code, round(c.confidence, 3)] for c in candidates],
            "reason": reason,
            "note": note,
        },
        now=now,
    )
    await notify(
        uow, ticket, Audience.RESIDENT, "pending_dispatch", {"number": ticket.number}, now=now
    )


async def dispatch_ticket(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    department_code: str,
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """A dispatcher assigns a ticket by hand; the choice becomes a training example."""
    now = now or utcnow()
    if not actor.oversees_all:
        raise PermissionDenied("dispatch")
    ticket = await ticket_row(uow, number)
    _require(ticket, {Status.PENDING_DISPATCH, Status.RECEIVED}, "dispatch")
    department = await department_row(uow, department_code)
    if department.is_dispatch:
        raise InvalidInput("choose a department, not dispatch itself")
    await _route(
        uow,
        ticket,
        department,
        policy=policy,
        now=now,
        actor=actor,
        kind=EventKind.DISPATCHED,
        detail={},
    )
    _example(uow, ticket, department.code, "dispatch", actor, now)
    await uow.commit()
    return TicketView.of(ticket)


def _example(
    uow: UnitOfWork, ticket: Ticket, label: str, source: str, actor: Actor, now: datetime
) -> None:
    uow.session.add(
        LabelledExample(
            ticket_id=ticket.id,
            text=ticket.text,
            label=label,
            predicted=ticket.predicted_code,
            source=source,
            actor_user_id=actor.user_id,
            created_at=now,
        )
    )


# --- staff -----------------------------------------------------------------------------------


async def claim_ticket(
    *, uow: UnitOfWork, actor: Actor, number: str, now: datetime | None = None
) -> TicketView:
    """A member of staff takes a ticket on."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    _require_staff(actor, ticket, "claim")
    _require(ticket, {Status.ROUTED, Status.REOPENED, Status.IN_PROGRESS}, "claim")
    from_status = ticket.status
    ticket.status = Status.IN_PROGRESS
    ticket.assignee_user_id = actor.user_id
    uow.session.add(ticket)
    _event(uow, ticket, EventKind.CLAIMED, now=now, actor=actor, from_status=from_status)
    if from_status != Status.IN_PROGRESS:
        department = await department_row(uow, ticket.department_code or "")
        await notify(
            uow,
            ticket,
            Audience.RESIDENT,
            "claimed",
            {"number": ticket.number, "department": department.name},
            now=now,
        )
    await uow.commit()
    return TicketView.of(ticket)


async def reply_to_resident(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    text: str,
    photo_file_ids: Sequence[str] = (),
    now: datetime | None = None,
) -> TicketView:
    """The department's answer (with photos, if any) reaches the resident."""
    return await _message_resident(
        uow=uow,
        actor=actor,
        number=number,
        text=text,
        now=now,
        asking=False,
        photos=tuple(photo_file_ids),
    )


async def ask_resident(
    *, uow: UnitOfWork, actor: Actor, number: str, text: str, now: datetime | None = None
) -> TicketView:
    """Staff ask the resident a question; the resident's next message is attached."""
    return await _message_resident(
        uow=uow, actor=actor, number=number, text=text, now=now, asking=True
    )


async def _message_resident(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    text: str,
    now: datetime | None,
    asking: bool,
    photos: tuple[str, ...] = (),
) -> TicketView:
    now = now or utcnow()
    text = text.strip()
    if not text and not photos:
        raise InvalidInput("empty text")
    ticket = await ticket_row(uow, number)
    action = "ask" if asking else "reply"
    _require_staff(actor, ticket, action)
    _require(ticket, WORKABLE_STATUSES, action)
    from_status = ticket.status
    ticket.status = Status.IN_PROGRESS
    ticket.assignee_user_id = ticket.assignee_user_id or actor.user_id
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    if asking:
        ticket.awaiting_resident = True
    uow.session.add(ticket)
    kind = EventKind.ASKED if asking else EventKind.REPLIED
    detail: dict[str, Any] = {"text": text, **({"photos": list(photos)} if photos else {})}
    _event(uow, ticket, kind, now=now, actor=actor, from_status=from_status, detail=detail)
    department = await department_row(uow, ticket.department_code or "")
    if text:  # (more photos of one album come without words)
        await notify(
            uow,
            ticket,
            Audience.RESIDENT,
            "question" if asking else "reply",
            {"number": ticket.number, "department": department.name, "text": text},
            now=now,
        )
    if photos:  # after the words, in the same chat: the order holds
        await notify(
            uow,
            ticket,
            Audience.RESIDENT,
            "photos",
            {"number": ticket.number, "photos": list(photos)},
            now=now,
        )
    await uow.commit()
    return TicketView.of(ticket)


async def add_note(
    *, uow: UnitOfWork, actor: Actor, number: str, text: str, now: datetime | None = None
) -> TicketView:
    """An internal note: in the history, never shown to the resident."""
    now = now or utcnow()
    if not text.strip():
        raise InvalidInput("empty text")
    ticket = await ticket_row(uow, number)
    _require_staff(actor, ticket, "note")
    _event(uow, ticket, EventKind.NOTE, now=now, actor=actor, detail={"text": text.strip()})
    await uow.commit()
    return TicketView.of(ticket)


async def reassign_ticket(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    department_code: str,
    reason: str = "",
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """转办: move the ticket to another department; stored as a training example."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    _require_staff(actor, ticket, "reassign")
    _require(ticket, WORKABLE_STATUSES | {Status.PENDING_DISPATCH}, "reassign")
    department = await department_row(uow, department_code)
    if department.code == ticket.department_code:
        raise InvalidInput("the ticket is already with that department")
    if department.is_dispatch:
        await _send_to_dispatch(uow, ticket, (), now=now, reason="reassigned", actor=actor)
    else:
        ticket.reassign_count += 1
        await _route(
            uow,
            ticket,
            department,
            policy=policy,
            now=now,
            actor=actor,
            kind=EventKind.REASSIGNED,
            detail={"reason": reason.strip()},
        )
        _example(uow, ticket, department.code, "reassign", actor, now)
    await uow.commit()
    return TicketView.of(ticket)


async def resolve_ticket(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    code: ClosureCode,
    answer: str,
    duplicate_of: str | None = None,
    now: datetime | None = None,
) -> TicketView:
    """办结 with a closure code; the resident gets the answer and is asked to rate it."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    _require_staff(actor, ticket, "resolve")
    _require(ticket, WORKABLE_STATUSES, "resolve")
    if code == ClosureCode.NOT_OURS:
        # Not ours is not a closure: the ticket goes back to dispatch.
        ticket.reassign_count += 1
        await _send_to_dispatch(
            uow, ticket, (), now=now, reason="not_ours", actor=actor, note=answer.strip()
        )
        await uow.commit()
        return TicketView.of(ticket)
    original: Ticket | None = None
    if code == ClosureCode.DUPLICATE:
        if not duplicate_of:
            raise InvalidInput("a duplicate needs the number of the original ticket")
        original = await ticket_row(uow, duplicate_of, lock=False)
        if original.id == ticket.id:
            raise InvalidInput("a ticket cannot duplicate itself")
        ticket.duplicate_of_id = original.id
    else:
        ticket.duplicate_of_id = None  # a reopened duplicate answered on its own is no duplicate
    answer = answer.strip()
    if not answer and code != ClosureCode.DUPLICATE:
        raise InvalidInput("the resident needs an answer")
    from_status = ticket.status
    ticket.status = Status.RESOLVED
    ticket.closure_code = code
    ticket.answer = answer
    ticket.resolved_at = now
    ticket.awaiting_resident = False
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.RESOLVED,
        now=now,
        actor=actor,
        from_status=from_status,
        detail={
            "code": code,
            "answer": answer,
            "on_time": ticket.due_at is None or now <= ticket.due_at,
            "duplicate_of": original.number if original else None,
        },
    )
    department = await department_row(uow, ticket.department_code or "")
    await notify(
        uow,
        ticket,
        Audience.RESIDENT,
        "resolved",
        {
            "number": ticket.number,
            "department": department.name,
            "code": code,
            "answer": answer,
            "duplicate_of": original.number if original else None,
        },
        now=now,
    )
    await uow.commit()
    return TicketView.of(ticket)


# --- residents after the answer -----------------------------------------------------------------


async def add_resident_info(
    *,
    uow: UnitOfWork,
    resident_user_id: int,
    number: str,
    text: str = "",
    photo_file_ids: Sequence[str] = (),
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """The resident adds text or photos to an open ticket; staff get it. An answer to a
    question ends the pause: the deadline moves by the time spent waiting for it."""
    now = now or utcnow()
    ticket = await owned_ticket_row(uow, resident_user_id, number)
    _require(ticket, OPEN_STATUSES | {Status.RESOLVED}, "add information")
    if not text.strip() and not photo_file_ids:
        raise InvalidInput("nothing to add")
    answered = ticket.awaiting_resident
    ticket.awaiting_resident = False
    if answered and ticket.due_at is not None:
        asked_at = (
            await uow.session.exec(
                select(TicketEvent.at)
                .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.ASKED)
                .order_by(col(TicketEvent.id).desc())
                .limit(1)
            )
        ).first()
        if asked_at is not None and asked_at < ticket.due_at:
            # Only waiting that happened before the deadline gives time back: a question asked
            # late cannot turn an overdue ticket into an on-time one.
            waited_until = min(now, ticket.due_at)
            ticket.due_at = policy.deadlines.extend(ticket.due_at, asked_at, waited_until)
    ticket.photo_file_ids = [*(ticket.photo_file_ids or []), *photo_file_ids]
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.RESIDENT_INFO,
        now=now,
        resident=True,
        detail={"text": text.strip(), "photos": list(photo_file_ids), "answer": answered},
    )
    department = await department_row(uow, ticket.department_code or "")
    audience = Audience.DISPATCH if department.is_dispatch else Audience.DEPARTMENT
    await notify(
        uow,
        ticket,
        audience,
        "resident_info",
        {
            "number": ticket.number,
            "text": text.strip(),
            "photos": list(photo_file_ids),
            "answer": answered,
        },
        now=now,
        department=department,
    )
    await uow.commit()
    return TicketView.of(ticket)


async def rate_ticket(
    *,
    uow: UnitOfWork,
    resident_user_id: int,
    number: str,
    rating: Rating,
    reason: str = "",
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """回访: satisfied closes; unsatisfied reopens (limited times, then supervisors step in)."""
    now = now or utcnow()
    if rating == Rating.UNRATED:
        raise InvalidInput("residents rate with a real answer")
    ticket = await owned_ticket_row(uow, resident_user_id, number)
    _require(ticket, {Status.RESOLVED}, "rate")
    ticket.rating = rating
    _event(
        uow,
        ticket,
        EventKind.RATED,
        now=now,
        resident=True,
        detail={"rating": rating, "reason": reason.strip()},
    )
    department = await department_row(uow, ticket.department_code or "")
    if rating != Rating.UNSATISFIED:
        _close(uow, ticket, now=now)
    elif ticket.reopen_count >= policy.max_reopens:
        _close(uow, ticket, now=now)
        ticket.escalated_at = now
        _event(uow, ticket, EventKind.ESCALATED, now=now, detail={"reason": "unsatisfied"})
        await notify(
            uow,
            ticket,
            Audience.SUPERVISORS,
            "escalation",
            {
                "number": ticket.number,
                "department": department.name,
                "reason": reason.strip(),
                "why": "unsatisfied",
            },
            now=now,
        )
    else:
        from_status = ticket.status
        ticket.status = Status.REOPENED
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closure_code = None
        ticket.due_at = policy.deadlines.due_at(now, department.sla_hours)
        ticket.reminded_at = ticket.overdue_at = ticket.escalated_at = None
        _event(
            uow,
            ticket,
            EventKind.REOPENED,
            now=now,
            resident=True,
            from_status=from_status,
            detail={"reason": reason.strip()},
        )
        await notify(
            uow,
            ticket,
            Audience.DEPARTMENT,
            "reopened",
            {"number": ticket.number, "reason": reason.strip(), "count": ticket.reopen_count},
            now=now,
            department=department,
        )
    await notify(
        uow,
        ticket,
        Audience.RESIDENT,
        "closed" if ticket.status == Status.CLOSED else "reopened",
        {"number": ticket.number, "rating": rating, "department": department.name},
        now=now,
    )
    uow.session.add(ticket)
    await uow.commit()
    return TicketView.of(ticket)


def _close(uow: UnitOfWork, ticket: Ticket, *, now: datetime) -> None:
    from_status = ticket.status
    ticket.status = Status.CLOSED
    ticket.closed_at = now
    uow.session.add(ticket)
    _event(uow, ticket, EventKind.CLOSED, now=now, from_status=from_status)


async def close_unrated(
    *, uow: UnitOfWork, resolved_before: datetime, now: datetime | None = None, limit: int = 500
) -> list[str]:
    """Close tickets resolved before a time and never rated (未评价); returns their numbers."""
    now = now or utcnow()
    query = (
        select(Ticket)
        .where(Ticket.status == Status.RESOLVED, col(Ticket.resolved_at) < resolved_before)
        .order_by(col(Ticket.resolved_at))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)  # one worker per ticket
    rows = await uow.session.exec(query)
    closed: list[str] = []
    for ticket in rows.all():
        ticket.rating = Rating.UNRATED
        _close(uow, ticket, now=now)
        await notify(
            uow,
            ticket,
            Audience.RESIDENT,
            "closed",
            {"number": ticket.number, "rating": Rating.UNRATED},
            now=now,
        )
        closed.append(ticket.number)
    await uow.commit()
    return closed
