"""12345-grade handling over the emulator, as transcripts: 签收, 退单, 延期."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from admin import supervision
from sandbox.walks import has
from storage.columns import utcnow
from storage.conversations import load_state
from storage.knowledge import direct_answers, import_entries, read_base
from storage.members import add_member
from storage.models import EventKind, Role, Ticket, TicketEvent
from storage.templates import add_template
from tests.e2e.conftest import World
from tests.e2e.test_delivery import open_for, settle
from tests.e2e.test_staff import WAIT, card_of, topic_named


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


async def test_send_back_approved_refused_and_too_late(world: World) -> None:
    emu, urban, desk = world.emu, world.urban, world.dispatch
    clerk, dispatcher = world.urban_clerk, world.dispatcher
    first_resident, second_resident = emu.add_user("褚女士"), emu.add_user("卫先生")
    first = await open_for(world, first_resident, "小区里的电梯又坏了")
    second = await open_for(world, second_resident, "路口的垃圾桶满了没人清")
    first_card, second_card = (
        await card_of(world, urban, first),
        await card_of(world, urban, second),
    )

    # A send-back needs its reason.
    await clerk.send_command(urban, "/sendback", thread=first_card.message_thread_id)
    await emu.wait_for_message(urban, has("用法：/sendback"), timeout=WAIT)

    # 退单 with a reason: the desk gets a card; pressing another department approves it.
    await clerk.send_command(
        urban, "/sendback 电梯归住建局监管，不属城管", thread=first_card.message_thread_id
    )
    await emu.wait_for_message(urban, has("已退单至区民意调度中心"), timeout=WAIT)
    card = await emu.wait_for_message(desk, has("退单待审"), timeout=WAIT)
    assert first in (card.text or "")
    assert "电梯归住建局监管" in (card.text or "")
    assert "城市管理局" not in [b["text"] for b in card.buttons]  # not back where it came from
    # Only the desk decides: the clerk's /refuse is turned down.
    await clerk.send_command(urban, f"/refuse {first} 不同意", thread=first_card.message_thread_id)
    await emu.wait_for_message(urban, has("只有调度员"), timeout=WAIT)
    await dispatcher.press_button(card, "住房和城乡建设局")
    await emu.wait_for_message(desk, has("已分派至 住房和城乡建设局"), timeout=WAIT)
    await card_of(world, world.housing, first)
    await emu.wait_for_message(urban, has("退单已同意"), timeout=WAIT)
    await emu.wait_for_message(first_resident.private_chat, has("已转由 住房和城乡建设局"))

    # Refused with the desk's reason: back to the department, the clock not reset.
    async with world.uow as uow:
        before = (await uow.session.exec(select(Ticket).where(Ticket.number == second))).one()
    await clerk.send_command(urban, "/sendback 不归我们管", thread=second_card.message_thread_id)
    await emu.wait_for_message(
        desk, lambda m: second in (m.text or "") and "退单待审" in (m.text or "")
    )
    await dispatcher.send_command(desk, f"/refuse {second} 垃圾桶在道路上，属城管")
    await emu.wait_for_message(desk, has("退单已驳回"), timeout=WAIT)
    told = await emu.wait_for_message(urban, has("退单未获同意"), timeout=WAIT)
    assert "属城管" in (told.text or "")
    async with world.uow as uow:
        after = (await uow.session.exec(select(Ticket).where(Ticket.number == second))).one()
    assert (after.status, after.department_code, after.due_at, after.routed_at) == (
        "routed",
        "urban",
        before.due_at,
        before.routed_at,
    )

    # After the window: refused, with what to do instead; nothing changes.
    await shift(world, second, routed_at=timedelta(days=20))
    await clerk.send_command(urban, "/sendback 还是不归我们", thread=second_card.message_thread_id)
    await emu.wait_for_message(urban, has("已超过退单时限"), timeout=WAIT)
    async with world.uow as uow:
        late = (await uow.session.exec(select(Ticket).where(Ticket.number == second))).one()
    assert late.status == "routed"


async def test_extension_approved_then_past_the_limit_and_denied(world: World) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    chief = emu.add_user("督查室主任")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=chief.id, role=Role.SUPERVISOR)
    resident = emu.add_user("蒋阿姨")
    number = await open_for(world, resident, "楼道里的电线老化了")
    other = await open_for(world, emu.add_user("沈先生"), "人行道的地砖翘起来了")
    card, other_card = await card_of(world, urban, number), await card_of(world, urban, other)
    thread = card.message_thread_id
    async with world.uow as uow:
        due = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one().due_at
    assert due is not None

    # Asking for more than the maximum is refused at once; a reason is required.
    await clerk.send_command(urban, "/extend 11 工程量大", thread=thread)
    await emu.wait_for_message(urban, has("最多申请延期 10 个工作日"), timeout=WAIT)
    await clerk.send_command(urban, "/extend 3", thread=thread)
    await emu.wait_for_message(urban, has("用法：/extend"), timeout=WAIT)

    await clerk.send_command(urban, "/extend 3 需协调供电公司停电施工", thread=thread)
    await emu.wait_for_message(urban, has("等待督查人员审批"), thread_id=thread, timeout=WAIT)
    request = await emu.wait_for_message(chief.private_chat, has("延期申请"), timeout=WAIT)
    assert number in (request.text or "")
    assert "需协调供电公司" in (request.text or "")
    # The department cannot approve its own request, even with the button's data.
    query = await clerk.press_button(request, f"x:ok:{number}:3", forge=True)
    assert "只有督查人员" in (await clerk.wait_for_answer(query) or "")

    await chief.press_button(request, "批准延期")
    told = await emu.wait_for_message(resident.private_chat, has("办理时限延长至"), timeout=WAIT)
    assert number in (told.text or "")
    await emu.wait_for_message(urban, has("已获批准"), thread_id=thread, timeout=WAIT)
    await emu.wait_until(lambda: "已批准延期" in (request.text or ""), timeout=WAIT)
    # Pressed again (another supervisor, a double tap): nothing changes.
    again = await chief.press_button(request, f"x:ok:{number}:3", forge=True)
    assert "按钮已失效" in (await chief.wait_for_answer(again) or "")
    async with world.uow as uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
    assert ticket.extension_count == 1
    assert ticket.due_at is not None
    assert ticket.due_at > due

    # A second extension is past the limit (one by default).
    await clerk.send_command(urban, "/extend 2 还需要时间", thread=thread)
    await emu.wait_for_message(urban, has("已延期 1 次，不能再申请延期"), timeout=WAIT)

    # Denied: the department is told, the date stays.
    await clerk.send_command(urban, "/extend 5 等材料", thread=other_card.message_thread_id)
    denial = await emu.wait_for_message(
        chief.private_chat, lambda m: other in (m.text or "") and bool(m.buttons), timeout=WAIT
    )
    await chief.press_button(denial, "不批准")
    await emu.wait_for_message(
        urban, has("未获批准"), thread_id=other_card.message_thread_id, timeout=WAIT
    )

    # /stats shows the new figures, one definition with the digest and exports.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await chief.send_command(chief.private_chat, f"/stats {today} {today} urban")
    stats = await emu.wait_for_message(chief.private_chat, has("签收及时率"), timeout=WAIT)
    assert "延期 1 次（申请 2 次）" in (stats.text or "")


async def test_a_template_is_a_draft_until_the_clerk_confirms_or_edits_it(world: World) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    async with world.uow as uow:
        await add_member(uow=uow, user_id=clerk.id, role=Role.ADMIN)
    # Only admins manage templates; the list is every clerk's.
    await world.housing_clerk.send_command(world.housing, "/templates add 电梯|已通知维保单位")
    await emu.wait_for_message(world.housing, has("只有管理员可以增删答复模板"), timeout=WAIT)
    await clerk.send_command(urban, "/templates add 路灯维修|已安排维修班组，三个工作日内修好。")
    await emu.wait_for_message(urban, has("已添加答复模板"), timeout=WAIT)
    await clerk.send_command(urban, "/templates")
    await emu.wait_for_message(urban, has("路灯维修：已安排维修班组"), timeout=WAIT)

    first_resident, second_resident = emu.add_user("韩大爷"), emu.add_user("杨女士")
    first = await open_for(world, first_resident, "北门路灯不亮了")
    second = await open_for(world, second_resident, "南门路灯也坏了")
    for number, resident, edit in ((first, first_resident, False), (second, second_resident, True)):
        card = await card_of(world, urban, number)
        thread = card.message_thread_id
        await clerk.press_button(card, "办结")
        picker = await emu.wait_for_message(urban, has("请选择办结类型"), thread_id=thread)
        await clerk.press_button(picker, "已解决")
        await emu.wait_until(lambda p=picker: "答复模板" in (p.text or ""), timeout=WAIT)
        await clerk.press_button(picker, "📋 路灯维修")
        draft = await emu.wait_for_message(urban, has("答复草稿"), thread_id=thread, timeout=WAIT)
        await settle(world)  # a draft is never sent by itself
        assert not any("三个工作日" in (m.text or "") for m in resident.private_chat.messages)
        if edit:
            await clerk.send_text(urban, "已安排维修班组，明天上午修好。", thread=thread)
            done = await emu.wait_for_message(resident.private_chat, has("已办结"), timeout=WAIT)
            assert "明天上午修好" in (done.text or "")
        else:
            await clerk.press_button(draft, "✅ 按此答复办结")
            done = await emu.wait_for_message(resident.private_chat, has("已办结"), timeout=WAIT)
            assert "三个工作日内修好" in (done.text or "")
    # An old draft button after the 办结: nothing more is sent.
    query = await clerk.press_button(draft, f"s:use:{second}", forge=True)
    assert "没有待确认的答复草稿" in (await clerk.wait_for_answer(query) or "")


async def test_a_question_answered_from_the_knowledge_base(world: World) -> None:
    emu = world.emu
    async with world.uow as uow:
        await import_entries(uow=uow, pairs=read_base())
    asker, other = emu.add_user("秦大姐"), emu.add_user("许先生")

    # 解决了: a 直接答复, no ticket.
    await asker.send_text(asker.private_chat, "申请低保需要什么条件？")
    answer = await emu.wait_for_message(asker.private_chat, has("解决您的问题了吗"), timeout=WAIT)
    assert "低保标准" in (answer.text or "")
    await asker.press_button(answer, "解决了")
    await emu.wait_for_message(asker.private_chat, has("很高兴帮到您"), timeout=WAIT)

    # Someone else's old button does nothing; 转人工 goes on with the resident's words.
    await other.send_text(other.private_chat, "租房可以提取住房公积金吗？")
    offered = await emu.wait_for_message(other.private_chat, has("解决您的问题了吗"), timeout=WAIT)
    query = await asker.press_button(offered, offered.buttons[0]["callback_data"], forge=True)
    assert "不是发给您的" in (await asker.wait_for_answer(query) or "")
    await other.press_button(offered, "转人工")
    await emu.wait_for_message(other.private_chat, has("问题已保留"), timeout=WAIT)
    await emu.wait_for_message(other.private_chat, has("在哪里"), timeout=WAIT)  # the intake
    async with world.uow as uow:
        state = await load_state(uow=uow, name="intake", key=str(other.private_chat.id))
        solved = await direct_answers(
            uow=uow, since=utcnow() - timedelta(hours=1), until=utcnow() + timedelta(hours=1)
        )
        tickets = (await uow.session.exec(select(Ticket))).all()
    assert state.data["text"] == "租房可以提取住房公积金吗？"
    assert solved == 1
    assert tickets == []

    # A complaint is not a question: the normal intake, no answer from the base.
    await asker.send_text(asker.private_chat, "小区门口的路灯坏了好几天，晚上很黑")
    await emu.wait_for_message(asker.private_chat, has("在哪里"), timeout=WAIT)
    assert sum("解决您的问题了吗" in (m.text or "") for m in asker.private_chat.messages) == 1

    # The figure of its own: 直接答复 in /stats, apart from 办结.
    chief = emu.add_user("区长")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=chief.id, role=Role.SUPERVISOR)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    await chief.send_command(chief.private_chat, f"/stats {today} {today}")
    await emu.wait_for_message(chief.private_chat, has("直接答复 1 件"), timeout=WAIT)


async def test_a_second_phrasing_answers_and_the_asking_words_alone_do_not(world: World) -> None:
    emu = world.emu
    async with world.uow as uow:
        await import_entries(uow=uow, pairs=read_base())
        await import_entries(
            uow=uow,
            pairs=[("图书馆几点开门？\n图书馆周末开不开？", "区图书馆每天9点开门，周末照常开放。")],
        )
    asker = emu.add_user("柴大爷")

    await asker.send_text(asker.private_chat, "请问图书馆周末开门吗？")
    answer = await emu.wait_for_message(asker.private_chat, has("解决您的问题了吗"), timeout=WAIT)
    assert "周末照常开放" in (answer.text or "")
    await asker.press_button(answer, "解决了")
    await emu.wait_for_message(asker.private_chat, has("很高兴帮到您"), timeout=WAIT)

    # Shares only 需要带什么材料 with 结婚登记: no answer, the normal intake.
    other = emu.add_user("常阿姨")
    await other.send_text(other.private_chat, "出国签证需要带什么材料？")
    await emu.wait_for_message(other.private_chat, has("在哪里"), timeout=WAIT)
    assert not any("解决您的问题了吗" in (m.text or "") for m in other.private_chat.messages)


async def test_cohandling_notes_reach_the_lead_and_only_the_lead_resolves(world: World) -> None:
    emu, urban, housing = world.emu, world.urban, world.housing
    lead, helper = world.urban_clerk, world.housing_clerk
    resident = emu.add_user("吕阿姨")
    number = await open_for(world, resident, "楼道灯和电梯都坏了")
    card = await card_of(world, urban, number)
    thread = card.message_thread_id

    await lead.send_command(urban, "/cohandle 住房和城乡建设局 请核实电梯维保单位", thread=thread)
    await emu.wait_for_message(urban, has("已请 住房和城乡建设局 协办"), timeout=WAIT)
    asked = await emu.wait_for_message(housing, has("协办"), timeout=WAIT)
    assert number in (asked.text or "")
    assert "请核实电梯维保单位" in (asked.text or "")
    helper_thread = asked.message_thread_id
    assert helper_thread is not None

    # The co-handler's words go to the lead department, never to the resident.
    await helper.send_text(
        housing, "电梯维保单位是鸿运电梯公司，已通知明天上门。", thread=helper_thread
    )
    await emu.wait_for_message(housing, has("已把协办意见转给"), timeout=WAIT)
    relayed = await emu.wait_for_message(urban, has("部分答复"), thread_id=thread, timeout=WAIT)
    assert "鸿运电梯公司" in (relayed.text or "")
    # A co-handler trying to resolve is refused; the ticket does not change.
    await helper.send_command(housing, "/resolve 已解决 电梯修好了", thread=helper_thread)
    await emu.wait_for_message(housing, has("不是该诉求承办部门"), timeout=WAIT)
    await topic_named(world, housing, helper_thread, "待认领", closed=False)

    await lead.send_command(
        urban, "/resolve 已解决 楼道灯已换，电梯明天由维保单位修复。", thread=thread
    )
    done = await emu.wait_for_message(resident.private_chat, has("已办结"), timeout=WAIT)
    assert "维保单位" in (done.text or "")
    assert not any("鸿运" in (m.text or "") for m in resident.private_chat.messages)


async def test_a_template_offered_for_a_reply_is_sent_only_when_confirmed(world: World) -> None:
    emu, urban, clerk = world.emu, world.urban, world.urban_clerk
    async with world.uow as uow:
        await add_template(
            uow=uow, department_code="urban", title="已派人", text="已派维修人员前往，请您留意。"
        )
    resident = emu.add_user("孔先生")
    number = await open_for(world, resident, "东门路灯一闪一闪的")
    card = await card_of(world, urban, number)
    thread = card.message_thread_id
    await clerk.send_command(urban, "/templates", thread=thread)
    offered = await emu.wait_for_message(urban, has("的答复模板"), thread_id=thread, timeout=WAIT)
    await clerk.press_button(offered, "📋 已派人")
    draft = await emu.wait_for_message(urban, has("答复草稿"), thread_id=thread, timeout=WAIT)
    await settle(world)
    assert not any("维修人员" in (m.text or "") for m in resident.private_chat.messages)
    await clerk.press_button(draft, "✅ 按此答复群众")
    sent = await emu.wait_for_message(resident.private_chat, has("维修人员"), timeout=WAIT)
    assert "城市管理局" in (sent.text or "")
    again = await clerk.press_button(draft, f"s:use:{number}", forge=True)
    assert "没有待确认的答复草稿" in (await clerk.wait_for_answer(again) or "")
