"""Delivers the outbox within Telegram's limits; nothing queued is ever silently lost.

Order is kept per chat; a RetryAfter defers the rest of that chat's batch; transient errors
retry with exponential backoff; permanent failures are recorded on the ticket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram import Bot, InputMediaPhoto, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notices import Rendered, render
from bot.services import Services
from bot.topics import TopicKeeper
from storage.columns import utcnow
from storage.district import department_for_chat
from storage.models import Audience
from storage.outbox import (
    OutboxItem,
    claim_due,
    mark_failed,
    mark_sent,
    record_topic,
    retry_later,
    ticket_card_message,
    ticket_thread,
)

log = logging.getLogger(__name__)

PRIVATE_RATE = (1, 1.0)  # Telegram: about one message per second to one private chat
GROUP_RATE = (20, 60.0)  # Telegram: 20 messages per minute to one group
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
PARALLEL_CHATS = 16
TOPIC_PREFIX = "待认领"


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try: 1, 2, 4 … capped at five minutes."""
    return float(min(MAX_BACKOFF, 2 ** max(0, attempts - 1)))


class OutboxSender:
    """Claims due outbox rows and sends them; run one per worker (claims never overlap)."""

    def __init__(self, bot: Bot, services: Services, *, batch: int = 100) -> None:
        self.bot = bot
        self.services = services
        self.batch = batch
        self._next_ok: dict[int, float] = defaultdict(float)
        self._limiters: dict[int, AsyncLimiter] = {}
        self._chat_locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._slots = asyncio.Semaphore(PARALLEL_CHATS)
        self.topics = TopicKeeper(bot, services, self._pace)
        self.sent = 0
        self.retried = 0
        self.failed = 0
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event, *, idle: float = 1.0) -> None:
        """Deliver until `stop` is set, waking early whenever a handler queues something."""
        wakeup = self.services.outbox_wakeup
        self._stop = stop
        while not stop.is_set():
            wakeup.clear()
            try:
                delivered = await self.deliver_once()
            except Exception:  # the loop must survive a database hiccup
                log.exception("outbox pass failed")
                delivered = 0
            if delivered:
                continue
            with contextlib.suppress(TimeoutError):
                waiter = asyncio.ensure_future(wakeup.wait())
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait_for(
                        asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED),
                        idle,
                    )
                finally:
                    waiter.cancel()
                    stopper.cancel()

    async def deliver_once(self) -> int:
        """One pass: claim a batch and deliver it; returns how many rows were handled."""
        async with self.services.uow() as uow:
            items = await claim_due(uow=uow, limit=self.batch, lease=self.services.outbox_lease)
        if not items:
            return 0
        by_chat: dict[int, list[OutboxItem]] = defaultdict(list)
        for item in items:
            by_chat[item.chat_id].append(item)
        await asyncio.gather(*(self._deliver_chat(chat, queue) for chat, queue in by_chat.items()))
        return len(items)

    async def _deliver_chat(self, chat_id: int, queue: list[OutboxItem]) -> None:
        async with self._slots, self._chat_locks[chat_id]:
            for index, item in enumerate(queue):
                if self._stop.is_set():
                    # Stopping: hand the rest back at once so another worker picks it up.
                    for later in queue[index:]:
                        await self._retry(later, 0.0, "worker stopped")
                    return
                deferred_until = await self._deliver(item)
                if deferred_until is not None:
                    # Keep the chat's order: everything after waits as long as this one.
                    for later in queue[index + 1 :]:
                        await self._retry(later, deferred_until, "waiting for earlier message")
                    return

    async def _pace(self, chat_id: int) -> None:
        """Wait out a RetryAfter, then take a slot from the chat's leaky bucket."""
        wait = self._next_ok[chat_id] - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        limiter = self._limiters.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(*(PRIVATE_RATE if chat_id > 0 else GROUP_RATE))
            self._limiters[chat_id] = limiter
        await limiter.acquire()

    async def _deliver(self, item: OutboxItem) -> float | None:
        """Send one row; returns the delay in seconds if the rest of the chat must wait."""
        svc = self.services
        names = {d.code: d.name for d in svc.district.departments}
        try:
            rendered = render(item.audience, item.kind, item.payload, tz=svc.tz, names=names)
            await self._pace(item.chat_id)
            message, thread_id = await self._send(item, rendered)
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._next_ok[item.chat_id] = time.monotonic() + seconds
            await self._retry(item, seconds, f"RetryAfter {seconds}s")
            return seconds
        except Forbidden as error:
            await self._fail(item, f"Forbidden: {error.message}", blocked=True)
            return None
        except BadRequest as error:
            await self._fail(item, f"BadRequest: {error.message}")
            return None
        except Exception as error:  # timeouts, 5xx, dropped connections, and our own bugs
            if not isinstance(error, (NetworkError, TelegramError)):
                log.exception("could not deliver %s %s", item.kind, item.ticket_number or "-")
            if item.attempts >= MAX_ATTEMPTS:
                await self._fail(item, f"gave up after {item.attempts} attempts: {error}")
                return None
            pause = backoff(item.attempts)
            await self._retry(item, pause, f"{type(error).__name__}: {error}")
            return pause
        follow_up = None
        if rendered.purpose == "card" and item.payload.get("photos"):
            follow_up = ("photos", {"number": item.ticket_number, "photos": item.payload["photos"]})
        async with svc.uow() as uow:
            await mark_sent(
                uow=uow,
                item=item,
                message_id=message.message_id if message else None,
                thread_id=thread_id,
                purpose=rendered.purpose if item.audience != Audience.RESIDENT else None,
                follow_up=follow_up,
            )
        if follow_up:
            svc.kick_outbox()
        if item.audience == Audience.RESIDENT and item.ticket_id is not None:
            await self.topics.sync(item.ticket_id)  # every lifecycle change tells the resident
        self.sent += 1
        log.info("delivered %s %s for %s", item.audience, item.kind, item.ticket_number or "-")
        return None

    async def _send(
        self, item: OutboxItem, rendered: Rendered
    ) -> tuple[Message | None, int | None]:
        thread_id, reply_to = await self._place(item)
        try:
            return await self._send_at(item, rendered, thread_id, reply_to)
        except BadRequest as error:
            if thread_id is None or "topic_closed" not in error.message.lower():
                raise
            # News about a finished ticket (e.g. it was reopened): open its topic again.
            await self.topics.reopen(item.chat_id, thread_id)
            return await self._send_at(item, rendered, thread_id, reply_to)

    async def _send_at(
        self, item: OutboxItem, rendered: Rendered, thread_id: int | None, reply_to: int | None
    ) -> tuple[Message | None, int | None]:
        if rendered.upload is not None:
            photo = await self.bot.send_photo(
                item.chat_id,
                rendered.upload,
                caption=rendered.text[:1024] or None,
                message_thread_id=thread_id,
            )
            return photo, thread_id
        if len(rendered.photos) == 1:
            photo = await self.bot.send_photo(
                item.chat_id,
                rendered.photos[0],
                caption=rendered.text[:1024] or None,
                message_thread_id=thread_id,
                reply_to_message_id=reply_to,
            )
            return photo, thread_id
        if rendered.photos:
            media = [InputMediaPhoto(file_id) for file_id in rendered.photos[:10]]
            sent = await self.bot.send_media_group(
                item.chat_id, media, message_thread_id=thread_id, reply_to_message_id=reply_to
            )
            return (sent[0] if sent else None), thread_id
        message = await self.bot.send_message(
            item.chat_id,
            rendered.text[:4096],
            reply_markup=rendered.markup,
            message_thread_id=thread_id,
            reply_to_message_id=reply_to,
        )
        return message, thread_id

    async def _place(self, item: OutboxItem) -> tuple[int | None, int | None]:
        """Where in a group a ticket's message goes: its forum topic, or a reply to its card."""
        if item.audience == Audience.RESIDENT or item.ticket_id is None:
            return None, None
        async with self.services.uow() as uow:
            department = await department_for_chat(uow=uow, chat_id=item.chat_id)
            thread = await ticket_thread(uow=uow, ticket_id=item.ticket_id, chat_id=item.chat_id)
            card = await ticket_card_message(
                uow=uow, ticket_id=item.ticket_id, chat_id=item.chat_id
            )
        if department is None or not department.is_forum:
            return None, (card if item.kind != "ticket_card" else None)
        if thread is None:
            topic = await self.bot.create_forum_topic(
                item.chat_id, f"{item.ticket_number} {TOPIC_PREFIX}"[:128]
            )
            thread = topic.message_thread_id
            self.topics.created(item.chat_id, thread, topic.name)
            async with self.services.uow() as uow:
                await record_topic(
                    uow=uow, ticket_id=item.ticket_id, chat_id=item.chat_id, thread_id=thread
                )
        return thread, None

    async def _retry(self, item: OutboxItem, seconds: float, error: str) -> None:
        self.retried += 1
        async with self.services.uow() as uow:
            await retry_later(
                uow=uow, item=item, at=utcnow() + timedelta(seconds=seconds), error=error
            )

    async def _fail(self, item: OutboxItem, error: str, *, blocked: bool = False) -> None:
        self.failed += 1
        log.warning(
            "undeliverable %s %s for %s: %s",
            item.audience,
            item.kind,
            item.ticket_number or "-",
            error,
        )
        async with self.services.uow() as uow:
            await mark_failed(uow=uow, item=item, error=error, blocked=blocked)
        self.services.kick_outbox()
