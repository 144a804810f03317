"""The ticket lifecycle: every state change is one transaction of ticket + event + outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select

from classifiers.model import Prediction
from storage.columns import utcnow
from storage.errors import (
    AlreadyClaimed,
    ExtensionRefused,
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    RateLimited,
    SendBackTooLate,
)
from storage.lifecycle import Action, Party, Step, allowed, parties, require, sources
from storage.members import Actor, member_name
from storage.models import (
    ActorKind,
    Audience,
    ClosureCode,
    Department,
    EventKind,
    LabelledExample,
    Rating,
    Resident,
    Role,
    Status,
    Ticket,
    TicketCohandler,
    TicketCounter,
    TicketEvent,
)
from storage.notices import (
    CardVia,
    Claimed,
    Closed,
    CohandlerCard,
    CohandlerNote,
    DispatchCard,
    DispatchReason,
    Escalation,
    EscalationWhy,
    ExtensionApproved,
    ExtensionDecided,
    ExtensionRequest,
    PendingDispatch,
    Photos,
    Question,
    Reopened,
    Reply,
    ResidentInfo,
    Resolved,
    Rework,
    Routed,
    SendBackCard,
    SendBackDecided,
    TicketCard,
    Voices,
)
from storage.outbox import announce
from storage.routing import Candidate, decide
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

MAX_TEXT_CHARS = 4096  # what Telegram lets a person send in one message


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
    dispatch_threshold: float = 0.5  # below it, the dispatch desk decides
    working_day_hours: float = 8.0  # working hours in a working day (the office hours')
    accept_hours: float = 8.0  # 签收: working hours after routing (one working day)
    send_back_days: float = 2.0  # 退单: allowed this many working days after routing
    max_extension_days: int = 10  # 延期: working days one extension may add
    max_extensions: int = 1  # 延期: approved extensions a ticket may have


@dataclass(frozen=True, slots=True)
class Draft:
    """What a resident has told us, ready to become a ticket."""

    text: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photo_file_ids: tuple[str, ...] = ()
    voice_file_ids: tuple[str, ...] = ()
    phone: str | None = None
    phone_consent: bool = False
    theme: str | None = None  # the month's theme, when the resident says it is about it


@dataclass(frozen=True, slots=True)
class ResidentRef:
    """The Telegram identity of a resident."""

    user_id: int
    chat_id: int
    display_name: str = ""


# --- helpers ---------------------------------------------------------------------------------


def _authorise(actor: Actor, ticket: Ticket, action: Action) -> None:
    """The table says who may take an action: staff of the ticket's current department (and
    overseers), or only dispatchers, supervisors and admins."""
    who = parties(action)
    if Party.STAFF in who:
        allowed = actor.may_work_on(ticket.department_code)
    elif Party.SUPERVISOR in who:
        allowed = actor.has(Role.SUPERVISOR) or actor.has(Role.ADMIN)
    elif Party.COHANDLER in who:  # which departments co-handle it is read by the caller
        allowed = False
    else:
        allowed = Party.DISPATCHER in who and actor.oversees_all
    if not allowed:
        raise PermissionDenied(action)


def _accept(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """签收: the department's first step on a routed ticket accepts it (the card's 认领, or
    an answer straight away); what the event records about it ({} if already accepted)."""
    if ticket.accepted_at is not None or ticket.routed_at is None:
        return {}
    ticket.accepted_at = now
    on_time = ticket.accept_due_at is None or now <= ticket.accept_due_at
    return {"accepted": True, "accepted_on_time": on_time}


def _step(ticket: Ticket, action: Action) -> Step:
    """The table's step for this action from the ticket's status (or IllegalTransition)."""
    return require(ticket.number, ticket.status, action)


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
    step: Step,
    policy: Policy,
    now: datetime,
    actor: Actor | None,
    detail: dict[str, Any],
) -> None:
    kind = step.events[-1]  # the routing itself (a step may record its reason first)
    from_status = ticket.status
    previous = ticket.department_code
    ticket.department_code = department.code
    ticket.status = step.target
    ticket.routed_at = now
    ticket.assignee_user_id = None
    ticket.due_at = policy.deadlines.due_at(now, department.sla_hours)
    ticket.reminded_at = ticket.overdue_at = ticket.escalated_at = None
    ticket.awaiting_resident = False  # a new department starts without an open question
    # 签收: each department the ticket is routed to accepts it anew, from routing
    ticket.accept_due_at = policy.deadlines.due_at(now, policy.accept_hours)
    ticket.accepted_at = ticket.accept_reminded_at = ticket.accept_escalated_at = None
    ticket.extension_pending_days = None  # a request was the previous department's
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
    card = TicketCard(staff_card(ticket, resident), CardVia(kind), detail.get("reason"))
    await announce(uow, step, ticket, Audience.DEPARTMENT, card, now=now, department=department)
    routed = Routed(ticket.number, department.code, ticket.due_at, kind != EventKind.ROUTED)
    await announce(uow, step, ticket, Audience.RESIDENT, routed, now=now)


# --- residents -------------------------------------------------------------------------------


async def upsert_resident(*, uow: UnitOfWork, resident: ResidentRef) -> int:
    """Create or refresh a resident; returns the resident's id (no commit)."""
    row = await upsert_resident_row(uow=uow, resident=resident)
    assert row.id is not None
    return row.id


