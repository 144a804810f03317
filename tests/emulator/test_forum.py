"""Forum supergroups: the bot opens a topic per ticket, staff write inside it."""

from __future__ import annotations

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes, MessageHandler, filters

from emulator import Emulator
from tests.emulator.conftest import RunningApp


async def test_bot_creates_a_topic_and_writes_into_it(emulator: Emulator, bot: Bot) -> None:
    staff = emulator.add_user("赵科长")
    group = emulator.add_supergroup("城管科工作群", forum=True, admins=[staff])
    topic = await bot.create_forum_topic(group.id, "TB-0001 路灯不亮")
    await bot.send_message(group.id, "新工单：路灯不亮", message_thread_id=topic.message_thread_id)
    card = emulator.messages(group, topic.message_thread_id)[-1]
    assert card.text == "新工单：路灯不亮"
    assert group.topics[topic.message_thread_id].name == "TB-0001 路灯不亮"


async def test_closed_topic_refuses_messages(emulator: Emulator, bot: Bot) -> None:
    group = emulator.add_supergroup("城管科工作群", forum=True)
    topic = await bot.create_forum_topic(group.id, "TB-0002")
    await bot.close_forum_topic(group.id, topic.message_thread_id)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(group.id, "补充", message_thread_id=topic.message_thread_id)
    await bot.reopen_forum_topic(group.id, topic.message_thread_id)
    await bot.edit_forum_topic(group.id, topic.message_thread_id, name="TB-0002 已办结")
    await bot.send_message(group.id, "补充", message_thread_id=topic.message_thread_id)
    transcript = emulator.transcript(group)
    assert "话题「TB-0002 已办结」" in transcript
    assert "话题已关闭" in transcript


async def test_topics_need_a_forum(emulator: Emulator, bot: Bot) -> None:
    group = emulator.add_supergroup("调度中心")
    with pytest.raises(BadRequest, match="not a forum"):
        await bot.create_forum_topic(group.id, "TB-0003")


async def test_staff_message_in_topic_reaches_the_application(
    emulator: Emulator, running_app: RunningApp
) -> None:
    staff = emulator.add_user("赵科长")
    group = emulator.add_supergroup("城管科工作群", forum=True, admins=[staff])
    topic = emulator.add_topic(group, "TB-0004 噪音扰民")
    seen: list[tuple[int | None, bool | None]] = []

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        seen.append((message.message_thread_id, message.is_topic_message))
        await message.reply_text("已转达居民")

    async with running_app(MessageHandler(filters.ChatType.SUPERGROUP, answer)):
        await staff.send_text(group, "已联系物业处理", thread=topic)
        reply = await emulator.wait_for_message(group, thread_id=topic.message_thread_id)
    assert seen == [(topic.message_thread_id, True)]
    assert reply.text == "已转达居民"
    assert reply.reply_to is not None
    assert reply.reply_to.text == "已联系物业处理"


async def test_privacy_mode_hides_chatter_from_a_non_admin_bot(
    emulator: Emulator, bot: Bot
) -> None:
    staff = emulator.add_user("赵科长")
    group = emulator.add_supergroup("居民群", members=[staff], bot_admin=False)
    await staff.send_text(group, "大家好")
    await staff.send_command(group, "/status@minyi_bot TB-0001")
    updates = await bot.get_updates(timeout=0)
    assert [u.effective_message.text for u in updates if u.effective_message] == [
        "/status@minyi_bot TB-0001"
    ]
