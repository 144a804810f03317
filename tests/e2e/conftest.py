"""The real Application (handlers, sender, rate limiter) against the emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application
from telegram.request import HTTPXRequest

from admin.settings import load_settings
from bot.app import build_application, running
from emulator import Chat, Emulator, EmulatorServer, Limits, Person
from storage.database import session_factory
from storage.district import bind_department
from storage.members import add_member
from storage.models import Role
from storage.unit_of_work import UnitOfWork
from tests.fakes import KeywordClassifier


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class World:
    """Everything an end-to-end test touches."""

    emu: Emulator
    app: Application  # type: ignore[type-arg]
    uow: UnitOfWork
    classifier: KeywordClassifier
    urban: Chat
    housing: Chat
    dispatch: Chat
    urban_clerk: Person
    housing_clerk: Person
    dispatcher: Person
    server: EmulatorServer
    db_url: str


@asynccontextmanager
async def bot_running(
    server: EmulatorServer, db_url: str, classifier: KeywordClassifier
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real bot, polling the emulator over HTTP, for the length of a block."""
    settings = load_settings(
        database_url=db_url,
        telegram_api_base_url=server.base_url,
        telegram_bot_token=server.emulator.token,
    )
    application = build_application(
        settings,
        classifier_loader=lambda s, d: classifier,
        request=HTTPXRequest(connection_pool_size=32, read_timeout=1.5),
    )
    async with running(application):
        yield application


@pytest.fixture
def limits() -> Limits:
    """Telegram's limits are off unless a test turns them on."""
    return Limits(enforce_rates=False)


@pytest.fixture
async def world(engine: AsyncEngine, db_url: str, limits: Limits) -> AsyncIterator[World]:
    """A district with two forum groups and dispatch, staff, and the bot polling."""
    emu = Emulator(limits=limits)
    uow = UnitOfWork(session_factory(engine))
    urban_clerk = emu.add_user("城管小李")
    housing_clerk = emu.add_user("住建小王")
    dispatcher = emu.add_user("调度老张")
    urban = emu.add_supergroup("城管局工作群", forum=True, members=[urban_clerk])
    housing = emu.add_supergroup("住建局工作群", forum=True, members=[housing_clerk])
    dispatch = emu.add_supergroup("区民意调度中心", forum=False, members=[dispatcher])
    for code, chat, forum in (
        ("urban", urban, True),
        ("housing", housing, True),
        ("dispatch", dispatch, False),
    ):
        async with uow:
            await bind_department(uow=uow, code=code, chat_id=chat.id, is_forum=forum)
    for person, role, code in (
        (urban_clerk, Role.STAFF, "urban"),
        (housing_clerk, Role.STAFF, "housing"),
        (dispatcher, Role.DISPATCHER, None),
    ):
        async with uow:
            await add_member(
                uow=uow,
                user_id=person.id,
                role=role,
                department_code=code,
                display_name=person.user.first_name,
            )
    classifier = KeywordClassifier()
    async with EmulatorServer(emu) as server, bot_running(server, db_url, classifier) as app:
        yield World(
            emu,
            app,
            uow,
            classifier,
            urban,
            housing,
            dispatch,
            urban_clerk,
            housing_clerk,
            dispatcher,
            server,
            db_url,
        )
    await emu.close()