async def upsert_resident_row(*, uow: UnitOfWork, resident: ResidentRef) -> Resident:
    """`upsert_resident`, returning the row: while the caller holds it, the session has it and
    reading it again by id (`storage.rows.resident_row`) costs no SELECT. One statement
    (INSERT … ON CONFLICT DO UPDATE … RETURNING), no read first."""
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    statement = insert(Resident).values(
        user_id=resident.user_id,
        chat_id=resident.chat_id,
        display_name=resident.display_name,
        created_at=utcnow(),
    )
    name = statement.excluded.display_name
    upsert = statement.on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "chat_id": statement.excluded.chat_id,
            "display_name": case((name != "", name), else_=col(Resident.display_name)),
            "blocked_at": None,
        },
    ).returning(Resident)
    rows = await uow.session.exec(upsert.execution_options(populate_existing=True))
    row: Resident = rows.scalar_one()
    return row


async def open_ticket(
    *,
    uow: UnitOfWork,
    resident: ResidentRef,
    draft: Draft,
    prediction: Prediction | None,
    policy: Policy,
    emergency: str = "",
    now: datetime | None = None,
) -> TicketView:
    """Create a ticket and route it where the model predicts when it is sure enough (the
    policy's threshold), else to the dispatch desk; one transaction. An `emergency`
    ("kind:number", e.g. "fire:119") goes to the dispatch desk as urgent, whatever the model
    says, and is never held back by the hourly limit."""
    now = now or utcnow()
    text = draft.text.strip()
    if not text:
        raise InvalidInput("empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text longer than {MAX_TEXT_CHARS} characters")
    # Held for the whole use case, so routing it finds the resident in the session.
    resident_held = await upsert_resident_row(uow=uow, resident=resident)
    resident_id = resident_held.id
    assert resident_id is not None
    # One SELECT: the district's departments (the routable codes, the target and the desk),
    # each row carrying the resident's tickets of the last hour (the rate limit).
    last_hour = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.resident_id == resident_id, Ticket.created_at > now - timedelta(hours=1))
        .scalar_subquery()
    )
    rows = (await uow.session.exec(select(Department, last_hour))).all()
    recent = rows[0][1] if rows else 0
    if recent >= policy.tickets_per_hour and not emergency:
        raise RateLimited(policy.tickets_per_hour, 60)
    departments = {d.code: d for d, _ in rows}
    decision = decide(
        None if emergency else prediction,
        threshold=policy.dispatch_threshold,
        known=frozenset(code for code, d in departments.items() if not d.is_dispatch),
    )
    target = departments.get(decision.route_to) if decision.route_to else None
    desk = next((d for d in departments.values() if d.is_dispatch), None)
    ticket = Ticket(
        number=await _next_number(uow, policy, now),
        resident_id=resident_id,
        text=text,
        address=draft.address,
        latitude=draft.latitude,
        longitude=draft.longitude,
        photo_file_ids=list(draft.photo_file_ids),
        voice_file_ids=list(draft.voice_file_ids),
        phone=draft.phone if draft.phone_consent else None,
        phone_consent=draft.phone_consent and draft.phone is not None,
        predicted_code=prediction.code if prediction else None,
        confidence=prediction.confidence if prediction else None,
        created_at=now,
        theme=(draft.theme or "").strip()[:64] or None,
    )
    uow.session.add(ticket)
    await uow.flush()
    _event(uow, ticket, EventKind.RECEIVED, now=now, resident=True)
    if target is not None:
        step = require(ticket.number, ticket.status, Action.ROUTE)
        await _route(uow, ticket, target, step=step, policy=policy, now=now, actor=None, detail={})
    else:
        step = require(ticket.number, ticket.status, Action.HOLD)
        await _send_to_dispatch(
            uow,
            ticket,
            decision.candidates,
            step=step,
            now=now,
            reason=DispatchReason.EMERGENCY if emergency else DispatchReason.LOW_CONFIDENCE,
            note=emergency,
            dispatch=desk,
        )
    await uow.commit()
    return TicketView.of(ticket)


