"""Conversation state in the database, so a restart or another worker continues a chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel, col, select

from storage.columns import utcnow
from storage.models import Conversation
from storage.processing import processing
from storage.unit_of_work import UnitOfWork

STALE_AFTER = timedelta(days=2)


@dataclass(slots=True)
class ConversationState:
    """Where a conversation stands and what it has collected so far."""

    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


NAMES: set[str] = set()  # the conversations a key may have: read together (`read_together`)


def read_together(*names: str) -> None:
    """Declare conversation names (at import): while an update is handled, `load_state` reads
    every declared name under the key at once."""
    NAMES.update(names)


def _copy(state: ConversationState) -> ConversationState:
    return ConversationState(state.state, dict(state.data))


async def load_state(
    *, uow: UnitOfWork, name: str, key: str, now: datetime | None = None
) -> ConversationState:
    """The saved state; a conversation idle for two days starts over.

    While an update is handled (`processing`), the states of every conversation name under
    `key` (a chat's intake and collector conversations) are read in one SELECT and kept for
    the rest of the update, so its handlers do not read them again."""
    NAMES.add(name)
    current = processing.get()
    if current is not None:
        known = current.loaded.get((_KIND, f"{name}\0{key}"))
        if isinstance(known, ConversationState):
            return _copy(known)
    names = sorted(NAMES) if current is not None else [name]
    rows = await uow.session.exec(
        select(Conversation).where(col(Conversation.key) == key, col(Conversation.name).in_(names))
    )
    now = now or utcnow()
    found = {row.name: _state_of(row, now) for row in rows.all()}
    if current is not None:
        for each in names:
            current.loaded[(_KIND, f"{each}\0{key}")] = found.get(each, ConversationState())
    return _copy(found.get(name, ConversationState()))


_KIND = "conversation"


def _state_of(row: Conversation, now: datetime) -> ConversationState:
    if row.state is None or row.updated_at < now - STALE_AFTER:
        return ConversationState()
    return ConversationState(row.state, dict(row.data or {}))


def _forget(name: str, key: str) -> None:
    current = processing.get()
    if current is not None:
        current.loaded.pop((_KIND, f"{name}\0{key}"), None)


async def save_state(
    *,
    uow: UnitOfWork,
    name: str,
    key: str,
    state: ConversationState,
    now: datetime | None = None,
    commit: bool = True,
) -> None:
    """Store the state (None clears the conversation): one INSERT … ON CONFLICT DO UPDATE, no
    read first."""
    NAMES.add(name)
    data = dict(state.data) if state.state is not None else {}
    values = {
        "name": name,
        "key": key,
        "state": state.state,
        "data": data,
        "updated_at": now or utcnow(),
    }
    table = SQLModel.metadata.tables[Conversation.__tablename__]
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)
    await uow.session.exec(
        statement.on_conflict_do_update(
            index_elements=["name", "key"],
            set_={c: statement.excluded[c] for c in ("state", "data", "updated_at")},
        )
    )
    _forget(name, key)
    if commit:
        await uow.commit()
        current = processing.get()
        if current is not None:
            kept = ConversationState(state.state, dict(data))
            current.loaded[(_KIND, f"{name}\0{key}")] = kept


async def consume_state(
    *, uow: UnitOfWork, name: str, key: str, expected: str, now: datetime | None = None
) -> bool:
    """Clear a conversation only if it is still in `expected` (no commit): of two workers
    racing on a double tap, exactly one gets True."""
    table = SQLModel.metadata.tables[Conversation.__tablename__]
    _forget(name, key)
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
