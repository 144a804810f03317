"""The campaign's own channel: collectors (民情书记 / 网格员) record what residents tell them
(代录), answer on the spot (直办) or send it on (转办), follow each ticket to the end (首问跟办)
and keep their team's register (诉求台账), ticking items off (销号).

Every function is one transaction, its steps taken from the lifecycle table like those of
storage.tickets, whose routing and event helpers it shares.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import SQLModel, col, select

from classifiers.model import Prediction
from storage.columns import utcnow
from storage.errors import IllegalTransition, InvalidInput, PermissionDenied
from storage.lifecycle import Action, require
from storage.members import Actor
from storage.models import (
    Audience,
    Channel,
    ClosureCode,
    EventKind,
    Rating,
    Status,
    Ticket,
)
from storage.notices import (
    DispatchReason,
    FollowUp,
    Linked,
    NoticeKind,
)
from storage.outbox import announce
from storage.routing import decide
from storage.rows import department_row, routable_codes, ticket_row
from storage.tickets import (
    MAX_TEXT_CHARS,
    Policy,
    ResidentRef,
    _event,
    _example,
    _next_number,
    _route,
    _send_to_dispatch,
    apply_verdict,
    upsert_resident,
)
from storage.unit_of_work import UnitOfWork
from storage.views import TicketView

START_CODE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")  # what Telegram allows after ?start=
COLLECTED_CHANNELS = tuple(c for c in Channel if c != Channel.BOT)


def new_start_code() -> str:
    """A single-use, unguessable code for a ticket's start link (128 random bits)."""
    return secrets.token_urlsafe(16)


def _digest(code: str) -> str:
    """Only the code's hash is stored: a leaked database links nobody to anything."""
    return hashlib.sha256(code.encode()).hexdigest()


def start_link(bot_username: str, code: str) -> str:
    """The link a resident opens to follow the ticket: https://t.me/<bot>?start=<code>."""
    return f"https://t.me/{bot_username}?start={code}"


@dataclass(frozen=True, slots=True)
class Record:
    """What a collector heard from a resident, ready to become a ticket (代录)."""

    channel: Channel
    text: str
    person_name: str = ""  # "": 匿名
    address: str | None = None
    photo_file_ids: tuple[str, ...] = ()
    phone: str | None = None
    phone_consent: bool = False  # the resident said the phone may be given to staff
    theme: str | None = None  # the month's theme, when the request is about it


@dataclass(frozen=True, slots=True)
class Recorded:
    """The recorded ticket and its start code (in clear only here: the link and QR carry it)."""

    ticket: TicketView
    start_code: str


def _require_collector(actor: Actor, action: Action) -> str:
    """The collector's team, or PermissionDenied."""
    team = actor.team
    if team is None:
        raise PermissionDenied(action)
    return team


