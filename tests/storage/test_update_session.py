"""While an update is handled, its units of work share one session: what one reads is in the
transaction the next one commits, a unit of work still rolls back what it wrote unless told to
commit, and the reads end before a Telegram call (`end_reads`) and when the handlers return."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import event, literal_column, select, table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import database
from storage.conversations import ConversationState, load_state, save_state
from storage.processing import Processing, close_session, end_reads, processing
from storage.unit_of_work import UnitOfWork


@contextmanager
def transactions(engine: AsyncEngine) -> Iterator[list[str]]:
    """The transactions begun on the engine meanwhile."""
    begun: list[str] = []

    def began(_connection: object) -> None:
        begun.append("begin")

    event.listen(engine.sync_engine, "begin", began)
    try:
        yield begun
    finally:
        event.remove(engine.sync_engine, "begin", began)


@asynccontextmanager
async def handling(engine: AsyncEngine) -> AsyncIterator[tuple[Processing, UnitOfWork]]:
    """An update being handled, and a unit of work on its sessions."""
    sessions = database.session_factory(engine)
    current = Processing(update_id=1, worker="w", marked=True, sessions=sessions)
    token = processing.set(current)
    try:
        yield current, UnitOfWork(sessions)
    finally:
        await close_session(current)
        processing.reset(token)


async def _stored(engine: AsyncEngine, key: str) -> str | None:
    async with UnitOfWork(database.session_factory(engine)) as uow:
        return (await load_state(uow=uow, name="intake", key=key)).state


async def test_a_read_and_the_save_after_it_are_one_transaction(engine: AsyncEngine) -> None:
    with transactions(engine) as begun:
        async with handling(engine) as (_current, uow):
            async with uow:
                state = await load_state(uow=uow, name="intake", key="1")
            state.state = "place"
            async with uow:
                await save_state(uow=uow, name="intake", key="1", state=state)
    assert begun == ["begin"]
    assert await _stored(engine, "1") == "place"


async def test_what_a_unit_of_work_wrote_without_commit_is_rolled_back(
    engine: AsyncEngine,
) -> None:
    async with handling(engine) as (_current, uow):
        async with uow:
            await save_state(
                uow=uow, name="intake", key="2", state=ConversationState("place"), commit=False
            )
        async with uow:  # a later commit does not carry the earlier unit's writes
            await save_state(uow=uow, name="intake", key="3", state=ConversationState("phone"))
    assert await _stored(engine, "2") is None
    assert await _stored(engine, "3") == "phone"


async def test_an_error_rolls_back_and_a_nested_unit_decides_nothing(engine: AsyncEngine) -> None:
    async with handling(engine) as (current, uow):
        assert current.sessions is not None
        try:
            async with uow:
                await save_state(
                    uow=uow, name="intake", key="4", state=ConversationState("a"), commit=False
                )
                async with UnitOfWork(current.sessions) as inner:  # nested: same session
                    assert inner.session is uow.session
                raise LookupError
        except LookupError:
            pass
    assert await _stored(engine, "4") is None


async def test_reads_end_before_a_telegram_call_but_writes_are_left_alone(
    engine: AsyncEngine,
) -> None:
    async with handling(engine) as (current, uow):
        async with uow:
            await load_state(uow=uow, name="intake", key="5")
        assert current.session is not None
        assert current.session.in_transaction()
        await end_reads()
        assert not current.session.in_transaction()
        async with uow:
            await save_state(
                uow=uow, name="intake", key="5", state=ConversationState("a"), commit=False
            )
            await end_reads()  # inside the unit of work that wrote: its transaction stays
            assert uow.session.in_transaction()
            await uow.commit()
    assert await _stored(engine, "5") == "a"


async def test_outside_an_update_each_unit_of_work_has_its_own_session(
    engine: AsyncEngine,
) -> None:
    sessions = database.session_factory(engine)
    async with UnitOfWork(sessions) as first, UnitOfWork(sessions) as second:
        assert first.session is not second.session


async def test_a_failed_read_is_rolled_back_before_a_telegram_call(engine: AsyncEngine) -> None:
    missing = select(literal_column("1")).select_from(table("no_such_table"))
    async with handling(engine) as (current, uow), uow:
        with contextlib.suppress(DBAPIError):  # the caller went on: on PostgreSQL the
            await uow.session.exec(missing)  # transaction is now unusable
        await end_reads()
        assert current.session is not None
        assert not current.session.in_transaction()
        state = await load_state(uow=uow, name="intake", key="6")  # usable again
    assert state.state is None
