"""Delivers the outbox within Telegram's limits; nothing queued is ever silently lost.

Each chat is a lane: only the head of a chat's queue is ever claimed (see `claim_due`), so a
chat's messages keep their order across workers, and the next one is claimed the moment the
previous one is sent; a slow chat (a group at 20 messages a minute) never holds up the others.
The pacing itself is the Application's rate limiter (`pacing.FloodLimits`), shared with the
handlers. A 429 or a transient error puts the message back with a delay (exponential backoff),
which holds back the rest of its chat; permanent failures are recorded on the ticket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import InputMediaPhoto, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from delivery.render import Names, Rendered, render
from delivery.services import DeliveryServices
from delivery.texts import TOPIC_NAME
from delivery.topics import TopicKeeper, retire_topic
from storage.columns import utcnow
from storage.district import department_for_chat
from storage.models import Audience, Status
from storage.notices import DispatchCard, Notice, Photos, TicketCard, Voices
from storage.outbox import (
    OutboxItem,
    TicketTopics,
    claim_due,
    follow_chat_migration,
    mark_failed,
    mark_sent,
    retry_later,
    ticket_card_message,
    ticket_topics,
)
from storage.topics import (
    Creation,
    GroupPlace,
    TopicClaimed,
    claim_topic,
    group_places,
    settle_topic,
)
from storage.unit_of_work import UnitOfWork
from storage.vocabulary import status_name
from storage.wakeups import OutboxListener

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
NO_RETRIES = 0  # a 429 comes back at once: the row is rescheduled, not held past its lease
IN_FLIGHT = 256  # messages claimed and not yet sent, at most (most wait in the rate limiter)
TOPIC_BUSY_WAIT = 2.0  # seconds before a message waits again for its topic another worker makes


@dataclass(slots=True)
class Ack:
    """A message Telegram took, waiting to be recorded with the next claim (`mark_sent`), and,
    for a resident's message about a ticket, the ticket's topics read in that transaction."""

    item: OutboxItem
    message_id: int | None
    thread_id: int | None
    purpose: str | None
    follow_ups: list[Notice]
    recorded: asyncio.Future[TicketTopics | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class TopicBusy(Exception):
    """Another worker is creating the ticket's topic in this group right now."""


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try: 1, 2, 4 … capped at five minutes."""
    return float(min(MAX_BACKOFF, 2 ** max(0, attempts - 1)))


class OutboxSender:
    """Claims due outbox rows and sends them; run one per worker (claims never overlap)."""

    def __init__(
        self,
        bot: ExtBot[Any],
        services: DeliveryServices,
        *,
        batch: int = 100,
        listen: bool = True,
    ) -> None:
        self.bot = bot
        self.services = services
        self.batch = batch
        # On PostgreSQL, rows queued by any worker wake this sender at once (storage/wakeups.py);
        # the idle poll stays for rows that become due later and for a lost connection.
        self.listener: OutboxListener | None = None
        if listen and services.engine.dialect.name == "postgresql":
            self.listener = OutboxListener(services.engine.url, services.kick_outbox)
        self._next_ok: dict[int, float] = {}
        self.topics = TopicKeeper(bot, services, self._pace)
        self.sent = 0
        self.retried = 0
        self.failed = 0
        self._stop = asyncio.Event()
        self._in_flight: dict[asyncio.Task[None], int] = {}  # task → outbox row id
        self._acks: list[Ack] = []  # sent, recorded with the next claim
        self._places: dict[int, GroupPlace] = {}  # row id → where in its group, read with it
        self._acked = asyncio.Event()  # an ack is waiting (wakes `_drain`)

    @property
    def busy(self) -> bool:
        """Whether a claimed message (or the topic upkeep after it) is still being delivered."""
        return bool(self._in_flight)

    async def run(self, stop: asyncio.Event, *, idle: float = 1.0) -> None:
        """Deliver until `stop` is set, claiming again whenever a handler queues something, a
        chat's message has gone out (its next one is due), another worker queued something (a
        notification on PostgreSQL), or after `idle` seconds (rows scheduled for later)."""
        wakeup = self.services.outbox_wakeup
        self._stop = stop
        unlisten = asyncio.Event()
        listening = None
        if self.listener is not None:
            listening = asyncio.create_task(self.listener.run(unlisten), name="outbox-listener")
        try:
            while not stop.is_set():
                wakeup.clear()
                try:
                    claimed = await self._claim_more()
                except Exception:  # the loop must survive a database hiccup
                    log.exception("outbox pass failed")
                    claimed = 0
                if claimed and len(self._in_flight) < IN_FLIGHT:
                    continue
                await _first_of(wakeup.wait(), stop.wait(), seconds=idle)
        finally:
            unlisten.set()
            await self._drain()
            if listening is not None:
                await asyncio.gather(listening, return_exceptions=True)

    async def deliver_once(self) -> int:
        """Claim what is due and deliver it; returns how many rows were claimed."""
        claimed = await self._claim_more()
        await self._drain()
        return claimed

    async def _claim_more(self) -> int:
        """Record the messages sent since the last pass and claim the next ones, in one
        transaction: a chat's next message is due once its previous one is recorded."""
        room = min(self.batch, IN_FLIGHT - len(self._in_flight))
        acks, self._acks = self._acks, []
        if room <= 0 and not acks:
            return 0
        try:
            async with self.services.uow() as uow:
                topics = await self._record(uow, acks)
                items: list[OutboxItem] = []
                if room > 0:
                    items = await claim_due(
                        uow=uow,
                        limit=room,
                        lease=self.services.outbox_lease,
                        skip=set(self._in_flight.values()),
                        worker=self.services.worker_id,
                        commit=False,
                    )
                    await self._read_places(uow, items)
                await uow.commit()
        except Exception as error:
            for ack in acks:  # its task fails: the row is sent again after the lease, once
                if not ack.recorded.done():
                    ack.recorded.set_exception(error)
            raise
        except BaseException:  # cancelled: recorded by `_drain`
            self._acks[:0] = acks
            raise
        for ack, found in zip(acks, topics, strict=True):
            if not ack.recorded.done():
                ack.recorded.set_result(found)
        for item in items:
            task = asyncio.create_task(self._deliver_one(item), name=f"outbox-{item.id}")
            self._in_flight[task] = item.id
            task.add_done_callback(self._finished)
        return len(items)

    async def _read_places(self, uow: UnitOfWork, items: list[OutboxItem]) -> None:
        """Where in their groups the claimed messages about tickets go, read with the claim."""
        about = [i for i in items if i.audience != Audience.RESIDENT and i.ticket_id is not None]
        places = await group_places(
            uow=uow,
            pairs=[(i.ticket_id, i.chat_id) for i in about if i.ticket_id is not None],
            cards_for=[
                (i.ticket_id, i.chat_id)
                for i in about
                if i.ticket_id is not None and not isinstance(i.notice, TicketCard)
            ],
        )
        for item in about:
            if item.ticket_id is not None:
                self._places[item.id] = places[(item.ticket_id, item.chat_id)]

    def _finished(self, task: asyncio.Task[None]) -> None:
        row = self._in_flight.pop(task, None)
        if row is not None:
            self._places.pop(row, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox delivery crashed", exc_info=task.exception())
        self.services.kick_outbox()  # the chat's next message may be due now

    async def _record(self, uow: UnitOfWork, acks: list[Ack]) -> list[TicketTopics | None]:
        """Mark `acks` sent (no commit); the topics of the tickets residents were told about."""
        found: list[TicketTopics | None] = []
        for ack in acks:
            item = ack.item
            await mark_sent(
                uow=uow,
                item=item,
                message_id=ack.message_id,
                thread_id=ack.thread_id,
                purpose=ack.purpose,
                follow_ups=ack.follow_ups,
                commit=False,
            )
            resident = item.audience == Audience.RESIDENT and item.ticket_id is not None
            if resident and item.ticket_id is not None:
                found.append(await ticket_topics(uow=uow, ticket_id=item.ticket_id))
            else:
                found.append(None)
        return found

    async def _drain(self) -> None:
        """Wait for the messages in flight (after a stop they hand themselves back), recording
        those sent meanwhile."""
        while self._in_flight or self._acks:
            if self._acks:
                await self._claim_more_or_log()
                continue
            self._acked.clear()
            acked = asyncio.ensure_future(self._acked.wait())
            try:
                await asyncio.wait([*self._in_flight, acked], return_when=asyncio.FIRST_COMPLETED)
            finally:
                acked.cancel()

    async def _claim_more_or_log(self) -> None:
        try:
            await self._claim_more()
        except Exception:
            log.exception("could not record the messages sent")

    async def _deliver_one(self, item: OutboxItem) -> None:
        if self._stop.is_set():  # stopping: hand it back at once for another worker
            await self._retry(item, 0.0, "worker stopped")
            return
        await self._deliver(item)

    async def _pace(self, chat_id: int) -> None:
        """Wait out a RetryAfter Telegram gave for this chat (the rate limiter does the rest)."""
        wait = self._next_ok.get(chat_id, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            self._next_ok.pop(chat_id, None)

    async def _deliver(self, item: OutboxItem) -> None:
        """Send one row, or put it back with a delay, or record that it cannot be sent."""
        svc = self.services
        names = Names(svc.department_names(), svc.routable_names())
        try:
            rendered = render(item.notice, tz=svc.tz, names=names)
            await self._pace(item.chat_id)
            message, thread_id = await self._send(item, rendered)
        except TopicBusy:
            await self._retry(item, TOPIC_BUSY_WAIT, "topic being created by another worker")
            return
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            self._next_ok[item.chat_id] = time.monotonic() + seconds
            await self._retry(item, seconds, f"RetryAfter {seconds}s")
            return
        except ChatMigrated as error:
            # The group became a supergroup: its department and queue move, then send again.
            async with svc.uow() as uow:
                await follow_chat_migration(
                    uow=uow, old_chat_id=item.chat_id, new_chat_id=error.new_chat_id
                )
            log.warning("group %s moved to %s; following it", item.chat_id, error.new_chat_id)
            await self._retry(item, 0.0, f"chat migrated to {error.new_chat_id}")
            return
        except Forbidden as error:
            await self._fail(item, f"Forbidden: {error.message}", blocked=True)
            return
        except BadRequest as error:
            await self._fail(item, f"BadRequest: {error.message}")
            return
        except Exception as error:  # timeouts, 5xx, dropped connections, and our own bugs
            if not isinstance(error, (NetworkError, TelegramError)):
                log.exception("could not deliver %s %s", item.kind, item.ticket_number or "-")
            if item.attempts >= MAX_ATTEMPTS:
                await self._fail(item, f"gave up after {item.attempts} attempts: {error}")
                return
            await self._retry(item, backoff(item.attempts), f"{type(error).__name__}: {error}")
            return
        follow_ups: list[Notice] = []
        if isinstance(item.notice, TicketCard | DispatchCard):
            card = item.notice.card
            if card.photos:  # dispatch sees them too, while the ticket is held there
                follow_ups.append(Photos(card.number, card.photos))
            if card.voices:
                follow_ups.append(Voices(card.number, card.voices))
        ack = Ack(
            item=item,
            message_id=message.message_id if message else None,
            thread_id=thread_id,
            purpose=rendered.purpose if item.audience != Audience.RESIDENT else None,
            follow_ups=follow_ups,
        )
        self._acks.append(ack)  # recorded with the next claim, at once (one transaction)
        self._acked.set()
        svc.kick_outbox()
        found = await ack.recorded
        if found is not None:  # every lifecycle change tells the resident
            await self.topics.apply(found)
        self.sent += 1
        log.info("delivered %s %s for %s", item.audience, item.kind, item.ticket_number or "-")

    async def _send(
        self, item: OutboxItem, rendered: Rendered
    ) -> tuple[Message | None, int | None]:
        thread_id, reply_to = await self._place(item)
        try:
            return await self._send_at(item, rendered, thread_id, reply_to)
        except BadRequest as error:
            reason = error.message.lower()
            if thread_id is not None and "topic_closed" in reason:
                # News about a finished ticket (e.g. it was reopened): open its topic again.
                await self.topics.reopen(item.chat_id, thread_id)
            elif thread_id is not None and "thread not found" in reason:
                # Someone deleted the ticket's topic: the ticket gets a new one.
                thread_id = await self._topic(item, lost=thread_id)
            elif reply_to is not None and "replied not found" in reason:
                reply_to = None  # the card was deleted: post without quoting it
            else:
                raise
            return await self._send_at(item, rendered, thread_id, reply_to)

    async def _send_at(
        self, item: OutboxItem, rendered: Rendered, thread_id: int | None, reply_to: int | None
    ) -> tuple[Message | None, int | None]:
        if rendered.voices:
            first: Message | None = None
            for voice in rendered.voices:
                sent_voice = await self.bot.send_voice(
                    item.chat_id,
                    voice,
                    message_thread_id=thread_id,
                    reply_to_message_id=reply_to,
                    rate_limit_args=NO_RETRIES,
                )
                first = first or sent_voice
            return first, thread_id
        if rendered.upload is not None:
            photo = await self.bot.send_photo(
                item.chat_id,
                rendered.upload,
                caption=rendered.text[:1024] or None,
                message_thread_id=thread_id,
                rate_limit_args=NO_RETRIES,
            )
            return photo, thread_id
        if len(rendered.photos) == 1:
            photo = await self.bot.send_photo(
                item.chat_id,
                rendered.photos[0],
                caption=rendered.text[:1024] or None,
                message_thread_id=thread_id,
                reply_to_message_id=reply_to,
                rate_limit_args=NO_RETRIES,
            )
            return photo, thread_id
        if rendered.photos:
            media = [InputMediaPhoto(file_id) for file_id in rendered.photos[:10]]
            sent = await self.bot.send_media_group(
                item.chat_id,
                media,
                message_thread_id=thread_id,
                reply_to_message_id=reply_to,
                rate_limit_args=NO_RETRIES,
            )
            return (sent[0] if sent else None), thread_id
        message = await self.bot.send_message(
            item.chat_id,
            rendered.text[:4096],
            reply_markup=rendered.markup,
            message_thread_id=thread_id,
            reply_to_message_id=reply_to,
            rate_limit_args=NO_RETRIES,
        )
        return message, thread_id

    async def _place(self, item: OutboxItem) -> tuple[int | None, int | None]:
        """Where in a group a ticket's message goes: its forum topic, or a reply to its card."""
        if item.audience == Audience.RESIDENT or item.ticket_id is None:
            return None, None
        known = self._places.pop(item.id, None)
        if known is not None:  # read with the claim
            if not known.forum:
                return None, (None if isinstance(item.notice, TicketCard) else known.card)
            if known.thread_id is not None:
                return known.thread_id, None
            return await self._topic(item), None
        async with self.services.uow() as uow:  # the group, and its topic or card, together
            department = await department_for_chat(uow=uow, chat_id=item.chat_id)
            if department is not None and department.is_forum:
                claim = await self._claim_topic(uow, item)
            else:
                card = await ticket_card_message(
                    uow=uow, ticket_id=item.ticket_id, chat_id=item.chat_id
                )
        if department is None or not department.is_forum:
            return None, (None if isinstance(item.notice, TicketCard) else card)
        return await self._topic(item, claim=claim), None

    async def _claim_topic(
        self, uow: UnitOfWork, item: OutboxItem, lost: int | None = None
    ) -> TopicClaimed:
        assert item.ticket_id is not None
        return await claim_topic(
            uow=uow,
            ticket_id=item.ticket_id,
            chat_id=item.chat_id,
            name=_topic_name(item),
            holder=item.id,
            attempt=item.attempts,
            lease=self.services.outbox_lease,
            lost_thread=lost,
        )

    async def _topic(
        self, item: OutboxItem, *, lost: int | None = None, claim: TopicClaimed | None = None
    ) -> int:
        """The ticket's forum topic in the item's group, opened if it has none: one per ticket,
        whatever the workers, restarts and lost answers (see storage/topics.py). `lost`: the
        topic Telegram says is gone; the ticket gets a new one. `claim`: already made."""
        assert item.ticket_id is not None
        name = _topic_name(item)
        if claim is None:
            async with self.services.uow() as uow:
                claim = await self._claim_topic(uow, item, lost)
        if claim.outcome == Creation.KNOWN and claim.thread_id is not None:
            return claim.thread_id
        if claim.outcome == Creation.BUSY:
            raise TopicBusy
        if claim.earlier_tries:
            log.warning(
                "creating the topic of %s again: an earlier try went unanswered and may have"
                " left one, retired when someone writes in it",
                item.ticket_number,
            )
        topic = await self.bot.create_forum_topic(item.chat_id, name)
        thread = topic.message_thread_id
        async with self.services.uow() as uow:
            kept = await settle_topic(
                uow=uow, ticket_id=item.ticket_id, chat_id=item.chat_id, thread_id=thread
            )
        if kept != thread:  # another worker's topic was recorded first: ours goes
            await retire_topic(self.bot, item.chat_id, thread, item.ticket_number or "")
        else:
            self.topics.created(item.chat_id, thread, topic.name)
        return kept

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


def _topic_name(item: OutboxItem) -> str:
    """Named as a newly routed ticket; kept in step with the ticket after each change."""
    return TOPIC_NAME.format(
        number=item.ticket_number, status=status_name(Status.ROUTED, staff=True)
    )[:128]


async def _first_of(*waits: Coroutine[Any, Any, Any], seconds: float) -> None:
    """Return when the first of `waits` finishes, or after `seconds`."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
