"""The people in a test or demo: a handle that makes one person write, press and edit."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

from emulator.messaging import media_object
from emulator.state import JSON, CallbackQuery, Chat, Message, Topic, User, command_entities

if TYPE_CHECKING:
    from emulator.core import Emulator

_query_ids = itertools.count(1)

# A 1x1 PNG, so that downloaded "photos" are real images.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2d6a52e0000000049454e44ae426082"
)

Thread = int | Topic | None


class Person:
    """A user of the emulated Telegram, driven by a test or the demo."""

    def __init__(self, emulator: Emulator, user: User) -> None:
        self.emu = emulator
        self.user = user

    def __repr__(self) -> str:
        return f"Person({self.user.first_name!r}, id={self.user.id})"

    @property
    def id(self) -> int:
        """The person's Telegram user id."""
        return self.user.id

    @property
    def private_chat(self) -> Chat:
        """The person's private chat with the bot (opened on first use)."""
        return self.emu.add_private_chat(self)

    async def send_text(
        self, chat: Chat, text: str, *, thread: Thread = None, reply_to: Message | None = None
    ) -> Message:
        """Write a text (commands in it are marked as ``bot_command`` entities)."""
        message = self._message(chat, thread, reply_to)
        message.text = text
        message.entities = command_entities(text)
        return await self._send(message)

    async def send_command(self, chat: Chat, command: str, *, thread: Thread = None) -> Message:
        """Send a command such as ``"/status TB-0001"``."""
        if not command.startswith("/"):
            command = f"/{command}"
        return await self.send_text(chat, command, thread=thread)

    async def reply_to(self, message: Message, text: str) -> Message:
        """Reply to a message in its chat (and topic)."""
        return await self.send_text(
            message.chat, text, thread=message.message_thread_id, reply_to=message
        )

    async def send_location(
        self, chat: Chat, latitude: float, longitude: float, *, thread: Thread = None
    ) -> Message:
        """Share a location pin."""
        message = self._message(chat, thread)
        message.media = {"location": {"latitude": latitude, "longitude": longitude}}
        return await self._send(message)

    async def send_photo(
        self,
        chat: Chat,
        content: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        thread: Thread = None,
    ) -> Message:
        """Send a photo (a tiny PNG unless ``content`` is given)."""
        return await self._send_file(chat, "photo", content, "image/png", caption, thread)

    async def send_album(
        self, chat: Chat, count: int, *, caption: str | None = None, thread: Thread = None
    ) -> list[Message]:
        """Send several photos as one album (one message each, the caption on the first)."""
        album = f"album-{self.id}-{chat.last_message_id + 1}"
        sent = []
        for index in range(count):
            stored = self.emu.store_file(TINY_PNG, kind="photo", mime_type="image/png")
            message = self._message(chat, thread)
            message.media = {"photo": media_object("photo", stored)}
            message.caption = caption if index == 0 else None
            message.media_group_id = album
            sent.append(await self._send(message))
        return sent

    async def send_document(
        self,
        chat: Chat,
        content: bytes = b"%PDF-1.4\n",
        *,
        caption: str | None = None,
        thread: Thread = None,
    ) -> Message:
        """Send a file."""
        return await self._send_file(chat, "document", content, "application/pdf", caption, thread)

    async def send_sticker(
        self, chat: Chat, emoji: str = "👍", *, thread: Thread = None
    ) -> Message:
        """Send a sticker."""
        message = await self._send_file(chat, "sticker", b"RIFF-webp", "image/webp", None, thread)
        message.media["sticker"]["emoji"] = emoji
        return message

    async def send_voice(self, chat: Chat, *, thread: Thread = None) -> Message:
        """Send a voice note."""
        return await self._send_file(chat, "voice", b"OggS", "audio/ogg", None, thread)

    async def send_video(self, chat: Chat, *, thread: Thread = None) -> Message:
        """Send a video."""
        return await self._send_file(chat, "video", b"\x00\x00\x00 ftyp", "video/mp4", None, thread)

    async def send_contact(
        self, chat: Chat, phone_number: str, *, thread: Thread = None
    ) -> Message:
        """Share one's own phone number as a contact."""
        message = self._message(chat, thread)
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": self.user.first_name,
            "user_id": self.user.id,
        }
        message.media = {"contact": contact}
        return await self._send(message)

    async def press_button(
        self, message: Message, text_or_data: str, *, forge: bool = False
    ) -> CallbackQuery:
        """Press an inline button by its text or callback data; ``forge`` sends any data."""
        data, label = None, None
        for button in message.buttons:
            if text_or_data in (button.get("text"), button.get("callback_data")):
                data, label = button.get("callback_data"), button.get("text")
                break
        if data is None:
            if not forge:
                shown = [b.get("text") for b in message.buttons]
                raise LookupError(f"no button {text_or_data!r} on the message; buttons: {shown}")
            data = text_or_data
        query = CallbackQuery(
            id=f"{self.user.id}{next(_query_ids):08d}",
            user=self.user,
            message=message,
            data=data,
            button_text=label,
        )
        self.emu.api.callback_queries[query.id] = query
        self.emu.updates.push("callback_query", query.to_api())
        await asyncio.sleep(0)
        return query

    async def wait_for_answer(
        self,
        query: CallbackQuery,
        *,
        timeout: float = 15.0,  # noqa: ASYNC109 - mirrors wait_for_message
    ) -> str | None:
        """Wait until the bot answered a button press; return the answer's text."""

        async def answered() -> str | None:
            while not query.answered:
                await self.emu.changed()
            return query.answer_text

        return await asyncio.wait_for(answered(), timeout)

    async def edit_message(self, message: Message, text: str) -> Message:
        """Edit one's own text message (the bot gets an ``edited_message`` update)."""
        if message.sender.id != self.user.id:
            raise ValueError("a person can only edit their own messages")
        message.text = text
        message.entities = command_entities(text)
        message.edit_date = self.emu.now()
        if self.emu.bot_sees(message):
            self.emu.updates.push("edited_message", message.to_api())
        self.emu.notify(message.chat)
        await asyncio.sleep(0)
        return message

    def block_bot(self) -> None:
        """Block the bot (sending to this person answers 403 from now on)."""
        self.emu.block_bot(self)

    def unblock_bot(self) -> None:
        """Unblock the bot."""
        self.emu.unblock_bot(self)

    def _message(self, chat: Chat, thread: Thread, reply_to: Message | None = None) -> Message:
        thread_id = thread.message_thread_id if isinstance(thread, Topic) else thread
        if thread_id is not None and thread_id not in chat.topics:
            raise LookupError(f"no topic {thread_id} in {chat.name!r}")
        if reply_to is None and thread_id is not None:
            reply_to = chat.find(thread_id)  # Telegram's quirk: topic messages reply to its root
        return Message(
            message_id=0,
            chat=chat,
            sender=self.user,
            date=self.emu.now(),
            reply_to=reply_to,
            message_thread_id=thread_id,
            is_topic_message=thread_id is not None,
        )

    async def _send_file(
        self,
        chat: Chat,
        kind: str,
        content: bytes,
        mime_type: str,
        caption: str | None,
        thread: Thread,
    ) -> Message:
        stored = self.emu.store_file(content, kind=kind, mime_type=mime_type)
        message = self._message(chat, thread)
        media: Any = media_object(kind, stored)
        message.media = {kind: media}
        message.caption = caption
        return await self._send(message)

    async def _send(self, message: Message) -> Message:
        self.emu.record(message)
        await asyncio.sleep(0)
        return message
