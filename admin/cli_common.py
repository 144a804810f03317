"""Helpers shared by the `minyi` command groups: settings, the database, one unit of work, and
the edge where every failure becomes one line on stderr (the traceback only with --debug)."""

from __future__ import annotations

import asyncio
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import typer
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from admin import cli_texts as texts
from admin.settings import DEFAULT_API_BASE_URL, Settings, SettingsError, load_settings, redact
from classifiers.errors import ClassifierError
from storage import database
from storage.errors import (
    DepartmentRequired,
    DistrictWideRole,
    DomainError,
    InvalidInput,
    NoSuchGrant,
    TeamRequired,
    UnknownDepartment,
    UnknownTeam,
)
from storage.unit_of_work import UnitOfWork

T = TypeVar("T")

USAGE_EXIT = 2
FAILURE_EXIT = 1


@dataclass
class Edge:
    """How this run of the command reports failures (set by the global --debug option)."""

    debug: bool = False


EDGE = Edge()


def fail(message: str) -> typer.Exit:
    """Print a one-line error (never the token) and return the exit to raise."""
    say_error(message)
    return typer.Exit(code=USAGE_EXIT)


def say_error(message: str) -> None:
    """One line on stderr, in red, token redacted."""
    line = " ".join(redact(message).split())
    typer.secho(texts.ERROR.format(message=line), err=True, fg=typer.colors.RED)


def settings_or_exit() -> Settings:
    """The settings, or a clean exit naming the bad variable."""
    try:
        return load_settings()
    except SettingsError as error:
        raise fail(str(error)) from None


def database_label(url: str) -> str:
    """A database URL as the operator may see it: the SQLite file, or the URL without password."""
    path = database.sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def schema_problem(url: str) -> str | None:
    """Why the database cannot be used yet (one line saying what to do), or None when it is
    migrated. Never creates a SQLite file."""
    path = database.sqlite_file(url)
    if path is not None and not path.is_file():
        return texts.DB_MISSING.format(where=path)

    async def read() -> database.SchemaState:
        engine = database.create_engine(url)
        try:
            return await database.schema_state(engine)
        finally:
            await engine.dispose()

    try:
        state = asyncio.run(read())
    except (SQLAlchemyError, OSError) as error:
        return describe(error)
    if state.current is None:
        return texts.DB_NOT_MIGRATED.format(where=database_label(url))
    if not state.known:
        return texts.DB_AHEAD.format(current=state.current, head=state.head)
    if not state.is_current:
        return texts.DB_BEHIND.format(current=state.current, head=state.head)
    return None


def require_database(settings: Settings) -> None:
    """Stop with one line unless the database exists and is migrated."""
    problem = schema_problem(settings.database_url)
    if problem is not None:
        raise fail(problem)


