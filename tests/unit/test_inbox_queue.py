"""The inbox queue when the database cannot store an update: the update is not queued, and the
error is one python-telegram-bot's polling loop retries (it survives only Telegram's errors),
so the same batch is fetched again rather than polling stopping for good."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy.exc import OperationalError
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.ext import Updater

from bot.inbox import BatchStoringBot, InboxQueue
from bot.services import Services
from storage.unit_of_work import UnitOfWork


class _DatabaseDown:
    worker_id = "w"

    def uow(self) -> UnitOfWork:
        raise OperationalError("INSERT", {}, Exception("database is locked"))


async def test_an_update_that_cannot_be_stored_is_not_queued_and_comes_again() -> None:
    queue = InboxQueue()
    queue.services = cast(Services, _DatabaseDown())
    update = Update.de_json({"update_id": 5, "message": None}, None)
    assert update is not None
    with pytest.raises(NetworkError):
        await queue.put(update)
    assert queue.empty()


class _Bot:
    """Hands out one batch of two updates."""

    async def get_updates(self, *args: object, **kwargs: object) -> tuple[Update, ...]:
        first = Update.de_json({"update_id": 6, "message": None}, None)
        second = Update.de_json({"update_id": 7, "message": None}, None)
        assert first is not None
        assert second is not None
        return (first, second)


class _Updater:
    running = True


async def test_a_polled_batch_that_cannot_be_stored_is_not_handed_to_the_updater() -> None:
    queue = InboxQueue()
    queue.services = cast(Services, _DatabaseDown())
    bot = BatchStoringBot(cast(Bot, _Bot()), queue, cast(Updater, _Updater()))
    with pytest.raises(NetworkError):  # the polling loop fetches the same batch again
        await bot.get_updates(offset=6)
    assert queue.empty()


async def test_the_updaters_last_call_while_stopping_stores_nothing() -> None:
    queue = InboxQueue()
    queue.services = cast(Services, _DatabaseDown())
    updater = _Updater()
    updater.running = False
    bot = BatchStoringBot(cast(Bot, _Bot()), queue, cast(Updater, updater))
    assert [u.update_id for u in await bot.get_updates(offset=6)] == [6, 7]  # not stored
