"""The emulator core: world state, the update queue, and serving one Bot API call."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

from emulator.driver import Person
from emulator.errors import ApiError, ConnectionDropped, not_found, unauthorized
from emulator.faults import Counters, FaultKind, Faults, Tripwire
from emulator.limits import Limits
from emulator.methods import BotApi
from emulator.parameters import Parameters
from emulator.state import JSON, Chat, Member, Message, StoredFile, Topic, User
from emulator.transcript import render
from emulator.updates import UpdateQueue
from emulator.webhook import WebhookPusher

DEFAULT_TOKEN = "5000000001:EMULATOR-token-for-tests"
FIRST_USER_ID = 6_000_000_001  # beyond int32, as real Telegram ids are
FIRST_GROUP_ID = -1_002_000_000_001

MessagePredicate = Callable[[Message], bool]


class Emulator:
    """A Telegram Bot API stand-in for one bot: state, rules, faults, and a driver for tests."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limits: Limits | None = None,
        bot_name: str = "民意直通车",
        bot_username: str = "minyi_bot",
        privacy_mode: bool = True,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot = User(
            id=int(token.split(":", 1)[0]), first_name=bot_name, username=bot_username, is_bot=True
        )
        self.limits = limits if limits is not None else Limits()
        self.faults = Faults()
        self.tripwires: list[Tripwire] = []
        self.counters = Counters()
        self.updates = UpdateQueue(on_poll=self.notify)
        self.privacy_mode = privacy_mode
        self.wall_clock = wall_clock
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[JSON]] = {}
        self.webhook: WebhookPusher | None = None
        self.webhook_resend_every = 0  # every n-th update POSTed twice (Telegram re-sending)
        self._user_ids = itertools.count(FIRST_USER_ID)
        self._group_ids = itertools.count(FIRST_GROUP_ID, -1)
        self._file_numbers = itertools.count(1)
        self._changed = asyncio.Event()
        self._chat_changed: dict[int, asyncio.Event] = {}
        self._closing = asyncio.Event()
        self._cursors: dict[tuple[int, int | None, bool], int] = {}
        self.api = BotApi(self)

    # --- driver: building the world -------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> Person:
        """Create a person; they can write to the bot once they have a chat with it."""
        user = User(
            id=next(self._user_ids),
            first_name=first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
        )
        self.users[user.id] = user
        return Person(self, user)

    def add_private_chat(self, person: Person | User) -> Chat:
        """Open (or return) the private chat between a person and the bot."""
        user = _user_of(person)
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            self.chats[chat.id] = chat
        return chat

    def add_supergroup(
        self,
        title: str,
        *,
        forum: bool = False,
        members: Iterable[Person | User] = (),
        admins: Iterable[Person | User] = (),
        bot_admin: bool = True,
        username: str | None = None,
    ) -> Chat:
        """Create a supergroup (a forum when ``forum``) with the bot in it."""
        chat = Chat(id=next(self._group_ids), type="supergroup", title=title, username=username)
        chat.is_forum = forum
        for index, person in enumerate(admins):
            user = _user_of(person)
            chat.members[user.id] = Member(user, "creator" if index == 0 else "administrator")
        for person in members:
            user = _user_of(person)
            chat.members.setdefault(user.id, Member(user))
        chat.members[self.bot.id] = Member(self.bot, "administrator" if bot_admin else "member")
        self.chats[chat.id] = chat
        return chat

    def add_topic(self, chat: Chat, name: str, *, creator: Person | User | None = None) -> Topic:
        """Create a forum topic as a person (or as the bot when no creator is given)."""
        return self.api.open_topic(chat, name, _user_of(creator) if creator else self.bot)

    def upgrade_group(self, chat: Chat, *, forum: bool = False) -> Chat:
        """The group becomes a new supergroup (new id, same people); the old id answers 400
        "group chat was upgraded" with the new id, as Telegram does."""
        people = [m.user for m in chat.members.values() if m.user.id != self.bot.id]
        upgraded = self.add_supergroup(chat.title or "", forum=forum, members=people)
        chat.migrated_to = upgraded.id
        return upgraded

    def delete_topic(self, chat: Chat, thread_id: int) -> None:
        """An administrator deletes a forum topic with its messages."""
        chat.topics.pop(thread_id, None)
        chat.messages[:] = [m for m in chat.messages if m.message_thread_id != thread_id]

    def block_bot(self, person: Person | User) -> None:
        """The person blocks the bot: sending to them answers 403 from now on."""
        user = _user_of(person)
        if user.blocked_bot:
            return
        user.blocked_bot = True
        self._member_update(self.add_private_chat(user), user, "member", "kicked")

    def kick_bot(self, chat: Chat) -> None:
        """Remove the bot from a group: sending there answers 403 from now on."""
        old = chat.members[self.bot.id].status if self.bot.id in chat.members else "left"
        chat.members[self.bot.id] = Member(self.bot, "kicked")
        self._member_update(chat, next(iter(chat.members.values())).user, old, "kicked")

    def unblock_bot(self, person: Person | User) -> None:
        """The person unblocks the bot."""
        user = _user_of(person)
        if not user.blocked_bot:
            return
        user.blocked_bot = False
        self._member_update(self.add_private_chat(user), user, "kicked", "member")

    # --- driver: reading ------------------------------------------------------------------

    def messages(
        self, chat: Chat, thread_id: int | None = None, *, from_bot: bool | None = True
    ) -> list[Message]:
        """Content messages in a chat (a topic when ``thread_id``), from the bot by default."""
        return [m for m in chat.messages if _selected(m, thread_id, from_bot)]

    async def wait_for_message(
        self,
        chat: Chat,
        predicate: MessagePredicate | None = None,
        *,
        thread_id: int | None = None,
        from_bot: bool | None = True,
        timeout: float = 15.0,  # noqa: ASYNC109 - the driver's documented API
    ) -> Message:
        """The next unread message in a chat (or topic) matching ``predicate``; waits for it.

        Each chat/topic has a read cursor: a returned message and everything before it count as
        read, so successive calls return successive messages.
        """
        key = (chat.id, thread_id, bool(from_bot))

        def find() -> Message | None:
            for index in range(self._cursors.get(key, 0), len(chat.messages)):
                message = chat.messages[index]
                if not _selected(message, thread_id, from_bot):
                    continue
                if predicate is None or predicate(message):
                    self._cursors[key] = index + 1
                    return message
            return None

        async def wait() -> Message:
            while (found := find()) is None:
                await self.changed(chat)
            return found

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            seen = "\n".join(f"  {m.sender.first_name}: {m.body}" for m in chat.messages[-10:])
            raise TimeoutError(
                f"no matching message in {chat.name!r} within {timeout}s; last messages:\n{seen}"
            ) from None

    async def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        timeout: float = 15.0,  # noqa: ASYNC109 - the driver's documented API
    ) -> None:
        """Wait until ``condition()`` holds, re-checking on every change (edit, answer, message)."""

        async def wait() -> None:
            while not condition():
                await self.changed()

        await asyncio.wait_for(wait(), timeout)

    def transcript(self, *chats: Chat) -> str:
        """A readable conversation of the given chats (all chats when none given)."""
        return render(chats or tuple(self.chats.values()), self.api.callback_queries.values())

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a stored file."""
        return self.files[file_id].content

    # --- serving --------------------------------------------------------------------------

    async def call(self, token: str, method: str, params: Parameters) -> tuple[int, JSON]:
        """Serve one Bot API call: the HTTP status and JSON body to answer with.

        Raises :class:`ConnectionDropped` when a fault says to close the line without answering.
        """
        self.counters.calls[method] += 1
        try:
            if token != self.token:
                raise unauthorized()
            handler = self.api.handler(method)
            if handler is None:
                raise not_found()
            result = await self._serve(method, params, handler)
            for wire in self.tripwires:
                wire.check(method, dict(params.values))
        except ApiError as error:
            self.counters.errors[error.code] += 1
            if error.retry_after is not None:
                self.counters.retry_after_issued += 1
            return error.code, error.to_api()
        return 200, {"ok": True, "result": result}

    async def _serve(
        self, method: str, params: Parameters, handler: Callable[[Parameters], Any]
    ) -> Any:
        chat_ref = params.values.get("chat_id")
        fault = self.faults.take(method, _maybe_int(chat_ref))
        if fault is None:
            return await handler(params)
        self.counters.faults_served[fault.kind.value] += 1
        if fault.kind is FaultKind.RETRY_AFTER:
            chat_id = _maybe_int(chat_ref)
            if isinstance(chat_id, int):  # Telegram expects the chat left alone that long
                self.limits.pause(chat_id, fault.retry_after)
            if fault.hold:
                await self._hold(fault.hold)
            raise ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                retry_after=fault.retry_after,
            )
        if fault.kind is FaultKind.SERVER_ERROR:
            raise ApiError(
                fault.status, "Internal Server Error" if fault.status == 500 else "Bad Gateway"
            )
        if fault.processed:
            await handler(params)
        if fault.kind is FaultKind.TIMEOUT:
            await self._hold(fault.hold)
            raise ApiError(504, "Gateway Timeout")
        raise ConnectionDropped

    async def _hold(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def download(self, token: str, file_path: str) -> bytes | None:
        """The content behind a ``getFile`` path, or ``None`` when unknown."""
        if token != self.token:
            return None
        for stored in self.files.values():
            if stored.file_path == file_path:
                return stored.content
        return None

    async def set_webhook(
        self, url: str | None, *, secret_token: str | None = None, resend_every: int = 0
    ) -> None:
        """Deliver updates by POSTing them to ``url`` from now on (``None``: back to polling);
        ``resend_every=n`` POSTs every n-th update a second time, as Telegram does when it
        thinks the answer came too late."""
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if url is not None:
            self.webhook = WebhookPusher(
                self.updates, url, secret_token=secret_token, resend_every=resend_every
            )
            self.webhook.start()

    async def close(self) -> None:
        """Stop webhook delivery; release every waiting long poll and held request."""
        await self.set_webhook(None)
        self._closing.set()
        self.updates.close()

    # --- shared by the Bot API methods and the driver ---------------------------------------

    def now(self) -> int:
        """The current Unix time for message dates."""
        return int(self.wall_clock())

    def store_file(self, content: bytes, *, kind: str, mime_type: str | None = None) -> StoredFile:
        """Keep a file and give it an id and a download path."""
        number = next(self._file_numbers)
        digest = hashlib.sha1(content + str(number).encode()).hexdigest()
        stored = StoredFile(
            file_id=f"{kind[:3].upper()}{number:06d}{digest[:20]}",
            file_unique_id=f"U{digest[:14]}",
            file_path=f"{kind}s/file_{number}",
            content=content,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    def record(self, message: Message) -> Message:
        """Append a message to its chat and let waiters look; user messages become updates."""
        if message.message_id == 0:
            message.message_id = message.chat.next_message_id()
        message.chat.messages.append(message)
        if message.from_bot:
            self.counters.messages_accepted += 1
        elif self.bot_sees(message):
            self.updates.push("message", message.to_api())
        self.notify(message.chat)
        return message

    async def changed(self, chat: Chat | None = None) -> None:
        """Wait for the next change of a chat, or of anything (a message, an edit, an answer)."""
        if chat is None:
            await self._changed.wait()
        else:
            await self._chat_changed.setdefault(chat.id, asyncio.Event()).wait()

    def notify(self, chat: Chat | None = None) -> None:
        """Wake everything waiting for a change (of this chat)."""
        self._changed.set()
        self._changed = asyncio.Event()
        if chat is not None and (event := self._chat_changed.pop(chat.id, None)) is not None:
            event.set()

    def bot_sees(self, message: Message) -> bool:
        """Whether the bot gets an update for a person's message (privacy mode in groups)."""
        chat = message.chat
        if not chat.is_group:
            return not message.sender.blocked_bot
        member = chat.members.get(self.bot.id)
        if member is None or member.status in {"left", "kicked"}:
            return False
        if not self.privacy_mode or member.status == "administrator":
            return True
        replied = message.reply_to
        is_command = any(e["type"] == "bot_command" for e in message.entities)
        return is_command or (replied is not None and replied.from_bot)

    def _member_update(self, chat: Chat, actor: User, old: str, new: str) -> None:
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": self.now(),
                "old_chat_member": Member(self.bot, old).to_api(),
                "new_chat_member": Member(self.bot, new).to_api(),
            },
        )


def _user_of(person: Person | User) -> User:
    return person if isinstance(person, User) else person.user


def _selected(message: Message, thread_id: int | None, from_bot: bool | None) -> bool:
    if message.deleted or message.is_service:
        return False
    if thread_id is not None and message.message_thread_id != thread_id:
        return False
    return from_bot is None or message.from_bot == from_bot


def _maybe_int(value: object) -> int | str | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return None
