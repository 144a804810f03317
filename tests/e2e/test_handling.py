"""12345-grade handling over the emulator, as transcripts: 签收, 退单, 延期."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from admin import supervision
from sandbox.walks import has
from storage.columns import utcnow
from storage.models import EventKind, Ticket, TicketEvent
from tests.e2e.conftest import World
from tests.e2e.test_delivery import open_for, settle
from tests.e2e.test_staff import WAIT, card_of


async def shift(world: World, number: str, **moments: timedelta) -> None:
    """Move a ticket's deadlines into the past (the clock cannot wait a working day)."""
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
        for name, ago in moments.items():
            setattr(ticket, name, utcnow() - ago)
        uow.session.add(ticket)
        await uow.commit()


def sweep(world: World) -> None:
    """Fire the deadline job now, as the job queue does every five minutes."""
    assert world.app.job_queue is not None
    world.app.job_queue.run_once(supervision.deadline_job, when=0)


async def test_acceptance_reminder_then_dispatch_then_a_late_claim(world: World) -> None:
    emu, urban = world.emu, world.urban
    resident = emu.add_user("冯大爷")
    number = await open_for(world, resident, "小区门口的路灯坏了")
    card = await card_of(world, urban, number)
    thread = card.message_thread_id

    # 签收 window passed a minute ago: the department is reminded in the ticket's topic.
    await shift(world, number, accept_due_at=timedelta(minutes=1))
    sweep(world)
    await emu.wait_for_message(urban, has("签收提醒"), thread_id=thread, timeout=WAIT)

    # Long past it and still nobody: the dispatch desk is told, once.
    await shift(world, number, accept_due_at=timedelta(days=10))
    sweep(world)
    told = await emu.wait_for_message(world.dispatch, has("超时未签收"), timeout=WAIT)
    assert number in (told.text or "")
    assert "城市管理局" in (told.text or "")
    sweep(world)
    await settle(world)
    assert sum("签收" in (m.text or "") for m in urban.messages if m.sender.is_bot) == 1
    assert sum("超时未签收" in (m.text or "") for m in world.dispatch.messages) == 1

    # The card's 认领 accepts it, late; the resident hears it is in hand.
    await world.urban_clerk.press_button(card, "认领")
    await emu.wait_for_message(urban, has("已认领"), thread_id=thread, timeout=WAIT)
    await emu.wait_for_message(resident.private_chat, has("已安排专人办理"), timeout=WAIT)
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
        claimed = (
            await uow.session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.CLAIMED
                )
            )
        ).one()
    assert ticket.accepted_at is not None
    assert claimed.detail == {"accepted": True, "accepted_on_time": False}
