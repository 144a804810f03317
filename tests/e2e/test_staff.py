"""Staff and dispatchers work tickets from their groups — through the real bot over HTTP."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from emulator import Chat, Message, Person
from emulator.state import Member as ChatMember
from storage.district import bind_department, department_for_chat
from storage.members import add_member
from storage.models import LabelledExample, Role, Status, Ticket
from storage.queries import get_ticket, history
from tests.e2e.conftest import World
from tests.e2e.test_delivery import open_for, settle
from tests.e2e.test_resident import has, report

WAIT = 20.0  # several messages share one group's rate limit


async def card_of(world: World, chat: Chat, number: str) -> Message:
    """The ticket card the sender posted in a group."""
    return await world.emu.wait_for_message(
        chat, lambda m: number in (m.text or "") and bool(m.buttons), timeout=WAIT
    )


async def topic_named(
    world: World, chat: Chat, thread_id: int, label: str, *, closed: bool
) -> None:
    """Wait until a ticket's topic carries the status label and is open or closed."""
    topic = chat.topics[thread_id]
    try:
        await world.emu.wait_until(
            lambda: label in topic.name and topic.closed == closed, timeout=WAIT
        )
    except TimeoutError:
        raise AssertionError(f"topic is {topic.name!r}, closed={topic.closed}") from None


async def status_of(world: World, number: str) -> str:
    async with world.uow as uow:
        return (await get_ticket(uow=uow, number=number)).status


async def test_full_path_claim_ask_reply_resolve_reopen_and_close(world: World) -> None:
    emu, clerk, urban = world.emu, world.urban_clerk, world.urban
    alice = emu.add_user("王阿姨")
    private = alice.private_chat
    number = await report(world, alice, "荷韵花园北门的路灯坏了一个礼拜了", phone="13800001111")
    card = await card_of(world, urban, number)
    thread = card.message_thread_id
    assert thread is not None
    assert "王阿姨" in (card.text or "")

    await clerk.press_button(card, "认领")
    await emu.wait_for_message(urban, has("城管小李 已认领"), thread_id=thread, timeout=WAIT)
    await emu.wait_for_message(private, has("已安排专人办理"), timeout=WAIT)
    await topic_named(world, urban, thread, "办理中", closed=False)

    await clerk.send_command(urban, "/ask 请问是北门东侧还是西侧？", thread=thread)
    question = await emu.wait_for_message(private, has("想向您了解"), timeout=WAIT)
    assert "东侧还是西侧" in (question.text or "")
    await alice.send_text(private, "东侧，靠近公交站")
    await emu.wait_for_message(private, has("已把补充内容转给承办部门"), timeout=WAIT)
    answer = await emu.wait_for_message(urban, has("群众回复"), thread_id=thread, timeout=WAIT)
    assert "靠近公交站" in (answer.text or "")

    await clerk.send_text(urban, "已安排维修班组，今晚修好。", thread=thread)
    await emu.wait_for_message(urban, has("已转达群众"), thread_id=thread, timeout=WAIT)
    relayed = await emu.wait_for_message(private, has("今晚修好"), timeout=WAIT)
    assert "城市管理局" in (relayed.text or "")
    await clerk.send_text(urban, "#备注 维修班组长电话已登记", thread=thread)
    await emu.wait_for_message(urban, has("内部备注"), thread_id=thread, timeout=WAIT)

    await clerk.send_command(urban, "/resolve 已解决 路灯已更换，请您查看。", thread=thread)
    resolved = await emu.wait_for_message(private, has("已办结（已解决）"), timeout=WAIT)
    await topic_named(world, urban, thread, "已办结", closed=True)

    await alice.press_button(resolved, "不满意")
    await emu.wait_for_message(private, has("请简单说说原因"), timeout=WAIT)
    await alice.send_text(private, "只修了一个，旁边那个还是不亮")
    await emu.wait_for_message(private, has("重新办理"), timeout=WAIT)
    reopened = await emu.wait_for_message(urban, has("不满意"), thread_id=thread, timeout=WAIT)
    assert "旁边那个还是不亮" in (reopened.text or "")
    await topic_named(world, urban, thread, "重新办理", closed=False)
    assert await status_of(world, number) == Status.REOPENED

    await clerk.send_command(urban, "/resolve fixed 两盏灯都已更换。", thread=thread)
    again = await emu.wait_for_message(private, has("两盏灯都已更换"), timeout=WAIT)
    await alice.press_button(again, "满意")
    await emu.wait_for_message(private, has("已办结归档"), timeout=WAIT)
    await topic_named(world, urban, thread, "已归档", closed=True)

    async with world.uow as uow:
        view = await get_ticket(uow=uow, number=number)
        events = await history(uow=uow, ticket_id=view.id)
    assert view.status == Status.CLOSED
    staff_kinds = [e.kind for e in events if e.actor_user_id == clerk.id]
    assert staff_kinds == ["claimed", "asked", "replied", "note", "resolved", "resolved"]
    assert all("维修班组长" not in str(m.text) for m in private.messages)  # notes stay inside
    said = " ".join(m.text or "" for m in urban.messages if m.sender.is_bot)
    assert str(alice.id) not in said  # never a Telegram id in staff texts


