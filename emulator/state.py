"""The emulator's world: users, chats, forum topics, messages, files and callback queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entities Telegram marks in a text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: match.start()]),
            "length": utf16_length(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


@dataclass
class User:
    """A Telegram account (a person or the bot)."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    is_bot: bool = False
    language_code: str | None = "zh-hans"
    blocked_bot: bool = False

    @property
    def display_name(self) -> str:
        """First and last name as Telegram shows them."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_api(self) -> JSON:
        """The Bot API ``User`` object."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


@dataclass
class Topic:
    """A forum topic of a supergroup; its id is the id of the message that created it."""

    message_thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    closed: bool = False

    def to_api(self) -> JSON:
        """The Bot API ``ForumTopic`` object."""
        data: JSON = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass
class Member:
    """A user's membership in a group."""

    user: User
    status: str = "member"  # creator | administrator | member | left | kicked
    can_manage_topics: bool = True

    def to_api(self) -> JSON:
        """The Bot API ``ChatMember`` object."""
        data: JSON = {"status": self.status, "user": self.user.to_api()}
        if self.status == "creator":
            data["is_anonymous"] = False
        elif self.status == "administrator":
            rights = (
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
                "can_change_info can_invite_users can_post_stories can_edit_stories "
                "can_delete_stories can_pin_messages"
            )
            data.update(dict.fromkeys(rights.split(), True))
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_promote_members=False,
                can_manage_topics=self.can_manage_topics,
            )
        elif self.status == "kicked":
            data["until_date"] = 0
        return data


@dataclass
class Chat:
    """A private chat with the bot or a supergroup (optionally a forum)."""

    id: int
    type: str  # private | supergroup
    title: str | None = None
    username: str | None = None
    user: User | None = None
    is_forum: bool = False
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    last_message_id: int = 0
    migrated_to: int | None = None  # a group upgraded to this supergroup answers 400 with it

    @property
    def is_group(self) -> bool:
        """Whether this is a group rather than a private chat."""
        return self.type != "private"

    @property
    def name(self) -> str:
        """Title of a group, name of the person in a private chat."""
        if self.title:
            return self.title
        return self.user.display_name if self.user else str(self.id)

    def next_message_id(self) -> int:
        """Allocate the next message id of this chat."""
        self.last_message_id += 1
        return self.last_message_id

    def find(self, message_id: int) -> Message | None:
        """The message with this id, unless it is deleted."""
        for message in reversed(self.messages):
            if message.message_id == message_id:
                return None if message.deleted else message
        return None

    def to_api(self) -> JSON:
        """The Bot API ``Chat`` object."""
        data: JSON = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.username:
            data["username"] = self.username
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def to_full_api(self) -> JSON:
        """The Bot API ``ChatFullInfo`` object (``getChat``)."""
        data = self.to_api()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data


@dataclass
class StoredFile:
    """A file known to the emulator: uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    mime_type: str | None = None

    def to_api(self) -> JSON:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass
class Message:
    """A message in a chat, sent by a person or the bot; ``media`` holds photo/location/etc."""

    message_id: int
    chat: Chat
    sender: User
    date: int
    text: str | None = None
    caption: str | None = None
    entities: list[JSON] = field(default_factory=list)
    media: JSON = field(default_factory=dict)
    reply_markup: JSON | None = None
    reply_keyboard: JSON | None = None
    reply_to: Message | None = None
    message_thread_id: int | None = None
    is_topic_message: bool = False
    media_group_id: str | None = None
    forward_origin: JSON | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message."""
        return self.sender.is_bot

    @property
    def buttons(self) -> list[JSON]:
        """The inline keyboard buttons, row by row flattened."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def is_service(self) -> bool:
        """Whether this is a service message (topic created, closed, …) rather than content."""
        return any(key.startswith("forum_topic_") for key in self.media)

    @property
    def body(self) -> str:
        """Text or caption, whichever the message has."""
        return self.text or self.caption or ""

    def to_api(self, *, with_reply: bool = True) -> JSON:
        """The Bot API ``Message`` object."""
        data: JSON = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": self.sender.to_api(),
        }
        if self.message_thread_id is not None:
            data["message_thread_id"] = self.message_thread_id
        if self.is_topic_message:
            data["is_topic_message"] = True
        if self.text is not None:
            data["text"] = self.text
        if self.caption is not None:
            data["caption"] = self.caption
        if self.entities:
            data["caption_entities" if self.caption is not None else "entities"] = self.entities
        data.update(self.media)
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.reply_to is not None and with_reply:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.media_group_id:
            data["media_group_id"] = self.media_group_id
        if self.forward_origin:
            data["forward_origin"] = self.forward_origin
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        return data


@dataclass
class CallbackQuery:
    """A button press and, once the bot answered it, the answer."""

    id: str
    user: User
    message: Message
    data: str
    button_text: str | None = None
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False

    def to_api(self) -> JSON:
        """The Bot API ``CallbackQuery`` object."""
        return {
            "id": self.id,
            "from": self.user.to_api(),
            "message": self.message.to_api(),
            "chat_instance": str(abs(self.message.chat.id)),
            "data": self.data,
        }
