"""Residents who type instead of pressing buttons, as transcripts: what the person typed, what
the bot answered (the real bot over HTTP against the emulator, both databases)."""

from __future__ import annotations

from sqlmodel import select

from emulator import Message, Person
from sandbox.walks import NUMBER, has
from storage.members import actor_for
from storage.models import ClosureCode, EventKind, Status, TicketEvent
from storage.queries import get_ticket, resident_tickets
from storage.tickets import resolve_ticket
from tests.e2e.conftest import World
from tests.e2e.test_delivery import settle, texts_in


async def said(world: World, person: Person, text: str, *parts: str) -> Message:
    """The person types `text`; returns the bot's next answer that contains every part."""
    await person.send_text(person.private_chat, text)
    return await world.emu.wait_for_message(person.private_chat, has(*parts), timeout=20)


async def filed(world: World, person: Person) -> str:
    """The number in the bot's 已受理 notice."""
    notice = await world.emu.wait_for_message(person.private_chat, has("已受理"), timeout=20)
    found = NUMBER.search(notice.text or "")
    assert found is not None
    return found.group(0)


async def test_an_emergency_gets_the_number_at_once_and_goes_to_dispatch_as_urgent(
    world: World,
) -> None:
    li = world.emu.add_user("李大爷")
    answer = await said(world, li, "有人晕倒在路边了，没气了", "120")
    assert "马上拨打 120" in (answer.text or "")
    card = await world.emu.wait_for_message(world.dispatch, has("紧急"), timeout=20)
    assert "有人晕倒在路边了" in (card.text or "")
    assert "120" in (card.text or "")
    await settle(world)
    assert not any("晕倒" in t for t in texts_in(world.urban) + texts_in(world.housing))
    async with world.uow as uow:
        (ticket,) = await resident_tickets(uow=uow, resident_user_id=li.id)
    assert (ticket.status, ticket.due_at is None) == (Status.PENDING_DISPATCH, True)


async def test_an_emergency_in_the_middle_of_a_report_loses_the_draft_not(world: World) -> None:
    wu = world.emu.add_user("吴阿姨")
    await said(world, wu, "小区里的垃圾好几天没人清了", "在哪里")
    await said(world, wu, "我家着火了快来人", "119")
    summary = await said(world, wu, "荷韵花园", "请核对", "垃圾", "荷韵花园")
    assert "着火" not in (summary.text or "")


async def test_small_talk_starts_no_report(world: World) -> None:
    zhou = world.emu.add_user("周奶奶")
    await said(world, zhou, "你好", "什么事、在哪里")
    await said(world, zhou, "你是机器人吗", "民意直通车")
    await said(world, zhou, "谢谢", "不客气")
    async with world.uow as uow:
        assert await resident_tickets(uow=uow, resident_user_id=zhou.id) == []


async def test_a_vague_complaint_is_asked_what_happened_and_never_filed_as_it_is(
    world: World,
) -> None:
    qian = world.emu.add_user("钱师傅")
    await said(world, qian, "我要投诉", "具体")
    await said(world, qian, "麻烦帮我看看这个情况", "还没听明白")
    await said(world, qian, "楼下烧烤摊天天半夜吵，油烟也大", "在哪里")
    summary = await said(world, qian, "跳过", "请核对", "烧烤摊")
    await qian.press_button(summary, "✅ 确认提交")
    number = await filed(world, qian)
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert ticket.text == "楼下烧烤摊天天半夜吵，油烟也大"


async def test_typed_answers_at_the_place_step_and_the_summary(world: World) -> None:
    sun = world.emu.add_user("孙大姐")
    await said(world, sun, "小区电梯坏了两天了", "在哪里")
    summary = await said(world, sun, "算了", "请核对", "未提供位置")
    assert "算了" not in (summary.text or "")
    await said(world, sun, "没有了", "确认")  # nothing to add is not a yes: the bot says how
    await said(world, sun, "还有，楼道的灯也不亮", "已补充到诉求里", "楼道的灯也不亮", "电梯坏了")
    await said(world, sun, "好的，确认提交", "已提交")
    number = await filed(world, sun)
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert ticket.text == "小区电梯坏了两天了\n还有，楼道的灯也不亮"
    assert ticket.address is None


