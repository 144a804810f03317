"""The job queue fires the deadline sweep and the daily digest against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from admin import supervision
from storage.columns import utcnow
from storage.members import add_member
from storage.models import Role, Ticket
from tests.e2e.conftest import World
from tests.e2e.test_delivery import open_for, settle


async def test_the_job_queue_sends_a_reminder_then_the_digest(world: World) -> None:
    resident = world.emu.add_user("冯大爷")
    number = await open_for(world, resident, "路灯不亮好几天了")
    await settle(world)
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
        ticket.due_at = utcnow() + timedelta(minutes=30)  # nearly due
        uow.session.add(ticket)
        await uow.commit()
    assert world.app.job_queue is not None
    world.app.job_queue.run_once(supervision.deadline_job, when=0)
    reminder = await world.emu.wait_for_message(
        world.urban, lambda m: "提醒" in (m.text or "") and number in (m.text or "")
    )
    assert reminder.message_thread_id is not None  # in the ticket's own topic

    chief = world.emu.add_user("督查室主任")
    chief.private_chat  # noqa: B018 - the supervisor has started the bot
    async with world.uow as uow:
        await add_member(uow=uow, user_id=chief.id, role=Role.SUPERVISOR)
    world.app.job_queue.run_once(supervision.digest_job, when=0)
    digest = await world.emu.wait_for_message(
        chief.private_chat, lambda m: "日报" in (m.text or "")
    )
    chart = await world.emu.wait_for_message(chief.private_chat, lambda m: "photo" in m.media)
    assert digest.text
    assert chart.media["photo"]
    yesterday = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    async with world.uow as uow:  # a second run (another worker, a restart) queues nothing
        assert (
            await supervision.queue_digest(uow=uow, day=yesterday, tz=ZoneInfo("Asia/Shanghai"))
            == 0
        )
    await settle(world)
    assert sum("日报" in (m.text or "") for m in chief.private_chat.messages) == 1


async def test_supervisors_ask_for_the_digest_and_residents_cannot(world: World) -> None:
    chief = world.emu.add_user("区长")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=chief.id, role=Role.SUPERVISOR)
    await chief.send_command(chief.private_chat, "/digest")
    await world.emu.wait_for_message(chief.private_chat, lambda m: "日报" in (m.text or ""))
    await world.emu.wait_for_message(chief.private_chat, lambda m: "photo" in m.media)
    await chief.send_command(chief.private_chat, "/stats 2026-11-01 2026-11-30 urban")
    await world.emu.wait_for_message(chief.private_chat, lambda m: "城市管理局" in (m.text or ""))
    nosy = world.emu.add_user("好奇的居民")
    await nosy.send_command(nosy.private_chat, "/digest")
    await world.emu.wait_for_message(nosy.private_chat, lambda m: "仅限督查" in (m.text or ""))
