"""Supervisors' commands (/digest, /stats) and the scheduled work: digest, deadlines, 回访.

Jobs are thin: a pure builder makes the result, the outbox delivers it; claim_job_run makes
each scheduled run happen once across workers and restarts.
"""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Callable, Coroutine
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from admin import texts
from admin.access import staff_name, staff_only
from admin.charts import render_digest_chart
from admin.context import staff_services
from admin.digest import (
    build_digest,
    build_stats,
    parse_stats_args,
    render_digest_text,
    render_stats_text,
)
from storage.columns import utcnow
from storage.deadlines import claim_job_run, job_has_run, sweep_acceptance, sweep_deadlines
from storage.errors import DomainError, UnknownDepartment
from storage.members import Actor, actor_for, supervisor_ids
from storage.models import Audience, Role
from storage.notices import Digest, DigestChart
from storage.outbox import enqueue
from storage.tickets import close_unrated, decide_extension
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
DEADLINE_SWEEP_EVERY = timedelta(minutes=5)
UNRATED_SWEEP_EVERY = timedelta(hours=1)


def chart_png(digest: Any) -> bytes:
    """The digest chart as PNG bytes."""
    buffer = io.BytesIO()
    render_digest_chart(digest, buffer)
    return buffer.getvalue()


Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def supervisors_only(handler: Handler) -> Handler:
    """Declared at registration: only supervisors and admins get past; others get a refusal."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        async with staff_services(context).uow() as uow:
            actor = await actor_for(uow=uow, user_id=user.id)
        if not (actor.has(Role.SUPERVISOR) or actor.has(Role.ADMIN)):
            await message.reply_text(texts.NOT_SUPERVISOR)
            return
        await handler(update, context)

    return guarded


async def digest_command(update: Update, context: Context) -> None:
    """/digest [DATE]: the digest of a day (default: today so far), text and chart."""
    svc = staff_services(context)
    message = update.effective_message
    assert message is not None
    tz: ZoneInfo = svc.tz
    try:
        day = date.fromisoformat(context.args[0]) if context.args else datetime.now(tz).date()
    except ValueError:
        await message.reply_text(texts.DIGEST_BAD_DATE)
        return
    async with svc.uow() as uow:
        digest = await build_digest(uow=uow, day=day, tz=tz)
    await message.reply_text(render_digest_text(digest))
    chart = await asyncio.to_thread(chart_png, digest)  # matplotlib must not block the bot
    await message.reply_photo(chart, caption=f"{day:%Y-%m-%d}")


async def stats_command(update: Update, context: Context) -> None:
    """/stats FROM TO [CODE]: the figures of a period."""
    svc = staff_services(context)
    message = update.effective_message
    assert message is not None
    try:
        since, until, code = parse_stats_args(context.args or [])
        async with svc.uow() as uow:
            stats = await build_stats(
                uow=uow, since=since, until=until, tz=svc.tz, department_code=code
            )
    except UnknownDepartment as error:
        await message.reply_text(texts.STATS_UNKNOWN_DEPARTMENT.format(code=error.code))
        return
    except DomainError as error:  # InvalidInput from parse_stats_args carries Chinese text
        await message.reply_text(str(error) if error.args else texts.STATS_USAGE)
        return
    await message.reply_text(render_stats_text(stats))


async def queue_digest(*, uow: UnitOfWork, day: date, tz: ZoneInfo) -> int:
    """Build a day's digest once and queue it for every supervisor; returns messages queued."""
    key = day.isoformat()
    if await job_has_run(uow=uow, name="digest", key=key):
        return 0
    digest = await build_digest(uow=uow, day=day, tz=tz)
    text = render_digest_text(digest)
    chart = await asyncio.to_thread(chart_png, digest)
    recipients = await supervisor_ids(uow=uow)
    # The claim and the queued messages commit together: once, and never lost in between.
    if not await claim_job_run(uow=uow, name="digest", key=key, commit=False):
        return 0
    for chat_id in recipients:
        # Text and chart are separate rows: a retry of one never repeats the other.
        for notice in (Digest(text), DigestChart(day, chart)):
            await enqueue(
                uow=uow,
                chat_id=chat_id,
                notice=notice,
                audience=Audience.SUPERVISORS,
                commit=False,
            )
    await uow.commit()
    return len(recipients)