async def _send_to_dispatch(
    uow: UnitOfWork,
    ticket: Ticket,
    candidates: Sequence[Candidate],
    *,
    step: Step,
    now: datetime,
    reason: DispatchReason,
    actor: Actor | None = None,
    note: str = "",
    dispatch: Department | None = None,  # the desk, when the caller has read it already
) -> None:
    from_status = ticket.status
    dispatch = dispatch or await dispatch_row(uow)
    ticket.status = step.target
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
    card = DispatchCard(
        staff_card(ticket, resident),
        tuple(Candidate(c.code, round(c.confidence, 3)) for c in candidates),
        reason,
        note,
    )
    await announce(uow, step, ticket, Audience.DISPATCH, card, now=now, department=dispatch)
    await announce(uow, step, ticket, Audience.RESIDENT, PendingDispatch(ticket.number), now=now)


async def dispatch_ticket(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    department_code: str,
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """A dispatcher assigns a ticket by hand; the choice becomes a training example. A ticket
    a department sent back (退单) is re-dispatched this way: that approves the 退单."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    sent_back = allowed(ticket.status, Action.APPROVE_SEND_BACK) is not None
    action = Action.APPROVE_SEND_BACK if sent_back else Action.DISPATCH
    _authorise(actor, ticket, action)
    step = _step(ticket, action)
    department = await department_row(uow, department_code)
    if department.is_dispatch:
        raise InvalidInput("choose a department, not dispatch itself")
    if not sent_back:
        await _route(
            uow, ticket, department, step=step, policy=policy, now=now, actor=actor, detail={}
        )
        _example(uow, ticket, department.code, "dispatch", actor, now)
        await uow.commit()
        return TicketView.of(ticket)
    sender = await department_row(uow, ticket.department_code or "")
    if department.code == sender.code:
        raise InvalidInput("to keep it with the department, refuse the send-back with a reason")
    _event(
        uow, ticket, EventKind.SEND_BACK_APPROVED, now=now, actor=actor, from_status=ticket.status
    )
    decided = SendBackDecided(ticket.number, approved=True, department_code=department.code)
    await announce(uow, step, ticket, Audience.DEPARTMENT, decided, now=now, department=sender)
    ticket.reassign_count += 1
    await _route(uow, ticket, department, step=step, policy=policy, now=now, actor=actor, detail={})
    _example(uow, ticket, department.code, "send_back", actor, now)
    await uow.commit()
    return TicketView.of(ticket)


async def send_back_ticket(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    reason: str,
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """退单: the department sends a ticket back to the dispatch desk with its reason, within
    `policy.send_back_days` working days of routing; the desk decides. Not a 转办: the
    ticket stays the department's (and its clock runs) until the desk re-dispatches it."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a send-back needs a reason")
    ticket = await ticket_row(uow, number)
    _authorise(actor, ticket, Action.SEND_BACK)
    step = _step(ticket, Action.SEND_BACK)
    routed = ticket.routed_at or now
    window = policy.send_back_days * policy.working_day_hours * 3600
    if policy.deadlines.working_seconds_between(routed, now) > window:
        raise SendBackTooLate(ticket.number, days=policy.send_back_days)
    from_status = ticket.status
    ticket.status = step.target
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.SENT_BACK,
        now=now,
        actor=actor,
        from_status=from_status,
        detail={"reason": reason},
    )
    resident = await resident_row(uow, ticket)
    card = SendBackCard(staff_card(ticket, resident), reason)
    await announce(uow, step, ticket, Audience.DISPATCH, card, now=now)
    await uow.commit()
    return TicketView.of(ticket)