async def test_reassign_moves_the_ticket_to_the_other_group_and_keeps_an_example(
    world: World,
) -> None:
    emu = world.emu
    bob = emu.add_user("李先生")
    number = await report(world, bob, "小区门口的路灯不亮，其实是物业的灯")
    card = await card_of(world, world.urban, number)
    old_thread = card.message_thread_id
    assert old_thread is not None
    await world.urban_clerk.press_button(card, "转办")
    picker = await emu.wait_for_message(world.urban, has("请选择接收部门"), timeout=WAIT)
    await world.urban_clerk.press_button(picker, "住房和城乡建设局")
    new_card = await card_of(world, world.housing, number)
    assert new_card.message_thread_id is not None
    await emu.wait_for_message(bob.private_chat, has("已转由 住房和城乡建设局"), timeout=WAIT)
    await topic_named(world, world.urban, old_thread, "已转出", closed=True)
    async with world.uow as uow:
        view = await get_ticket(uow=uow, number=number)
        examples = (
            await uow.session.exec(
                select(LabelledExample).where(LabelledExample.ticket_id == view.id)
            )
        ).all()
    assert (view.status, view.department_code) == (Status.ROUTED, "housing")
    assert [(e.label, e.predicted, e.source) for e in examples] == [
        ("housing", "urban", "reassign")
    ]

    # Back again by command, with the Chinese name and a reason: the old topic reopens.
    await world.housing_clerk.send_command(
        world.housing, "/reassign 城市管理局 路灯归城管", thread=new_card.message_thread_id
    )
    await emu.wait_for_message(world.housing, has("已转办至 城市管理局"), timeout=WAIT)
    await topic_named(world, world.urban, old_thread, "待认领", closed=False)
    await topic_named(world, world.housing, new_card.message_thread_id, "已转出", closed=True)
    async with world.uow as uow:
        labels = (
            await uow.session.exec(
                select(LabelledExample.label)
                .where(LabelledExample.ticket_id == view.id)
                .order_by(col(LabelledExample.id))
            )
        ).all()
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
    assert labels == ["housing", "urban"]
    assert ticket.reassign_count == 2


async def test_dispatch_by_button_and_by_command(world: World) -> None:
    emu = world.emu
    carol, dave = emu.add_user("赵女士"), emu.add_user("周师傅")
    first = await report(world, carol, "我想咨询一下我们这边的那个事情怎么办理比较好")
    second = await report(world, dave, "请问这边的那个手续应该找哪个单位办理呢")
    card = await emu.wait_for_message(world.dispatch, has(first), timeout=WAIT)
    await world.dispatcher.press_button(card, f"d:{first}:urban")
    await emu.wait_for_message(world.dispatch, has("已分派至 城市管理局"), timeout=WAIT)
    await card_of(world, world.urban, first)
    await emu.wait_for_message(carol.private_chat, has("已转由 城市管理局"), timeout=WAIT)

    await world.dispatcher.send_command(world.dispatch, f"/dispatch {second} 住房和城乡建设局")
    await emu.wait_for_message(world.dispatch, has("已分派至 住房和城乡建设局"), timeout=WAIT)
    await card_of(world, world.housing, second)

    # The first card's buttons are gone; pressing the old one again changes nothing.
    query = await world.dispatcher.press_button(card, f"d:{first}:housing", forge=True)
    assert "按钮已失效" in (await world.dispatcher.wait_for_answer(query) or "")
    async with world.uow as uow:
        examples = (await uow.session.exec(select(LabelledExample))).all()
        assert (await get_ticket(uow=uow, number=first)).department_code == "urban"
    assert sorted((e.label, e.source) for e in examples) == [
        ("housing", "dispatch"),
        ("urban", "dispatch"),
    ]


