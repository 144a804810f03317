"""Fixtures: an emulator, its HTTP server, and a running python-telegram-bot Application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from telegram import Bot
from telegram.ext import Application, BaseHandler
from telegram.request import HTTPXRequest

from emulator import Emulator, EmulatorServer, Limits

AnyHandler = BaseHandler[Any, Any, Any]
RunningApp = Callable[..., AbstractAsyncContextManager[Application]]  # type: ignore[type-arg]


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's timedelta ``retry_after``; otherwise building RetryAfter warns (= fails)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def emulator() -> Emulator:
    """An emulator without rate limits (tests that need them switch them on)."""
    return Emulator(limits=Limits(enforce_rates=False))


@pytest.fixture
async def server(emulator: Emulator) -> AsyncIterator[EmulatorServer]:
    """The emulator served over HTTP on 127.0.0.1 (a free port)."""
    async with EmulatorServer(emulator) as running:
        yield running
    await emulator.close()


@pytest.fixture
def running_app(server: EmulatorServer) -> RunningApp:
    """Build an unmodified Application against the server and poll until the block ends."""

    @asynccontextmanager
    async def run(*handlers: AnyHandler) -> AsyncIterator[Application]:  # type: ignore[type-arg]
        application = server.application_builder().build()
        application.add_handlers(handlers)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0)
            try:
                yield application
            finally:
                await application.updater.stop()
                await application.stop()

    return run


@pytest.fixture
async def bot(server: EmulatorServer) -> AsyncIterator[Bot]:
    """A bare Bot over HTTP with a short read timeout (so timeout faults end quickly)."""
    async with Bot(
        server.emulator.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        request=HTTPXRequest(read_timeout=0.5),
    ) as client:
        yield client