def run_with_uow(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one async use case against the configured (existing, migrated) database."""
    require_database(settings)

    async def runner() -> T:
        engine = database.create_engine(settings.database_url)
        try:
            async with UnitOfWork(database.session_factory(engine)) as uow:
                return await work(uow)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except DomainError as error:
        raise fail(describe(error)) from None


def _base_url() -> str:
    try:
        return load_settings().telegram_api_base_url
    except SettingsError:
        return DEFAULT_API_BASE_URL


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _database_detail(error: BaseException) -> str:
    original = error.orig if isinstance(error, DBAPIError) and error.orig else error
    return _first_line(original)


def describe(error: BaseException) -> str:
    """One line in Chinese saying what went wrong and what to do (English detail in brackets)."""
    if isinstance(error, SettingsError):
        return str(error)
    if isinstance(error, UnknownDepartment):
        codes = "、".join(error.known) or "—"
        return texts.UNKNOWN_DEPARTMENT.format(code=error.code, codes=codes)
    if isinstance(error, DepartmentRequired):
        return texts.DEPARTMENT_REQUIRED
    if isinstance(error, DistrictWideRole):
        return texts.DISTRICT_WIDE_ROLE.format(role=texts.ROLE_NAMES.get(error.role, error.role))
    if isinstance(error, NoSuchGrant):
        return texts.NO_SUCH_GRANT.format(user_id=error.user_id)
    if isinstance(error, TeamRequired):
        return texts.TEAM_REQUIRED
    if isinstance(error, UnknownTeam):
        return texts.UNKNOWN_TEAM.format(team=error.team, teams="、".join(error.known) or "—")
    if isinstance(error, InvalidInput | DomainError):
        return texts.INVALID_INPUT.format(detail=_first_line(error))
    if isinstance(error, InvalidToken):
        return texts.TOKEN_REJECTED.format(base_url=_base_url())
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return texts.TELEGRAM_UNREACHABLE.format(base_url=_base_url(), detail=_first_line(error))
    if isinstance(error, TelegramError):
        return texts.TELEGRAM_REFUSED.format(detail=_first_line(error))
    if isinstance(error, ClassifierError):
        return texts.MODEL_PROBLEM.format(detail=_first_line(error))
    if isinstance(error, CommandError):
        return texts.MIGRATION_FAILED.format(detail=_first_line(error))
    if isinstance(error, NoSuchTableError) or "no such table" in str(error):
        return texts.DB_NOT_MIGRATED.format(where="DATABASE_URL")
    if isinstance(error, DBAPIError | SQLAlchemyError) and _is_schema_error(error):
        return texts.DB_SCHEMA_MISMATCH.format(detail=_database_detail(error))
    if isinstance(error, DBAPIError | SQLAlchemyError | ConnectionError | TimeoutError):
        return texts.DB_UNREACHABLE.format(where=_database_where(), detail=_database_detail(error))
    if isinstance(error, OSError) and error.filename is not None:
        reason = texts.FILE_REASONS.get(error.strerror or "", error.strerror or "")
        return texts.FILE_PROBLEM.format(path=error.filename, reason=reason)
    if isinstance(error, OSError) and "connect" in str(error).lower():
        return texts.DB_UNREACHABLE.format(where=_database_where(), detail=_first_line(error))
    return texts.UNEXPECTED.format(kind=type(error).__name__, detail=_first_line(error)) + (
        "" if EDGE.debug else texts.DEBUG_HINT
    )


def _is_schema_error(error: SQLAlchemyError) -> bool:
    text = str(error).lower()
    return "does not exist" in text and ("relation" in text or "column" in text)


def _database_where() -> str:
    try:
        return database_label(load_settings().database_url)
    except SettingsError:
        return "DATABASE_URL"


def _help_hint(error: typer.TyperException) -> str:
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "minyi"
    return texts.USAGE_HINT.format(command=command)


def _usage_line(error: typer.TyperException) -> str:
    """A command-line mistake in one line: what is wrong, the library's words, where to look."""
    kinds = {kind.__name__ for kind in type(error).__mro__}
    param = getattr(error, "param", None)
    if param is None:
        name = str(getattr(error, "param_hint", "") or "")
    elif getattr(param, "param_type_name", "") == "argument":
        name = str(param.name or "").upper()
    else:
        name = "/".join(param.opts)
    if "MissingParameter" in kinds:
        head = texts.MISSING_PARAMETER.format(name=name or "")
    elif "NoSuchOption" in kinds:
        head = texts.NO_SUCH_OPTION.format(name=getattr(error, "option_name", ""))
    elif "BadParameter" in kinds:
        head = texts.BAD_PARAMETER.format(name=name)
    elif "No such command" in error.format_message():
        head = texts.NO_SUCH_COMMAND
    else:
        head = texts.BAD_USAGE
    detail = _first_line(Exception(error.format_message()))
    return f"{head} ({detail}){_help_hint(error)}"


def invoke(app: typer.Typer, args: Sequence[str] | None = None) -> int:
    """Run the command line; every failure becomes one line on stderr and an exit code.

    With --debug an unexpected failure also prints its traceback (token redacted)."""
    EDGE.debug = False
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="minyi", standalone_mode=False)
    except typer.TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            typer.echo(error.format_message())
            return 0
        if hasattr(error, "ctx"):
            say_error(_usage_line(error))
            return USAGE_EXIT
        say_error(error.format_message())
        return error.exit_code
    except typer.Abort:
        say_error(texts.ABORTED)
        return FAILURE_EXIT
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if EDGE.debug:
            trace = "".join(traceback.format_exception(error))
            sys.stderr.write(redact(trace))
        say_error(describe(error))
        return FAILURE_EXIT
    return result if isinstance(result, int) else 0