async def refuse_send_back(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    reason: str,
    now: datetime | None = None,
) -> TicketView:
    """The dispatch desk refuses a 退单, with its reason: the ticket goes back to the same
    department, its deadlines as they were (the clock is not reset)."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a refusal needs a reason")
    ticket = await ticket_row(uow, number)
    _authorise(actor, ticket, Action.REFUSE_SEND_BACK)
    step = _step(ticket, Action.REFUSE_SEND_BACK)
    from_status = ticket.status
    ticket.status = step.target
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.SEND_BACK_REJECTED,
        now=now,
        actor=actor,
        from_status=from_status,
        detail={"reason": reason},
    )
    department = await department_row(uow, ticket.department_code or "")
    decided = SendBackDecided(ticket.number, approved=False, reason=reason)
    await announce(uow, step, ticket, Audience.DEPARTMENT, decided, now=now, department=department)
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
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    take_over: bool = False,
    now: datetime | None = None,
) -> TicketView:
    """A member of staff takes a ticket on: claims it if nobody has, or, with `take_over`,
    takes it over from a colleague. A claim that finds the ticket already claimed (two
    presses at once, the second one) raises `AlreadyClaimed` with who has it.

    Safe on both databases: PostgreSQL locks the row (`ticket_row`); the change itself is a
    compare-and-set on the status and assignee read, so on SQLite, where a second worker may
    have read the same row, only one claim wins and only one notice reaches the resident."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    _authorise(actor, ticket, Action.CLAIM)
    holder = ticket.assignee_user_id
    claimed = allowed(ticket.status, Action.TAKE_OVER) is not None and holder is not None
    if claimed and (holder == actor.user_id or not take_over):
        await _already_claimed(uow, ticket, actor)
    step = _step(ticket, Action.TAKE_OVER if claimed else Action.CLAIM)
    from_status = ticket.status
    tickets = SQLModel.metadata.tables[Ticket.__tablename__]
    same_holder = (
        tickets.c.assignee_user_id.is_(None)
        if holder is None
        else tickets.c.assignee_user_id == holder
    )
    won = await uow.session.exec(
        update(tickets)
        .where(tickets.c.id == ticket.id, tickets.c.status == from_status, same_holder)
        .values(status=step.target, assignee_user_id=actor.user_id)
    )
    if won.rowcount != 1:  # another claim committed after this one read the ticket
        await uow.session.refresh(ticket)
        await _already_claimed(uow, ticket, actor)
        raise IllegalTransition(ticket.number, ticket.status, step.action.value)
    ticket.status = step.target
    ticket.assignee_user_id = actor.user_id
    detail: dict[str, Any] = {"took_over_from": holder} if claimed else _accept(ticket, now)
    uow.session.add(ticket)
    _event(
        uow, ticket, EventKind.CLAIMED, now=now, actor=actor, from_status=from_status, detail=detail
    )
    if step.notices:  # not when a colleague takes over a ticket already in hand
        notice = Claimed(ticket.number, ticket.department_code or "")
        await announce(uow, step, ticket, Audience.RESIDENT, notice, now=now)
    await uow.commit()
    return TicketView.of(ticket)


