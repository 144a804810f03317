"""Finding the chat (and topic) a Bot API call names, with Telegram's access checks."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from emulator.errors import bad_request, chat_migrated, forbidden
from emulator.parameters import Parameters
from emulator.state import CallbackQuery, Chat, Topic

if TYPE_CHECKING:
    from emulator.core import Emulator


class ChatAccess:
    """Shared by the method groups: the emulator, and how a call's chat and topic are found."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.callback_queries: dict[str, CallbackQuery] = {}
        self._group_ids = itertools.count(1)

    def _chat(self, p: Parameters, name: str = "chat_id") -> Chat:
        ref = p.chat_ref(name)
        if isinstance(ref, int):
            chat = self.emu.chats.get(ref)
        else:
            chat = next(
                (c for c in self.emu.chats.values() if c.username and f"@{c.username}" == ref),
                None,
            )
        if chat is None and isinstance(ref, int) and ref in self.emu.users:
            raise forbidden("bot can't initiate conversation with a user")
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise chat_migrated(chat.migrated_to)
        return chat

    def _readable(self, p: Parameters) -> Chat:
        """The chat a read (getChat, getChatMember…) names: a private supergroup answers only
        while the bot is in it, with the 403 a send would get; a public one (@username) always."""
        chat = self._chat(p)
        if chat.is_group and not chat.username:
            self._require_membership(chat)
        return chat

    def _require_membership(self, chat: Chat) -> None:
        member = chat.members.get(self.emu.bot.id)
        if member is not None and member.status == "kicked":
            raise forbidden("bot was kicked from the supergroup chat")
        if member is None or member.status == "left":
            raise forbidden("bot is not a member of the supergroup chat")

    def _target(self, p: Parameters) -> tuple[Chat, int | None]:
        """The chat (and forum topic) the bot writes to, after Telegram's access checks."""
        chat = self._chat(p)
        if not chat.is_group:
            if chat.user is not None and chat.user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            return chat, None
        self._require_membership(chat)
        thread_id = p.integer("message_thread_id")
        if thread_id is None or not chat.is_forum:
            return chat, None
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise bad_request("message thread not found")
        if topic.closed:
            raise bad_request("TOPIC_CLOSED")
        return chat, thread_id

    def _forum(self, p: Parameters) -> Chat:
        chat = self._chat(p)
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        member = chat.members.get(self.emu.bot.id)
        if member is None or member.status != "administrator" or not member.can_manage_topics:
            raise bad_request("not enough rights to create a topic")
        return chat

    def _topic(self, p: Parameters) -> tuple[Chat, Topic]:
        chat = self._forum(p)
        topic = chat.topics.get(p.required_integer("message_thread_id"))
        if topic is None:
            raise bad_request("message thread not found")
        return chat, topic

    def _bot_is_admin(self, chat: Chat) -> bool:
        member = chat.members.get(self.emu.bot.id)
        return member is not None and member.status == "administrator"
