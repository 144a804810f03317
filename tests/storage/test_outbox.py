"""Outbox claims on SQLite and PostgreSQL: a worker only settles rows it still holds."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from storage.models import (
    Audience,
    EventKind,
    OutboxMessage,
    OutboxStatus,
    TicketEvent,
    TicketMessage,
)
from storage.notices import Digest
from storage.outbox import claim_due, enqueue, mark_failed, mark_sent, retry_later
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW

CHAT = 4242


async def _queue(uow: UnitOfWork, *texts: str, ticket_id: int | None = None) -> None:
    async with uow:
        for text in texts:
            await enqueue(
                uow=uow,
                chat_id=CHAT,
                notice=Digest(text),
                audience=Audience.DEPARTMENT,
                ticket_id=ticket_id,
                now=NOW,
                commit=False,
            )
        await uow.commit()


async def _rows(uow: UnitOfWork) -> list[OutboxMessage]:
    async with uow:
        found = await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return list(found.all())


async def test_only_the_head_of_a_chat_is_claimed_and_never_twice_by_its_holder(
    uow: UnitOfWork,
) -> None:
    await _queue(uow, "一", "二")
    async with uow:
        (first,) = await claim_due(uow=uow, now=NOW)
    later = NOW + timedelta(minutes=10)  # the lease has run out …
    async with uow:
        assert await claim_due(uow=uow, now=later, skip={first.id}) == []  # … but it is ours
    async with uow:
        (again,) = await claim_due(uow=uow, now=later)  # another worker may take it over
    assert (again.id, again.attempts) == (first.id, 2)


async def test_a_worker_whose_claim_was_taken_over_changes_nothing(uow: UnitOfWork) -> None:
    view = await f.ticket(uow)
    await _queue(uow, "卡片", ticket_id=view.id)
    async with uow:
        rows = [r for r in await claim_due(uow=uow, now=NOW) if r.notice == Digest("卡片")]
    (stale,) = rows
    async with uow:
        (fresh,) = [
            r for r in await claim_due(uow=uow, now=NOW + timedelta(minutes=10)) if r.id == stale.id
        ]
    async with uow:  # the stale worker gives up on it: must not undo the new claim
        await retry_later(uow=uow, item=stale, at=NOW + timedelta(hours=1), error="timeout")
    async with uow:
        await mark_failed(uow=uow, item=stale, error="gave up")
    row = next(r for r in await _rows(uow) if r.id == stale.id)
    assert (row.status, row.attempts) == (OutboxStatus.SENDING, 2)

    async with uow:
        await mark_sent(uow=uow, item=fresh, message_id=7, purpose="card")
    async with uow:  # the stale worker sent it too: recorded once, one card on the ticket
        await mark_sent(uow=uow, item=stale, message_id=8, purpose="card")
    row = next(r for r in await _rows(uow) if r.id == stale.id)
    assert (row.status, row.telegram_message_id) == (OutboxStatus.SENT, 7)
    async with uow:
        cards = (
            await uow.session.exec(
                select(TicketMessage.message_id).where(TicketMessage.chat_id == CHAT)
            )
        ).all()
    assert list(cards) == [7]


async def test_a_message_sent_after_its_lease_ran_out_is_still_recorded(uow: UnitOfWork) -> None:
    await _queue(uow, "慢")
    async with uow:
        (slow,) = await claim_due(uow=uow, now=NOW)
    async with uow:
        await mark_sent(uow=uow, item=slow, message_id=9)
    (row,) = await _rows(uow)
    assert row.status == OutboxStatus.SENT
    async with uow:
        assert await claim_due(uow=uow, now=NOW + timedelta(hours=1)) == []


async def test_a_row_that_is_no_known_notice_is_never_claimed_and_is_recorded(
    uow: UnitOfWork,
) -> None:
    view = await f.ticket(uow)
    async with uow:
        for kind, payload in (("mystery", {"text": "居民原话"}), ("reply", {"number": "x"})):
            uow.session.add(
                OutboxMessage(
                    ticket_id=view.id,
                    audience=Audience.DEPARTMENT,
                    chat_id=CHAT,
                    kind=kind,
                    payload=payload,
                    created_at=NOW,
                    next_attempt_at=NOW,
                )
            )
        await uow.commit()
    await _queue(uow, "之后的消息")
    claimed = []
    for _ in range(3):  # one head of the chat's queue per pass: each refusal frees the next
        async with uow:
            claimed += await claim_due(uow=uow, now=NOW)
    # refused rows are failed, never claimed: the chat's next message goes out
    assert [c.notice for c in claimed if c.chat_id == CHAT] == [Digest("之后的消息")]
    refused = [r for r in await _rows(uow) if r.kind in ("mystery", "reply")]
    assert [r.status for r in refused] == [OutboxStatus.FAILED, OutboxStatus.FAILED]
    assert all("居民原话" not in (r.last_error or "") for r in refused)
    async with uow:
        failed = await uow.session.exec(
            select(TicketEvent).where(
                TicketEvent.ticket_id == view.id, TicketEvent.kind == EventKind.DELIVERY_FAILED
            )
        )
        assert sorted(e.detail["kind"] for e in failed.all()) == ["mystery", "reply"]