async def _already_claimed(uow: UnitOfWork, ticket: Ticket, actor: Actor) -> None:
    """Raise `AlreadyClaimed` if the ticket is claimed (by anyone, the actor included)."""
    holder = ticket.assignee_user_id
    if allowed(ticket.status, Action.TAKE_OVER) is None or holder is None:
        return
    name = await member_name(uow=uow, user_id=holder)
    raise AlreadyClaimed(ticket.number, by_name=name, own=holder == actor.user_id)


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
    action = Action.ASK if asking else Action.REPLY
    _authorise(actor, ticket, action)
    step = _step(ticket, action)
    from_status = ticket.status
    ticket.status = step.target
    ticket.assignee_user_id = ticket.assignee_user_id or actor.user_id
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    if asking:
        ticket.awaiting_resident = True
    accepted = _accept(ticket, now)
    uow.session.add(ticket)
    kind = EventKind.ASKED if asking else EventKind.REPLIED
    detail: dict[str, Any] = {"text": text, **({"photos": list(photos)} if photos else {})}
    detail.update(accepted)
    _event(uow, ticket, kind, now=now, actor=actor, from_status=from_status, detail=detail)
    code = ticket.department_code or ""
    if text:  # (more photos of one album come without words)
        said = Question(ticket.number, code, text) if asking else Reply(ticket.number, code, text)
        await announce(uow, step, ticket, Audience.RESIDENT, said, now=now)
    if photos:  # after the words, in the same chat: the order holds
        await announce(uow, step, ticket, Audience.RESIDENT, Photos(ticket.number, photos), now=now)
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
    _authorise(actor, ticket, Action.NOTE)
    _step(ticket, Action.NOTE)
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
    _authorise(actor, ticket, Action.REASSIGN)
    department = await department_row(uow, department_code)
    step = _step(ticket, Action.RETURN if department.is_dispatch else Action.REASSIGN)
    if department.code == ticket.department_code:
        raise InvalidInput("the ticket is already with that department")
    if department.is_dispatch:
        await _send_to_dispatch(
            uow, ticket, (), step=step, now=now, reason=DispatchReason.REASSIGNED, actor=actor
        )
    else:
        ticket.reassign_count += 1
        await _route(
            uow,
            ticket,
            department,
            step=step,
            policy=policy,
            now=now,
            actor=actor,
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
    _authorise(actor, ticket, Action.RESOLVE)
    if code == ClosureCode.NOT_OURS:
        # Not ours is not a closure: the ticket goes back to dispatch.
        step = _step(ticket, Action.NOT_OURS)
        ticket.reassign_count += 1
        await _send_to_dispatch(
            uow,
            ticket,
            (),
            step=step,
            now=now,
            reason=DispatchReason.NOT_OURS,
            actor=actor,
            note=answer.strip(),
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
    step = _step(ticket, Action.RESOLVE)
    from_status = ticket.status
    ticket.status = step.target
    ticket.closure_code = code
    ticket.answer = answer
    ticket.resolved_at = now
    ticket.awaiting_resident = False
    if ticket.first_reply_at is None:
        ticket.first_reply_at = now
    accepted = _accept(ticket, now)
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
            **accepted,
        },
    )
    resolved = Resolved(
        ticket.number,
        ticket.department_code or "",
        code,
        answer,
        original.number if original else None,
    )
    await announce(uow, step, ticket, Audience.RESIDENT, resolved, now=now)
    await uow.commit()
    return TicketView.of(ticket)


