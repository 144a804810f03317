"""Engine construction and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).with_name("migrations")


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


POOL_SIZE, POOL_OVERFLOW = 5, 10  # a PostgreSQL engine's connections kept, and more when busy


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and its folder.
    Statement parameters (residents' texts, names, addresses) never appear in errors.

    A SQLite file gets one connection per process: SQLite has one writer at a time, and
    several connections only wait for each other in its busy handler (measured: 23 instead
    of 15 tickets/s, and a quarter less CPU per ticket, in benchmarks/intake.py)."""
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded rows usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Alembic configured for this package's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to a revision (synchronous; call before the event loop starts)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL points at (None for PostgreSQL and in-memory SQLite)."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    return Path(database) if database and database != ":memory:" else None


def head_revision() -> str:
    """The newest migration this program ships."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema is against the migrations this program ships."""

    current: str | None
    head: str
    known: bool

    @property
    def is_current(self) -> bool:
        """Whether the schema is at the newest revision."""
        return self.current == self.head


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Read the database's migration revision (None before `db init`); connects, never creates
    tables."""
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = current is None or current in {rev.revision for rev in script.walk_revisions()}
    return SchemaState(current=current, head=head_revision(), known=known)


async def connection_room(engine: AsyncEngine) -> int | None:
    """How many connections PostgreSQL lets ordinary roles open at once (`max_connections` less
    the superusers' reserve); None for SQLite, which has no such limit."""
    if engine.dialect.name != "postgresql":
        return None
    async with engine.connect() as connection:
        limit = (await connection.execute(text("SHOW max_connections"))).scalar_one()
        reserved = (
            await connection.execute(text("SHOW superuser_reserved_connections"))
        ).scalar_one()
    return int(limit) - int(reserved)


def connection_shortfall(*, room: int, workers: int, each: int) -> str | None:
    """The operator's one line when `workers` opening up to `each` connections could exhaust
    PostgreSQL's `room` (then a busy worker's handlers fail with "too many clients")."""
    needed = workers * each
    if needed <= room:
        return None
    return (
        f"PostgreSQL lets this role open {room} connections and {workers} worker(s) may open up "
        f"to {needed} ({each} each): raise max_connections to at least {needed + 10} "
        "(e.g. postgres -c max_connections=...) or run fewer workers"
    )
