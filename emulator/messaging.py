"""Bot API methods that send, copy, forward, edit and delete messages, and answer button presses."""

from __future__ import annotations

from typing import Any

from emulator.access import ChatAccess
from emulator.errors import ApiError, bad_request
from emulator.markup import plain_text
from emulator.parameters import Parameters
from emulator.state import JSON, Chat, Message, StoredFile


class MessagingMethods(ChatAccess):
    """Sending and editing messages, with Telegram's size, rate and access rules."""

    async def send_message(self, p: Parameters) -> JSON:
        chat, thread_id = self._target(p)
        text = plain_text(p.required_text("text"), p.text("parse_mode"))
        self.emu.limits.check_text(text)
        message = self._new_message(chat, thread_id, p, text=text)
        return self._accept(message).to_api()

    async def send_photo(self, p: Parameters) -> JSON:
        return await self._send_media(p, "photo")

    async def send_document(self, p: Parameters) -> JSON:
        return await self._send_media(p, "document")

    async def send_video(self, p: Parameters) -> JSON:
        return await self._send_media(p, "video")

    async def send_audio(self, p: Parameters) -> JSON:
        return await self._send_media(p, "audio")

    async def send_voice(self, p: Parameters) -> JSON:
        return await self._send_media(p, "voice")

    async def send_sticker(self, p: Parameters) -> JSON:
        return await self._send_media(p, "sticker")

    async def send_animation(self, p: Parameters) -> JSON:
        return await self._send_media(p, "animation")

    async def send_location(self, p: Parameters) -> JSON:
        chat, thread_id = self._target(p)
        latitude, longitude = p.number("latitude"), p.number("longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong latitude or longitude specified")
        message = self._new_message(chat, thread_id, p)
        message.media = {"location": {"latitude": latitude, "longitude": longitude}}
        return self._accept(message).to_api()

    async def send_media_group(self, p: Parameters) -> list[JSON]:
        chat, thread_id = self._target(p)
        items = p.structure("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise bad_request("media group must include 2-10 items")
        prepared: list[tuple[str, StoredFile, str | None]] = []
        for item in items:
            kind = str(item.get("type", ""))
            if kind not in {"photo", "video", "document", "audio"}:
                raise bad_request(f"unsupported media type {kind!r} in the media group")
            stored = self._resolve_file(p, str(item.get("media", "")), kind)
            caption = item.get("caption")
            caption = plain_text(caption, item.get("parse_mode")) if caption else None
            self.emu.limits.check_caption(caption)
            prepared.append((kind, stored, caption))
        self.emu.limits.admit(chat.id, group=chat.is_group, count=len(prepared))
        group_id = f"{next(self._group_ids):018d}"
        sent = []
        for kind, stored, caption in prepared:
            message = self._new_message(chat, thread_id, p, caption=caption)
            message.media = {kind: media_object(kind, stored)}
            message.media_group_id = group_id
            message.reply_markup = None
            sent.append(self.emu.record(message).to_api())
        return sent

    async def copy_message(self, p: Parameters) -> JSON:
        source = self._source(p, "copy")
        chat, thread_id = self._target(p)
        caption = p.text("caption")
        text = source.text
        if caption is not None:
            caption = plain_text(caption, p.text("parse_mode"))
        elif source.caption is not None:
            caption = source.caption
        if text is not None:
            self.emu.limits.check_text(text)
        self.emu.limits.check_caption(caption)
        message = self._new_message(chat, thread_id, p, text=text, caption=caption)
        message.media = dict(source.media)
        if not p.has("reply_markup"):
            message.reply_markup = source.reply_markup
        self._accept(message)
        return {"message_id": message.message_id}

    async def forward_message(self, p: Parameters) -> JSON:
        source = self._source(p, "forward")
        chat, thread_id = self._target(p)
        message = self._new_message(chat, thread_id, p, text=source.text, caption=source.caption)
        message.media = dict(source.media)
        message.reply_to = None
        message.forward_origin = {
            "type": "user",
            "date": source.date,
            "sender_user": source.sender.to_api(),
        }
        return self._accept(message).to_api()

    async def send_chat_action(self, p: Parameters) -> bool:
        self._target(p)
        return True

    # --- editing ----------------------------------------------------------------------------

    async def edit_message_text(self, p: Parameters) -> JSON:
        message = self._editable(p)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text = plain_text(p.required_text("text"), p.text("parse_mode"))
        self.emu.limits.check_text(text)
        markup = self._inline_markup(p)
        if text == message.text and markup == message.reply_markup:
            raise _not_modified()
        message.text, message.reply_markup = text, markup
        return self._edited(message)

    async def edit_message_caption(self, p: Parameters) -> JSON:
        message = self._editable(p)
        if not message.media:
            raise bad_request("there is no caption in the message to edit")
        caption = plain_text(p.text("caption") or "", p.text("parse_mode")) or None
        self.emu.limits.check_caption(caption)
        markup = self._inline_markup(p)
        if caption == message.caption and markup == message.reply_markup:
            raise _not_modified()
        message.caption, message.reply_markup = caption, markup
        return self._edited(message)

    async def edit_message_reply_markup(self, p: Parameters) -> JSON:
        message = self._editable(p)
        markup = self._inline_markup(p)
        if markup == message.reply_markup:
            raise _not_modified()
        message.reply_markup = markup
        return self._edited(message)

    async def delete_message(self, p: Parameters) -> bool:
        chat = self._chat(p)
        message = chat.find(p.required_integer("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        if chat.is_group and not message.from_bot and not self._bot_is_admin(chat):
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.emu.notify(chat)
        return True

    async def answer_callback_query(self, p: Parameters) -> bool:
        query = self.callback_queries.get(p.required_text("callback_query_id"))
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.text("text")
        if text and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered, query.answer_text = True, text
        query.show_alert = p.flag("show_alert")
        self.emu.notify()
        return True

    def _new_message(
        self,
        chat: Chat,
        thread_id: int | None,
        p: Parameters,
        *,
        text: str | None = None,
        caption: str | None = None,
    ) -> Message:
        reply_to = self._reply_to(chat, thread_id, p)
        message = Message(
            message_id=0,
            chat=chat,
            sender=self.emu.bot,
            date=self.emu.now(),
            text=text,
            caption=caption,
            reply_markup=self._inline_markup(p),
            reply_keyboard=self._reply_keyboard(p),
            reply_to=reply_to,
            message_thread_id=thread_id,
            is_topic_message=thread_id is not None,
        )
        if reply_to is None and thread_id is not None:
            message.reply_to = chat.find(thread_id)  # Telegram's quirk inside topics
        return message

    def _accept(self, message: Message) -> Message:
        """Spend the rate budget, then give the message its id and store it."""
        self.emu.limits.admit(message.chat.id, group=message.chat.is_group)
        return self.emu.record(message)

    def _reply_to(self, chat: Chat, thread_id: int | None, p: Parameters) -> Message | None:
        reply = p.structure("reply_parameters")
        message_id = p.integer("reply_to_message_id")
        allow_missing = p.flag("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = int(reply["message_id"])
            allow_missing = bool(reply.get("allow_sending_without_reply", False))
        if message_id is None:
            return None
        replied = chat.find(message_id)
        if replied is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return replied

    def _inline_markup(self, p: Parameters) -> JSON | None:
        markup = p.structure("reply_markup")
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not button.get("text"):
                    raise bad_request("BUTTON_TEXT_INVALID")
                if "callback_data" in button:
                    self.emu.limits.check_callback_data(str(button["callback_data"]))
        return {"inline_keyboard": markup["inline_keyboard"]}

    def _reply_keyboard(self, p: Parameters) -> JSON | None:
        markup = p.structure("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" not in markup:
            return markup
        return None

    def _source(self, p: Parameters, verb: str) -> Message:
        source_chat = self._chat(p, "from_chat_id")
        source = source_chat.find(p.required_integer("message_id"))
        if source is None:
            raise bad_request(f"message to {verb} not found")
        return source

    def _editable(self, p: Parameters) -> Message:
        if p.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        message = chat.find(p.required_integer("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _edited(self, message: Message) -> JSON:
        message.edit_date = self.emu.now()
        self.emu.notify(message.chat)
        return message.to_api()

    async def _send_media(self, p: Parameters, kind: str) -> JSON:
        chat, thread_id = self._target(p)
        stored = self._resolve_file(p, p.text(kind) or "", kind)
        caption = p.text("caption")
        if caption is not None:
            caption = plain_text(caption, p.text("parse_mode"))
            self.emu.limits.check_caption(caption)
        message = self._new_message(chat, thread_id, p, caption=caption)
        message.media = {kind: media_object(kind, stored)}
        return self._accept(message).to_api()

    def _resolve_file(self, p: Parameters, reference: str, kind: str) -> StoredFile:
        """An uploaded part, an ``attach://`` part, a known file_id, or a URL."""
        upload = p.files.get(kind) if not reference else None
        if reference.startswith("attach://"):
            upload = p.files.get(reference.removeprefix("attach://"))
        if upload is not None:
            return self.emu.store_file(upload.content, kind=kind, mime_type=upload.mime_type)
        if reference in self.emu.files:
            return self.emu.files[reference]
        if reference.startswith(("http://", "https://")):
            return self.emu.store_file(b"", kind=kind)
        raise bad_request("wrong file identifier/HTTP URL specified")


def media_object(kind: str, stored: StoredFile) -> Any:
    """The Bot API object of a media kind (a photo is a list of sizes) for a stored file."""
    base: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if kind == "photo":
        small = dict(base, width=90, height=68)
        return [small, dict(base, width=1280, height=960)]
    if kind == "sticker":
        return dict(base, type="regular", width=512, height=512, is_animated=False, is_video=False)
    if kind in {"video", "animation"}:
        return dict(base, width=1280, height=720, duration=5)
    if kind in {"voice", "audio"}:
        return dict(base, duration=3)
    name = stored.file_path.rsplit("/", 1)[-1]
    return dict(base, file_name=name, mime_type=stored.mime_type or "application/octet-stream")


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
