"""The composition root: settings → engine → classifier → application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ExtBot,
)
from telegram.request import BaseRequest

from admin import members, staff, supervision
from admin.context import SERVICES_KEY
from admin.settings import Settings
from bot import collectors, errors, residents
from bot.health import HealthServer
from bot.inbox import InboxKeeper, InboxQueue, store_batches
from bot.leadership import LeaderJobQueue, Leadership, lead, step_down
from bot.services import Services
from bot.updates import PerChatUpdateProcessor
from classifiers import segmentation
from classifiers.artifact import load_model
from classifiers.model import Classifier, RoutingModel
from delivery.pacing import FloodLimits
from delivery.sender import OutboxSender
from delivery.shared_pace import SharedPace
from storage import database
from storage.district import District, read_district
from storage.inbox import ChatTurns
from storage.places import read_places
from storage.teams import read_teams
from storage.tickets import Policy
from storage.workers import live_workers
from storage.worktime import WorkingCalendar, parse_office_hours

log = logging.getLogger(__name__)

RESIDENT_COMMANDS = [
    BotCommand("start", "开始使用 / 服务说明"),
    BotCommand("my", "我的诉求"),
    BotCommand("status", "查看办理进度：/status 编号"),
    BotCommand("cancel", "取消正在填写的诉求"),
    BotCommand("help", "使用说明"),
]
STAFF_COMMANDS = [
    BotCommand("claim", "认领本话题的诉求"),
    BotCommand("reply", "答复群众：/reply 内容"),
    BotCommand("ask", "向群众提问：/ask 问题"),
    BotCommand("note", "内部备注：/note 内容"),
    BotCommand("reassign", "转办：/reassign 部门代码 理由"),
    BotCommand("resolve", "办结：/resolve 办结类型 答复"),
    BotCommand("list", "本部门在办诉求"),
    BotCommand("ticket", "查看诉求：/ticket 编号"),
    BotCommand("overdue", "超期诉求"),
    BotCommand("dispatch", "分派（调度中心）：/dispatch 编号 部门代码"),
    BotCommand("sendback", "退单：/sendback 理由"),
    BotCommand("refuse", "驳回退单（调度中心）：/refuse 编号 理由"),
    BotCommand("extend", "申请延期：/extend 天数 理由"),
    BotCommand("templates", "本部门答复模板"),
    BotCommand("cohandle", "请其他部门协办：/cohandle 部门 说明"),
    BotCommand("cancel", "取消正在进行的办结"),
]

DEFAULT_THRESHOLD = 0.5
# A handler's direct answer that meets a 429 waits and retries; one that meets a 5xx, a timeout
# or a dropped connection is repeated with backoff (delivery/pacing.py; the outbox retries itself).
HANDLER_RETRIES = 2
SENDER_STOP_SECONDS = 30
CHAT_TURNS = 16  # chats a webhook worker on PostgreSQL handles at once, a connection each
POLLING_KEY = "minyi.polling"  # set before post_init by whoever polls: this worker is the poller
HEALTH_KEY = "minyi.health"
PACE_KEY = "minyi.pace"
PACE_CONNECTIONS = 4  # a reservation holds one for a single statement
BEAT_ENGINE_KEY = "minyi.beat_engine"  # the heartbeat's own connection (bot/inbox.py)
ClassifierLoader = Callable[[Settings, District], Classifier]


def load_classifier(settings: Settings, district: District) -> Classifier:
    """The routing model from disk; its labels must be the district's departments."""
    segmentation.initialize()
    return load_model(settings.model_dir, expected_labels=district.codes)


def dispatch_threshold(settings: Settings, classifier: Classifier) -> float:
    """The configured threshold, else the one the model's calibration suggests, else 0.5."""
    if settings.dispatch_threshold is not None:
        return settings.dispatch_threshold
    if isinstance(classifier, RoutingModel) and classifier.metadata.threshold_suggestion:
        return classifier.metadata.threshold_suggestion
    return DEFAULT_THRESHOLD


