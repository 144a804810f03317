"""The scheduler on one worker at a time: the job queue's jobs run only on the worker holding
the scheduler's lease (storage/leases.py), and another takes over when it stops.

Every worker schedules the same jobs; `LeaderJobQueue` runs a job only while this worker is the
leader and skips it otherwise. `Leadership` contends for the lease every beat: the leader keeps
it while its heartbeat is fresh; a follower takes it within about `DEAD_AFTER` of the leader's
death, and within a beat of a graceful stop (a retiring worker releases it). A worker that takes
over runs at once the repeating jobs (sweeps: it cannot know when the dead leader last ran them)
and the jobs it skipped in the last `CATCH_UP` (a daily digest due while the leader was dying).
The once-per-key `job_runs` stays as the safety net: a leader held up past `DEAD_AFTER` may meet
its successor, and then a digest or a reminder still goes out once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from telegram.ext import CallbackContext, Job, JobQueue

from bot.inbox import InboxKeeper
from bot.services import Services
from storage.leases import SCHEDULER, hold
from storage.workers import BEAT, DEAD_AFTER

__all__ = ["CATCH_UP", "LeaderJobQueue", "Leadership", "lead", "step_down"]

log = logging.getLogger(__name__)

CATCH_UP = 60.0  # seconds: a job skipped this recently runs when this worker takes over
# A leader stops acting as one before the others may think it dead: its last beat must be
# younger than DEAD_AFTER less a beat's margin (writing a beat takes a moment).
LEADER_FOR = (DEAD_AFTER - BEAT).total_seconds()

Context = CallbackContext[Any, Any, Any, Any]


class Leadership:
    """Whether this worker is the scheduler; `run` contends for the lease every beat."""

    def __init__(self, services: Services, keeper: InboxKeeper | None = None) -> None:
        self.services = services
        self.keeper = keeper
        self.held = False
        self.taken = 0  # times this worker took the lease over from another
        self._confirmed_at: float | None = None  # time.monotonic() the lease was last held
        self.jobs: LeaderJobQueue | None = None  # told when this worker takes over

    @property
    def leader(self) -> bool:
        """Holds the lease and beat recently enough that nobody can have taken it."""
        if not self.held or self._confirmed_at is None:
            return False
        last = self._confirmed_at
        if self.keeper is not None and self.keeper.beat_at is not None:
            last = min(last, self.keeper.beat_at)
        return time.monotonic() - last < LEADER_FOR

    @property
    def role(self) -> str:
        """'leader' or 'follower', as /healthz reports it."""
        return "leader" if self.leader else "follower"

    async def contend(self) -> bool:
        """Keep or take the lease; True if this worker just took it over from another."""
        svc = self.services
        async with svc.uow() as uow:
            holding = await hold(uow=uow, worker=svc.worker_id, name=SCHEDULER)
        was = self.held
        self.held = holding.held
        if holding.held:
            self._confirmed_at = time.monotonic()
        if holding.held and not was:
            log.info(
                "this worker is the scheduler now%s",
                f" (took over from {holding.taken_from})" if holding.taken_from else "",
            )
        elif was and not holding.held:
            log.warning("this worker is no longer the scheduler")
        return holding.taken and not was

    async def confirm(self) -> bool:
        """Whether a job due now may run here: this worker is the leader, or (its beat held up,
        or the leader dead) the lease names it when asked now. A busy SQLite can hold a beat
        back a few seconds; the lone worker still runs its digest."""
        if self.leader:
            return True
        try:
            took_over = await self.contend()
        except Exception:  # no database: the job cannot do its work anyway
            log.exception("scheduler lease check failed")
            return False
        if took_over:
            self.taken += 1
            if self.jobs is not None:
                self.jobs.catch_up()
        return self.held

    async def run(self, stop: asyncio.Event) -> None:
        """Contend every beat until `stop`; on taking over, catch up the jobs (see above)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BEAT.total_seconds())
            if stop.is_set():
                break
            try:
                took_over = await self.contend()
            except Exception:  # the loop must survive a database hiccup
                log.exception("scheduler lease check failed")
                continue
            if took_over:
                self.taken += 1
                if self.jobs is not None:
                    self.jobs.catch_up()


class LeaderJobQueue(JobQueue[Context]):
    """python-telegram-bot's job queue, running a job only on the leader (`Leadership`); without
    a leadership attached (before start-up) it runs every job, as the plain one does."""

    def __init__(self) -> None:
        super().__init__()
        self.leadership: Leadership | None = None
        self.ran = 0
        self.skipped = 0
        self._skipped_at: dict[str, float] = {}  # job name → time.monotonic() of its last skip

    def follow(self, leadership: Leadership) -> None:
        """Run jobs only while `leadership` is the leader; catch up when it takes over."""
        self.leadership = leadership
        leadership.jobs = self

    @staticmethod
    async def job_callback(job_queue: JobQueue[Context], job: Job[Context]) -> None:
        """Run the job on the leader; on a follower, note that it was skipped."""
        if isinstance(job_queue, LeaderJobQueue):
            leadership = job_queue.leadership
            if leadership is not None and not await leadership.confirm():
                job_queue.skipped += 1
                job_queue._skipped_at[job.name or ""] = time.monotonic()
                return
            job_queue.ran += 1
        await job.run(job_queue.application)

    def catch_up(self) -> list[str]:
        """Run now the repeating jobs and those skipped in the last `CATCH_UP`; their names."""
        now = time.monotonic()
        names: list[str] = []
        for job in self.jobs():
            name = job.name or ""
            repeating = isinstance(job.job.trigger, IntervalTrigger)
            recent = now - self._skipped_at.get(name, -CATCH_UP - 1) <= CATCH_UP
            if not (repeating or recent):
                continue
            self._skipped_at.pop(name, None)
            self.run_once(job.callback, when=0, data=job.data, name=name)
            names.append(name)
        if names:
            log.info("took over the scheduler: running %s now", ", ".join(names))
        return names


LEADERSHIP_KEY = "minyi.leadership"


async def lead(
    bot_data: dict[str, Any],
    jobs: JobQueue[Any] | None,
    services: Services,
    keeper: InboxKeeper | None,
) -> Leadership:
    """Contend for the scheduler now (a lone worker is the leader before its jobs are
    scheduled), then every beat in a task of its own until `step_down`."""
    leadership = Leadership(services, keeper)
    await leadership.contend()
    if isinstance(jobs, LeaderJobQueue):
        jobs.follow(leadership)
    stop = asyncio.Event()
    bot_data[LEADERSHIP_KEY] = (
        leadership,
        stop,
        asyncio.create_task(leadership.run(stop), name="leadership"),
    )
    return leadership


async def step_down(bot_data: dict[str, Any]) -> None:
    """Stop contending (before the worker retires, which releases the lease)."""
    found = bot_data.pop(LEADERSHIP_KEY, None)
    if found is None:
        return
    _, stop, task = found
    stop.set()
    await asyncio.gather(task, return_exceptions=True)