async def test_residents_strangers_and_other_departments_are_refused(world: World) -> None:
    emu = world.emu
    alice = emu.add_user("王阿姨")
    number = await report(world, alice, "楼下的垃圾好几天没人清运了")
    card = await card_of(world, world.urban, number)
    thread = card.message_thread_id

    # The resident (somehow in the staff group) can neither act nor talk to herself.
    await alice.send_command(world.urban, "/claim", thread=thread)
    await emu.wait_for_message(world.urban, has("仅限区民意直通车的工作人员"), thread_id=thread)
    await alice.send_text(world.urban, "我自己来答复一下", thread=thread)
    query = await alice.press_button(card, "认领")
    assert "仅限" in (await alice.wait_for_answer(query) or "")

    # Staff of another department: refused on the button and on the command.
    query = await world.housing_clerk.press_button(card, "认领")
    answer = await world.housing_clerk.wait_for_answer(query)
    assert answer == "您不是该诉求承办部门的工作人员，无法操作。"
    await world.housing_clerk.send_command(world.housing, f"/reply {number} 这件我们来办")
    await emu.wait_for_message(world.housing, has("您不是该诉求承办部门的工作人员"))

    async with world.uow as uow:
        view = await get_ticket(uow=uow, number=number)
        events = await history(uow=uow, ticket_id=view.id)
    assert view.status == Status.ROUTED
    assert [e.kind for e in events] == ["received", "routed"]
    private = [m.text or "" for m in alice.private_chat.messages]
    assert not any("答复" in t for t in private)


async def test_forged_and_stale_buttons_change_nothing(world: World) -> None:
    emu, clerk = world.emu, world.urban_clerk
    alice = emu.add_user("王阿姨")
    number = await report(world, alice, "小区路灯不亮好几天了")
    card = await card_of(world, world.urban, number)
    for data in (
        "s:claim:TB-20990101-0001",
        f"s:to:{number}:nowhere",
        f"s:code:{number}:bogus",
        "s:claim",
        "d:garbage",
    ):
        query = await clerk.press_button(card, data, forge=True)
        assert "按钮已失效" in (await clerk.wait_for_answer(query) or ""), data
    assert await status_of(world, number) == Status.ROUTED
    # A dispatch button pressed by department staff is refused, not obeyed.
    query = await clerk.press_button(card, f"d:{number}:housing", forge=True)
    assert "调度" in (await clerk.wait_for_answer(query) or "")
    assert await status_of(world, number) == Status.ROUTED


async def test_resolve_by_buttons_list_ticket_and_duplicate(world: World) -> None:
    emu, clerk, urban = world.emu, world.urban_clerk, world.urban
    alice, bob = emu.add_user("王阿姨"), emu.add_user("李先生")
    first = await report(world, alice, "北门路灯坏了好几天")
    second = await report(world, bob, "北门那盏路灯一直不亮")
    card = await card_of(world, urban, first)
    other = await card_of(world, urban, second)

    await clerk.send_command(urban, "/list")
    listing = await emu.wait_for_message(urban, has("在办诉求 2 件"), timeout=WAIT)
    text = listing.text or ""
    assert text.index(first) < text.index(second)

    await clerk.press_button(card, "办结")
    picker = await emu.wait_for_message(urban, has("请选择办结类型"), timeout=WAIT)
    await clerk.press_button(picker, "已答复")
    await emu.wait_until(lambda: "请直接发送" in (picker.text or ""), timeout=WAIT)
    await clerk.send_text(urban, "已列入本月维修计划。", thread=card.message_thread_id)
    await emu.wait_for_message(alice.private_chat, has("已列入本月维修计划"), timeout=WAIT)

    await clerk.send_command(urban, f"/resolve 重复 {first}", thread=other.message_thread_id)
    duplicate = await emu.wait_for_message(bob.private_chat, has("相同"), timeout=WAIT)
    assert first in (duplicate.text or "")

    await clerk.send_command(urban, f"/ticket {second}")
    shown = await emu.wait_for_message(urban, has("办理记录"), timeout=WAIT)
    assert (shown.text or "").startswith(f"📄 诉求 {second}\n承办：城市管理局")
    assert "城管小李：办结（重复诉求）" in (shown.text or "")
    await clerk.send_command(urban, "/overdue")
    await emu.wait_for_message(urban, has("没有超期诉求"), timeout=WAIT)


