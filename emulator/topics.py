"""Bot API methods for forum topics: create, rename, close, reopen."""

from __future__ import annotations

from emulator.access import ChatAccess
from emulator.errors import bad_request
from emulator.parameters import Parameters
from emulator.state import JSON, Chat, Message, Topic, User


class TopicMethods(ChatAccess):
    """Forum topics; each change leaves a service message in the topic, as on Telegram."""

    async def create_forum_topic(self, p: Parameters) -> JSON:
        chat = self._forum(p)
        name = p.required_text("name")
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_TITLE_INVALID" if name else "TOPIC_TITLE_EMPTY")
        topic = self.open_topic(chat, name, self.emu.bot, icon_color=p.integer("icon_color"))
        return topic.to_api()

    async def edit_forum_topic(self, p: Parameters) -> bool:
        chat, topic = self._topic(p)
        name = p.text("name") or topic.name
        emoji = p.text("icon_custom_emoji_id", topic.icon_custom_emoji_id)
        if name == topic.name and emoji == topic.icon_custom_emoji_id:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.name, topic.icon_custom_emoji_id = name, emoji
        self._service(chat, topic, {"forum_topic_edited": {"name": name}})
        return True

    async def close_forum_topic(self, p: Parameters) -> bool:
        chat, topic = self._topic(p)
        if topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = True
        self._service(chat, topic, {"forum_topic_closed": {}})
        return True

    async def reopen_forum_topic(self, p: Parameters) -> bool:
        chat, topic = self._topic(p)
        if not topic.closed:
            raise bad_request("TOPIC_NOT_MODIFIED")
        topic.closed = False
        self._service(chat, topic, {"forum_topic_reopened": {}})
        return True

    def open_topic(
        self, chat: Chat, name: str, creator: User, *, icon_color: int | None = None
    ) -> Topic:
        """Create a topic; its id is the id of its "topic created" service message."""
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        topic_id = chat.next_message_id()
        topic = Topic(topic_id, name, icon_color=icon_color or 7322096)
        chat.topics[topic_id] = topic
        created = Message(
            message_id=topic_id,
            chat=chat,
            sender=creator,
            date=self.emu.now(),
            media={"forum_topic_created": {"name": name, "icon_color": topic.icon_color}},
            message_thread_id=topic_id,
            is_topic_message=True,
        )
        chat.messages.append(created)
        self.emu.notify(chat)
        return topic

    def _service(self, chat: Chat, topic: Topic, media: JSON) -> None:
        message = Message(
            message_id=chat.next_message_id(),
            chat=chat,
            sender=self.emu.bot,
            date=self.emu.now(),
            media=media,
            message_thread_id=topic.message_thread_id,
            is_topic_message=True,
        )
        chat.messages.append(message)
        self.emu.notify(chat)
