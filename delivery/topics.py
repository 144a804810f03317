"""Keeps each ticket's forum topics in step with the ticket: named by status, closed when done.

Topics are brought in line after the sender delivers a message about the ticket, so every
lifecycle change (which always tells the resident) is reflected, whoever made it. It is
best effort: a failed edit is logged and corrected by the next change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from delivery.cards import topic_state
from delivery.services import DeliveryServices
from delivery.texts import TOPIC_DUPLICATE, TOPIC_NAME
from storage.outbox import TicketTopics, ticket_topics

log = logging.getLogger(__name__)

NOT_MODIFIED = "topic_not_modified"  # PTB may change the case of the message

Pace = Callable[[int], Awaitable[None]]


class TopicKeeper:
    """Renames, closes and reopens ticket topics; remembers what it last set (per worker)."""

    def __init__(self, bot: Bot, services: DeliveryServices, pace: Pace) -> None:
        self.bot = bot
        self.services = services
        self.pace = pace
        self._names: dict[tuple[int, int], str] = {}
        self._closed: dict[tuple[int, int], bool] = {}

    async def sync(self, ticket_id: int) -> None:
        """Bring every topic of the ticket in line with its current state."""
        async with self.services.uow() as uow:
            found = await ticket_topics(uow=uow, ticket_id=ticket_id)
        if found is not None:
            await self.apply(found)

    async def apply(self, found: TicketTopics) -> None:
        """`sync` with the ticket's topics already read."""
        for chat_id, thread_id in found.topics:
            current = chat_id == found.department_chat_id or chat_id in found.cohandler_chat_ids
            name, closed = topic_state(found.number, found.status, current=current)
            try:
                await self._apply(chat_id, thread_id, name, closed)
            except TelegramError as error:
                log.warning("could not update the topic of %s: %s", found.number, error)

    def created(self, chat_id: int, thread_id: int, name: str) -> None:
        """Remember a topic just made (open, with this name), saving needless edits."""
        self._names[(chat_id, thread_id)] = name
        self._closed[(chat_id, thread_id)] = False

    async def reopen(self, chat_id: int, thread_id: int) -> None:
        """Reopen a closed topic so a new message about its ticket can be posted there."""
        await self._set_closed(chat_id, thread_id, False, force=True)

    async def _apply(self, chat_id: int, thread_id: int, name: str, closed: bool) -> None:
        key = (chat_id, thread_id)
        if not closed:
            await self._set_closed(chat_id, thread_id, False)
        if self._names.get(key) != name:
            await self.pace(chat_id)
            await _tolerant(self.bot.edit_forum_topic(chat_id, thread_id, name=name))
            self._names[key] = name
        if closed:
            await self._set_closed(chat_id, thread_id, True)

    async def _set_closed(
        self, chat_id: int, thread_id: int, closed: bool, *, force: bool = False
    ) -> None:
        key = (chat_id, thread_id)
        if not force and self._closed.get(key) == closed:
            return
        await self.pace(chat_id)
        if closed:
            await _tolerant(self.bot.close_forum_topic(chat_id, thread_id))
        else:
            await _tolerant(self.bot.reopen_forum_topic(chat_id, thread_id))
        self._closed[key] = closed


async def retire_topic(bot: Bot, chat_id: int, thread_id: int, number: str) -> None:
    """Close a second topic made for a ticket by mistake, named so staff leave it alone
    (storage/topics.py); best effort, as a topic someone deleted needs nothing."""
    name = TOPIC_NAME.format(number=number, status=TOPIC_DUPLICATE)[:128]
    try:
        await _tolerant(bot.edit_forum_topic(chat_id, thread_id, name=name))
        await _tolerant(bot.close_forum_topic(chat_id, thread_id))
    except TelegramError as error:
        log.warning("could not retire a duplicate topic of %s: %s", number, error)
    else:
        log.warning("retired a duplicate topic of %s", number)


async def _tolerant(call: Awaitable[bool]) -> None:
    """Run a topic edit; "not modified" means it already is as wanted."""
    try:
        await call
    except BadRequest as error:
        if NOT_MODIFIED not in error.message.lower():
            raise
