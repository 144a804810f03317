"""Shared fixtures: a migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import database
from tests.command_line import minyi, workdir

__all__ = ["minyi", "workdir"]  # fixtures for tests that run the `minyi` command
from storage.district import load_departments, read_district
from storage.unit_of_work import UnitOfWork

POSTGRES_ADMIN_DSN = os.environ.get(
    "MINYI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
TABLES = (
    "inbound_updates, workers, leases, pace, "
    "outbox, topic_claims, ticket_messages, ticket_events, labelled_examples, direct_answers, "
    "knowledge_entries, ticket_cohandlers, tickets, reply_templates, residents, members, "
    "ticket_counters, conversations, job_runs, member_audit, departments, visits, themes"
)


async def _create_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(name: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run (dropped afterwards)."""
    name = f"minyi_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_create_database(name))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    host = POSTGRES_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{host}/{name}"
    database.upgrade(url)
    yield url
    asyncio.run(_drop_database(name))


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file for this test run."""
    path: Path = tmp_path_factory.mktemp("db") / "minyi.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    database.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both databases."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an emptied database with the default district loaded."""
    engine = database.create_engine(db_url)
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES.split(", "):
                await connection.execute(text(f"DELETE FROM {table}"))
    async with UnitOfWork(database.session_factory(engine)) as uow:
        await load_departments(uow=uow, district=read_district())
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> UnitOfWork:
    """A fresh unit of work (enter it with `async with`)."""
    return UnitOfWork(database.session_factory(engine))
