"""One forum topic per ticket per group, across workers, restarts and lost answers.

The Bot API makes this hard: createForumTopic cannot be made idempotent (it takes no request
id), a bot cannot list a group's topics, and it gets no update for its own service messages.
So the topic is claimed in the database before it is created, and what Telegram shows later
settles any doubt:

1. **Claim.** Before calling createForumTopic, the sender claims the (ticket, group) row in
   `topic_claims` (unique; inserted if missing, then locked on PostgreSQL and changed by
   compare-and-set on both databases). A claim that already has a topic answers it; one held
   by another outbox row whose lease has not run out answers "busy" (the row is retried a
   moment later, and then finds the topic); otherwise the caller becomes the holder and the
   row counts the call it is about to make (`tries`), with the exact name it asks for. So at
   most one worker creates a ticket's topic at a time, whatever the number of workers, and a
   restart finds the claim as it was left.
2. **Settle.** Telegram's answer is recorded on the claim, unless another topic was recorded
   first (a worker whose lease ran out mid-call): then the new one is an orphan, recorded as
   such and retired at once (renamed and closed) by the sender.
3. **A lost answer.** When createForumTopic failed without an answer (a timeout, a dropped
   connection) the topic may exist anyway, under an id the bot never learns. The next try
   creates another (the ticket must reach its group), so an orphan may be left behind, empty.
   Telegram shows it the moment anyone writes in it: every message in a topic carries the
   topic's creation message, with its author (the bot) and the name it was created with. A
   name that a claim in this group asked for is recognised (`found_topic`): if the claim is
   still waiting for its topic, the found one is adopted; if it already has one, the found one
   is an orphan, recorded, and the staff handler says so and retires it.

Orphans are kept in `ticket_messages` as purpose "orphan_topic", out of every lookup of a
ticket's topics. Topics made before claims existed were carried over by the migration.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.models import Department, Ticket, TicketMessage, TopicClaim
from storage.unit_of_work import UnitOfWork

TOPIC = "topic"
ORPHAN = "orphan_topic"


class Creation(StrEnum):
    """What claiming a ticket's topic found."""

    KNOWN = "known"  # the ticket has its topic: use it
    CREATE = "create"  # the caller holds the claim: create the topic now
    BUSY = "busy"  # another worker is creating it: try again in a moment


@dataclass(frozen=True, slots=True)
class TopicClaimed:
    """The answer of `claim_topic`."""

    outcome: Creation
    thread_id: int | None = None
    earlier_tries: int = 0  # createForumTopic calls made before, answers unheard


@dataclass(frozen=True, slots=True)
class FoundTopic:
    """A topic the bot made, recognised from a message written in it."""

    number: str  # the ticket it was made for
    adopted: bool  # it became the ticket's topic (else it is an orphan)
    thread_id: int  # the ticket's topic now


