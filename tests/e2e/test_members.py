"""Taking access away: /members for admins, and a removed clerk's buttons stop working at once."""

from __future__ import annotations

from emulator import Person
from storage.members import access_history, add_member, list_members, remove_member
from storage.models import ChangeSource, GrantChange, Role, Status
from storage.queries import get_ticket, history
from tests.e2e.conftest import World
from tests.e2e.test_resident import has, report
from tests.e2e.test_staff import WAIT, card_of

NOT_STAFF = "抱歉，此操作仅限区民意直通车的工作人员。"


async def an_admin(world: World, name: str = "区数据局小陈") -> Person:
    boss = world.emu.add_user(name)
    async with world.uow as uow:
        await add_member(uow=uow, user_id=boss.id, role=Role.ADMIN, display_name=name)
    return boss


async def test_a_removed_clerk_presses_resolve_and_nothing_changes(world: World) -> None:
    emu, clerk, urban = world.emu, world.urban_clerk, world.urban
    alice = emu.add_user("王阿姨")
    number = await report(world, alice, "荷韵花园北门的路灯坏了一个礼拜了")
    card = await card_of(world, urban, number)
    await clerk.press_button(card, "认领")
    await emu.wait_for_message(urban, has("已认领"), thread_id=card.message_thread_id)
    async with world.uow as uow:
        before = await get_ticket(uow=uow, number=number)
        events = len(await history(uow=uow, ticket_id=before.id))
    assert before.status == Status.IN_PROGRESS

    async with world.uow as uow:  # the operator: `minyi members remove ID`
        await remove_member(uow=uow, user_id=clerk.id)
    pressed = await clerk.press_button(card, "办结")
    assert await clerk.wait_for_answer(pressed, timeout=WAIT) == NOT_STAFF
    assert pressed.show_alert
    await clerk.send_command(urban, "/resolve 已解决 路灯已修好", thread=card.message_thread_id)
    await emu.wait_for_message(urban, has(NOT_STAFF), thread_id=card.message_thread_id)

    async with world.uow as uow:
        after = await get_ticket(uow=uow, number=number)
        assert len(await history(uow=uow, ticket_id=after.id)) == events
    assert (after.status, after.resolved_at, after.answer) == (Status.IN_PROGRESS, None, None)


async def test_an_admin_removes_a_clerk_with_the_buttons_of_members(world: World) -> None:
    emu, clerk = world.emu, world.urban_clerk
    boss = await an_admin(world)
    await boss.send_command(boss.private_chat, "/members")
    roster = await emu.wait_for_message(boss.private_chat, has("人员与角色"))
    assert f"城管小李 {clerk.id}：工作人员（城市管理局）" in (roster.text or "")
    assert f"调度老张 {world.dispatcher.id}：调度员" in (roster.text or "")

    await boss.press_button(roster, "移除 城管小李")
    await emu.wait_until(lambda: "确认移除" in (roster.text or ""), timeout=WAIT)
    await boss.press_button(roster, "取消")  # changes nothing
    await emu.wait_until(lambda: "人员与角色" in (roster.text or ""), timeout=WAIT)
    await boss.press_button(roster, "移除 城管小李")
    await emu.wait_until(lambda: "确认移除" in (roster.text or ""), timeout=WAIT)
    await boss.press_button(roster, "确认移除")
    await emu.wait_until(lambda: "已移除 城管小李" in (roster.text or ""), timeout=WAIT)
    assert "移除 城管小李" not in [b["text"] for b in roster.buttons]

    await clerk.send_command(world.urban, "/list")
    await emu.wait_for_message(world.urban, has(NOT_STAFF))
    async with world.uow as uow:
        trail = await access_history(uow=uow, user_id=clerk.id)
    assert [(e.change, e.source, e.actor_user_id) for e in trail][-1] == (
        GrantChange.REVOKED,
        ChangeSource.TELEGRAM,
        boss.id,
    )


async def test_members_remove_by_id_and_the_limits(world: World) -> None:
    emu = world.emu
    boss = await an_admin(world)
    chat = boss.private_chat
    await boss.send_command(chat, f"/members remove {world.dispatcher.id}")
    await emu.wait_for_message(chat, has("已移除 调度老张", "调度员"))
    await boss.send_command(chat, f"/members remove {world.dispatcher.id}")
    await emu.wait_for_message(chat, has("已没有角色"))
    await boss.send_command(chat, f"/members remove {boss.id}")
    await emu.wait_for_message(chat, has("不能在 Telegram 里移除自己的管理员角色"))
    await boss.send_command(chat, "/members kick someone")
    await emu.wait_for_message(chat, has("用法：/members"))

    await boss.send_command(world.urban, "/members")  # a group: the list stays private
    await emu.wait_for_message(world.urban, has("请私聊机器人使用 /members"))
    await world.housing_clerk.send_command(world.housing_clerk.private_chat, "/members")
    await emu.wait_for_message(world.housing_clerk.private_chat, has("只有管理员可以管理人员"))
    async with world.uow as uow:
        left = {(m.user_id, m.role) for m in await list_members(uow=uow)}
    assert (world.dispatcher.id, Role.DISPATCHER) not in left
    assert (boss.id, Role.ADMIN) in left


async def test_a_removed_admin_cannot_use_the_list_they_opened(world: World) -> None:
    emu = world.emu
    boss = await an_admin(world)
    await boss.send_command(boss.private_chat, "/members")
    roster = await emu.wait_for_message(boss.private_chat, has("人员与角色"))
    async with world.uow as uow:
        await remove_member(uow=uow, user_id=boss.id)
    pressed = await boss.press_button(roster, "移除 城管小李")
    assert await boss.wait_for_answer(pressed, timeout=WAIT) == NOT_STAFF
    async with world.uow as uow:
        assert world.urban_clerk.id in {m.user_id for m in await list_members(uow=uow)}
