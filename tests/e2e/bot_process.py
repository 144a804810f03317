"""The bot in a process of its own, for tests and benchmarks that kill it with SIGKILL.

    python tests/e2e/bot_process.py prepare DATABASE_URL SPEC_JSON   # migrate, bind, add staff
    python tests/e2e/bot_process.py queue DATABASE_URL MESSAGES_JSON # [[chat_id, text], …]
    python tests/e2e/bot_process.py run DATABASE_URL BASE_URL TOKEN  # poll until SIGTERM
    python tests/e2e/bot_process.py run DATABASE_URL BASE_URL TOKEN PORT PUBLIC_URL  # webhook
    python tests/e2e/bot_process.py run DATABASE_URL BASE_URL TOKEN PORT PUBLIC_URL HEALTH_PORT

With MINYI_WORKER_LOG=info the worker logs its own events at INFO to stderr (bot.logs).
With MINYI_BENCH_LOCAL_PACE=1 a webhook worker paces itself alone (no shared buckets), to
measure what the shared pace buys; with MINYI_BENCH_CLASSIFIER=spread it routes with
benchmarks/intake.py's fake classifier (reports spread over every department) instead.
Run from a checkout's root with that checkout's interpreter (the benchmark runs another
worktree's code this way, to measure before and after); the classifier is the keyword fake.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

sys.path.insert(0, os.getcwd())  # the checkout being run, for tests.fakes

from admin.settings import Settings, load_settings
from bot.app import HealthPort, Webhook, build_application, running
from bot.logs import configure_logging
from classifiers.model import Classifier
from storage import database
from storage.district import District, bind_department, load_departments, read_district
from storage.members import add_member
from storage.models import Audience, Role
from storage.notices import Digest
from storage.outbox import enqueue
from storage.unit_of_work import UnitOfWork
from tests.fakes import KeywordClassifier


async def prepare(url: str, spec: dict[str, Any]) -> None:
    """The district's departments, the groups bound ([code, chat_id, forum]) and the staff
    ([user_id, role, code or null, name])."""
    engine = database.create_engine(url)
    try:
        async with UnitOfWork(database.session_factory(engine)) as uow:
            await load_departments(uow=uow, district=read_district())
        for code, chat_id, forum in spec["groups"]:
            async with UnitOfWork(database.session_factory(engine)) as uow:
                await bind_department(uow=uow, code=code, chat_id=chat_id, is_forum=forum)
        for user_id, role, code, name in spec["members"]:
            async with UnitOfWork(database.session_factory(engine)) as uow:
                await add_member(
                    uow=uow,
                    user_id=user_id,
                    role=Role(role),
                    department_code=code,
                    display_name=name,
                )
    finally:
        await engine.dispose()


async def queue(url: str, messages: list[tuple[int, str]]) -> None:
    """Plain texts queued in the outbox in one transaction (a backlog)."""
    engine = database.create_engine(url)
    try:
        async with UnitOfWork(database.session_factory(engine)) as uow:
            for chat_id, text in messages:
                await enqueue(
                    uow=uow,
                    chat_id=chat_id,
                    notice=Digest(text),
                    audience=Audience.DISPATCH,
                    commit=False,
                )
            await uow.commit()
    finally:
        await engine.dispose()


WEBHOOK_SECRET = "s3cret"


async def serve(
    url: str,
    base_url: str,
    token: str,
    webhook: Webhook | None = None,
    health: HealthPort | None = None,
) -> None:
    """Poll (or serve the webhook) and deliver until SIGTERM or SIGINT, then stop cleanly."""
    settings = load_settings(
        database_url=url, telegram_api_base_url=base_url, telegram_bot_token=token
    )
    keywords = KeywordClassifier()

    def classifier(settings: Settings, district: District) -> Classifier:
        if os.environ.get("MINYI_BENCH_CLASSIFIER") != "spread":
            return keywords
        from benchmarks.intake import fake_loader

        return fake_loader(settings, district)

    application = build_application(
        settings,
        classifier_loader=classifier,
        health=health,
        shared_pace=os.environ.get("MINYI_BENCH_LOCAL_PACE") != "1",
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running(application, webhook):
        print("ready", flush=True)
        await stop.wait()


def main(argv: list[str]) -> None:
    """Dispatch one of the commands above."""
    command, url, *rest = argv
    if os.environ.get("MINYI_WORKER_LOG") == "info":
        configure_logging()
    if command == "prepare":
        database.upgrade(url)
        asyncio.run(prepare(url, json.loads(rest[0])))
    elif command == "queue":
        asyncio.run(queue(url, [(int(c), str(t)) for c, t in json.loads(rest[0])]))
    elif command == "run":
        webhook = health = None
        if len(rest) >= 4:
            port, public = int(rest[2]), rest[3]
            webhook = Webhook(url=public, secret=WEBHOOK_SECRET, listen="127.0.0.1", port=port)
        if len(rest) == 5:
            health = HealthPort(port=int(rest[4]), listen="127.0.0.1")
        asyncio.run(serve(url, rest[0], rest[1], webhook, health))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