async def claim_topic(
    *,
    uow: UnitOfWork,
    ticket_id: int,
    chat_id: int,
    name: str,
    holder: int,
    attempt: int,
    lease: timedelta,
    lost_thread: int | None = None,
    now: datetime | None = None,
) -> TopicClaimed:
    """Claim the creation of a ticket's topic in a group, for one attempt of an outbox row.

    `lost_thread`: the topic Telegram says no longer exists (deleted by someone); the claim
    forgets it and the caller creates a new one."""
    now = now or utcnow()
    known = (
        await uow.session.exec(
            select(TopicClaim.thread_id).where(
                TopicClaim.ticket_id == ticket_id, TopicClaim.chat_id == chat_id
            )
        )
    ).first()
    if known is not None and known != lost_thread:  # the common case: one read
        return TopicClaimed(Creation.KNOWN, known)
    claims = SQLModel.metadata.tables[TopicClaim.__tablename__]
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    await uow.session.exec(
        insert(claims)
        .values(
            ticket_id=ticket_id,
            chat_id=chat_id,
            name=name,
            tries=0,
            holder_attempt=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id", "chat_id"])
    )
    if lost_thread is not None:
        await uow.session.exec(
            update(claims)
            .where(
                claims.c.ticket_id == ticket_id,
                claims.c.chat_id == chat_id,
                claims.c.thread_id == lost_thread,
            )
            .values(thread_id=None, tries=0, holder=None)
        )
    query = select(TopicClaim).where(
        TopicClaim.ticket_id == ticket_id, TopicClaim.chat_id == chat_id
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    claim = (await uow.session.exec(query.execution_options(populate_existing=True))).one()
    if claim.thread_id is not None:
        await uow.commit()
        return TopicClaimed(Creation.KNOWN, claim.thread_id)
    ours = claim.holder == holder and claim.holder_attempt < attempt
    stale = claim.claimed_at is None or claim.claimed_at < now - lease
    if claim.holder is not None and not ours and not stale:
        await uow.commit()
        return TopicClaimed(Creation.BUSY)
    # Compare-and-set: only one of two workers that read the claim as free takes it.
    taken = await uow.session.exec(
        update(claims)
        .where(
            claims.c.id == claim.id,
            claims.c.thread_id.is_(None),
            claims.c.tries == claim.tries,
            claims.c.holder_attempt == claim.holder_attempt,
            claims.c.holder.is_(None) if claim.holder is None else claims.c.holder == claim.holder,
        )
        .values(
            holder=holder,
            holder_attempt=attempt,
            claimed_at=now,
            tries=claim.tries + 1,
            name=name,
        )
    )
    await uow.commit()
    if taken.rowcount != 1:
        return TopicClaimed(Creation.BUSY)
    return TopicClaimed(Creation.CREATE, earlier_tries=claim.tries)


async def settle_topic(
    *, uow: UnitOfWork, ticket_id: int, chat_id: int, thread_id: int, now: datetime | None = None
) -> int:
    """Record the topic Telegram made; returns the ticket's topic, which is another one when
    another was recorded first (then this one is recorded as an orphan, to be retired)."""
    now = now or utcnow()
    claims = SQLModel.metadata.tables[TopicClaim.__tablename__]
    first = await uow.session.exec(
        update(claims)
        .where(
            claims.c.ticket_id == ticket_id,
            claims.c.chat_id == chat_id,
            claims.c.thread_id.is_(None),
        )
        .values(thread_id=thread_id, holder=None, claimed_at=None)
    )
    kept = thread_id
    if first.rowcount != 1:
        found = await uow.session.exec(
            select(TopicClaim.thread_id).where(
                TopicClaim.ticket_id == ticket_id, TopicClaim.chat_id == chat_id
            )
        )
        kept = found.one() or thread_id
    purpose = TOPIC if kept == thread_id else ORPHAN
    uow.session.add(
        TicketMessage(
            ticket_id=ticket_id,
            chat_id=chat_id,
            thread_id=thread_id,
            purpose=purpose,
            created_at=now,
        )
    )
    await uow.commit()
    return kept


async def found_topic(
    *, uow: UnitOfWork, chat_id: int, thread_id: int, name: str, now: datetime | None = None
) -> FoundTopic | None:
    """A topic of the bot's that no ticket knows, seen in a message written there: adopted by
    the ticket whose claim asked for that name and still waits, else recorded as an orphan.
    None when no claim in the group asked for that name."""
    now = now or utcnow()
    query = (
        select(TopicClaim, Ticket.number)
        .join(Ticket, col(Ticket.id) == col(TopicClaim.ticket_id))
        .where(TopicClaim.chat_id == chat_id, TopicClaim.name == name, TopicClaim.name != "")
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(of=TopicClaim)
    row = (await uow.session.exec(query)).first()
    if row is None:
        return None
    claim, number = row
    claims = SQLModel.metadata.tables[TopicClaim.__tablename__]
    adopted = False
    if claim.thread_id is None:
        done = await uow.session.exec(
            update(claims)
            .where(claims.c.id == claim.id, claims.c.thread_id.is_(None))
            .values(thread_id=thread_id, holder=None, claimed_at=None)
        )
        adopted = done.rowcount == 1
    if adopted:
        current = thread_id
    else:
        await uow.session.refresh(claim)
        current = claim.thread_id or thread_id
    if current != thread_id or adopted:
        known = await uow.session.exec(
            select(TicketMessage.id).where(
                TicketMessage.chat_id == chat_id, TicketMessage.thread_id == thread_id
            )
        )
        if known.first() is None:
            uow.session.add(
                TicketMessage(
                    ticket_id=claim.ticket_id,
                    chat_id=chat_id,
                    thread_id=thread_id,
                    purpose=TOPIC if adopted else ORPHAN,
                    created_at=now,
                )
            )
    await uow.commit()
    return FoundTopic(number, adopted or current == thread_id, current)


@dataclass(frozen=True, slots=True)
class GroupPlace:
    """Where a ticket's message goes in a group, read when the message is claimed: whether the
    group is a department's forum, the ticket's topic there if it has one, else its latest
    card there (when asked for)."""

    forum: bool
    thread_id: int | None = None
    card: int | None = None


async def group_places(
    *,
    uow: UnitOfWork,
    pairs: Collection[tuple[int, int]],
    cards_for: Collection[tuple[int, int]] = (),
) -> dict[tuple[int, int], GroupPlace]:
    """`GroupPlace` of each (ticket_id, chat_id) in one read (two with `cards_for`, the pairs
    whose latest card message is wanted outside forums), instead of reads per message."""
    if not pairs:
        return {}
    tickets = {ticket for ticket, _ in pairs}
    chats = {chat for _, chat in pairs}
    rows = await uow.session.exec(
        select(Department.chat_id, Department.is_forum, TopicClaim.ticket_id, TopicClaim.thread_id)
        .outerjoin(
            TopicClaim,
            and_(
                col(TopicClaim.chat_id) == col(Department.chat_id),
                col(TopicClaim.ticket_id).in_(tickets),
                col(TopicClaim.thread_id).is_not(None),
            ),
        )
        .where(col(Department.chat_id).in_(chats))
    )
    forums: dict[int, bool] = {}
    threads: dict[tuple[int, int], int] = {}
    for chat_id, is_forum, ticket_id, thread_id in rows.all():
        if chat_id is None:
            continue
        forums[chat_id] = forums.get(chat_id, False) or bool(is_forum)
        if ticket_id is not None and thread_id is not None:
            threads[(ticket_id, chat_id)] = thread_id
    cards: dict[tuple[int, int], int | None] = {}
    wanted = [pair for pair in cards_for if not forums.get(pair[1])]
    if wanted:
        found = await uow.session.exec(
            select(TicketMessage.ticket_id, TicketMessage.chat_id, TicketMessage.message_id)
            .where(
                col(TicketMessage.ticket_id).in_({ticket for ticket, _ in wanted}),
                col(TicketMessage.chat_id).in_({chat for _, chat in wanted}),
                TicketMessage.purpose == "card",
            )
            .order_by(col(TicketMessage.id))
        )
        for ticket_id, chat_id, message_id in found.all():
            cards[(ticket_id, chat_id)] = message_id  # the latest wins
    return {
        pair: GroupPlace(
            forum=forums.get(pair[1], False), thread_id=threads.get(pair), card=cards.get(pair)
        )
        for pair in pairs
    }