async def digest_job(context: Context) -> None:
    """Daily: yesterday's digest to the supervisors."""
    svc = staff_services(context)
    yesterday = datetime.now(svc.tz).date() - timedelta(days=1)
    async with svc.uow() as uow:
        queued = await queue_digest(uow=uow, day=yesterday, tz=svc.tz)
    if queued:
        log.info("digest for %s queued for %d supervisors", yesterday, queued)
        svc.kick_outbox()


async def deadline_job(context: Context) -> None:
    """Every few minutes: 签收 reminders, reminders, 催办 and 督办."""
    svc = staff_services(context)
    clock = svc.policy.deadlines
    async with svc.uow() as uow:
        acceptance = await sweep_acceptance(uow=uow, clock=clock)
    if acceptance.reminded or acceptance.escalated:
        log.info(
            "acceptance: %d reminded, %d told to dispatch",
            len(acceptance.reminded),
            len(acceptance.escalated),
        )
        svc.kick_outbox()
    async with svc.uow() as uow:
        result = await sweep_deadlines(uow=uow, clock=clock)
    if result.reminded or result.overdue or result.escalated or result.resumed:
        log.info(
            "deadlines: %d reminded, %d overdue, %d escalated, %d unanswered questions",
            len(result.reminded),
            len(result.overdue),
            len(result.escalated),
            len(result.resumed),
        )
        svc.kick_outbox()


async def unrated_job(context: Context) -> None:
    """Hourly: tickets resolved longer ago than the rating window close as 未评价."""
    svc = staff_services(context)
    async with svc.uow() as uow:
        closed = await close_unrated(
            uow=uow, resolved_before=utcnow() - timedelta(days=svc.rating_window_days)
        )
    if closed:
        log.info("closed %d unrated tickets", len(closed))
        svc.kick_outbox()


def schedule(
    application: Application,  # type: ignore[type-arg]
    *,
    digest_at: time,
    tz: ZoneInfo,
    sweep_every: timedelta = DEADLINE_SWEEP_EVERY,
) -> None:
    """Put the supervision jobs on the application's job queue (time-zone aware)."""
    jobs = application.job_queue
    if jobs is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    jobs.run_daily(digest_job, time=digest_at.replace(tzinfo=tz), name="digest")
    jobs.run_repeating(deadline_job, interval=sweep_every, first=10, name="deadlines")
    jobs.run_repeating(unrated_job, interval=UNRATED_SWEEP_EVERY, first=30, name="unrated")


async def on_extension_button(update: Update, context: Context, actor: Actor) -> None:
    """批准 / 不批准 on a 延期 request (`x:ok|no:<number>:<days>`), checked in the database."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 4 or parts[1] not in ("ok", "no") or not parts[3].isdigit():
        await query.answer(texts.BUTTON_STALE, show_alert=True)
        return
    approve, number, days = parts[1] == "ok", parts[2].upper(), int(parts[3])
    svc = staff_services(context)
    async with svc.uow() as uow:
        await decide_extension(
            uow=uow, actor=actor, number=number, days=days, approve=approve, policy=svc.policy
        )
    log.info("%s: extension %s", number, "approved" if approve else "denied")
    await query.answer()
    verdict = texts.EXTENSION_VERDICT[approve]
    decided = texts.EXTENSION_DECIDED.format(verdict=verdict, who=staff_name(actor))
    message = query.message
    text = message.text if message is not None and hasattr(message, "text") else ""
    await query.edit_message_text(f"{text or ''}\n{decided}")
    svc.kick_outbox()


def register(application: Application) -> None:  # type: ignore[type-arg]
    """/digest and /stats, in private chats and groups; supervisors' 延期 buttons."""
    application.add_handlers(
        [
            CommandHandler(
                "digest", supervisors_only(digest_command), filters=filters.UpdateType.MESSAGE
            ),
            CommandHandler(
                "stats", supervisors_only(stats_command), filters=filters.UpdateType.MESSAGE
            ),
            CallbackQueryHandler(staff_only(on_extension_button, anywhere=True), pattern=r"^x:"),
        ]
    )