# --- 延期 (extension) -------------------------------------------------------------------------


async def request_extension(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    days: int,
    reason: str,
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """延期: the department asks supervisors for `days` more working days, with a reason; at
    most `policy.max_extension_days` each and `policy.max_extensions` approved per ticket,
    one request at a time."""
    now = now or utcnow()
    reason = reason.strip()
    if not reason:
        raise InvalidInput("an extension needs a reason")
    if days < 1:
        raise InvalidInput("an extension is at least one working day")
    ticket = await ticket_row(uow, number)
    _authorise(actor, ticket, Action.REQUEST_EXTENSION)
    step = _step(ticket, Action.REQUEST_EXTENSION)
    if days > policy.max_extension_days:
        raise ExtensionRefused(ticket.number, why="too_long", limit=policy.max_extension_days)
    if ticket.extension_count >= policy.max_extensions:
        raise ExtensionRefused(ticket.number, why="too_many", limit=policy.max_extensions)
    if ticket.extension_pending_days is not None:
        raise ExtensionRefused(ticket.number, why="pending")
    ticket.extension_pending_days = days
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.EXTENSION_REQUESTED,
        now=now,
        actor=actor,
        detail={"days": days, "reason": reason},
    )
    assert ticket.due_at is not None  # a department works on it: it has a deadline
    request = ExtensionRequest(
        ticket.number,
        ticket.department_code or "",
        days,
        reason,
        ticket.due_at,
        ticket.extension_count,
    )
    await announce(uow, step, ticket, Audience.SUPERVISORS, request, now=now)
    await uow.commit()
    return TicketView.of(ticket)


