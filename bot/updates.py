"""Updates of different chats are handled at once; one chat's updates strictly in order.

python-telegram-bot handles one update at a time by default, so a handler waiting for the
database or for its chat's turn under Telegram's limits (see `pacing`) holds up everyone else.
`PerChatUpdateProcessor` lets many chats proceed together, while a resident's own messages
(a photo, then 「完成」) keep the order they were sent in: the intake conversation never sees
them swapped.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.inbox import InboxQueue, chat_of
from storage.processing import Processing, close_session, processing

__all__ = ["MAX_QUEUED_PER_CHAT", "PerChatUpdateProcessor"]

log = logging.getLogger(__name__)

MAX_QUEUED_PER_CHAT = 32


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` at once; within a chat, one at a time, in arrival order
    (an asyncio.Lock serves its waiters first come, first served), and at most
    `MAX_QUEUED_PER_CHAT` waiting, so one chat cannot take every slot."""

    def __init__(
        self, max_concurrent_updates: int = 256, *, inbox: InboxQueue | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox = inbox
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}  # updates holding or awaiting each lock
        self.newest_update_id = 0  # the newest update that has reached the handlers
        self.in_progress = 0  # updates whose handlers have not finished (or that wait their turn)

    def done_with(self, update_id: int) -> bool:
        """Whether the handlers of update ``update_id`` and of every update before it are done
        (for tools that wait for the bot, such as the sandbox: an event, not a guess of time)."""
        return self.newest_update_id >= update_id and not self.in_progress

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handlers after the earlier updates of the same chat."""
        if isinstance(update, Update):
            self.newest_update_id = max(self.newest_update_id, update.update_id)
        self.in_progress += 1
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            self.in_progress -= 1

    async def _in_chat_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_of(update)
        if key is None:
            await self._handle(update, coroutine)
            return
        if self._holders.get(key, 0) >= MAX_QUEUED_PER_CHAT:
            # A flood from one chat (the flood guard would drop these anyway): waiting updates
            # hold slots, so they must not crowd out every other chat.
            log.warning("chat %s has %d updates waiting; dropping one", key, self._holders[key])
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            if self.inbox is not None and isinstance(update, Update):
                await self.inbox.finished(update.update_id)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                await self._handle(update, coroutine)
        finally:
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key]
                del self._locks[key]

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handlers in one session (storage/unit_of_work.py); their first commit marks
        the update processed with its effects (storage/inbox.py); when they return, it is
        finished."""
        if not isinstance(update, Update):
            await coroutine
            return
        key = chat_of(update)
        turns = self.inbox.turns if self.inbox is not None else None
        turn = (
            turns.turn(key, update.update_id)
            if turns is not None and key is not None
            else contextlib.nullcontext()
        )
        svc = self.inbox.services if self.inbox is not None else None
        if svc is None:  # not stored: nothing to mark
            await coroutine
            return
        async with turn:  # on PostgreSQL: no other worker handles this chat meanwhile
            current = Processing(update.update_id, svc.worker_id, sessions=svc.sessions)
            token = processing.set(current)
            try:
                await coroutine
            finally:
                try:
                    await close_session(current)
                finally:
                    processing.reset(token)
            if self.inbox is not None:
                await self.inbox.finished(update.update_id, at_once=turns is not None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
