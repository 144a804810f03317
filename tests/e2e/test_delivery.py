"""The outbox under Telegram's faults: nothing lost, nothing sent twice, failures recorded."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import col, select

from admin.context import SERVICES_KEY
from bot.services import Services
from emulator import Chat, Limits, Person
from storage.district import bind_department
from storage.models import (
    Audience,
    Department,
    EventKind,
    OutboxMessage,
    OutboxStatus,
    Resident,
    Ticket,
    TicketEvent,
)
from storage.notices import Digest
from storage.outbox import claim_due, enqueue
from storage.tickets import Draft, ResidentRef, open_ticket
from tests.e2e.conftest import World, bot_running
from tests.factories import prediction


async def settle(world: World, *, within: float = 30.0) -> dict[str, int]:
    """Wait until no outbox row is pending or in flight; returns rows per status."""

    async def counts() -> dict[str, int]:
        async with world.uow as uow:
            rows = (await uow.session.exec(select(OutboxMessage.status))).all()
        return dict(Counter(rows))

    async def poll() -> dict[str, int]:
        while True:
            now = await counts()
            if not now.get(OutboxStatus.PENDING) and not now.get(OutboxStatus.SENDING):
                return now
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), within)


def kick(world: World) -> None:
    """Wake the running sender."""
    svc = world.app.bot_data[SERVICES_KEY]
    assert isinstance(svc, Services)
    svc.kick_outbox()


async def open_for(world: World, person: Person, text: str, route_to: str | None = "urban") -> str:
    """Open a ticket straight through the store (as the intake would) and wake the sender."""
    svc = world.app.bot_data[SERVICES_KEY]
    assert isinstance(svc, Services)
    async with world.uow as uow:
        view = await open_ticket(
            uow=uow,
            resident=ResidentRef(person.id, person.private_chat.id, person.user.first_name),
            draft=Draft(text=text),
            prediction=prediction(route_to),
            policy=svc.policy,
        )
    kick(world)
    return view.number


def texts_in(chat: Chat) -> list[str]:
    """Everything the bot said in a chat, in order."""
    return [m.text or m.caption or "" for m in chat.messages if m.sender.is_bot]


async def queue_texts(
    world: World,
    *messages: tuple[int, str],
    audience: Audience = Audience.DISPATCH,
    ticket_id: int | None = None,
) -> None:
    """Queue plain texts (chat id, text) in one transaction, as a job or a use case would."""
    async with world.uow as uow:
        for chat_id, text in messages:
            await enqueue(
                uow=uow,
                chat_id=chat_id,
                notice=Digest(text),
                audience=audience,
                ticket_id=ticket_id,
                commit=False,
            )
        await uow.commit()


async def test_429_5xx_timeouts_and_drops_lose_nothing_and_send_nothing_twice(
    world: World,
) -> None:
    faults = world.emu.faults
    faults.retry_after("sendMessage", seconds=1, times=2)
    faults.server_error("sendMessage", status=502, times=2)
    faults.drop_connection("sendMessage", times=1)
    faults.timeout("sendMessage", hold=3.0, times=1)
    residents = [world.emu.add_user(f"居民{i}") for i in range(6)]
    numbers = [await open_for(world, p, f"第{i}处路灯不亮") for i, p in enumerate(residents)]
    statuses = await settle(world)
    assert statuses == {OutboxStatus.SENT: 12}
    for person, number in zip(residents, numbers, strict=True):
        said = texts_in(person.private_chat)
        assert sum(number in t and "已受理" in t for t in said) == 1, said
    cards = [t for t in texts_in(world.urban) if "新诉求" in t]
    assert sorted(n for n in numbers for t in cards if n in t) == sorted(numbers)
    assert sum(world.emu.counters.faults_served.values()) == 6


@pytest.mark.parametrize("limits", [Limits()])
async def test_a_restart_in_the_middle_of_a_backlog_loses_and_repeats_nothing(
    world: World,
) -> None:
    person = world.emu.add_user("孙大姐")
    chat = person.private_chat
    await queue_texts(world, *((chat.id, f"通知{i}") for i in range(8)))
    kick(world)
    await world.emu.wait_for_message(chat, lambda m: m.text == "通知1", timeout=10)
    # The first worker shuts down mid-backlog …
    assert world.app.updater is not None
    await world.app.updater.stop()
    world.app.bot_data["minyi.sender_stop"].set()
    await world.app.bot_data["minyi.sender_task"]
    async with world.uow as uow:
        left = (await uow.session.exec(select(OutboxMessage.status))).all()
    assert OutboxStatus.PENDING in left  # there really was a backlog
    async with bot_running(world.server, world.db_url, world.classifier):  # … a new one starts
        await settle(world)
    said = [t for t in texts_in(chat) if t.startswith("通知")]
    assert said == [f"通知{i}" for i in range(8)]


async def test_a_worker_that_died_holding_claims_is_taken_over_once(world: World) -> None:
    svc = world.app.bot_data[SERVICES_KEY]
    assert isinstance(svc, Services)
    svc.outbox_lease = timedelta(hours=1)  # the live sender leaves the dead worker's claims alone
    person = world.emu.add_user("郑阿姨")
    chat = person.private_chat
    async with world.uow as uow:  # queued and the head claimed in one transaction: the live
        for i in range(3):  # sender, woken when it commits (NOTIFY), cannot claim it first
            notice = Digest(f"提醒{i}")
            await enqueue(
                uow=uow, chat_id=chat.id, notice=notice, audience=Audience.DISPATCH, commit=False
            )
        claimed = await claim_due(uow=uow)  # a worker claims the chat's head, then dies
    assert [c.notice for c in claimed] == [Digest("提醒0")]
    kick(world)
    svc.outbox_lease = timedelta(seconds=0)  # the lease runs out
    kick(world)
    await settle(world)
    said = [t for t in texts_in(chat) if t.startswith("提醒")]
    assert said == ["提醒0", "提醒1", "提醒2"]


async def test_a_resident_who_blocked_the_bot_is_recorded_on_the_ticket(world: World) -> None:
    person = world.emu.add_user("周先生")
    person.private_chat  # noqa: B018 - the chat exists before the block
    world.emu.block_bot(person)
    number = await open_for(world, person, "路灯坏了没人修")
    statuses = await settle(world)
    assert statuses == {OutboxStatus.SENT: 2, OutboxStatus.FAILED: 1}
    async with world.uow as uow:
        resident = (await uow.session.exec(select(Resident))).one()
        failed = (
            await uow.session.exec(
                select(TicketEvent).where(TicketEvent.kind == EventKind.DELIVERY_FAILED)
            )
        ).one()
    assert resident.blocked_at is not None
    assert "blocked" in failed.detail["error"]
    assert number in " ".join(texts_in(world.urban))
    warning = await world.emu.wait_for_message(world.urban, lambda m: "屏蔽" in (m.text or ""))
    assert number in (warning.text or "")  # staff learn their answers will not arrive


async def test_an_unreachable_department_group_is_reported_to_dispatch(world: World) -> None:
    async with world.uow as uow:
        await bind_department(uow=uow, code="housing", chat_id=-100_999_999, is_forum=False)
    person = world.emu.add_user("吴女士")
    number = await open_for(world, person, "电梯困人了", route_to="housing")
    await settle(world)
    warning = await world.emu.wait_for_message(world.dispatch, lambda m: number in (m.text or ""))
    assert "无法向 住房和城乡建设局 工作群发送消息" in (warning.text or "")
    async with world.uow as uow:
        failed = (
            await uow.session.exec(
                select(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.FAILED)
            )
        ).one()
    assert "chat not found" in (failed.last_error or "").lower()


async def test_a_deleted_ticket_topic_is_opened_again_and_nothing_is_lost(world: World) -> None:
    person = world.emu.add_user("吴师傅")
    number = await open_for(world, person, "荷韵花园路灯坏了")
    await settle(world)
    (old_thread,) = [m.message_thread_id for m in world.urban.messages if number in (m.text or "")]
    assert old_thread is not None
    world.emu.delete_topic(world.urban, old_thread)
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
    await queue_texts(
        world,
        (world.urban.id, f"{number} 居民补充：灯杆也歪了"),
        audience=Audience.DEPARTMENT,
        ticket_id=ticket.id,
    )
    kick(world)
    assert await settle(world) == {OutboxStatus.SENT: 3}
    (note,) = [m for m in world.urban.messages if "灯杆也歪了" in (m.text or "")]
    assert note.message_thread_id not in (None, old_thread)
    assert number in world.urban.topics[note.message_thread_id].name


async def test_a_department_group_upgraded_to_a_supergroup_is_followed(world: World) -> None:
    upgraded = world.emu.upgrade_group(world.urban, forum=True)
    person = world.emu.add_user("冯大姐")
    number = await open_for(world, person, "小区门口路灯不亮")
    assert await settle(world) == {OutboxStatus.SENT: 2}
    assert any(number in (m.text or "") for m in upgraded.messages)  # the card found its way
    async with world.uow as uow:
        department = (
            await uow.session.exec(select(Department).where(Department.code == "urban"))
        ).one()
    assert department.chat_id == upgraded.id


async def test_a_row_that_is_no_known_notice_never_reaches_a_chat(world: World) -> None:
    """An unknown kind, or a known kind whose payload does not fit, is refused and recorded;
    the chat gets the messages around it, and never the raw payload."""
    person = world.emu.add_user("吴师傅")
    number = await open_for(world, person, "小区门口的井盖松了")
    await settle(world)
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
        for kind, payload in (
            ("mystery", {"text": "居民原话：井盖"}),
            ("reply", {"number": number}),
            ("", {"text": "居民原话：空"}),
        ):
            uow.session.add(
                OutboxMessage(
                    ticket_id=ticket.id,
                    audience=Audience.RESIDENT,
                    chat_id=person.private_chat.id,
                    kind=kind,
                    payload=payload,
                )
            )
        await uow.commit()
    await queue_texts(world, (person.private_chat.id, "之后的通知"), audience=Audience.RESIDENT)
    kick(world)
    await world.emu.wait_for_message(
        person.private_chat, lambda m: m.text == "之后的通知", timeout=10
    )
    said = texts_in(person.private_chat)
    assert not any("居民原话" in t or "{" in t for t in said), said
    assert said[-1] == "之后的通知"
    async with world.uow as uow:
        refused = (
            await uow.session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id,
                    TicketEvent.kind == EventKind.DELIVERY_FAILED,
                )
            )
        ).all()
        rows = (
            await uow.session.exec(
                select(OutboxMessage).where(col(OutboxMessage.kind).in_(["mystery", "reply", ""]))
            )
        ).all()
    assert sorted(e.detail["kind"] for e in refused) == ["", "mystery", "reply"]
    assert {r.status for r in rows} == {OutboxStatus.FAILED}
