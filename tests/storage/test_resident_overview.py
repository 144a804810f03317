"""A resident's overview (the ticket waiting for their answer and the latest five) is one
SELECT that says what the two separate queries say."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import SQLModel

from storage.models import Ticket
from storage.queries import open_ticket_for_resident, resident_overview, resident_tickets
from storage.unit_of_work import UnitOfWork
from tests import factories


async def _waiting(uow: UnitOfWork, number: str) -> None:
    table = SQLModel.metadata.tables[Ticket.__tablename__]
    async with uow:
        await uow.session.exec(
            update(table).where(table.c.number == number).values(awaiting_resident=True)
        )
        await uow.commit()


async def _both_ways(uow: UnitOfWork, user_id: int) -> None:
    async with uow:
        waiting, recent = await resident_overview(uow=uow, resident_user_id=user_id)
        alone = await open_ticket_for_resident(uow=uow, resident_user_id=user_id)
        latest = await resident_tickets(uow=uow, resident_user_id=user_id, limit=5)
    assert waiting == alone
    assert recent == latest


async def test_the_overview_matches_the_two_queries(uow: UnitOfWork) -> None:
    someone, other = factories.resident(), factories.resident("李先生")
    async with uow:
        assert await resident_overview(uow=uow, resident_user_id=someone.user_id) == (None, [])
    opened = [
        await factories.ticket(uow, someone, now=factories.NOW + timedelta(minutes=i * 90))
        for i in range(7)
    ]
    await factories.ticket(uow, other, now=factories.NOW + timedelta(hours=20))
    await _both_ways(uow, someone.user_id)  # nothing waiting
    await _waiting(uow, opened[0].number)  # older than the latest five
    await _both_ways(uow, someone.user_id)
    await _waiting(uow, opened[5].number)  # two waiting: the newest one counts
    await _both_ways(uow, someone.user_id)
    async with uow:
        waiting, recent = await resident_overview(uow=uow, resident_user_id=someone.user_id)
    assert waiting is not None
    assert waiting.number == opened[5].number
    assert [t.number for t in recent] == [t.number for t in reversed(opened[2:])]
    await _both_ways(uow, other.user_id)
