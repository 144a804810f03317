"""Several webhook workers on PostgreSQL behind a proxy that sends each request to the next
worker in turn: a chat's updates land on different workers, Telegram re-sends some, and still
each update's effect happens once and every chat's answers come in order."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from telegram.ext import Application, ExtBot

from admin.settings import load_settings
from bot.app import Webhook, build_application, running
from bot.inbox import InboxQueue
from delivery.pacing import FloodLimits
from delivery.shared_pace import SharedPace
from emulator import Emulator, EmulatorServer, Limits, Message, Person
from sandbox.walks import has, walk_intake
from storage.database import session_factory
from storage.district import bind_department
from storage.inbox import unfinished
from storage.members import add_member
from storage.models import Audience, Role, Ticket
from storage.notices import Digest
from storage.outbox import enqueue
from storage.unit_of_work import UnitOfWork
from tests.e2e.fleet import Balancer, free_port, round_robin
from tests.e2e.test_delivery import texts_in
from tests.fakes import KeywordClassifier

WORKERS = 3
RESIDENTS = 4
SECRET = "s3cret"


async def test_three_webhook_workers_behind_a_round_robin_proxy(
    engine: AsyncEngine, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    emu = Emulator(limits=Limits(enforce_rates=False))
    emu.webhook_resend_every = 3  # Telegram re-sends every third update
    clerks = [emu.add_user("城管小李"), emu.add_user("城管小赵")]
    group = emu.add_supergroup("城管局工作群", forum=True, members=clerks)
    async with UnitOfWork(session_factory(engine)) as uow:
        await bind_department(uow=uow, code="urban", chat_id=group.id, is_forum=True)
    for clerk in clerks:
        async with UnitOfWork(session_factory(engine)) as uow:
            await add_member(
                uow=uow,
                user_id=clerk.id,
                role=Role.STAFF,
                department_code="urban",
                display_name=clerk.user.first_name,
            )
    ports = [free_port() for _ in range(WORKERS)]
    classifier = KeywordClassifier()
    async with EmulatorServer(emu) as server, AsyncExitStack() as stack:
        proxy = await stack.enter_async_context(
            round_robin(Balancer([f"http://127.0.0.1:{port}/telegram" for port in ports]))
        )
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        workers: list[Application] = []  # type: ignore[type-arg]
        for port in ports:
            application = build_application(settings, classifier_loader=lambda s, d: classifier)
            hook = Webhook(url=proxy, secret=SECRET, listen="127.0.0.1", port=port)
            workers.append(await stack.enter_async_context(running(application, webhook=hook)))
        people: list[Person] = [emu.add_user(f"居民{i}") for i in range(RESIDENTS)]
        numbers = await asyncio.gather(
            *(walk_intake(emu, p, f"{p.user.first_name}家楼下的路灯坏了") for p in people)
        )

        def card(number: str) -> Message | None:
            return next((m for m in group.messages if number in (m.text or "") and m.buttons), None)

        await emu.wait_until(lambda: all(card(n) for n in numbers), timeout=30)
        cards = [card(n) for n in numbers]
        assert cards[0] is not None
        # Two clerks press 认领 on the same card at once: the presses reach different workers.
        presses = await asyncio.gather(*(c.press_button(cards[0], "认领") for c in clerks))
        answers = [
            await clerk.wait_for_answer(query) for clerk, query in zip(clerks, presses, strict=True)
        ]
        for person in people:  # two at once from each chat: they reach different workers
            await person.send_text(person.private_chat, "/my")
            await person.send_text(person.private_chat, "/help")
        for person in people:
            await emu.wait_for_message(person.private_chat, has("使用说明"), timeout=30)
        ignored = sum(
            w.update_queue.ignored for w in workers if isinstance(w.update_queue, InboxQueue)
        )
        assert emu.webhook is not None
        resent = emu.webhook.resent
    await emu.close()
    assert resent > 0
    assert ignored == resent  # every re-sent update dropped, whichever worker had it
    for person in people:  # each answer once, in the order of the conversation
        said = [m.text or "" for m in person.private_chat.messages if m.sender.is_bot]
        assert len(said) == len(set(said)), said
        order = [
            next(i for i, t in enumerate(said) if part in t)
            for part in ("请核对", "已受理", "您的诉求（最近", "使用说明")
        ]
        assert order == sorted(order), said
    told = [a for a in answers if a and "已由" in a]
    assert len(told) == 1, answers  # the second is told who has it
    async with UnitOfWork(session_factory(engine)) as uow:
        claimed = (
            await uow.session.exec(
                select(Ticket.assignee_user_id).where(Ticket.number == numbers[0])
            )
        ).one()
    winner = next(c for c in clerks if c.id == claimed)
    assert f"已由 {winner.user.first_name} 认领" in told[0]
    async with UnitOfWork(session_factory(engine)) as uow:
        tickets = (await uow.session.exec(select(Ticket.number))).all()
        assert await unfinished(uow=uow) == []
    assert sorted(tickets) == sorted(numbers)  # one ticket per report


async def test_three_webhook_workers_keep_one_pace_and_earn_no_429(
    engine: AsyncEngine, db_url: str
) -> None:
    # Telegram's limits enforced. Three workers each send their share of a backlog to 150
    # residents (every worker runs a sender: alone, each would keep to 30/s and the three
    # together to 90/s), and one resident sends four commands at once, answered by different
    # workers (alone, each would let its own answers through at once).
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share one database on PostgreSQL")
    emu = Emulator(limits=Limits())
    people = [emu.add_user(f"居民{i}") for i in range(150)]
    writer = emu.add_user("钱大爷")
    async with UnitOfWork(session_factory(engine)) as uow:
        for person in people:
            await enqueue(
                uow=uow,
                chat_id=person.private_chat.id,
                notice=Digest(f"给{person.user.first_name}的通知"),
                audience=Audience.DISPATCH,
                commit=False,
            )
        await uow.commit()
    ports = [free_port() for _ in range(WORKERS)]
    classifier = KeywordClassifier()
    async with EmulatorServer(emu) as server, AsyncExitStack() as stack:
        proxy = await stack.enter_async_context(
            round_robin(Balancer([f"http://127.0.0.1:{port}/telegram" for port in ports]))
        )
        settings = load_settings(
            database_url=db_url, telegram_api_base_url=server.base_url, telegram_bot_token=emu.token
        )
        workers: list[Application] = []  # type: ignore[type-arg]
        for port in ports:
            application = build_application(settings, classifier_loader=lambda s, d: classifier)
            hook = Webhook(url=proxy, secret=SECRET, listen="127.0.0.1", port=port)
            workers.append(await stack.enter_async_context(running(application, webhook=hook)))
        for command in ("/help", "/my", "/help", "/my"):
            await writer.send_text(writer.private_chat, command)
        await emu.wait_until(
            lambda: (
                all(texts_in(p.private_chat) for p in people)
                and len(texts_in(writer.private_chat)) >= 4
            ),
            timeout=120,
        )
        limiters = [w.bot.rate_limiter for w in workers if isinstance(w.bot, ExtBot)]
        paces = [
            limiter.shared
            for limiter in limiters
            if isinstance(limiter, FloodLimits) and isinstance(limiter.shared, SharedPace)
        ]
        shared = [pace.reserved for pace in paces]
        outages = sum(pace.outages for pace in paces)  # fell back to their own limits
    await emu.close()
    assert len(shared) == WORKERS
    assert all(shared)  # every worker sent at slots of the shared buckets
    assert emu.counters.retry_after_issued == 0, (emu.limits.refusals, outages)
    for person in people:
        assert texts_in(person.private_chat) == [f"给{person.user.first_name}的通知"]
    assert len(texts_in(writer.private_chat)) == 4