async def test_a_typed_phone_number_is_taken_after_one_confirmation(world: World) -> None:
    zhao = world.emu.add_user("赵叔")
    await said(world, zhao, "荷韵花园3号楼门口路灯坏了", "请核对", "荷韵花园3号楼门口")
    await said(world, zhao, "13812345678", "13812345678", "提供给承办部门")
    await said(world, zhao, "同意", "请核对", "已同意提供")
    await said(world, zhao, "确认", "已提交")
    number = await filed(world, zhao)
    card = await world.emu.wait_for_message(world.urban, has(number, "新诉求"), timeout=20)
    assert "13812345678" in (card.text or "")


async def test_a_report_naming_its_place_is_filed_in_two_bot_messages(world: World) -> None:
    ma = world.emu.add_user("马大爷")
    summary = await said(world, ma, "南风花园3号楼的路灯坏了，晚上老人出门不方便", "请核对")
    assert "南风花园3号楼" in (summary.text or "")
    await ma.press_button(summary, "✅ 确认提交")
    await filed(world, ma)
    await settle(world)
    assert len(texts_in(ma.private_chat)) == 2  # the summary (then the receipt) and 已受理


async def test_a_long_story_in_two_messages_is_one_description(world: World) -> None:
    he = world.emu.add_user("何老师")
    first = "我们小区门口那段路晚上没有灯"
    second = (
        "已经快一个月了，物业说不归他们管，社区说报上去了，可到现在也没人来修，"
        "老人晚上出门摔过好几次"
    )
    await said(world, he, first, "在哪里")
    await said(world, he, second, "已把这段话补充到问题描述里")
    await said(world, he, first, "已经收到了")  # sent again: not taken as the place
    summary = await said(world, he, "跳过", "请核对")
    assert first in (summary.text or "")
    assert second in (summary.text or "")


async def test_ratings_can_be_typed(world: World) -> None:
    feng = world.emu.add_user("冯阿姨")
    await said(world, feng, "荷韵花园东门的路灯不亮了", "请核对")
    await said(world, feng, "确认", "已提交")
    first = await filed(world, feng)
    await resolve(world, first)
    await world.emu.wait_for_message(feng.private_chat, has(first, "请对办理结果进行评价"))
    await said(world, feng, "很满意，谢谢你们", "感谢评价")
    await said(world, feng, "荷韵花园北门的路灯也坏了", "请核对")
    await said(world, feng, "确认", "已提交")
    second = await filed(world, feng)
    await resolve(world, second)
    await world.emu.wait_for_message(feng.private_chat, has(second, "请对办理结果进行评价"))
    await said(world, feng, "不满意", "原因")
    await said(world, feng, "灯还是不亮", "感谢评价")
    async with world.uow as uow:
        closed = await get_ticket(uow=uow, number=first)
        reopened = await get_ticket(uow=uow, number=second)
    assert closed.status == Status.CLOSED
    assert reopened.status == Status.REOPENED


async def test_a_follow_up_is_offered_as_an_addition_to_the_ticket(world: World) -> None:
    chen = world.emu.add_user("陈先生")
    await said(world, chen, "荷韵花园2号楼门口的垃圾堆了一周", "请核对")
    await said(world, chen, "确认", "已提交")
    number = await filed(world, chen)
    await said(world, chen, "什么时候来修？", number, "新问题")
    await said(world, chen, "补充", "已把补充内容转给承办部门", f"/status {number}")
    info = await world.emu.wait_for_message(
        world.urban, has("群众补充", "什么时候来修"), timeout=20
    )
    assert number in (info.text or "")
    async with world.uow as uow:
        mine = await resident_tickets(uow=uow, resident_user_id=chen.id)
    assert len(mine) == 1


async def test_an_old_button_sends_the_current_question_again(world: World) -> None:
    lu = world.emu.add_user("鲁大哥")
    summary = await said(world, lu, "荷韵花园门口的井盖松了，车一过就响", "请核对")
    await lu.press_button(summary, "📍 位置")
    await world.emu.wait_for_message(lu.private_chat, has("在哪里"))
    await lu.press_button(summary, "🖼 照片")  # a button of the step before
    again = await world.emu.wait_for_message(lu.private_chat, has("在哪里"))
    assert again.text