async def test_only_an_admin_binds_a_group(world: World) -> None:
    emu = world.emu
    boss: Person = emu.add_user("区长办小陈")
    async with world.uow as uow:
        await add_member(uow=uow, user_id=boss.id, role=Role.ADMIN, display_name="小陈")
    group = emu.add_supergroup("环保局工作群", forum=True, members=[boss, world.urban_clerk])
    await world.urban_clerk.send_command(group, "/bind environment")
    await emu.wait_for_message(group, has("只有管理员"))
    await boss.send_command(group, "/bind 生态环境分局")
    await emu.wait_for_message(group, has("已绑定为「生态环境分局」工作群"))
    async with world.uow as uow:
        bound = await department_for_chat(uow=uow, chat_id=group.id)
    assert bound is not None
    assert (bound.code, bound.is_forum) == ("environment", True)


async def group_without_topics(world: World, clerk_name: str) -> tuple[Chat, Person]:
    """The environment department's group, without Topics, and its clerk."""
    clerk = world.emu.add_user(clerk_name)
    group = world.emu.add_supergroup("环保局工作群", forum=False, members=[clerk])
    async with world.uow as uow:
        await add_member(uow=uow, user_id=clerk.id, role=Role.STAFF, department_code="environment")
    async with world.uow as uow:
        await bind_department(uow=uow, code="environment", chat_id=group.id, is_forum=False)
    return group, clerk


async def test_a_group_without_topics_works_by_replying_to_the_card(world: World) -> None:
    emu = world.emu
    group, clerk = await group_without_topics(world, "环保小赵")
    erin = emu.add_user("钱先生")
    number = await report(world, erin, "楼下饭店的油烟太大了，窗户都不敢开")
    card = await card_of(world, group, number)
    assert card.message_thread_id is None
    await settle(world)  # the card is recorded as the ticket's message once its delivery commits
    await clerk.reply_to(card, "已通知执法中队明天上门检查。")
    await emu.wait_for_message(group, has("已转达群众"), timeout=WAIT)
    await emu.wait_for_message(erin.private_chat, has("明天上门检查"), timeout=WAIT)
    await clerk.send_text(group, "大家下午开会")  # not about a ticket: nothing happens
    await clerk.reply_to(card, "/resolve 已答复 已责令店家安装净化设备。")
    await emu.wait_for_message(erin.private_chat, has("已责令店家安装净化设备"), timeout=WAIT)
    assert await status_of(world, number) == Status.RESOLVED
    assert not any("大家下午开会" in (m.text or "") for m in erin.private_chat.messages)


async def test_without_topics_a_closing_answer_must_quote_the_prompt(world: World) -> None:
    emu = world.emu
    group, clerk = await group_without_topics(world, "环保小孙")
    fay = emu.add_user("周女士")
    number = await report(world, fay, "隔壁烧烤店的油烟太大了，熏得睡不着")
    card = await card_of(world, group, number)
    await settle(world)
    await clerk.press_button(card, "办结")
    picker = await emu.wait_for_message(group, has("请选择办结类型"), timeout=WAIT)
    await clerk.press_button(picker, "已答复")
    await emu.wait_until(lambda: "回复」本条消息" in (picker.text or ""), timeout=WAIT)
    await clerk.send_text(group, "中午谁去食堂？")  # chatter is not the answer …
    await emu.wait_for_message(group, has("没有作为", number), timeout=WAIT)
    await clerk.send_text(group, "我去")  # … and the bot says so only once
    await clerk.reply_to(picker, "已联系环保执法大队现场取证。")
    await emu.wait_for_message(fay.private_chat, has("现场取证"), timeout=WAIT)
    assert await status_of(world, number) == Status.RESOLVED
    said = [m.text or "" for m in fay.private_chat.messages]
    assert not any("食堂" in t or t == "我去" for t in said)
    assert sum("没有作为" in (m.text or "") for m in group.messages) == 1


async def test_staff_commands_do_nothing_in_a_group_bound_to_no_department(world: World) -> None:
    emu = world.emu
    number = await report(world, emu.add_user("钱女士"), "小区路灯坏了", phone="13800002222")
    await settle(world)
    elsewhere = emu.add_supergroup("闲聊群", members=[world.urban_clerk])
    await world.urban_clerk.send_command(elsewhere, f"/ticket {number}")
    refusal = await emu.wait_for_message(elsewhere, has("尚未绑定部门"))
    said = " ".join(m.text or "" for m in elsewhere.messages)
    assert "13800002222" not in said
    assert "钱女士" not in said
    assert refusal.text


