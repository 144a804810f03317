"""A resident reports, follows up and meets bad input — through the real bot over HTTP."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from emulator import Message, Person
from sandbox.walks import has, walk_intake
from storage.members import actor_for
from storage.models import OutboxMessage, Status
from storage.queries import get_ticket, resident_tickets
from storage.tickets import reply_to_resident
from tests.e2e.conftest import World
from tests.e2e.test_delivery import settle

NUMBER = re.compile(r"TB-\d{8}-\d{4}")


async def report(world: World, person: Person, text: str, **options: Any) -> str:
    """Walk the whole intake and return the ticket number the bot confirms."""
    return await walk_intake(world.emu, person, text, **options)


async def test_confident_report_with_location_and_photo_reaches_the_department_topic(
    world: World,
) -> None:
    alice = world.emu.add_user("王阿姨")
    number = await report(
        world,
        alice,
        "荷韵花园北门的路灯坏了一个礼拜了，晚上很黑",
        location=(35.41, 116.59),
        photo=True,
        phone="13800001111",
    )
    card: Message = await world.emu.wait_for_message(world.urban, has(number))
    assert card.message_thread_id is not None
    topic = world.urban.topics[card.message_thread_id]
    assert number in topic.name
    assert "王阿姨" in (card.text or "")
    assert "13800001111" in (card.text or "")  # shared with consent
    assert "认领" in [b["text"] for b in card.buttons]
    photos = await world.emu.wait_for_message(
        world.urban, lambda m: "photo" in m.media, thread_id=card.message_thread_id
    )
    assert photos.message_thread_id == card.message_thread_id
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert (ticket.status, ticket.department_code) == (Status.ROUTED, "urban")
    assert (ticket.latitude, ticket.longitude) == (35.41, 116.59)
    assert len(ticket.photo_file_ids) == 1


async def test_unsure_report_goes_to_dispatch_with_candidates(world: World) -> None:
    bob = world.emu.add_user("李先生")
    number = await report(
        world, bob, "我想咨询一下我们这边的那个事情怎么办理比较好", address="许庄街道"
    )
    card = await world.emu.wait_for_message(world.dispatch, has(number))
    labels = [b["text"] for b in card.buttons]
    assert any(label.startswith("⭐ 街道社区服务中心") for label in labels)
    assert "公安分局" in labels  # every department is offered, not only the candidates
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert ticket.status == Status.PENDING_DISPATCH
    assert ticket.phone is None


async def test_photos_of_a_held_ticket_reach_dispatch_and_then_the_department(
    world: World,
) -> None:
    bob = world.emu.add_user("李先生")
    number = await report(world, bob, "我想咨询一下我们这边的那个事情怎么办理比较好", photo=True)
    card = await world.emu.wait_for_message(world.dispatch, has(number))
    assert "附照片 1 张" in (card.text or "")
    photos = await world.emu.wait_for_message(
        world.dispatch, lambda m: "photo" in m.media, thread_id=card.message_thread_id
    )
    assert photos.message_thread_id == card.message_thread_id
    await world.dispatcher.press_button(card, f"d:{number}:urban")
    routed = await world.emu.wait_for_message(
        world.urban, lambda m: number in (m.text or "") and bool(m.buttons)
    )
    again = await world.emu.wait_for_message(
        world.urban, lambda m: "photo" in m.media, thread_id=routed.message_thread_id
    )
    assert again.message_thread_id == routed.message_thread_id
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert (ticket.status, ticket.department_code) == (Status.ROUTED, "urban")
    assert len(ticket.photo_file_ids) == 1


async def test_my_and_status_show_only_ones_own_tickets(world: World) -> None:
    alice, mallory = world.emu.add_user("王阿姨"), world.emu.add_user("路人")
    number = await report(world, alice, "小区电梯坏了三天了没人修")
    chat = alice.private_chat
    await alice.send_command(chat, "/my")
    listing = await world.emu.wait_for_message(chat, has("您的诉求"))
    assert number in (listing.text or "")
    await alice.press_button(listing, number)
    timeline = await world.emu.wait_for_message(chat, has("办理记录"))
    assert "住房和城乡建设局" in (timeline.text or "")
    await mallory.send_command(mallory.private_chat, f"/status {number}")
    refused = await world.emu.wait_for_message(mallory.private_chat, has("没有找到"))
    assert "电梯" not in (refused.text or "")
    await mallory.send_command(mallory.private_chat, "/status 随便")
    await world.emu.wait_for_message(mallory.private_chat, has("/status TB-"))


async def test_bad_input_gets_friendly_answers(world: World) -> None:
    carol = world.emu.add_user("赵女士")
    chat = carol.private_chat
    await carol.send_sticker(chat)
    await world.emu.wait_for_message(chat, has("贴纸"))
    await carol.send_voice(chat)
    await world.emu.wait_for_message(chat, has("语音"))
    await carol.send_command(chat, "/frobnicate")
    await world.emu.wait_for_message(chat, has("没有这个命令"))
    await carol.send_command(chat, "/resolve fixed 好了")
    await world.emu.wait_for_message(chat, has("仅供工作人员"))
    await carol.send_text(chat, "灯")
    await world.emu.wait_for_message(chat, has("具体"))
    await carol.send_text(chat, "路灯坏了，" + "晚上很黑" * 900)  # long, as Telegram allows
    await world.emu.wait_for_message(chat, has("在哪里"))
    await carol.send_command(chat, "/cancel")
    await world.emu.wait_for_message(chat, has("已取消"))
    await carol.send_command(chat, "/start")
    start = await world.emu.wait_for_message(chat, has("民意直通车"))
    await carol.press_button(start, "r:TB-20990101-0001:s", forge=True)
    await carol.send_command(chat, "/cancel")
    await world.emu.wait_for_message(chat, has("没有正在填写"))


async def test_cancel_in_the_middle_submits_nothing(world: World) -> None:
    dave = world.emu.add_user("周师傅")
    chat = dave.private_chat
    await dave.send_text(chat, "楼下饭店油烟太大了熏得不行")
    await world.emu.wait_for_message(chat, has("在哪里"))
    await dave.send_command(chat, "/cancel")
    await world.emu.wait_for_message(chat, has("已取消"))
    async with world.uow as uow:
        rows = (await uow.session.exec(select(OutboxMessage))).all()
    assert rows == []


async def test_other_media_edits_and_floods_get_answers_and_nothing_breaks(world: World) -> None:
    frank = world.emu.add_user("孙先生")
    chat = frank.private_chat
    await frank.send_video(chat)
    await world.emu.wait_for_message(chat, has("视频"))
    await frank.send_document(chat)
    await world.emu.wait_for_message(chat, has("文件"))
    await frank.send_contact(chat, "13900001111")
    await world.emu.wait_for_message(chat, has("先用文字描述"))
    sent = await frank.send_text(chat, "楼下垃圾桶满了没人清")
    await world.emu.wait_for_message(chat, has("在哪里"))
    await frank.edit_message(sent, "楼下垃圾桶满了三天没人清")
    await world.emu.wait_for_message(chat, has("不会更新"))
    for i in range(25):  # a flood: far more than anyone types
        await frank.send_text(chat, f"快来处理{i}")
    # The bot answers at Telegram's pace for one chat (about one message a second).
    await world.emu.wait_for_message(chat, has("太快"), timeout=60)
    said = [m.text or "" for m in chat.messages if m.sender.is_bot]
    assert sum("太快" in t for t in said) == 1


async def test_a_double_tap_on_confirm_files_one_ticket(world: World) -> None:
    gina = world.emu.add_user("何阿姨")
    chat = gina.private_chat
    await gina.send_text(chat, "小区电梯坏了两天了")
    await world.emu.wait_for_message(chat, has("在哪里"))
    await gina.send_text(chat, "跳过")
    summary = await world.emu.wait_for_message(chat, has("请核对"))
    await gina.press_button(summary, "✅ 确认提交")
    await gina.press_button(summary, "i:confirm", forge=True)  # the same button again, at once
    await world.emu.wait_for_message(chat, has("已受理"))
    await settle(world)
    async with world.uow as uow:
        mine = await resident_tickets(uow=uow, resident_user_id=gina.id)
    assert len(mine) == 1


async def test_a_confirm_press_that_cannot_be_answered_still_files_the_report(
    world: World,
) -> None:
    # Taken over from a worker thought dead, the press was answered there already (or is older
    # than Telegram keeps it): answering it fails, and the report is filed all the same.
    ivy = world.emu.add_user("严大爷")
    chat = ivy.private_chat
    await ivy.send_text(chat, "小区门口的下水道堵了")
    await world.emu.wait_for_message(chat, has("在哪里"))
    await ivy.send_text(chat, "跳过")
    summary = await world.emu.wait_for_message(chat, has("请核对"))
    query = await ivy.press_button(summary, "✅ 确认提交")
    query.answered = True  # before the bot sees it: its answer is refused
    await world.emu.wait_for_message(chat, has("已受理"))
    await settle(world)
    async with world.uow as uow:
        mine = await resident_tickets(uow=uow, resident_user_id=ivy.id)
    assert len(mine) == 1
    assert query.answer_text is None  # the bot's answer never got through


async def test_a_forged_rating_button_changes_nothing(world: World) -> None:
    hal = world.emu.add_user("韩先生")
    number = await report(world, hal, "小区门口路灯坏了")
    chat = hal.private_chat
    start = await hal.send_command(chat, "/start")
    await world.emu.wait_for_message(chat, has("民意直通车"))
    query = await hal.press_button(start, f"r:{number}:s", forge=True)  # not resolved yet
    assert await hal.wait_for_answer(query) == "这个按钮已失效，请以最新消息为准。"
    async with world.uow as uow:
        ticket = await get_ticket(uow=uow, number=number)
    assert (ticket.status, ticket.rating) == (Status.ROUTED, None)


async def test_a_long_history_still_fits_in_one_status_message(world: World) -> None:
    ivy = world.emu.add_user("尹女士")
    number = await report(world, ivy, "楼道路灯一直不亮")
    async with world.uow as uow:
        clerk = await actor_for(uow=uow, user_id=world.urban_clerk.id)
    for i in range(30):  # a long back-and-forth, written straight through the store
        async with world.uow as uow:
            await reply_to_resident(
                uow=uow, actor=clerk, number=number, text=f"第{i}次答复：" + "情况说明" * 200
            )
    await ivy.send_command(ivy.private_chat, f"/status {number}")
    status = await world.emu.wait_for_message(ivy.private_chat, has("办理记录"))
    assert len(status.text or "") <= 4096
    assert "更早的" in (status.text or "")
    assert "第29次答复" in (status.text or "")  # the newest steps are the ones kept