async def record_ticket(
    *,
    uow: UnitOfWork,
    collector: Actor,
    record: Record,
    prediction: Prediction | None,
    policy: Policy,
    department_code: str | None = None,
    answer_on_spot: str | None = None,
    emergency: str = "",
    now: datetime | None = None,
) -> Recorded:
    """代录: a ticket on a resident's behalf, with the collector as recorder. With
    `answer_on_spot` it is closed at once as 现场解答 (直办, already 销号); otherwise it is sent
    on (转办): to `department_code` when the collector chose one (a training example when it
    differs from the model), else where the model is sure enough, else to the dispatch desk.
    The phone is kept only with the resident's stated consent. An `emergency` ("kind:number")
    sent on goes to the dispatch desk as urgent, whatever the model or the collector chose."""
    now = now or utcnow()
    team = _require_collector(collector, Action.ANSWER_ON_SPOT)
    text = record.text.strip()
    if not text:
        raise InvalidInput("empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text longer than {MAX_TEXT_CHARS} characters")
    if record.channel == Channel.BOT:
        raise InvalidInput("a collector records a visit, a call, a talk or a desk")
    answer = (answer_on_spot or "").strip()
    if answer_on_spot is not None and not answer:
        raise InvalidInput("the resident needs an answer")
    code = new_start_code()
    consent = record.phone_consent and bool(record.phone)
    ticket = Ticket(
        number=await _next_number(uow, policy, now),
        resident_id=None,
        text=text,
        address=(record.address or "").strip() or None,
        photo_file_ids=list(record.photo_file_ids),
        phone=record.phone if consent else None,
        phone_consent=consent,
        predicted_code=prediction.code if prediction else None,
        confidence=prediction.confidence if prediction else None,
        created_at=now,
        channel=record.channel,
        recorder_user_id=collector.user_id,
        team=team,
        person_name=record.person_name.strip()[:100] or None,
        link_code_hash=_digest(code),
        theme=(record.theme or "").strip()[:64] or None,
    )
    uow.session.add(ticket)
    await uow.flush()
    _event(
        uow,
        ticket,
        EventKind.RECEIVED,
        now=now,
        actor=collector,
        detail={"channel": record.channel, "team": team},
    )
    if answer_on_spot is not None:
        step = require(ticket.number, ticket.status, Action.ANSWER_ON_SPOT)
        from_status = ticket.status
        ticket.status = step.target
        ticket.closure_code = ClosureCode.ON_THE_SPOT
        ticket.answer = answer
        ticket.closed_at = ticket.written_off_at = now
        uow.session.add(ticket)
        _event(
            uow,
            ticket,
            EventKind.ANSWERED_ON_SPOT,
            now=now,
            actor=collector,
            from_status=from_status,
            detail={"answer": answer, "department": department_code or ticket.predicted_code},
        )
        _event(uow, ticket, EventKind.CLOSED, now=now, actor=collector, from_status=from_status)
        done = FollowUp(
            ticket.number, NoticeKind.CLOSED, False, text=answer, code=ClosureCode.ON_THE_SPOT
        )
        await announce(uow, step, ticket, Audience.COLLECTOR, done, now=now)
    elif emergency:
        step = require(ticket.number, ticket.status, Action.HOLD)
        await _send_to_dispatch(
            uow,
            ticket,
            (),
            step=step,
            now=now,
            reason=DispatchReason.EMERGENCY,
            actor=collector,
            note=emergency,
        )
    elif department_code is not None:
        department = await department_row(uow, department_code)
        if department.is_dispatch:
            step = require(ticket.number, ticket.status, Action.HOLD)
            await _send_to_dispatch(
                uow,
                ticket,
                (),
                step=step,
                now=now,
                reason=DispatchReason.LOW_CONFIDENCE,
                actor=collector,
            )
        else:
            step = require(ticket.number, ticket.status, Action.ROUTE)
            await _route(
                uow,
                ticket,
                department,
                step=step,
                policy=policy,
                now=now,
                actor=collector,
                detail={"chosen_by": "collector"},
            )
            if prediction is None or prediction.code != department.code:
                _example(uow, ticket, department.code, "collector", collector, now)
    else:
        decision = decide(
            prediction, threshold=policy.dispatch_threshold, known=await routable_codes(uow)
        )
        if decision.route_to:
            department = await department_row(uow, decision.route_to)
            step = require(ticket.number, ticket.status, Action.ROUTE)
            await _route(
                uow, ticket, department, step=step, policy=policy, now=now, actor=None, detail={}
            )
        else:
            step = require(ticket.number, ticket.status, Action.HOLD)
            await _send_to_dispatch(
                uow,
                ticket,
                decision.candidates,
                step=step,
                now=now,
                reason=DispatchReason.LOW_CONFIDENCE,
            )
    await uow.commit()
    return Recorded(TicketView.of(ticket), code)


async def link_resident(
    *, uow: UnitOfWork, code: str, resident: ResidentRef, now: datetime | None = None
) -> TicketView | None:
    """A resident opened a ticket's start link: from now on they follow that ticket (and only
    that one). A forged, mistyped or already used code links nothing and returns None."""
    now = now or utcnow()
    code = code.strip()
    if not START_CODE.match(code):
        return None
    digest = _digest(code)
    query = select(Ticket).where(Ticket.link_code_hash == digest)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    ticket = (await uow.session.exec(query)).first()
    if ticket is None or ticket.resident_id is not None:
        return None
    resident_id = await upsert_resident(uow=uow, resident=resident)
    tickets = SQLModel.metadata.tables[Ticket.__tablename__]
    won = await uow.session.exec(
        update(tickets)
        .where(
            tickets.c.id == ticket.id,
            tickets.c.link_code_hash == digest,
            tickets.c.resident_id.is_(None),
        )
        .values(resident_id=resident_id, link_code_hash=None)
    )
    if won.rowcount != 1:  # the same code opened twice at once: the first one won
        return None
    ticket.resident_id, ticket.link_code_hash = resident_id, None
    uow.session.add(ticket)
    step = require(ticket.number, ticket.status, Action.LINK)
    _event(uow, ticket, EventKind.LINKED, now=now, resident=True)
    notice = Linked(ticket.number, Status(ticket.status))
    await announce(uow, step, ticket, Audience.RESIDENT, notice, now=now)
    await uow.commit()
    return TicketView.of(ticket)


async def _recorded_by(uow: UnitOfWork, collector: Actor, number: str, action: Action) -> Ticket:
    """A ticket the collector recorded (someone else's looks like a refusal, not a ticket)."""
    ticket = await ticket_row(uow, number)
    if ticket.recorder_user_id != collector.user_id or collector.team is None:
        raise PermissionDenied(action)
    return ticket