async def test_a_photo_in_the_ticket_topic_reaches_the_resident(world: World) -> None:
    emu, clerk, urban = world.emu, world.urban_clerk, world.urban
    bob = emu.add_user("赵大哥")
    private = bob.private_chat
    number = await report(world, bob, "石桥镇主街的路灯坏了，晚上很危险")
    card = await card_of(world, urban, number)
    thread = card.message_thread_id
    await clerk.send_photo(urban, caption="路灯已修好，请您放心。", thread=thread)
    await emu.wait_for_message(urban, has("已转达群众"), thread_id=thread, timeout=WAIT)
    words = await emu.wait_for_message(private, has("路灯已修好"), timeout=WAIT)
    photo = await emu.wait_for_message(private, lambda m: "photo" in m.media, timeout=WAIT)
    assert words.message_id < photo.message_id  # the words first, then the picture
    await clerk.send_photo(urban, caption="#备注 施工前照片", thread=thread)  # stays with staff
    await clerk.send_photo(urban)  # outside any ticket: talk among colleagues
    await clerk.send_album(urban, 3, caption="三处灯杆都已加固。", thread=thread)

    def pictures() -> list[Message]:
        return [m for m in private.messages if m.sender.is_bot and "photo" in m.media]

    await emu.wait_until(lambda: len(pictures()) == 4, timeout=WAIT)  # one, then the album's 3
    await settle(world)
    assert len(pictures()) == 4
    said = [m.text or "" for m in private.messages if m.sender.is_bot]
    assert sum("灯杆都已加固" in t for t in said) == 1  # the album's words once
    relayed = [m for m in urban.messages if "已转达群众" in (m.text or "")]
    assert len(relayed) == 2  # one confirmation for the photo, one for the album
    async with world.uow as uow:
        view = await get_ticket(uow=uow, number=number)
        events = await history(uow=uow, ticket_id=view.id)
    assert any(e.kind == "replied" and e.detail.get("photos") for e in events)


async def test_two_claims_at_once_one_wins_the_other_is_told_who(world: World) -> None:
    emu, urban, first = world.emu, world.urban, world.urban_clerk
    second = emu.add_user("城管小赵")
    urban.members[second.id] = ChatMember(second.user)
    async with world.uow as uow:
        await add_member(
            uow=uow,
            user_id=second.id,
            role=Role.STAFF,
            department_code="urban",
            display_name="城管小赵",
        )
    alice = emu.add_user("王阿姨")
    number = await open_for(world, alice, "荷韵花园北门的路灯坏了一个礼拜了")
    card = await card_of(world, urban, number)
    presses = await asyncio.gather(
        first.press_button(card, "认领"), second.press_button(card, "认领")
    )
    answers = [
        await person.wait_for_answer(query)
        for person, query in zip((first, second), presses, strict=True)
    ]
    claimed = await emu.wait_for_message(urban, has("已认领", number), timeout=WAIT)
    won = 0 if first.user.first_name in (claimed.text or "") else 1
    winner, other = ((first, second), (second, first))[won]
    assert f"已由 {winner.user.first_name} 认领" in (answers[1 - won] or "")
    # The other way in: a /claim in the topic is told the same, and the winner that it is theirs.
    thread = card.message_thread_id
    await other.send_command(urban, "/claim", thread=thread)
    told = await emu.wait_for_message(urban, has("已由"), thread_id=thread, timeout=WAIT)
    assert f"已由 {winner.user.first_name} 认领" in (told.text or "")
    await winner.send_command(urban, "/claim", thread=thread)
    await emu.wait_for_message(urban, has("已由您认领"), thread_id=thread, timeout=WAIT)
    await settle(world)
    said = [m.text or "" for m in alice.private_chat.messages if m.sender.is_bot]
    assert sum("已安排专人办理" in t for t in said) == 1, said
    assert sum("已认领" in (m.text or "") for m in urban.messages if m.sender.is_bot) == 1
    async with world.uow as uow:
        assert (await get_ticket(uow=uow, number=number)).assignee_user_id == winner.id

    # Taking over is on purpose: /claim 接手.
    await other.send_command(urban, "/claim 接手", thread=thread)
    await emu.wait_for_message(urban, has("已接手", number), timeout=WAIT)
    async with world.uow as uow:
        assert (await get_ticket(uow=uow, number=number)).assignee_user_id == other.id
    await settle(world)
    said = [m.text or "" for m in alice.private_chat.messages if m.sender.is_bot]
    assert sum("已安排专人办理" in t for t in said) == 1, said
