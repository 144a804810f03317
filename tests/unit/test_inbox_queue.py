"""The inbox queue when the database cannot store an update: the update is not queued, and the
error is one python-telegram-bot's polling loop retries (it survives only Telegram's errors),
so the same batch is fetched again rather than polling stopping for good."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.error import NetworkError

from bot.inbox import InboxQueue
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
