"""Reading chats: getChat and getChatMember answer as Telegram does, to an unmodified client."""

from __future__ import annotations

import pytest
from telegram import Bot, ChatMemberAdministrator, ChatMemberLeft, ChatMemberMember
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden

from emulator import Emulator


async def test_get_chat_tells_a_forum_from_a_plain_group(emulator: Emulator, bot: Bot) -> None:
    forum = emulator.add_supergroup("城管局工作群", forum=True)
    plain = emulator.add_supergroup("区民意调度中心")
    full = await bot.get_chat(forum.id)
    assert (full.type, full.title, full.is_forum) == ("supergroup", "城管局工作群", True)
    assert not (await bot.get_chat(plain.id)).is_forum


async def test_the_bot_as_admin_with_and_without_topic_rights(emulator: Emulator, bot: Bot) -> None:
    forum = emulator.add_supergroup("城管局工作群", forum=True)
    me = await bot.get_chat_member(forum.id, bot.id)
    assert isinstance(me, ChatMemberAdministrator)
    assert me.can_manage_topics
    forum.members[emulator.bot.id].can_manage_topics = False
    me = await bot.get_chat_member(forum.id, bot.id)
    assert isinstance(me, ChatMemberAdministrator)
    assert not me.can_manage_topics


async def test_the_bot_as_a_plain_member(emulator: Emulator, bot: Bot) -> None:
    group = emulator.add_supergroup("住建局工作群", bot_admin=False)
    me = await bot.get_chat_member(group.id, bot.id)
    assert isinstance(me, ChatMemberMember)
    assert me.status == ChatMemberStatus.MEMBER


async def test_someone_who_is_not_in_the_group_has_left(emulator: Emulator, bot: Bot) -> None:
    group = emulator.add_supergroup("住建局工作群")
    stranger = emulator.add_user("路人")
    assert isinstance(await bot.get_chat_member(group.id, stranger.id), ChatMemberLeft)


async def test_a_private_group_cannot_be_read_once_the_bot_is_out(
    emulator: Emulator, bot: Bot
) -> None:
    kicked = emulator.add_supergroup("城管局工作群", forum=True)
    emulator.kick_bot(kicked)
    with pytest.raises(Forbidden, match="kicked"):
        await bot.get_chat(kicked.id)
    with pytest.raises(Forbidden, match="kicked"):
        await bot.get_chat_member(kicked.id, bot.id)
    left = emulator.add_supergroup("住建局工作群")
    del left.members[emulator.bot.id]
    with pytest.raises(Forbidden, match="not a member"):
        await bot.get_chat(left.id)


async def test_a_public_group_can_be_read_from_outside(emulator: Emulator, bot: Bot) -> None:
    public = emulator.add_supergroup("区政务公开群", username="district_public")
    del public.members[emulator.bot.id]
    assert (await bot.get_chat("@district_public")).title == "区政务公开群"
    assert isinstance(await bot.get_chat_member(public.id, bot.id), ChatMemberLeft)


async def test_an_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="not found"):
        await bot.get_chat(-1009999999999)
