"""A resident is created or refreshed in one statement: the newest chat and name (an empty
name keeps the old one), unblocked, the same row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from storage.models import Resident
from storage.tickets import ResidentRef, upsert_resident, upsert_resident_row
from storage.unit_of_work import UnitOfWork
from tests import factories


async def _row(uow: UnitOfWork, user_id: int) -> Resident:
    async with uow:
        found = await uow.session.exec(select(Resident).where(Resident.user_id == user_id))
        return found.one()


async def test_a_resident_is_created_then_refreshed(uow: UnitOfWork) -> None:
    someone = factories.resident("王女士")
    async with uow:
        first = await upsert_resident(uow=uow, resident=someone)
        await uow.commit()
    created = await _row(uow, someone.user_id)
    assert (created.id, created.chat_id, created.display_name) == (first, someone.chat_id, "王女士")
    async with uow:
        row = await upsert_resident_row(uow=uow, resident=someone)
        row.blocked_at = datetime(2026, 11, 1, tzinfo=UTC)
        uow.session.add(row)
        await uow.commit()
    assert (await _row(uow, someone.user_id)).blocked_at is not None
    moved = ResidentRef(someone.user_id, someone.chat_id + 1, "")
    async with uow:
        again = await upsert_resident_row(uow=uow, resident=moved)
        assert (again.id, again.chat_id, again.display_name) == (first, moved.chat_id, "王女士")
        assert again.blocked_at is None
        await uow.commit()
    stored = await _row(uow, someone.user_id)
    assert (stored.id, stored.chat_id, stored.display_name) == (first, moved.chat_id, "王女士")
    assert stored.blocked_at is None
    assert stored.created_at == created.created_at
    renamed = ResidentRef(someone.user_id, someone.chat_id, "王阿姨")
    async with uow:
        await upsert_resident(uow=uow, resident=renamed)
        await uow.commit()
    assert (await _row(uow, someone.user_id)).display_name == "王阿姨"
