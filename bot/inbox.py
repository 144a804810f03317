"""The application's update queue, made durable: an update is stored before Telegram is told
it arrived, a re-sent one is dropped, and a dead worker's unprocessed updates are taken over.

python-telegram-bot's Updater puts each update it fetched in `Application.update_queue` and only
then confirms it: with the next getUpdates offset when polling, with the webhook's 200 (sent when
the handler of the POST returns). `InboxQueue.put` stores the update first (storage/inbox.py),
so an update Telegram forgets is in the database. `InboxKeeper` beats for this worker, takes
over the updates (and, through the outbox's claim, the messages) of workers that stopped
beating, and forgets old processed updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.ext import Updater

from bot.services import Services
from storage.inbox import Arrived, ChatTurns, finish_all, prune, receive_all, take_over
from storage.unit_of_work import UnitOfWork
from storage.workers import BEAT, beat, register_worker, retire_worker

__all__ = ["BatchStoringBot", "InboxKeeper", "InboxQueue", "chat_of", "store_batches"]

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600  # beats between two prunes of processed updates
AnswerAgain = Callable[[Update, Services], Awaitable[None]]


def chat_of(update: object) -> int | None:
    """The chat an update belongs to (its sender's for updates without a chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class InboxQueue(asyncio.Queue[object]):
    """`Application.update_queue`: stores each update before it is confirmed to Telegram, once
    the services are attached (`post_init`); before that it is a plain queue."""

    def __init__(self) -> None:
        super().__init__()
        self.services: Services | None = None
        self.turns: ChatTurns | None = None  # several workers on PostgreSQL
        self.ignored = 0  # updates Telegram sent again, dropped
        self._done_ids: list[int] = []  # finished, recorded with the next receive or beat
        self._stored: dict[int, bool] = {}  # stored by `store` (fresh?), not yet queued

    async def store(self, updates: Sequence[Update]) -> None:
        """Store a getUpdates batch in one transaction before it is confirmed (polling: the
        next getUpdates confirms it); `put` then only queues them."""
        if self.services is None or not updates:
            return
        fresh = await self._receive(updates)
        for update in updates:
            self._stored[update.update_id] = update.update_id in fresh

    async def _receive(self, updates: Sequence[Update]) -> set[int]:
        svc = self.services
        assert svc is not None
        finished, self._done_ids = self._done_ids, []
        try:
            async with svc.uow() as uow:
                return await receive_all(
                    uow=uow,
                    updates=[Arrived(u.update_id, chat_of(u), u.to_dict()) for u in updates],
                    worker=svc.worker_id,
                    finished=finished,
                )
        except Exception as error:
            self._done_ids.extend(finished)
            # Not confirmed to Telegram, so it comes again: polling retries the same batch
            # (python-telegram-bot's loop survives only Telegram's errors), a webhook 500s.
            ids = ", ".join(str(u.update_id) for u in updates)
            log.warning("could not store update %s: %s", ids, type(error).__name__)
            raise NetworkError("the inbox is unavailable; the update will come again") from error
        except BaseException:
            self._done_ids.extend(finished)
            raise

    async def put(self, item: object) -> None:
        """Store an update (unless `store` did), then queue it; one stored before is dropped."""
        if self.services is not None and isinstance(item, Update):
            fresh = self._stored.pop(item.update_id, None)
            if fresh is None:
                fresh = item.update_id in await self._receive([item])
            if not fresh:
                self.ignored += 1
                log.info("update %s arrived again; ignored", item.update_id)
                return
        await super().put(item)

    async def resume(self, item: Update) -> None:
        """Queue an update already stored (taken over from a dead worker)."""
        await super().put(item)

    async def finished(self, update_id: int, *, at_once: bool = False) -> None:
        """An update's handlers returned (processed, answered). Recorded with the next update
        received or the next heartbeat, whichever comes first (a transaction saved per update;
        a crash within that second only asks the resident's current question again), or
        `at_once` (another worker may be waiting for it: `ChatTurns`)."""
        if self.services is None:
            return
        self._done_ids.append(update_id)
        if at_once:
            await self.flush()

    def take_finished(self) -> list[int]:
        """The updates finished and not yet recorded, for the caller to record."""
        finished, self._done_ids = self._done_ids, []
        return finished

    def give_back(self, finished: list[int]) -> None:
        """`take_finished`'s updates the caller could not record."""
        self._done_ids.extend(finished)

    async def flush(self) -> None:
        """Record the updates finished so far."""
        if self.services is None or not self._done_ids:
            return
        finished, self._done_ids = self._done_ids, []
        try:
            async with self.services.uow() as uow:
                await finish_all(uow=uow, update_ids=finished, worker=self.services.worker_id)
        except Exception:  # answered again only if this worker dies first
            self._done_ids.extend(finished)
            log.exception("could not record %d finished updates", len(finished))


class BatchStoringBot:
    """The polling Updater's bot: each getUpdates batch is stored in one transaction
    (`InboxQueue.store`) before the Updater queues it and the next getUpdates confirms it,
    instead of one transaction per update. Everything else goes to the real bot."""

    def __init__(self, bot: Bot, queue: InboxQueue, updater: Updater) -> None:
        self._bot = bot
        self._queue = queue
        self._updater = updater

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch a batch and store it; the Updater's last call while stopping (it only
        confirms what was queued) stores nothing: what it fetched comes again."""
        updates = await self._bot.get_updates(*args, **kwargs)
        if self._updater.running:
            await self._queue.store(updates)
        return updates


def store_batches(updater: Updater, queue: InboxQueue) -> None:
    """Make the polling `updater` store each batch at once (`BatchStoringBot`)."""
    if not isinstance(updater.bot, BatchStoringBot):
        updater.bot = cast(Bot, BatchStoringBot(updater.bot, queue, updater))


class InboxKeeper:
    """This worker's heartbeat, and the updates of dead workers taken over and processed."""

    def __init__(
        self,
        services: Services,
        queue: InboxQueue,
        bot: Bot,
        *,
        poller: bool,
        answer_again: AnswerAgain | None = None,
        beats: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.services = services
        # The heartbeat's own connection (a pool of one), so busy handlers cannot hold it back.
        self.beats = beats or services.sessions
        self.queue = queue
        self.bot = bot
        self.poller = poller
        self.answer_again = answer_again
        self.taken = 0
        self.beat_at: float | None = None  # time.monotonic() of the last beat recorded
        self._taking: asyncio.Task[None] | None = None

    async def register(self) -> None:
        """Register this worker; a poller replaces the previous one, whose claims (updates and
        messages) are free at once."""
        svc = self.services
        async with svc.uow() as uow:
            replaced = await register_worker(uow=uow, worker=svc.worker_id, poller=self.poller)
        self.beat_at = time.monotonic()
        if replaced:
            log.info("took over from %d earlier poller(s)", replaced)
        svc.kick_outbox()

    async def take_over(self) -> int:
        """Queue the unprocessed updates of dead workers, and answer again those processed
        whose answer may not have gone out (all at once: each waits for Telegram's pace on its
        own chat); returns how many."""
        async with self.services.uow() as uow:
            waiting = await take_over(uow=uow, worker=self.services.worker_id)
        answers: list[Awaitable[None]] = []
        for row in waiting:
            try:
                update = Update.de_json(row.payload, self.bot)
            except (KeyError, TypeError, ValueError):
                update = None
            if update is None:  # nothing anyone could act on; it must not hold the rest back
                log.warning("update %s could not be read back; dropped", row.update_id)
                await self.queue.finished(row.update_id)
                continue
            if row.processed:
                answers.append(self._answer_again(row.update_id, update))
            else:
                await self.queue.resume(update)
        await asyncio.gather(*answers)
        if waiting:
            self.taken += len(waiting)
            log.info("processing %d update(s) a stopped worker left", len(waiting))
        return len(waiting)

    async def _answer_again(self, update_id: int, update: Update) -> None:
        try:
            if self.answer_again is not None:
                await self.answer_again(update, self.services)
        except Exception:  # the resident can still ask again; never block the others
            log.exception("could not answer update %s again", update_id)
        await self.queue.finished(update_id)

    def _take_over_aside(self) -> None:
        """Start taking over unless a take-over is still running. Never awaited by the beat:
        answering a dead worker's updates again waits for Telegram's pace, and a beat held
        back that long makes this live worker look dead to the others, who would take over its
        own updates in turn."""
        if self._taking is not None and not self._taking.done():
            return
        self._taking = asyncio.create_task(self._take_over_logged(), name="inbox-take-over")

    async def _take_over_logged(self) -> None:
        try:
            await self.take_over()
        except Exception:  # the next beat tries again
            log.exception("taking over a stopped worker's updates failed")

    async def run(self, stop: asyncio.Event) -> None:
        """Beat and take over until `stop` is set; then retire, freeing what is left."""
        svc = self.services
        beats = 0
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), BEAT.total_seconds())
                if stop.is_set():
                    break
                try:
                    await self._beat(beats)
                except Exception:  # the loop must survive a database hiccup
                    log.exception("worker heartbeat failed")
                beats += 1
        finally:
            if self._taking is not None:  # what it claimed and did not finish is freed below
                self._taking.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._taking
            with contextlib.suppress(Exception):
                await self.queue.flush()
                async with svc.uow() as uow:
                    await retire_worker(uow=uow, worker=svc.worker_id)

    async def _beat(self, beats: int) -> None:
        svc = self.services
        finished = self.queue.take_finished()
        try:
            async with UnitOfWork(self.beats) as uow:  # the updates finished since, with it
                alive = await beat(uow=uow, worker=svc.worker_id, commit=not finished)
                if finished:
                    await finish_all(uow=uow, update_ids=finished, worker=svc.worker_id)
        except BaseException:
            self.queue.give_back(finished)
            raise
        if not alive:  # a newer poller replaced this one: keep beating as a plain worker
            log.warning("another poller started; this worker goes on without polling")
            self.poller = False
            async with svc.uow() as uow:
                await register_worker(uow=uow, worker=svc.worker_id, poller=False)
        self.beat_at = time.monotonic()
        self._take_over_aside()
        if beats % PRUNE_EVERY == 0:
            async with svc.uow() as uow:
                await prune(uow=uow)


def keeper_of(bot_data: dict[str, Any]) -> InboxKeeper | None:
    """The running keeper, if any."""
    found = bot_data.get("minyi.keeper")
    return found if isinstance(found, InboxKeeper) else None
