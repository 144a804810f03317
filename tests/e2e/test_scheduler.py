"""Two workers on one database (both databases): the first is the scheduler and runs the jobs,
the second skips them; when the first stops cleanly the second takes the lease over within a
beat and runs at once the sweeps and the job it skipped (bot/leadership.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from admin.settings import load_settings
from bot.app import build_application
from bot.leadership import LeaderJobQueue
from tests.e2e.conftest import World

WAIT = 30.0
Recorder = Callable[[Any], Coroutine[Any, Any, None]]


def recorder(ran: list[str], who: str, done: asyncio.Event) -> Recorder:
    """A job that records which worker ran it."""

    async def job(context: Any) -> None:
        ran.append(who)
        done.set()

    return job


async def test_jobs_run_on_the_scheduler_and_move_when_it_stops(world: World) -> None:
    settings = load_settings(
        database_url=world.db_url,
        telegram_api_base_url=world.server.base_url,
        telegram_bot_token=world.emu.token,
    )
    second = build_application(settings, classifier_loader=lambda s, d: world.classifier)
    ran: list[str] = []
    caught_up = asyncio.Event()
    async with second:
        assert second.post_init is not None
        await second.post_init(second)
        await second.start()  # its job queue runs (no updater: one poller per bot)
        try:
            first_jobs, second_jobs = world.app.job_queue, second.job_queue
            assert isinstance(first_jobs, LeaderJobQueue)
            assert isinstance(second_jobs, LeaderJobQueue)
            assert first_jobs.leadership is not None
            assert second_jobs.leadership is not None
            assert (first_jobs.leadership.role, second_jobs.leadership.role) == (
                "leader",
                "follower",
            )
            # The same job fires on both workers: only the scheduler runs it.
            probes = [
                jobs.run_once(recorder(ran, who, caught_up), when=3600, name="probe")
                for jobs, who in ((first_jobs, "first"), (second_jobs, "second"))
            ]
            await LeaderJobQueue.job_callback(first_jobs, probes[0])
            await LeaderJobQueue.job_callback(second_jobs, probes[1])
            assert ran == ["first"]
            assert (first_jobs.ran, second_jobs.ran, second_jobs.skipped) == (1, 0, 1)
            caught_up.clear()
            # The scheduler stops cleanly (as on SIGTERM): it gives the lease up as it retires.
            assert world.app.post_stop is not None
            await world.app.post_stop(world.app)
            await asyncio.wait_for(caught_up.wait(), WAIT)
            assert ran == ["first", "second"]  # the skipped job ran when the second took over
            assert second_jobs.leadership.role == "leader"
            assert second_jobs.leadership.taken == 1
            assert second_jobs.ran >= 2  # the probe and the deadline sweep, at once
        finally:
            await second.stop()
            assert second.post_shutdown is not None
            await second.post_shutdown(second)
