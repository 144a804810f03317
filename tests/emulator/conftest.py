"""Fixtures: an emulator, its HTTP server, and a running python-telegram-bot Application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from telegram.ext import Application, ApplicationBuilder, BaseHandler

from bot.emulator import Emulator, EmulatorServer, Limits

AnyHandler = BaseHandler[object, object, object]  # type: ignore[type-var]
RunningApp = Callable[..., AbstractAsyncContextManager[Application]]  # type: ignore[type-arg]


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
        application = (
            ApplicationBuilder()
            .token(server.emulator.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
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
