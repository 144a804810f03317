"""Helpers shared by the `minyi` command groups: settings, errors, one unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from admin.settings import Settings, SettingsError, load_settings
from storage import database
from storage.errors import DomainError
from storage.unit_of_work import UnitOfWork

T = TypeVar("T")


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    typer.secho(f"错误: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def settings_or_exit() -> Settings:
    """The settings, or a clean exit naming the bad variable."""
    try:
        return load_settings()
    except SettingsError as error:
        raise fail(str(error)) from None


def run_with_uow(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one async use case against the configured database."""

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
        raise fail(str(error)) from None
