"""Conversation state in the database, so a restart or another worker continues a chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import SQLModel, select

from storage.columns import utcnow
from storage.models import Conversation
from storage.unit_of_work import UnitOfWork

STALE_AFTER = timedelta(days=2)


@dataclass(slots=True)
class ConversationState:
    """Where a conversation stands and what it has collected so far."""

    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


async def load_state(
    *, uow: UnitOfWork, name: str, key: str, now: datetime | None = None
) -> ConversationState:
    """The saved state; a conversation idle for two days starts over."""
    row = await uow.session.get(Conversation, (name, key))
    if row is None or row.state is None:
        return ConversationState()
    if row.updated_at < (now or utcnow()) - STALE_AFTER:
        return ConversationState()
    return ConversationState(row.state, dict(row.data or {}))


async def save_state(
    *,
    uow: UnitOfWork,
    name: str,
    key: str,
    state: ConversationState,
    now: datetime | None = None,
    commit: bool = True,
) -> None:
    """Store the state (None clears the conversation)."""
    row = await uow.session.get(Conversation, (name, key))
    if row is None:
        row = Conversation(name=name, key=key)
    row.state = state.state
    row.data = state.data if state.state is not None else {}
    row.updated_at = now or utcnow()
    uow.session.add(row)
    if commit:
        await uow.commit()


async def consume_state(
    *, uow: UnitOfWork, name: str, key: str, expected: str, now: datetime | None = None
) -> bool:
    """Clear a conversation only if it is still in `expected` (no commit): of two workers
    racing on a double tap, exactly one gets True."""
    table = SQLModel.metadata.tables[Conversation.__tablename__]
    result = await uow.session.exec(
        update(table)
        .where(table.c.name == name, table.c.key == key, table.c.state == expected)
        .values(state=None, data="{}", updated_at=now or utcnow())
    )
    return result.rowcount == 1


async def purge_conversations(*, uow: UnitOfWork, idle_before: datetime, apply: bool) -> int:
    """Abandoned drafts (text, place, phone, photo ids) idle since before a time: count them,
    and with `apply` delete them."""
    table = SQLModel.metadata.tables[Conversation.__tablename__]
    stale = table.c.updated_at < idle_before
    rows = await uow.session.exec(select(func.count()).select_from(table).where(stale))
    count = int(rows.one())
    if apply and count:
        await uow.session.exec(delete(table).where(stale))
        await uow.commit()
    return count