async def record_follow_up(
    *,
    uow: UnitOfWork,
    collector: Actor,
    number: str,
    rating: Rating,
    reason: str = "",
    policy: Policy,
    now: datetime | None = None,
) -> TicketView:
    """回访 in person or by phone, recorded by the collector while no resident follows the
    ticket: 满意 / 基本满意 close it (销号: the resident was told); 不满意 reopens it (limited
    times, then supervisors step in); 联系不上 closes it unrated, not 销号."""
    now = now or utcnow()
    ticket = await _recorded_by(uow, collector, number, Action.FOLLOW_UP)
    if ticket.resident_id is not None:
        # The resident follows it themselves and rates it in their own chat.
        raise IllegalTransition(ticket.number, ticket.status, Action.FOLLOW_UP.value)
    if rating == Rating.UNRATED:
        raise InvalidInput("a follow-up records what the resident said")
    if rating == Rating.NOT_REACHED:
        action = Action.NOT_REACHED
    elif rating != Rating.UNSATISFIED:
        action = Action.FOLLOW_UP
    elif ticket.reopen_count >= policy.max_reopens:
        action = Action.FOLLOW_UP_FINAL
    else:
        action = Action.FOLLOW_UP_REJECT
    step = require(ticket.number, ticket.status, action)
    await apply_verdict(
        uow,
        ticket,
        step,
        rating=rating,
        reason=reason,
        policy=policy,
        now=now,
        event=EventKind.FOLLOWED_UP,
        escalate=action == Action.FOLLOW_UP_FINAL,
        collector=collector,
    )
    if ticket.status == Status.CLOSED and action != Action.NOT_REACHED:
        ticket.written_off_at = now  # the collector told the resident in person
    uow.session.add(ticket)
    await uow.commit()
    return TicketView.of(ticket)


def _may_see(viewer: Actor, team: str | None) -> bool:
    """A collector sees their own team's register; supervisors, dispatchers and admins any."""
    return viewer.oversees_all or (team is not None and viewer.team == team)


async def write_off(
    *, uow: UnitOfWork, viewer: Actor, number: str, now: datetime | None = None
) -> TicketView:
    """销号: the ticket is closed and the resident has been told; ticked off the register."""
    now = now or utcnow()
    ticket = await ticket_row(uow, number)
    if ticket.team is None or not _may_see(viewer, ticket.team):
        raise PermissionDenied(Action.WRITE_OFF)
    require(ticket.number, ticket.status, Action.WRITE_OFF)
    if ticket.written_off_at is None:
        ticket.written_off_at = now
        uow.session.add(ticket)
        _event(uow, ticket, EventKind.WRITTEN_OFF, now=now, actor=viewer)
        await uow.commit()
    return TicketView.of(ticket)


class Stage(StrEnum):
    """Where a register line stands (the columns of a paper register)."""

    OPEN = "open"  # sent on, being handled
    AWAITING_FOLLOW_UP = "awaiting_follow_up"  # answered by the department: 回访 due
    TO_WRITE_OFF = "to_write_off"  # closed, the resident not yet told
    ON_THE_SPOT = "on_the_spot"  # 现场解答 (销号 at once)
    WRITTEN_OFF = "written_off"  # 销号


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """One line of a team's register (诉求台账)."""

    number: str
    created_at: datetime
    channel: Channel
    person_name: str | None
    text: str
    department_code: str | None
    status: Status
    stage: Stage
    linked: bool
    recorder_user_id: int | None


def _stage(ticket: Ticket) -> Stage:
    if ticket.closure_code == ClosureCode.ON_THE_SPOT:
        return Stage.ON_THE_SPOT
    if ticket.written_off_at is not None:
        return Stage.WRITTEN_OFF
    if ticket.status == Status.RESOLVED:
        return Stage.AWAITING_FOLLOW_UP
    if ticket.status == Status.CLOSED:
        return Stage.TO_WRITE_OFF
    return Stage.OPEN


async def team_register(
    *,
    uow: UnitOfWork,
    viewer: Actor,
    since: datetime,
    until: datetime,
    team: str | None = None,
    limit: int = 500,
) -> list[RegisterLine]:
    """A team's register for [since, until), oldest first: the viewer's own team unless a
    supervisor (or dispatcher, or admin) asks for another; a collector asking for another
    team's is refused."""
    team = (team or "").strip() or viewer.team
    if team is None or not _may_see(viewer, team):
        raise PermissionDenied("register")
    return await register_lines(uow=uow, team=team, since=since, until=until, limit=limit)


async def register_lines(
    *, uow: UnitOfWork, team: str, since: datetime, until: datetime, limit: int | None = None
) -> list[RegisterLine]:
    """A team's register for [since, until), oldest first (the operator's export; in Telegram
    through `team_register`, which checks who asks)."""
    query = (
        select(Ticket)
        .where(Ticket.team == team, Ticket.created_at >= since, Ticket.created_at < until)
        .order_by(col(Ticket.created_at), col(Ticket.id))
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await uow.session.exec(query)
    return [
        RegisterLine(
            number=t.number,
            created_at=t.created_at,
            channel=Channel(t.channel),
            person_name=t.person_name,
            text=t.text,
            department_code=t.department_code,
            status=Status(t.status),
            stage=_stage(t),
            linked=t.resident_id is not None,
            recorder_user_id=t.recorder_user_id,
        )
        for t in rows.all()
    ]
