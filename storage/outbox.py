"""The outbox: messages written with the change they report, claimed and delivered later."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col, or_, select

from storage.columns import utcnow
from storage.lifecycle import Step
from storage.members import supervisor_ids
from storage.models import (
    ActorKind,
    Audience,
    Department,
    EventKind,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Ticket,
    TicketCohandler,
    TicketEvent,
    TicketMessage,
    TopicClaim,
)
from storage.notices import (
    DepartmentUnreachable,
    Notice,
    NoticeKind,
    ResidentUnreachable,
    TicketCard,
    UnknownNotice,
    decode,
    encode,
)
from storage.notices import (
    follow_up as collector_copy,
)
from storage.rows import dispatch_row, resident_row
from storage.topics import ORPHAN
from storage.unit_of_work import UnitOfWork
from storage.workers import held_by_the_dead

DEFAULT_LEASE = timedelta(minutes=2)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One claimed message, ready to send."""

    id: int
    ticket_id: int | None
    ticket_number: str | None
    audience: Audience
    chat_id: int
    notice: Notice
    attempts: int

    @property
    def kind(self) -> NoticeKind:
        """What the message says."""
        return self.notice.kind


def _queued(
    notice: Notice,
    *,
    audience: Audience,
    chat_id: int | None,
    ticket_id: int | None,
    now: datetime,
) -> OutboxMessage:
    """An outbox row for a notice; one without a chat is kept, failed, for the record."""
    return OutboxMessage(
        ticket_id=ticket_id,
        audience=audience,
        chat_id=chat_id,
        kind=notice.kind,
        payload=encode(notice),
        status=OutboxStatus.PENDING if chat_id is not None else OutboxStatus.FAILED,
        last_error=None if chat_id is not None else "no chat bound",
        created_at=now,
        next_attempt_at=now,
    )


