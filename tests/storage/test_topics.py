"""One forum topic per ticket per group, on SQLite and PostgreSQL: claimed before it is made,
settled once, a duplicate recorded as such and out of every lookup."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine, session_factory
from storage.district import bind_department
from storage.models import TicketMessage
from storage.outbox import ticket_for_message, ticket_topics
from storage.topics import (
    Creation,
    FoundTopic,
    GroupPlace,
    TopicClaimed,
    claim_topic,
    found_topic,
    group_places,
    settle_topic,
)
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW

GROUP = -100_777
NAME = "TB-20261124-0001 待认领"
LEASE = timedelta(minutes=2)


async def claim(
    uow: UnitOfWork,
    ticket_id: int,
    *,
    holder: int,
    attempt: int = 1,
    later: timedelta = timedelta(0),
    lost: int | None = None,
) -> TopicClaimed:
    async with uow:
        return await claim_topic(
            uow=uow,
            ticket_id=ticket_id,
            chat_id=GROUP,
            name=NAME,
            holder=holder,
            attempt=attempt,
            lease=LEASE,
            lost_thread=lost,
            now=NOW + later,
        )


async def settle(uow: UnitOfWork, ticket_id: int, thread_id: int) -> int:
    async with uow:
        return await settle_topic(
            uow=uow, ticket_id=ticket_id, chat_id=GROUP, thread_id=thread_id, now=NOW
        )


async def topics(uow: UnitOfWork, ticket_id: int) -> tuple[tuple[int, int], ...]:
    async with uow:
        found = await ticket_topics(uow=uow, ticket_id=ticket_id)
    return found.topics if found is not None else ()  # None: no topic yet


async def number_of_thread(uow: UnitOfWork, thread_id: int) -> str | None:
    async with uow:
        return await ticket_for_message(uow=uow, chat_id=GROUP, thread_id=thread_id)


async def test_one_creator_at_a_time_then_everyone_uses_its_topic(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    assert await claim(uow, ticket.id, holder=1) == TopicClaimed(Creation.CREATE)
    assert await claim(uow, ticket.id, holder=2) == TopicClaimed(Creation.BUSY)
    assert await settle(uow, ticket.id, 11) == 11
    for holder in (1, 2, 3):
        assert await claim(uow, ticket.id, holder=holder) == TopicClaimed(Creation.KNOWN, 11)
    assert await topics(uow, ticket.id) == ((GROUP, 11),)
    assert await number_of_thread(uow, 11) == ticket.number


async def test_the_next_attempt_of_the_same_message_learns_of_the_unanswered_try(
    uow: UnitOfWork,
) -> None:
    ticket = await f.ticket(uow)
    assert (await claim(uow, ticket.id, holder=1, attempt=1)).outcome == Creation.CREATE
    # The call's answer was lost; the message is retried (its next attempt), not busy.
    again = await claim(uow, ticket.id, holder=1, attempt=2)
    assert again == TopicClaimed(Creation.CREATE, earlier_tries=1)


async def test_a_worker_whose_lease_ran_out_leaves_an_orphan_out_of_every_lookup(
    uow: UnitOfWork,
) -> None:
    ticket = await f.ticket(uow)
    assert (await claim(uow, ticket.id, holder=1)).outcome == Creation.CREATE
    late = await claim(uow, ticket.id, holder=2, later=LEASE + timedelta(seconds=1))
    assert late.outcome == Creation.CREATE
    assert await settle(uow, ticket.id, 21) == 21  # the second worker answered first
    assert await settle(uow, ticket.id, 20) == 21  # the first one's topic is the orphan
    assert await topics(uow, ticket.id) == ((GROUP, 21),)
    assert await number_of_thread(uow, 20) is None


async def test_a_deleted_topic_is_forgotten_and_made_again(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    await claim(uow, ticket.id, holder=1)
    await settle(uow, ticket.id, 31)
    assert await claim(uow, ticket.id, holder=5, lost=99) == TopicClaimed(Creation.KNOWN, 31)
    assert await claim(uow, ticket.id, holder=5, lost=31) == TopicClaimed(Creation.CREATE)
    assert await settle(uow, ticket.id, 32) == 32


async def test_a_topic_seen_in_a_message_is_adopted_or_known_as_an_orphan(
    uow: UnitOfWork,
) -> None:
    ticket = await f.ticket(uow)
    await claim(uow, ticket.id, holder=1)  # created, answer lost: the claim still waits

    async def found(thread_id: int, name: str = NAME) -> FoundTopic | None:
        async with uow:
            return await found_topic(uow=uow, chat_id=GROUP, thread_id=thread_id, name=name)

    assert await found(41, "TB-20261124-0009 待认领") is None  # no claim asked for it
    assert await found(41) == FoundTopic(ticket.number, adopted=True, thread_id=41)
    assert await claim(uow, ticket.id, holder=1, attempt=2) == TopicClaimed(Creation.KNOWN, 41)
    assert await number_of_thread(uow, 41) == ticket.number
    # Another topic of the same name (a second lost answer) is an orphan, however often seen.
    for _ in range(2):
        assert await found(42) == FoundTopic(ticket.number, adopted=False, thread_id=41)
    assert await topics(uow, ticket.id) == ((GROUP, 41),)
    assert await number_of_thread(uow, 42) is None


async def test_two_workers_claim_at_once_and_one_creates(engine: AsyncEngine, db_url: str) -> None:
    ticket = await f.ticket(UnitOfWork(session_factory(engine)))
    workers = [create_engine(db_url) for _ in range(2)]
    try:
        for round_ in range(5):
            results = await asyncio.gather(
                *(
                    claim(
                        UnitOfWork(session_factory(worker)),
                        ticket.id,
                        holder=10 * round_ + i,
                        later=(LEASE + timedelta(seconds=1)) * round_,
                    )
                    for i, worker in enumerate(workers)
                )
            )
            outcomes = sorted(r.outcome for r in results)
            assert outcomes == [Creation.BUSY, Creation.CREATE], results
    finally:
        for worker in workers:
            await worker.dispose()


async def test_where_claimed_messages_go_is_read_at_once(uow: UnitOfWork) -> None:
    plain_group = -100_888
    async with uow:
        await bind_department(uow=uow, code="urban", chat_id=GROUP, is_forum=True)
    async with uow:
        await bind_department(uow=uow, code="utilities", chat_id=plain_group, is_forum=False)
    with_topic, without = await f.ticket(uow), await f.ticket(uow, text="自来水管漏水三天了")
    assert await claim(uow, with_topic.id, holder=1) == TopicClaimed(Creation.CREATE)
    await settle(uow, with_topic.id, 501)
    async with uow:
        for message_id in (7, 9):  # the card was posted twice: the latest counts
            uow.session.add(
                TicketMessage(
                    ticket_id=without.id, chat_id=plain_group, message_id=message_id, purpose="card"
                )
            )
        await uow.commit()
    pairs = [(with_topic.id, GROUP), (without.id, GROUP), (without.id, plain_group), (1, -1)]
    async with uow:
        places = await group_places(uow=uow, pairs=pairs, cards_for=[(without.id, plain_group)])
    assert places == {
        (with_topic.id, GROUP): GroupPlace(forum=True, thread_id=501),
        (without.id, GROUP): GroupPlace(forum=True),  # no topic yet: the sender claims one
        (without.id, plain_group): GroupPlace(forum=False, card=9),
        (1, -1): GroupPlace(forum=False),  # not a department's group
    }
