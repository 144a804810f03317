"""Collectors (民情书记 / 网格员) record what residents tell them, through the real bot over
HTTP: the collector menu and commands, 代录 with 现场解答 or 转办, the start link and its QR
code, 首问跟办, the collector's 回访, /register and 销号 — and what must never happen: a forged
or reused start code links nobody, another team's register stays closed, and the resident's
phone never reaches staff without their consent."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

from admin.context import SERVICES_KEY
from bot import collectors
from emulator import Chat, Message, Person
from sandbox.walks import has
from storage.members import actor_for, add_member
from storage.models import ClosureCode, Rating, Role, Status
from storage.queries import get_ticket
from storage.tickets import ask_resident, resolve_ticket
from storage.visits import queue_visit_reminders
from tests.e2e.conftest import World

NUMBER = re.compile(r"TB-\d{8}-\d{4}")
LINK = re.compile(r"https://t\.me/minyi_bot\?start=([A-Za-z0-9_-]+)")


async def seen(world: World, chat: Chat, *parts: str) -> Message:
    """A message from the bot with every part, wherever it is in the chat (the outbox and the
    handler answer in either order); waits for it."""

    async def find() -> Message:
        while True:
            for message in world.emu.messages(chat):
                if has(*parts)(message):
                    return message
            await world.emu.changed(chat)

    return await asyncio.wait_for(find(), 15)


async def collector(world: World, name: str, team: str = "市直第一民情书记队") -> Person:
    """A collector of a team, known to the bot."""
    person = world.emu.add_user(name)
    async with world.uow as uow:
        await add_member(
            uow=uow, user_id=person.id, role=Role.COLLECTOR, display_name=name, team=team
        )
    return person


async def record(
    world: World,
    who: Person,
    *,
    channel: str,
    person: str | None,
    request: str,
    phone: str | None = None,
    on_the_spot: str | None = None,
    department: str | None = None,
    theme: str | None = None,
) -> Message:
    """Walk /record to the end; returns the receipt (number and start link)."""
    chat = who.private_chat
    await who.send_command(chat, "/record")
    asked = await world.emu.wait_for_message(chat, has("什么渠道"))
    await who.press_button(asked, channel)
    asked = await world.emu.wait_for_message(chat, has("群众的称呼"))
    if person is None:
        await who.press_button(asked, "匿名")
    else:
        await who.send_text(chat, person)
    asked = await world.emu.wait_for_message(chat, has("住址或户号"))
    await who.press_button(asked, "跳过")
    await world.emu.wait_for_message(chat, has("原话"))
    await who.send_text(chat, request)
    asked = await world.emu.wait_for_message(chat, has("是否同意"))
    if phone is None:
        await who.press_button(asked, "不留电话")
    else:
        await who.press_button(asked, "群众同意留电话")
        await world.emu.wait_for_message(chat, has("电话号码"))
        await who.send_text(chat, phone)
    summary = await world.emu.wait_for_message(chat, has("请核对代录内容"))
    if department is not None:
        await who.press_button(summary, "c:dept")
        chooser = await world.emu.wait_for_message(chat, has("请选择承办部门"))
        await who.press_button(chooser, department)
        summary = await world.emu.wait_for_message(chat, has("请核对代录内容"))
    if theme is not None:
        await who.press_button(summary, f"🎯 属于本月主题：{theme}")
        summary = await world.emu.wait_for_message(
            chat, has("请核对代录内容", f"本月主题：{theme}")
        )
    if on_the_spot is not None:
        await who.press_button(summary, "c:spot")
        await world.emu.wait_for_message(chat, has("当场给群众的答复"))
        await who.send_text(chat, on_the_spot)
        return await world.emu.wait_for_message(chat, has("现场解答，编号"))
    await who.press_button(summary, "c:send")
    return await world.emu.wait_for_message(chat, has("已登记并转办"))


async def test_collector_menu_and_commands_for_their_chat_only(world: World) -> None:
    zhou = await collector(world, "民情书记老周")
    await zhou.send_command(zhou.private_chat, "/start")
    menu = await world.emu.wait_for_message(zhou.private_chat, has("民情书记工作台"))
    assert [b["text"] for b in menu.buttons] == ["📝 代录诉求", "📒 诉求台账"]
    resident = world.emu.add_user("王阿姨")
    await resident.send_command(resident.private_chat, "/start")
    welcome = await world.emu.wait_for_message(resident.private_chat)
    assert "民情书记工作台" not in (welcome.text or "")
    await resident.send_command(resident.private_chat, "/record")
    refused = await world.emu.wait_for_message(resident.private_chat, has("只有民情书记"))
    assert refused.buttons == []
    await collectors.set_commands(world.app, world.app.bot_data[SERVICES_KEY])
    scope = json.dumps([{"chat_id": zhou.id, "type": "chat"}, ""], sort_keys=True)
    listed = {c["command"]: c["description"] for c in world.emu.commands[scope]}
    assert listed["record"] == "代录群众诉求"
    assert "register" in listed


async def test_sent_on_with_consent_then_the_resident_follows_by_the_link_once(
    world: World,
) -> None:
    zhou = await collector(world, "民情书记老周")
    receipt = await record(
        world,
        zhou,
        channel="入户走访",
        person="张大爷",
        request="楼下路灯坏了半个月，晚上出门看不见",
        phone="13800004444",
    )
    number_match = NUMBER.search(receipt.text or "")
    link_match = LINK.search(receipt.text or "")
    assert number_match is not None
    assert link_match is not None
    number, code = number_match.group(0), link_match.group(1)
    qr = await world.emu.wait_for_message(zhou.private_chat, lambda m: "photo" in m.media)
    assert number in (qr.caption or "")
    card = await world.emu.wait_for_message(world.urban, has(number))
    assert "张大爷" in (card.text or "")
    assert "13800004444" in (card.text or "")  # the resident said staff may have it
    assert "市直第一民情书记队代录（入户走访）" in (card.text or "")
    await seen(world, zhou.private_chat, "首问跟办", number, "已交办")

    mallory, zhang = world.emu.add_user("路人"), world.emu.add_user("张大爷")
    forged = code[:-3] + ("abc" if not code.endswith("abc") else "xyz")
    await mallory.send_command(mallory.private_chat, f"/start {forged}")
    await world.emu.wait_for_message(mallory.private_chat, has("链接无效或已经使用过"))
    await zhang.send_command(zhang.private_chat, f"/start {code}")
    await world.emu.wait_for_message(zhang.private_chat, has("您已关注诉求", number))
    await seen(world, zhou.private_chat, "群众已扫码关注")
    await mallory.send_command(mallory.private_chat, f"/start {code}")
    await world.emu.wait_for_message(mallory.private_chat, has("链接无效或已经使用过"))

    async with world.uow as uow:
        clerk = await actor_for(uow=uow, user_id=world.urban_clerk.id)
        await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="已更换路灯"
        )
    world.app.bot_data[SERVICES_KEY].kick_outbox()
    answer = await world.emu.wait_for_message(zhang.private_chat, has("已办结", number))
    assert "满意" in [b["text"] for b in answer.buttons]
    told = await seen(world, zhou.private_chat, "首问跟办", number, "已办结")
    assert told.buttons == []  # the resident rates it themselves
    assert all(number not in (m.text or "") for m in world.emu.messages(mallory.private_chat))


async def test_on_the_spot_and_followed_by_phone_without_consent(world: World) -> None:
    zhou = await collector(world, "民情书记老周")
    qian = await collector(world, "钱书记", team="市直第二民情书记队")
    spot = await record(
        world,
        zhou,
        channel="电话",
        person=None,
        request="想问问老年人高龄补贴去哪里申请",
        on_the_spot="已告知到社区服务中心一号窗口携带身份证办理",
    )
    spot_match = NUMBER.search(spot.text or "")
    assert spot_match is not None
    receipt = await record(
        world,
        zhou,
        channel="座谈",
        person="李阿姨",
        request="小区电梯坏了三天了没人修，电话13900001234找我",
        department="住房和城乡建设局",
    )
    number_match = NUMBER.search(receipt.text or "")
    assert number_match is not None
    number = number_match.group(0)
    card = await world.emu.wait_for_message(world.housing, has(number))
    assert "电话：" not in (card.text or "")  # no consent: no phone on the card
    async with world.uow as uow:
        on_spot = await get_ticket(uow=uow, number=spot_match.group(0))
        sent = await get_ticket(uow=uow, number=number)
    assert (on_spot.status, on_spot.closure_code) == (Status.CLOSED, ClosureCode.ON_THE_SPOT)
    assert on_spot.resolved_at is None
    assert sent.phone is None

    async with world.uow as uow:
        clerk = await actor_for(uow=uow, user_id=world.housing_clerk.id)
        await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="电梯已修复"
        )
    world.app.bot_data[SERVICES_KEY].kick_outbox()
    ask = await seen(world, zhou.private_chat, "首问跟办", number, "回访")
    assert [b["text"] for b in ask.buttons] == ["满意", "基本满意", "不满意", "联系不上"]
    forged = await qian.press_button(ask, f"cv:{number}:s", forge=True)
    assert "失效" in (await qian.wait_for_answer(forged) or "")
    pressed = await zhou.press_button(ask, "满意")
    assert await zhou.wait_for_answer(pressed) == "已记录回访结果。"
    async with world.uow as uow:
        closed = await get_ticket(uow=uow, number=number)
    assert (closed.status, closed.rating) == (Status.CLOSED, Rating.SATISFIED)

    await zhou.send_command(zhou.private_chat, "/register")
    register = await world.emu.wait_for_message(zhou.private_chat, has("诉求台账"))
    assert "现场解答 1 件" in (register.text or "")
    assert "已销号 1 件" in (register.text or "")
    await qian.send_command(qian.private_chat, "/register 市直第一民情书记队")
    await world.emu.wait_for_message(qian.private_chat, has("只能查看本队"))
    await qian.send_command(qian.private_chat, "/register")
    own = await world.emu.wait_for_message(qian.private_chat, has("诉求台账"))
    assert number not in (own.text or "")


async def test_digest_shows_the_channels_and_a_supervisor_sees_any_teams_register(
    world: World,
) -> None:
    zhou = await collector(world, "民情书记老周")
    boss = world.emu.add_user("区委督查室")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=boss.id, role=Role.SUPERVISOR, display_name="督查")
    await record(
        world, zhou, channel="接待点", person=None, request="社区门口的健身器材坏了",
        on_the_spot="已联系社区当天维修",
    )  # fmt: skip
    await zhou.send_command(zhou.private_chat, "/start")  # collectors may also write as residents
    await world.emu.wait_for_message(zhou.private_chat, has("民情书记工作台"))
    await boss.send_command(boss.private_chat, "/digest")
    digest = await world.emu.wait_for_message(boss.private_chat, has("按渠道"))
    assert "▪ 接待点：收集 1，直办 1（100.0%），转办 0" in (digest.text or "")
    await boss.send_command(boss.private_chat, "/register 市直第一民情书记队")
    register = await world.emu.wait_for_message(boss.private_chat, has("诉求台账"))
    assert "现场解答 1 件" in (register.text or "")


async def test_a_visit_is_logged_reminded_the_day_before_and_shown_in_the_digest(
    world: World,
) -> None:
    zhou = await collector(world, "民情书记老周")
    boss = world.emu.add_user("区委督查室")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=boss.id, role=Role.SUPERVISOR, display_name="督查")
    await zhou.send_command(zhou.private_chat, "/visit 三十五户")
    await world.emu.wait_for_message(zhou.private_chat, has("登记走访的格式"))
    await zhou.send_command(zhou.private_chat, "/visit 350 93 重点走访独居老人")
    logged = await world.emu.wait_for_message(zhou.private_chat, has("已登记走访"))
    assert "市直第一民情书记队（荷韵社区），入户 350 户，收集诉求 93 件" in (logged.text or "")
    async with world.uow as uow:
        assert await queue_visit_reminders(uow=uow, today=date(2026, 12, 14)) == 1
    world.app.bot_data[SERVICES_KEY].kick_outbox()
    await world.emu.wait_for_message(zhou.private_chat, has("明天（12月15日）是民意"))
    await boss.send_command(boss.private_chat, "/digest")
    digest = await world.emu.wait_for_message(boss.private_chat, has("走访（本月"))
    assert "▪ 市直第一民情书记队：已走访 1/" in (digest.text or "")
    assert "入户 350 户，收集诉求 93 件" in (digest.text or "")


async def test_the_months_theme_is_set_offered_when_recording_and_counted(world: World) -> None:
    zhou = await collector(world, "民情书记老周")
    boss = world.emu.add_user("区委督查室")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=boss.id, role=Role.SUPERVISOR, display_name="督查")
    await zhou.send_command(zhou.private_chat, "/theme 随便设一个")
    await world.emu.wait_for_message(zhou.private_chat, has("只有督查人员"))
    await boss.send_command(boss.private_chat, "/theme 打击养老诈骗")
    await world.emu.wait_for_message(boss.private_chat, has("主题设为「打击养老诈骗」"))
    await record(
        world, zhou, channel="座谈", person="赵奶奶", request="有人上门推销保健品，说能治百病",
        on_the_spot="已讲解防骗知识并提醒家属", theme="打击养老诈骗",
    )  # fmt: skip
    wang = world.emu.add_user("王阿姨")  # a resident may say it is about the theme too
    await wang.send_text(
        wang.private_chat, "荷韵花园有人冒充社保局上门推销养老理财，骗了好几个老人"
    )
    summary = await world.emu.wait_for_message(wang.private_chat, has("请核对"))
    await wang.press_button(summary, "🎯 与本月主题「打击养老诈骗」有关")
    summary = await world.emu.wait_for_message(wang.private_chat, has("请核对"))
    await wang.press_button(summary, "✅ 确认提交")
    await world.emu.wait_for_message(wang.private_chat, has("已受理"))
    await boss.send_command(boss.private_chat, "/digest")
    digest = await world.emu.wait_for_message(boss.private_chat, has("每月主题"))
    assert "▪ 打击养老诈骗：收集诉求 2 件，其中现场解答 1 件" in (digest.text or "")


async def test_an_emergency_heard_at_the_door_is_urgent_on_the_dispatch_desk(world: World) -> None:
    zhou = await collector(world, "民情书记老周")
    chat = zhou.private_chat
    await zhou.send_command(chat, "/record")
    await zhou.press_button(await world.emu.wait_for_message(chat, has("什么渠道")), "入户走访")
    await zhou.press_button(await world.emu.wait_for_message(chat, has("称呼")), "匿名")
    await zhou.press_button(await world.emu.wait_for_message(chat, has("住址")), "跳过")
    await world.emu.wait_for_message(chat, has("原话"))
    await zhou.send_text(chat, "隔壁老人晕倒了，叫不醒")
    await world.emu.wait_for_message(chat, has("🚨", "120"))
    asked = await world.emu.wait_for_message(chat, has("是否同意"))
    await zhou.press_button(asked, "不留电话")
    summary = await world.emu.wait_for_message(chat, has("请核对代录内容", "区民意调度中心"))
    await zhou.press_button(summary, "c:send")
    receipt = await world.emu.wait_for_message(chat, has("已登记并转办"))
    found = NUMBER.search(receipt.text or "")
    assert found is not None
    card = await world.emu.wait_for_message(world.dispatch, has(found.group(0)))
    assert "🚨" in (card.text or "")


async def test_the_collector_passes_on_the_residents_answer_to_a_departments_question(
    world: World,
) -> None:
    zhou = await collector(world, "民情书记老周")
    receipt = await record(
        world, zhou, channel="入户走访", person="周大妈", request="小区路灯不亮快一周了"
    )
    found = NUMBER.search(receipt.text or "")
    assert found is not None
    number = found.group(0)
    await world.emu.wait_for_message(world.urban, has(number))
    async with world.uow as uow:
        clerk = await actor_for(uow=uow, user_id=world.urban_clerk.id)
        await ask_resident(uow=uow, actor=clerk, number=number, text="是哪一栋楼门口？")
    world.app.bot_data[SERVICES_KEY].kick_outbox()
    asked = await seen(world, zhou.private_chat, "首问跟办", number, "哪一栋")
    await zhou.press_button(asked, "✍️ 代群众回复")
    await world.emu.wait_for_message(zhou.private_chat, has("请输入群众对诉求"))
    await zhou.send_text(zhou.private_chat, "3号楼东门口那两盏")
    await world.emu.wait_for_message(zhou.private_chat, has("已把群众的回答转给"))
    await world.emu.wait_for_message(world.urban, has("3号楼东门口那两盏"))
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert not ticket.awaiting_resident  # the answer ends the pause