async def decide_extension(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    days: int,
    approve: bool,
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """A supervisor approves or denies the pending request for `days` working days (the
    button's days must match it: a stale button changes nothing). Approved: the due date moves
    by that working time, the resident is told the new date; either way the department is."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    _authorise(actor, ticket, action)
    step = _step(ticket, action)
    if ticket.extension_pending_days is None or ticket.extension_pending_days != days:
        raise InvalidInput("no such extension request is pending")
    assert ticket.due_at is not None
    ticket.extension_pending_days = None
    if approve:
        ticket.due_at = policy.deadlines.due_at(ticket.due_at, days * policy.working_day_hours)
        ticket.extension_count += 1
        ticket.reminded_at = ticket.overdue_at = ticket.escalated_at = None  # a new deadline
    uow.session.add(ticket)
    kind = EventKind.EXTENSION_APPROVED if approve else EventKind.EXTENSION_DENIED
    _event(
        uow,
        ticket,
        kind,
        now=now,
        actor=actor,
        detail={"days": days, "due": ticket.due_at.isoformat()},
    )
    department = await department_row(uow, ticket.department_code or "")
    if approve:
        told = ExtensionApproved(ticket.number, department.code, ticket.due_at)
        await announce(uow, step, ticket, Audience.RESIDENT, told, now=now)
    decided = ExtensionDecided(ticket.number, approve, days, ticket.due_at)
    await announce(uow, step, ticket, Audience.DEPARTMENT, decided, now=now, department=department)
    await uow.commit()
    return TicketView.of(ticket)


# --- 协办 (co-handling) -------------------------------------------------------------------------


async def cohandler_codes(*, uow: UnitOfWork, ticket_id: int) -> list[str]:
    """The departments co-handling a ticket, in the order they were added."""
    rows = await uow.session.exec(
        select(TicketCohandler.department_code)
        .where(TicketCohandler.ticket_id == ticket_id)
        .order_by(col(TicketCohandler.id))
    )
    return list(rows.all())


async def add_cohandler(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    department_code: str,
    note: str = "",
    now: datetime | None = None,
) -> TicketView:
    """协办: the lead department (or dispatch) asks another department to help; it gets the
    ticket in its own group, may add notes and a partial answer, and never resolves it."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    _authorise(actor, ticket, Action.ADD_COHANDLER)
    step = _step(ticket, Action.ADD_COHANDLER)
    department = await department_row(uow, department_code)
    if department.is_dispatch or department.code == ticket.department_code:
        raise InvalidInput("a co-handler is another department")
    assert ticket.id is not None
    if department.code in await cohandler_codes(uow=uow, ticket_id=ticket.id):
        raise InvalidInput("that department co-handles the ticket already")
    uow.session.add(
        TicketCohandler(
            ticket_id=ticket.id,
            department_code=department.code,
            added_at=now,
            actor_user_id=actor.user_id,
        )
    )
    _event(
        uow,
        ticket,
        EventKind.COHANDLER_ADDED,
        now=now,
        actor=actor,
        detail={"department": department.code, "note": note.strip()},
    )
    resident = await resident_row(uow, ticket)
    card = CohandlerCard(staff_card(ticket, resident), department.code, note.strip())
    await announce(uow, step, ticket, Audience.DEPARTMENT, card, now=now, department=department)
    await uow.commit()
    return TicketView.of(ticket)


async def cohandler_note(
    *,
    uow: UnitOfWork,
    actor: Actor,
    number: str,
    text: str,
    partial: bool,
    now: datetime | None = None,
) -> str:
    """A co-handling department's note or partial answer reaches the lead department (never
    the resident: only the lead answers and resolves). Returns the co-handler's code."""
    now = now or utcnow()
    text = text.strip()
    if not text:
        raise InvalidInput("empty text")
    ticket = await ticket_row(uow, number)
    assert ticket.id is not None
    mine = [
        c for c in await cohandler_codes(uow=uow, ticket_id=ticket.id) if c in actor.departments
    ]
    if not mine:
        raise PermissionDenied(Action.COHANDLER_NOTE)
    step = _step(ticket, Action.COHANDLER_NOTE)
    _event(
        uow,
        ticket,
        EventKind.COHANDLER_NOTED,
        now=now,
        actor=actor,
        detail={"department": mine[0], "text": text, "partial": partial},
    )
    lead = await department_row(uow, ticket.department_code or "")
    note = CohandlerNote(ticket.number, mine[0], text, partial)
    await announce(uow, step, ticket, Audience.DEPARTMENT, note, now=now, department=lead)
    await uow.commit()
    return mine[0]


# --- residents after the answer -----------------------------------------------------------------


async def add_resident_info(
    *,
    uow: UnitOfWork,
    resident_user_id: int,
    number: str,
    text: str = "",
    photo_file_ids: Sequence[str] = (),
    voice_file_ids: Sequence[str] = (),
    policy: Policy,
    now: datetime | None = None,
    relayed_by: Actor | None = None,
) -> TicketView:
    """The resident adds text, photos or voice messages to an open ticket; staff get it. An
    answer to a question ends the pause: the deadline moves by the time spent waiting.
    `relayed_by`: the collector who recorded the ticket passes on what its resident said,
    while no resident follows it in Telegram (`resident_user_id` is then not used)."""
    now = now or utcnow()
    if relayed_by is None:
        ticket = await owned_ticket_row(uow, resident_user_id, number)
    else:
        ticket = await ticket_row(uow, number)
        if ticket.recorder_user_id != relayed_by.user_id or ticket.resident_id is not None:
            raise PermissionDenied(Action.ADD_INFO)
    step = require(ticket.number, ticket.status, Action.ADD_INFO)
    if not text.strip() and not photo_file_ids and not voice_file_ids:
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
    ticket.voice_file_ids = [*(ticket.voice_file_ids or []), *voice_file_ids]
    uow.session.add(ticket)
    _event(
        uow,
        ticket,
        EventKind.RESIDENT_INFO,
        now=now,
        resident=True,
        detail={
            "text": text.strip(),
            "photos": list(photo_file_ids),
            "voices": list(voice_file_ids),
            "answer": answered,
            **({"relayed_by": relayed_by.user_id} if relayed_by else {}),
        },
    )
    department = await department_row(uow, ticket.department_code or "")
    audience = Audience.DISPATCH if department.is_dispatch else Audience.DEPARTMENT
    voices = tuple(voice_file_ids)
    info = ResidentInfo(ticket.number, text.strip(), tuple(photo_file_ids), answered, voices)
    await announce(uow, step, ticket, audience, info, now=now, department=department)
    if voices:  # after the words, in the same chat: the order holds
        voice = Voices(ticket.number, voices)
        await announce(uow, step, ticket, audience, voice, now=now, department=department)
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
    if rating != Rating.UNSATISFIED:
        action = Action.RATE
    elif ticket.reopen_count >= policy.max_reopens:
        action = Action.REJECT_FINAL  # no reopens left: closed, and supervisors step in
    else:
        action = Action.REJECT
    step = _step(ticket, action)
    await apply_verdict(
        uow,
        ticket,
        step,
        rating=rating,
        reason=reason,
        policy=policy,
        now=now,
        event=EventKind.RATED,
        escalate=action == Action.REJECT_FINAL,
    )
    uow.session.add(ticket)
    await uow.commit()
    return TicketView.of(ticket)


async def apply_verdict(
    uow: UnitOfWork,
    ticket: Ticket,
    step: Step,
    *,
    rating: Rating,
    reason: str,
    policy: Policy,
    now: datetime,
    event: EventKind,
    escalate: bool,
    collector: Actor | None = None,
) -> None:
    """The resident's verdict on a resolved ticket, given by them (RATED) or heard at a
    collector's 回访 (FOLLOWED_UP, `collector`): a step that reopens sends it back to the
    department; any other closes it, with supervisors told when `escalate` (no reopens left)."""
    by: dict[str, Any] = {"actor": collector} if collector else {"resident": True}
    ticket.rating = rating
    _event(uow, ticket, event, now=now, detail={"rating": rating, "reason": reason.strip()}, **by)
    department = await department_row(uow, ticket.department_code or "")
    if step.target == Status.REOPENED:
        from_status = ticket.status
        ticket.status = step.target
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
            from_status=from_status,
            detail={"reason": reason.strip()},
            **by,
        )
        rework = Rework(ticket.number, reason.strip(), ticket.reopen_count)
        await announce(
            uow, step, ticket, Audience.DEPARTMENT, rework, now=now, department=department
        )
        reopened = Reopened(ticket.number, department.code)
        await announce(uow, step, ticket, Audience.RESIDENT, reopened, now=now)
        return
    _close(uow, step, ticket, now=now)
    if escalate:
        ticket.escalated_at = now
        _event(uow, ticket, EventKind.ESCALATED, now=now, detail={"reason": "unsatisfied"})
        escalation = Escalation(
            ticket.number, department.code, EscalationWhy.UNSATISFIED, reason.strip()
        )
        await announce(uow, step, ticket, Audience.SUPERVISORS, escalation, now=now)
    await announce(uow, step, ticket, Audience.RESIDENT, Closed(ticket.number, rating), now=now)


def _close(uow: UnitOfWork, step: Step, ticket: Ticket, *, now: datetime) -> None:
    from_status = ticket.status
    ticket.status = step.target
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
        .where(
            col(Ticket.status).in_(sources(Action.CLOSE_UNRATED)),
            col(Ticket.resolved_at) < resolved_before,
        )
        .order_by(col(Ticket.resolved_at))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)  # one worker per ticket
    rows = await uow.session.exec(query)
    closed: list[str] = []
    for ticket in rows.all():
        step = _step(ticket, Action.CLOSE_UNRATED)
        ticket.rating = Rating.UNRATED
        _close(uow, step, ticket, now=now)
        closed_unrated = Closed(ticket.number, Rating.UNRATED)
        await announce(uow, step, ticket, Audience.RESIDENT, closed_unrated, now=now)
        closed.append(ticket.number)
    await uow.commit()
    return closed