async def test_asked_again_while_sending_photos_the_resident_hears_how_many_arrived(
    world: World,
) -> None:
    """The question of the photo step asked again (an old button, or a worker that died before
    answering a photo) says how many photos are in, so nobody sends the same photo twice."""
    he = world.emu.add_user("何阿姨")
    summary = await said(world, he, "荷韵花园3号楼楼道灯不亮", "请核对")
    await he.press_button(summary, "🖼 照片")
    await world.emu.wait_for_message(he.private_chat, has("现场照片"))
    await he.send_photo(he.private_chat)
    await world.emu.wait_for_message(he.private_chat, has("已收到第 1 张"))
    await he.press_button(summary, "📍 位置")  # a button of the step before
    again = await world.emu.wait_for_message(he.private_chat, has("已收到第 1 张"))
    assert "好了" in (again.text or "")


async def test_what_is_typed_while_photos_are_awaited_is_kept(world: World) -> None:
    """Photos are sent, not typed; a phone number or more of the story typed at that step is
    taken as it would be at the summary, not answered with a hint and dropped."""
    fu = world.emu.add_user("傅大爷")
    summary = await said(world, fu, "荷韵花园5号楼电梯坏了", "请核对")
    await fu.press_button(summary, "🖼 照片")
    await world.emu.wait_for_message(fu.private_chat, has("现场照片"))
    await said(world, fu, "晚上老人下楼很不方便", "请核对", "晚上老人下楼很不方便")
    await fu.press_button(summary, "🖼 照片")
    await world.emu.wait_for_message(fu.private_chat, has("现场照片"))
    await said(world, fu, "13912345678", "139")
    await said(world, fu, "是的", "请核对", "已同意提供")
    await said(world, fu, "确认", "已提交")
    number = await filed(world, fu)
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert "晚上老人下楼很不方便" in ticket.text


async def resolve(world: World, number: str) -> None:
    """The department answers and closes the ticket (through the store, as staff would)."""
    async with world.uow as uow:
        clerk = await actor_for(uow=uow, user_id=world.urban_clerk.id)
    async with world.uow as uow:
        await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="已更换灯泡"
        )
    kick = world.app.bot_data["minyi.services"]
    kick.kick_outbox()


async def test_rating_events_are_recorded_once(world: World) -> None:
    yang = world.emu.add_user("杨阿姨")
    await said(world, yang, "荷韵花园西门的路灯坏了", "请核对")
    await said(world, yang, "确认", "已提交")
    number = await filed(world, yang)
    await resolve(world, number)
    await world.emu.wait_for_message(yang.private_chat, has(number, "请对办理结果进行评价"))
    await said(world, yang, "满意", "感谢评价")
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
        rated = (
            await uow.session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.RATED
                )
            )
        ).all()
    assert len(rated) == 1


async def test_a_voice_message_is_a_report_a_person_listens_to(world: World) -> None:
    gao = world.emu.add_user("高奶奶")
    await gao.send_voice(gao.private_chat)
    await world.emu.wait_for_message(gao.private_chat, has("收到您的语音", "调度中心"))
    number = NUMBER.search(
        (await world.emu.wait_for_message(gao.private_chat, has("已受理"))).text or ""
    )
    assert number is not None
    card = await world.emu.wait_for_message(world.dispatch, has(number.group(0), "附语音 1 条"))
    assert card.buttons  # the dispatcher picks the department after listening
    voice = await world.emu.wait_for_message(world.dispatch, lambda m: "voice" in m.media)
    assert voice.reply_to is not None
    assert voice.reply_to.message_id == card.message_id


async def test_a_voice_message_adds_to_the_report_being_written(world: World) -> None:
    tang = world.emu.add_user("唐大爷")
    await said(world, tang, "荷韵花园5号楼门口路灯坏了", "请核对")
    await tang.send_voice(tang.private_chat)
    await world.emu.wait_for_message(tang.private_chat, has("收到语音"))
    await said(world, tang, "确认", "已提交")
    number = await filed(world, tang)
    card = await world.emu.wait_for_message(world.urban, has(number, "附语音 1 条"))
    voice = await world.emu.wait_for_message(
        world.urban, lambda m: "voice" in m.media, thread_id=card.message_thread_id
    )
    assert voice.message_thread_id == card.message_thread_id
