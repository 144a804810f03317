"""The Bot API methods the emulator serves, with Telegram's checks and error texts."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.emulator.errors import ApiError, bad_request, conflict, forbidden
from bot.emulator.markup import plain_text
from bot.emulator.parameters import Parameters
from bot.emulator.state import JSON, CallbackQuery, Chat, Message, StoredFile, Topic, User

if TYPE_CHECKING:
    from bot.emulator.core import Emulator

Handler = Callable[[Parameters], Awaitable[Any]]

_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_METHODS = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendVideo",
    "sendAudio",
    "sendVoice",
    "sendSticker",
    "sendAnimation",
    "sendMediaGroup",
    "sendLocation",
    "copyMessage",
    "forwardMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "createForumTopic",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "getChat",
    "getChatMember",
    "getChatAdministrators",
    "getChatMemberCount",
    "sendChatAction",
    "getFile",
    "close",
    "logOut",
)


class BotApi:
    """Bot API methods bound to one emulator; method names are matched case-insensitively."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self._group_ids = itertools.count(1)
        self.callback_queries: dict[str, CallbackQuery] = {}
        self._handlers: dict[str, Handler] = {
            name.lower(): getattr(self, _snake(name)) for name in _METHODS
        }

    def handler(self, method: str) -> Handler | None:
        """The handler of a method, ``None`` for methods the emulator does not know."""
        return self._handlers.get(method.lower())

    # --- bot and updates --------------------------------------------------------------------

    async def get_me(self, p: Parameters) -> JSON:
        data = self.emu.bot.to_api()
        data.update(can_join_groups=True, can_read_all_group_messages=not self.emu.privacy_mode)
        data.update(supports_inline_queries=False, can_connect_to_business=False)
        data.update(has_main_web_app=False)
        return data

    async def get_updates(self, p: Parameters) -> list[JSON]:
        if self.emu.webhook is not None:
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        self.emu.updates.set_allowed(p.structure("allowed_updates"))
        return await self.emu.updates.poll(
            offset=p.integer("offset"),
            limit=p.integer("limit", 100) or 100,
            wait=float(p.integer("timeout", 0) or 0),
        )

    async def set_webhook(self, p: Parameters) -> bool:
        url = p.required_text("url")
        if not url.startswith("https://") and not url.startswith("http://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.emu.updates.set_allowed(p.structure("allowed_updates"))
        if p.flag("drop_pending_updates"):
            self.emu.updates.drop_all()
        await self.emu.set_webhook(url, secret_token=p.text("secret_token"))
        return True

    async def delete_webhook(self, p: Parameters) -> bool:
        await self.emu.set_webhook(None)
        if p.flag("drop_pending_updates"):
            self.emu.updates.drop_all()
        return True

    async def get_webhook_info(self, p: Parameters) -> JSON:
        webhook = self.emu.webhook
        info: JSON = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.emu.updates.pending),
        }
        if webhook is not None and webhook.last_error:
            info.update(last_error_date=self.emu.now(), last_error_message=webhook.last_error)
        return info

    async def set_my_commands(self, p: Parameters) -> bool:
        commands = p.structure("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands are invalid")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _COMMAND_NAME.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.emu.commands[_command_key(p)] = commands
        return True

    async def get_my_commands(self, p: Parameters) -> list[JSON]:
        return self.emu.commands.get(_command_key(p), [])

    async def delete_my_commands(self, p: Parameters) -> bool:
        self.emu.commands.pop(_command_key(p), None)
        return True

    async def close(self, p: Parameters) -> bool:
        return True

    async def log_out(self, p: Parameters) -> bool:
        return True

    # --- sending ----------------------------------------------------------------------------

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

    # --- forum topics -----------------------------------------------------------------------

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

    # --- chats and files --------------------------------------------------------------------

    async def get_chat(self, p: Parameters) -> JSON:
        return self._chat(p).to_full_api()

    async def get_chat_member(self, p: Parameters) -> JSON:
        chat = self._chat(p)
        user_id = p.required_integer("user_id")
        user = self.emu.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if not chat.is_group:
            return {"status": "member", "user": user.to_api()}
        member = chat.members.get(user_id)
        return member.to_api() if member else {"status": "left", "user": user.to_api()}

    async def get_chat_administrators(self, p: Parameters) -> list[JSON]:
        chat = self._chat(p)
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        admins = ("creator", "administrator")
        return [m.to_api() for m in chat.members.values() if m.status in admins]

    async def get_chat_member_count(self, p: Parameters) -> int:
        chat = self._chat(p)
        if not chat.is_group:
            return 2
        return sum(m.status not in {"left", "kicked"} for m in chat.members.values())

    async def get_file(self, p: Parameters) -> JSON:
        stored = self.emu.files.get(p.required_text("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api()

    # --- helpers ----------------------------------------------------------------------------

    def _chat(self, p: Parameters, name: str = "chat_id") -> Chat:
        ref = p.chat_ref(name)
        if isinstance(ref, int):
            chat = self.emu.chats.get(ref)
        else:
            chat = next(
                (c for c in self.emu.chats.values() if c.username and f"@{c.username}" == ref),
                None,
            )
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _target(self, p: Parameters) -> tuple[Chat, int | None]:
        """The chat (and forum topic) the bot writes to, after Telegram's access checks."""
        chat = self._chat(p)
        if not chat.is_group:
            if chat.user is not None and chat.user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            return chat, None
        member = chat.members.get(self.emu.bot.id)
        if member is None or member.status in {"left", "kicked"}:
            raise forbidden("bot is not a member of the supergroup chat")
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


def _command_key(p: Parameters) -> str:
    scope = p.structure("scope") or {"type": "default"}
    return json.dumps([scope, p.text("language_code") or ""], sort_keys=True)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