async def enqueue(
    *,
    uow: UnitOfWork,
    chat_id: int,
    notice: Notice,
    audience: Audience,
    ticket_id: int | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> None:
    """Queue a message that belongs to no lifecycle change (digests)."""
    now = now or utcnow()
    uow.session.add(
        _queued(notice, audience=audience, chat_id=chat_id, ticket_id=ticket_id, now=now)
    )
    if commit:
        await uow.commit()


async def notify(
    uow: UnitOfWork,
    ticket: Ticket | None,
    audience: Audience,
    notice: Notice,
    *,
    now: datetime,
    department: Department | None = None,
) -> None:
    """Queue a notice for everyone in `audience`, resolving the chats now: the ticket's
    resident, a department's group (dispatch stands in for a group not bound), the dispatch
    desk (`department`: the desk's row, when the caller has it), or every supervisor."""
    chat_ids: list[int | None]
    if audience == Audience.RESIDENT:
        assert ticket is not None
        resident = await resident_row(uow, ticket)
        if ticket.recorder_user_id is not None:
            # 首问跟办: the collector who recorded the ticket hears every step (and, while no
            # resident has opened the start link, is the only one who does).
            copy = collector_copy(notice, linked=resident is not None)
            if copy is not None:
                uow.session.add(
                    _queued(
                        copy,
                        audience=Audience.COLLECTOR,
                        chat_id=ticket.recorder_user_id,
                        ticket_id=ticket.id,
                        now=now,
                    )
                )
        chat_ids = [resident.chat_id] if resident is not None else []
    elif audience == Audience.DEPARTMENT:
        assert department is not None
        if department.chat_id is None:
            # Nobody can read a message for an unbound department: tell dispatch instead.
            if isinstance(notice, TicketCard):
                notice = replace(notice, unbound_department_code=department.code)
            audience, chat_ids = Audience.DISPATCH, [(await dispatch_row(uow)).chat_id]
        else:
            chat_ids = [department.chat_id]
    elif audience == Audience.DISPATCH:
        # The desk itself when the caller has read it already (`department`), else read here.
        desk = department if department is not None and department.is_dispatch else None
        chat_ids = [(desk or await dispatch_row(uow)).chat_id]
    elif audience == Audience.COLLECTOR:
        assert ticket is not None
        chat_ids = [ticket.recorder_user_id]
    else:
        chat_ids = list(await supervisor_ids(uow=uow))
    for chat_id in chat_ids:
        uow.session.add(
            _queued(
                notice,
                audience=audience,
                chat_id=chat_id,
                ticket_id=ticket.id if ticket else None,
                now=now,
            )
        )


async def announce(
    uow: UnitOfWork,
    step: Step,
    ticket: Ticket,
    audience: Audience,
    notice: Notice,
    *,
    now: datetime,
    department: Department | None = None,
) -> None:
    """Queue one of the notices the lifecycle table says this step sends (any other is a bug)."""
    if notice.kind not in step.notices:
        raise AssertionError(f"{step.action} does not send {notice.kind} (storage/lifecycle.py)")
    await notify(uow, ticket, audience, notice, now=now, department=department)


async def claim_due(
    *,
    uow: UnitOfWork,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
    skip: Collection[int] = (),
    worker: str | None = None,
    commit: bool = True,
) -> list[OutboxItem]:
    """Claim messages that are due (or whose sender vanished mid-delivery), oldest first.

    `skip` lists rows the caller is still delivering, so it never claims its own again, even
    when their lease has run out. A claim of a worker that stopped beating (storage/workers.py)
    is taken over at once; one without a worker only when its lease has run out.
    """
    given, now = now, now or utcnow()  # the dead: by the database clock unless given
    earlier = aliased(OutboxMessage)
    query = (
        select(OutboxMessage, Ticket.number)  # the ticket's number in the same read
        .outerjoin(Ticket, col(Ticket.id) == col(OutboxMessage.ticket_id))
        .where(
            col(OutboxMessage.id).not_in(list(skip)),
            or_(
                (col(OutboxMessage.status) == OutboxStatus.PENDING)
                & (col(OutboxMessage.next_attempt_at) <= now),
                (col(OutboxMessage.status) == OutboxStatus.SENDING)
                & or_(
                    col(OutboxMessage.claimed_at) < now - lease,
                    held_by_the_dead(OutboxMessage.worker, given, dialect=uow.dialect),
                ),
            ),
            # Only the head of each chat's queue: a chat's messages arrive in order even when
            # several workers deliver, and one waiting for a retry holds back those after it.
            ~exists().where(
                col(earlier.chat_id) == col(OutboxMessage.chat_id),
                col(earlier.id) < col(OutboxMessage.id),
                col(earlier.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            ),
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(of=OutboxMessage, skip_locked=True)
    found = list((await uow.session.exec(query)).all())
    rows = [row for row, _ in found]
    numbers = {row.id: number for row, number in found if number is not None}
    table = SQLModel.metadata.tables[OutboxMessage.__tablename__]
    items: list[OutboxItem] = []
    for row in rows:
        assert row.id is not None
        assert row.chat_id is not None
        try:
            notice = decode(row.kind, row.payload)
        except UnknownNotice as error:
            await _refuse(uow, row, error, now)
            continue
        # Compare-and-set: only the worker whose update still finds the row as it read it
        # owns the claim (SQLite has no SKIP LOCKED; on PostgreSQL the lock already holds).
        claimed = await uow.session.exec(
            update(table)
            .where(
                table.c.id == row.id,
                table.c.status == row.status,
                table.c.attempts == row.attempts,
            )
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=now,
                attempts=row.attempts + 1,
                worker=worker,
            )
        )
        if claimed.rowcount != 1:
            continue
        items.append(
            OutboxItem(
                id=row.id,
                ticket_id=row.ticket_id,
                ticket_number=numbers.get(row.id),
                audience=Audience(row.audience),
                chat_id=row.chat_id,
                notice=notice,
                attempts=row.attempts + 1,
            )
        )
    if commit:  # else the caller commits (reading what it needs for the claimed rows first)
        await uow.commit()
    return items


async def _refuse(uow: UnitOfWork, row: OutboxMessage, error: UnknownNotice, now: datetime) -> None:
    """A row this version cannot read is never sent: failed, logged, recorded on the ticket."""
    log.error("outbox row %s is not sent: %s", row.id, error)
    row.status = OutboxStatus.FAILED
    row.last_error = str(error)[:500]
    uow.session.add(row)
    ticket = await uow.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is not None:
        uow.session.add(_delivery_failed(ticket, row.audience, row.kind, str(error), now))


def _delivery_failed(
    ticket: Ticket, audience: str, kind: str, error: str, now: datetime
) -> TicketEvent:
    return TicketEvent(
        ticket_id=ticket.id or 0,
        at=now,
        kind=EventKind.DELIVERY_FAILED,
        actor_kind=ActorKind.SYSTEM,
        from_status=ticket.status,
        to_status=ticket.status,
        department_code=ticket.department_code,
        detail={"audience": audience, "kind": kind, "error": error[:200]},
    )


async def mark_sent(
    *,
    uow: UnitOfWork,
    item: OutboxItem,
    message_id: int | None,
    thread_id: int | None = None,
    purpose: str | None = None,
    follow_ups: Sequence[Notice] = (),
    now: datetime | None = None,
    commit: bool = True,
) -> None:
    """Record a delivery, which Telegram message now stands for the ticket, and queue its
    follow-up messages (a card's photos and voice messages) in the same transaction (`commit`
    False: the caller commits, with other rows' acknowledgements)."""
    now = now or utcnow()
    # Sent is sent, even if this worker's lease ran out meanwhile; unless another worker
    # already recorded it, which is the one duplicate the Bot API cannot prevent.
    table = SQLModel.metadata.tables[OutboxMessage.__tablename__]
    recorded = await uow.session.exec(
        update(table)
        .where(
            table.c.id == item.id,
            table.c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(
            status=OutboxStatus.SENT, sent_at=now, telegram_message_id=message_id, last_error=None
        )
    )
    if recorded.rowcount != 1:
        log.warning("outbox row %s was already settled by another worker", item.id)
        return
    if purpose and item.ticket_id is not None:
        uow.session.add(
            TicketMessage(
                ticket_id=item.ticket_id,
                chat_id=item.chat_id,
                message_id=message_id,
                thread_id=thread_id,
                purpose=purpose,
                created_at=now,
            )
        )
    for follow_up in follow_ups:
        uow.session.add(
            _queued(
                follow_up,
                audience=item.audience,
                chat_id=item.chat_id,
                ticket_id=item.ticket_id,
                now=now,
            )
        )
    if commit:
        await uow.commit()


async def retry_later(*, uow: UnitOfWork, item: OutboxItem, at: datetime, error: str) -> None:
    """Put a message back in the queue for a later attempt (if this worker still holds it)."""
    if await _release(
        uow,
        item,
        status=OutboxStatus.PENDING,
        next_attempt_at=at,
        claimed_at=None,
        last_error=error[:500],
    ):
        await uow.commit()


async def _release(uow: UnitOfWork, item: OutboxItem, **values: Any) -> bool:
    """Update a claimed row only while the claim is still this worker's (same attempt)."""
    table = SQLModel.metadata.tables[OutboxMessage.__tablename__]
    result = await uow.session.exec(
        update(table)
        .where(
            table.c.id == item.id,
            table.c.status == OutboxStatus.SENDING,
            table.c.attempts == item.attempts,
        )
        .values(**values)
    )
    if result.rowcount != 1:
        log.warning("outbox row %s: claim lost to another worker; leaving it", item.id)
        return False
    return True


async def mark_failed(
    *,
    uow: UnitOfWork,
    item: OutboxItem,
    error: str,
    blocked: bool = False,
    now: datetime | None = None,
) -> None:
    """A permanent failure: kept on the row and in the ticket's history; dispatch learns of
    an unreachable department group."""
    now = now or utcnow()
    if not await _release(uow, item, status=OutboxStatus.FAILED, last_error=error[:500]):
        return
    if blocked and item.audience == Audience.RESIDENT:
        resident = (
            await uow.session.exec(select(Resident).where(Resident.chat_id == item.chat_id))
        ).first()
        if resident is not None:
            resident.blocked_at = now
            uow.session.add(resident)
    ticket = await uow.session.get(Ticket, item.ticket_id) if item.ticket_id else None
    if ticket is not None:
        uow.session.add(_delivery_failed(ticket, item.audience, item.kind, error, now))
    if item.audience == Audience.RESIDENT and ticket is not None and ticket.department_code:
        # Staff must know their answers no longer reach the resident.
        department = await uow.session.get(Department, ticket.department_code)
        if department is not None and department.chat_id is not None:
            uow.session.add(
                _queued(
                    ResidentUnreachable(ticket.number, blocked),
                    audience=Audience.DEPARTMENT,
                    chat_id=department.chat_id,
                    ticket_id=ticket.id,
                    now=now,
                )
            )
    if item.audience == Audience.DEPARTMENT:
        dispatch = (
            await uow.session.exec(select(Department).where(col(Department.is_dispatch)))
        ).first()
        if dispatch is not None and dispatch.chat_id is not None:
            department = (
                await uow.session.exec(select(Department).where(Department.chat_id == item.chat_id))
            ).first()
            uow.session.add(
                _queued(
                    DepartmentUnreachable(
                        item.ticket_number, department.code if department else None, error[:200]
                    ),
                    audience=Audience.DISPATCH,
                    chat_id=dispatch.chat_id,
                    ticket_id=item.ticket_id,
                    now=now,
                )
            )
    await uow.commit()


async def pending_count(*, uow: UnitOfWork) -> int:
    """Messages not yet delivered nor given up on."""
    rows = await uow.session.exec(
        select(OutboxMessage.id).where(
            col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )
    return len(rows.all())


async def due_count(*, uow: UnitOfWork, now: datetime) -> int:
    """Messages waiting to be sent now (not those put back until later)."""
    rows = await uow.session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
        )
    )
    return len(rows.all())


async def ticket_card_message(*, uow: UnitOfWork, ticket_id: int, chat_id: int) -> int | None:
    """The latest card message of a ticket in a group (replies to it reach the ticket)."""
    rows = await uow.session.exec(
        select(TicketMessage.message_id)
        .where(
            TicketMessage.ticket_id == ticket_id,
            TicketMessage.chat_id == chat_id,
            TicketMessage.purpose == "card",
        )
        .order_by(col(TicketMessage.id).desc())
        .limit(1)
    )
    return rows.first()


async def ticket_for_message(
    *, uow: UnitOfWork, chat_id: int, message_id: int | None = None, thread_id: int | None = None
) -> str | None:
    """The ticket number a group message or forum topic stands for (from the database); a
    second topic made for a ticket by mistake (storage/topics.py) stands for none."""
    query = (
        select(Ticket.number)
        .join(TicketMessage, col(TicketMessage.ticket_id) == col(Ticket.id))
        .where(TicketMessage.purpose != ORPHAN)
    )
    if thread_id is not None:
        query = query.where(TicketMessage.chat_id == chat_id, TicketMessage.thread_id == thread_id)
    elif message_id is not None:
        query = query.where(
            TicketMessage.chat_id == chat_id, TicketMessage.message_id == message_id
        )
    else:
        return None
    rows = await uow.session.exec(query.order_by(col(TicketMessage.id).desc()).limit(1))
    return rows.first()


@dataclass(frozen=True, slots=True)
class TicketTopics:
    """A ticket's forum topics and where the ticket is now, to keep the topics in step."""

    number: str
    status: str
    department_chat_id: int | None
    topics: tuple[tuple[int, int], ...]  # (chat_id, thread_id), oldest first
    cohandler_chat_ids: tuple[int, ...] = ()  # 协办 departments' groups: their topics stay theirs


async def ticket_topics(*, uow: UnitOfWork, ticket_id: int) -> TicketTopics | None:
    """The ticket's state and every forum topic made for it; None for a ticket without a
    topic (one read) or no ticket."""
    rows = await uow.session.exec(
        select(TicketMessage.chat_id, TicketMessage.thread_id)
        .where(
            TicketMessage.ticket_id == ticket_id,
            col(TicketMessage.thread_id).is_not(None),
            TicketMessage.purpose != ORPHAN,
        )
        .order_by(col(TicketMessage.id))
    )
    topics: dict[tuple[int, int], None] = {}
    for chat_id, thread_id in rows.all():
        if thread_id is not None:
            topics[(chat_id, thread_id)] = None
    if not topics:
        return None
    found = (
        await uow.session.exec(
            select(Ticket.number, Ticket.status, Department.chat_id)
            .outerjoin(Department, col(Department.code) == col(Ticket.department_code))
            .where(Ticket.id == ticket_id)
        )
    ).first()
    if found is None:
        return None
    number, status, department_chat_id = found
    helpers = await uow.session.exec(
        select(Department.chat_id)
        .join(TicketCohandler, col(TicketCohandler.department_code) == col(Department.code))
        .where(TicketCohandler.ticket_id == ticket_id)
    )
    return TicketTopics(
        number=number,
        status=status,
        department_chat_id=department_chat_id,
        topics=tuple(topics),
        cohandler_chat_ids=tuple(c for c in helpers.all() if c is not None),
    )


async def follow_chat_migration(*, uow: UnitOfWork, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup with a new id: its department, every undelivered message and
    the record of which message is which ticket's follow it. Returns how many messages were
    redirected."""
    departments = await uow.session.exec(
        select(Department).where(Department.chat_id == old_chat_id)
    )
    for department in departments.all():
        department.chat_id = new_chat_id
        uow.session.add(department)
    table = SQLModel.metadata.tables[OutboxMessage.__tablename__]
    moved = await uow.session.exec(
        update(table)
        .where(
            table.c.chat_id == old_chat_id,
            table.c.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(chat_id=new_chat_id)
    )
    # Cards and topics carry over to the supergroup; should their ids not, a reply that quotes
    # a missing card is sent without the quote and a missing topic is opened again.
    for moved_with in (TicketMessage, TopicClaim):
        links = SQLModel.metadata.tables[moved_with.__tablename__]
        await uow.session.exec(
            update(links).where(links.c.chat_id == old_chat_id).values(chat_id=new_chat_id)
        )
    await uow.commit()
    return int(moved.rowcount or 0)
