"""The Bot API the emulator serves: the method table, plus bot, update, chat and file methods."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from emulator.errors import bad_request, conflict
from emulator.messaging import MessagingMethods
from emulator.parameters import Parameters
from emulator.state import JSON
from emulator.topics import TopicMethods

if TYPE_CHECKING:
    from emulator.core import Emulator

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


class BotApi(MessagingMethods, TopicMethods):
    """Bot API methods bound to one emulator; method names are matched case-insensitively."""

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(emulator)
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
        await self.emu.set_webhook(
            url, secret_token=p.text("secret_token"), resend_every=self.emu.webhook_resend_every
        )
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

    # --- chats and files --------------------------------------------------------------------

    async def get_chat(self, p: Parameters) -> JSON:
        return self._readable(p).to_full_api()

    async def get_chat_member(self, p: Parameters) -> JSON:
        chat = self._readable(p)
        user_id = p.required_integer("user_id")
        user = self.emu.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if not chat.is_group:
            return {"status": "member", "user": user.to_api()}
        member = chat.members.get(user_id)
        return member.to_api() if member else {"status": "left", "user": user.to_api()}

    async def get_chat_administrators(self, p: Parameters) -> list[JSON]:
        chat = self._readable(p)
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        admins = ("creator", "administrator")
        return [m.to_api() for m in chat.members.values() if m.status in admins]

    async def get_chat_member_count(self, p: Parameters) -> int:
        chat = self._readable(p)
        if not chat.is_group:
            return 2
        return sum(m.status not in {"left", "kicked"} for m in chat.members.values())

    async def get_file(self, p: Parameters) -> JSON:
        stored = self.emu.files.get(p.required_text("file_id"))
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api()


def _command_key(p: Parameters) -> str:
    scope = p.structure("scope") or {"type": "default"}
    return json.dumps([scope, p.text("language_code") or ""], sort_keys=True)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