def file_base_url(base_url: str) -> str:
    """Telegram serves files under /file/bot…, beside the method base URL."""
    root = base_url.rstrip("/")
    return root[: -len("/bot")] + "/file/bot" if root.endswith("/bot") else root + "/file/bot"


def build_application(
    settings: Settings,
    *,
    token: str | None = None,
    classifier_loader: ClassifierLoader = load_classifier,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    run_sender: bool = True,
    run_jobs: bool = True,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    update_processor: BaseUpdateProcessor | None = None,
    health: HealthPort | None = None,
    shared_pace: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot. Nothing touches the network or the database until it starts.

    Without a rate limiter it gets `FloodLimits`; without an update processor, updates of one
    chat are handled in order (`PerChatUpdateProcessor`). Updates pass through the inbox
    (`InboxQueue`): stored before they are confirmed to Telegram, processed once. With `health`
    the worker answers `GET /healthz` on that port (bot/health.py). Webhook workers on
    PostgreSQL pace the bot together (delivery/shared_pace.py) unless `shared_pace` is off.
    """
    if rate_limiter is None:
        rate_limiter = FloodLimits(max_retries=HANDLER_RETRIES)
    inbox = InboxQueue()
    if update_processor is None:
        update_processor = PerChatUpdateProcessor(inbox=inbox)
    elif isinstance(update_processor, PerChatUpdateProcessor) and update_processor.inbox is None:
        update_processor.inbox = inbox
    district = read_district(settings.departments_file)
    builder = (
        ApplicationBuilder()
        .token(token or settings.require_token().get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .rate_limiter(rate_limiter)
        .concurrent_updates(update_processor)
        .update_queue(inbox)
        .job_queue(LeaderJobQueue())  # jobs run on one worker at a time (bot/leadership.py)
        .post_init(
            _post_init(
                settings, district, classifier_loader, run_sender, run_jobs, health, shared_pace
            )
        )
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    application = builder.build()
    staff.register(application)
    supervision.register(application)
    members.register(application)
    collectors.register_handlers(application)
    residents.register(application)
    residents.register_fallbacks(application)
    application.add_error_handler(errors.on_error)
    return application


def _post_init(
    settings: Settings,
    district: District,
    loader: ClassifierLoader,
    run_sender: bool,
    run_jobs: bool,
    health: HealthPort | None = None,
    shared_pace: bool = True,
) -> Callable[[Application], Any]:  # type: ignore[type-arg]
    async def post_init(application: Application) -> None:  # type: ignore[type-arg]
        engine = database.create_engine(settings.database_url)
        limiter = application.bot.rate_limiter if isinstance(application.bot, ExtBot) else None
        if (
            shared_pace
            and isinstance(limiter, FloodLimits)
            and not application.bot_data.get(POLLING_KEY)
            and not database.is_sqlite(settings.database_url)
        ):  # webhook workers on PostgreSQL: one pace for all of them
            limiter.shared = application.bot_data[PACE_KEY] = SharedPace(
                database.create_engine(
                    settings.database_url, pool_size=PACE_CONNECTIONS, max_overflow=0
                ),
                connections=PACE_CONNECTIONS,
            )
        classifier = await asyncio.to_thread(loader, settings, district)
        office_hours = parse_office_hours(settings.office_hours)
        calendar = WorkingCalendar(office_hours, settings.tz)
        working_day = office_hours.seconds_per_day / 3600
        svc = Services(
            engine=engine,
            sessions=database.session_factory(engine),
            classifier=classifier,
            district=district,
            policy=Policy(
                deadlines=calendar,
                timezone=settings.tz,
                dispatch_threshold=dispatch_threshold(settings, classifier),
                working_day_hours=working_day,
                accept_hours=settings.accept_hours or working_day,
                send_back_days=settings.send_back_days,
                max_extension_days=settings.max_extension_days,
                max_extensions=settings.max_extensions,
            ),
            tz=settings.tz,
            rating_window_days=settings.rating_window_days,
            places=read_places(settings.places_file),
            knowledge_threshold=settings.knowledge_threshold,
            teams=read_teams(settings.teams_file),
        )
        application.bot_data[SERVICES_KEY] = svc
        inbox = application.update_queue
        keeper: InboxKeeper | None = None
        if isinstance(inbox, InboxQueue):
            inbox.services = svc
            polling = bool(application.bot_data.get(POLLING_KEY))
            if not polling and not database.is_sqlite(settings.database_url):
                # Webhook workers on PostgreSQL: several may share a chat's updates.
                inbox.turns = ChatTurns(
                    database.create_engine(
                        settings.database_url, pool_size=CHAT_TURNS, max_overflow=0
                    ),
                    slots=CHAT_TURNS,
                )
            if polling and application.updater is not None:  # a batch a transaction
                store_batches(application.updater, inbox)
            keeper = InboxKeeper(
                svc,
                inbox,
                application.bot,
                poller=polling,
                answer_again=residents.answer_again,
                beats=_beat_sessions(application, settings.database_url),
            )
            await keeper.register()  # a new poller: the previous one's claims are free now
            await _check_connections(svc, webhook=not polling)
        if run_sender:  # first, so a backlog starts at once
            stop = asyncio.Event()
            sender = OutboxSender(application.bot, svc)
            application.bot_data["minyi.sender"] = sender
            application.bot_data["minyi.sender_stop"] = stop
            application.bot_data["minyi.sender_task"] = asyncio.create_task(
                sender.run(stop), name="outbox-sender"
            )
        if keeper is not None:
            await keeper.take_over()  # before polling: what a dead worker left goes first
            keeper_stop = asyncio.Event()
            application.bot_data["minyi.keeper"] = keeper
            application.bot_data["minyi.keeper_stop"] = keeper_stop
            application.bot_data["minyi.keeper_task"] = asyncio.create_task(
                keeper.run(keeper_stop), name="inbox-keeper"
            )
        leadership: Leadership | None = None
        if run_jobs:  # before the jobs: a lone worker is the scheduler from the start
            leadership = await lead(application.bot_data, application.job_queue, svc, keeper)
        if health is not None:
            checks = HealthServer(
                svc, keeper, listen=health.listen, port=health.port, leadership=leadership
            )
            checks.start()
            application.bot_data[HEALTH_KEY] = checks
        await _set_commands(application)
        if run_jobs:
            supervision.schedule(
                application,
                digest_at=settings.digest_time,
                tz=settings.tz,
                sweep_every=timedelta(seconds=settings.deadline_sweep_seconds),
            )
            collectors.schedule(application, tz=settings.tz)
        log.info(
            "bot ready: %d departments, dispatch below confidence %.2f",
            len(district.codes),
            svc.policy.dispatch_threshold,
        )

    return post_init


async def _set_commands(application: Application) -> None:  # type: ignore[type-arg]
    try:
        await application.bot.set_my_commands(
            RESIDENT_COMMANDS, scope=BotCommandScopeAllPrivateChats()
        )
        await application.bot.set_my_commands(STAFF_COMMANDS, scope=BotCommandScopeAllGroupChats())
        svc = application.bot_data.get(SERVICES_KEY)
        if isinstance(svc, Services):
            await collectors.set_commands(application, svc)
    except Exception:  # commands are a convenience; never block start-up on them
        log.warning("could not register bot commands", exc_info=True)


@dataclass(frozen=True, slots=True)
class HealthPort:
    """Where the worker answers `GET /healthz` (a port of its own, beside the webhook's)."""

    port: int
    listen: str = "0.0.0.0"


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where Telegram should POST updates, and the secret it must send along."""

    url: str
    secret: str
    listen: str = "0.0.0.0"
    port: int = 8443
    path: str = "telegram"


@asynccontextmanager
async def running(
    application: Application,  # type: ignore[type-arg]
    webhook: Webhook | None = None,
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Run the bot inside a block, as `run_polling`/`run_webhook` would (demo, tests, CLI)."""
    if webhook is None:
        application.bot_data[POLLING_KEY] = True
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        assert application.updater is not None
        if webhook is None:
            await application.updater.start_polling(poll_interval=0, timeout=10)
        else:
            await application.updater.start_webhook(
                listen=webhook.listen,
                port=webhook.port,
                url_path=webhook.path,
                webhook_url=webhook.url,
                secret_token=webhook.secret,
            )
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
            if application.post_shutdown is not None:
                await application.post_shutdown(application)


async def _post_stop(application: Application) -> None:  # type: ignore[type-arg]
    """Stop the outbox sender while the bot's HTTP client is still open (python-telegram-bot
    closes it in `shutdown`, before `post_shutdown`): claims in flight are sent or handed back."""
    checks = application.bot_data.pop(HEALTH_KEY, None)
    if isinstance(checks, HealthServer):  # a stopping worker is taken out of the proxy's turn
        await checks.stop()
    stop = application.bot_data.get("minyi.sender_stop")
    task = application.bot_data.get("minyi.sender_task")
    if isinstance(stop, asyncio.Event) and isinstance(task, asyncio.Task) and not task.done():
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=SENDER_STOP_SECONDS)
        except TimeoutError:  # its claims expire after the lease; another worker takes them
            log.warning("outbox sender did not stop within %d s", SENDER_STOP_SECONDS)
    await step_down(application.bot_data)  # the keeper's retirement then frees the lease
    keeper_stop = application.bot_data.get("minyi.keeper_stop")
    keeper_task = application.bot_data.get("minyi.keeper_task")
    if isinstance(keeper_stop, asyncio.Event) and isinstance(keeper_task, asyncio.Task):
        keeper_stop.set()  # the worker retires: whatever it still holds is free at once
        await asyncio.gather(keeper_task, return_exceptions=True)


def connections_per_worker(*, webhook: bool) -> int:
    """The most PostgreSQL connections one worker opens: its pool, the heartbeat's, the
    sender's LISTEN and, for a webhook worker, the shared pace's and the chat turns'."""
    shared = PACE_CONNECTIONS + CHAT_TURNS if webhook else 0
    return database.POOL_SIZE + database.POOL_OVERFLOW + 1 + 1 + shared


async def _check_connections(svc: Services, *, webhook: bool) -> None:
    """One warning line when the live workers together could exhaust PostgreSQL's connections."""
    room = await database.connection_room(svc.engine)
    if room is None:
        return
    async with svc.uow() as uow:
        workers = await live_workers(uow=uow)
    each = connections_per_worker(webhook=webhook)
    shortfall = database.connection_shortfall(room=room, workers=max(1, workers), each=each)
    if shortfall is not None:
        log.warning(shortfall)


def _beat_sessions(
    application: Application,  # type: ignore[type-arg]
    url: str,
) -> async_sessionmaker[AsyncSession] | None:
    """The heartbeat's own engine, one connection (none for in-memory SQLite: another
    connection would be another database)."""
    if database.is_sqlite(url) and database.sqlite_file(url) is None:
        return None
    engine = database.create_engine(url, pool_size=1, max_overflow=0)
    application.bot_data[BEAT_ENGINE_KEY] = engine
    return database.session_factory(engine)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    try:
        await _post_stop(application)  # in case stop was never called
    finally:
        svc = application.bot_data.get(SERVICES_KEY)
        if isinstance(svc, Services):
            await svc.engine.dispose()
        beats = application.bot_data.get(BEAT_ENGINE_KEY)
        if isinstance(beats, AsyncEngine):
            await beats.dispose()
        inbox = application.update_queue
        if isinstance(inbox, InboxQueue) and inbox.turns is not None:
            await inbox.turns.engine.dispose()
        pace = application.bot_data.get(PACE_KEY)
        if isinstance(pace, SharedPace):
            await pace.close()
