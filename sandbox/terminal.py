"""`minyi sandbox`: try the bot in a terminal, before there is a token.

The world of `minyi demo` — a fresh SQLite database, the Bot API emulator over HTTP, the real
bot with the shipped model, the default district with a forum group and a clerk for every
department, the dispatch group with its dispatcher, and a supervisor — but the story is typed
by the user, one line at a time from stdin (a terminal, a pipe or a file). A plain line is what
the current person writes; a line starting with ``:`` is a sandbox command (``:help``).

After each line the sandbox waits until the bot is done with it (its handlers have finished and
the outbox has nothing due: events, not a guess of time), prints
the bot's new messages in the current person's chat with their buttons numbered, and notes
which other chats have news.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram.ext import Application

from admin.arguments import department_code
from admin.context import SERVICES_KEY
from admin.settings import Settings, load_settings
from bot.app import build_application, running
from bot.updates import PerChatUpdateProcessor
from delivery.sender import OutboxSender
from emulator import CallbackQuery, Chat, Emulator, EmulatorServer, Message, Person, Topic
from sandbox.demo import staff_district
from storage import database
from storage.columns import utcnow
from storage.district import District, read_district
from storage.members import add_member
from storage.models import Role
from storage.outbox import due_count
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# --- texts: everything the sandbox itself says ------------------------------------------------

PREPARING = (
    "正在准备沙盒：全新 SQLite 数据库、本地 Bot API 模拟器（HTTP）、真实机器人和内置分派模型……"
)
READY = (
    "沙盒已就绪（{district}）。您现在是群众「{resident}」：直接输入文字，就是在私聊里发给机器人。\n"
    "输入 :help 查看沙盒命令，:quit 退出。"
)
DEPARTMENTS = "部门代码（用于 :as staff 代码）：{codes}"
HELP = """沙盒命令（以英文冒号开头；其他输入都作为当前身份的消息发出）：
  :as resident            切换为群众（默认身份）
  :as staff 部门代码       切换为该部门工作人员，如 :as staff urban（也可写部门名称）
  :as dispatcher          切换为区民意调度中心调度员
  :as supervisor          切换为督查室主任（可发 /digest、/stats、/theme 本月主题）
  :as collector           切换为民情书记（/record 代录、/register 台账、/visit 登记走访）
  :topic [编号]            工作人员选择诉求话题（编号或末尾序号，如 :topic 1）；不带编号：列出话题
  :press N                按下最近一条带按钮消息的第 N 个按钮（也可写按钮文字，如 :press 满意）
  :location 纬度 经度      发送位置，如 :location 35.4012 116.5871
  :photo [说明]            发送一张照片
  :contact 电话            分享手机号，如 :contact 13800001111
  :sticker                发送一个贴纸
  :transcript             显示到目前为止的全部会话记录
  :help                   显示本帮助
  :quit                   退出（Ctrl-D 也可以）
直接回车：再等一会儿，看看机器人有没有新消息。
工作人员在诉求话题里直接输入文字就是答复群众；也可以发 /claim、/reply、/ask、/note、/reassign、
/resolve 已解决 答复内容、/list、/ticket、/overdue（命令作用于当前话题的诉求）。"""
UNKNOWN_COMMAND = "没有这个沙盒命令：{command}。输入 :help 查看可用命令。"
FAILED = "这一步没有成功：{error}。可以换个写法再试，或输入 :help 查看用法。"
NOTHING_NEW = "（机器人没有新消息。）"
STILL_BUSY = "（{seconds:g} 秒内机器人还没处理完；直接回车可以再等一会儿。）"
NOW_YOU_ARE = "现在您是「{who}」，消息发在「{where}」。"
CURRENT_TOPIC = "当前话题：「{topic}」（:topic 可切换）"
NO_TOPIC = "本群暂时没有诉求话题；新诉求到达时会自动建立话题。"
SENT_OUTSIDE_TOPIC = (
    "（当前没有选中诉求话题，消息发在群聊主区，机器人不会转给群众。用 :topic 编号 选择话题。）"
)
TOPIC_CHOSEN = "已切换到话题「{topic}」。"
TOPIC_GENERAL = "已切换到群聊主区（不在任何话题里）。"
TOPIC_FOLLOWS = "（当前话题切换为「{topic}」）"
TOPIC_LIST = "本群的诉求话题："
TOPIC_ITEM = "  {mark} {name}{closed}"
TOPIC_CLOSED = "（已关闭）"
TOPIC_NOT_FOUND = "本群没有编号为 {word} 的诉求话题。输入 :topic 查看本群话题。"
TOPICS_ONLY_STAFF = "只有部门工作人员的群里有诉求话题；请先 :as staff 部门代码。"
AS_USAGE = (
    "用法：:as resident | :as staff 部门代码 | :as dispatcher | :as supervisor | :as collector"
)
AS_UNKNOWN_DEPARTMENT = "没有这个部门：{word}。"
AS_CURRENT = "当前身份：「{who}」（{where}）。"
PRESS_USAGE = "用法：:press N（按钮序号）或 :press 按钮文字"
NO_BUTTONS = "最近显示的消息里没有可按的按钮。"
NO_SUCH_NUMBER = "没有第 {number} 个按钮，最近一条带按钮的消息共有 {count} 个：{labels}"
NO_SUCH_LABEL = "没有找到按钮「{label}」。最近一条带按钮的消息：{labels}"
PRESSED = "（按下 [{label}]）"
URL_BUTTON = "这是链接按钮，沙盒里无法打开：{url}"
SENT_LOCATION = "（发送了位置 {latitude:.5f}, {longitude:.5f}）"
SENT_CONTACT = "（分享了手机号 {phone}）"
LOCATION_USAGE = (
    "用法：:location 纬度 经度，如 :location 35.4012 116.5871（纬度 -90 到 90，经度 -180 到 180）"
)
CONTACT_USAGE = "用法：:contact 电话，如 :contact 13800001111"
ANSWER = "💡 提示：{text}"
ALERT = "⚠️ 弹窗：{text}"
OTHER_NEWS = "📬 其他会话有新消息：{items}"
OTHER_NEWS_ITEM = "{where} {count} 条（{switch}）"
KEYBOARD = "键盘："
PRIVATE_CHAT = "与机器人的私聊"
GENERAL_AREA = "群聊主区"
TOPIC_NAMED = "话题「{topic}」"
HEADER = "── {chat} / {where} ──"
BOT_LINE = "🤖 {name}：{text}{mark}"
LOCATION_BODY = "📍 [位置 {latitude:.5f}, {longitude:.5f}]"
CONTACT_BODY = "📞 [联系方式 {phone}]"
TOPIC_RENAMED = "话题改名为「{name}」"
TOPIC_WAS_CLOSED = "话题已关闭"
TOPIC_REOPENED = "话题已重新打开"
NONE = "（无）"
UPDATED = "（已更新）"
IMAGE_SAVED = "图片已保存：{path}"
PROMPT = "{who}{topic}> "
BYE = "已退出沙盒。数据库保留在：{path}"
INTERRUPTED = "已退出沙盒。"

RESIDENT_NAME = "王阿姨"
DISPATCHER_NAME = "调度中心·老张"
SUPERVISOR_NAME = "督查室·孙主任"
COLLECTOR_NAME = "民情书记·老周"
COLLECTOR_TEAM = "市直第一民情书记队"
SUPERVISOR_SHORT = "孙主任"
CLERK_NAMES = (
    "小刘",
    "小周",
    "小赵",
    "小孙",
    "小钱",
    "小李",
    "小郑",
    "小王",
    "小冯",
    "小陈",
    "小吴",
)
MEDIA_LABELS = {
    "photo": "🖼 [图片]",
    "document": "📎 [文件]",
    "video": "🎬 [视频]",
    "audio": "🎵 [音频]",
    "voice": "🎤 [语音]",
    "sticker": "[贴纸]",
    "animation": "[动图]",
}
RESIDENT_WORDS = {"resident", "群众", "居民"}
DISPATCHER_WORDS = {"dispatcher", "dispatch", "调度", "调度员", "调度中心"}
SUPERVISOR_WORDS = {"supervisor", "督查", "督查室", "主任"}
COLLECTOR_WORDS = {"collector", "民情书记", "书记", "网格员"}
STAFF_WORDS = {"staff", "部门", "工作人员"}
GENERAL_WORDS = {"0", "主区", "general"}

# --- behaviour ---------------------------------------------------------------------------------

RESIDENT = "resident"
SUPERVISOR = "supervisor"
COLLECTOR = "collector"
DEFAULT_PLACE = (35.4012, 116.5871)
DEFAULT_PHONE = "13800001111"
PHONE = re.compile(r"^\+?\d[\d-]{4,19}$")
MOST = 60.0  # seconds to wait at most for the bot to be done with one line
RECHECK = 0.05  # seconds between looks at the bot's own state (handlers, outbox)


class Hint(Exception):
    """Bad input of a sandbox command: the message is the Chinese hint to show."""


@dataclass(frozen=True)
class Button:
    """One button the user can press: inline (callback data or URL) or on a reply keyboard."""

    text: str
    data: str | None = None
    url: str | None = None
    location: bool = False
    contact: bool = False
    reply_keyboard: bool = False


@dataclass
class Seat:
    """Who the user can be: a person, the chat they watch and write in, and where they are."""

    key: str
    person: Person
    chat: Chat
    switch: str
    topic: int | None = None
    last_buttons: Message | None = None

    @property
    def who(self) -> str:
        """The person's name."""
        return self.person.user.first_name


def buttons_of(message: Message) -> list[Button]:
    """The message's buttons in reading order: its inline keyboard, else its reply keyboard."""
    if message.reply_markup:
        return [
            Button(str(b.get("text", "")), data=b.get("callback_data"), url=b.get("url"))
            for b in message.buttons
        ]
    keyboard = message.reply_keyboard or {}
    found = []
    for row in keyboard.get("keyboard", []):
        for raw in row:
            spec: dict[str, Any] = raw if isinstance(raw, dict) else {"text": str(raw)}
            found.append(
                Button(
                    str(spec.get("text", "")),
                    location=bool(spec.get("request_location")),
                    contact=bool(spec.get("request_contact")),
                    reply_keyboard=True,
                )
            )
    return found


def _rows(message: Message) -> list[list[str]]:
    """Button labels row by row; a reply keyboard on one line, as it sits under the input."""
    if message.reply_markup:
        rows = message.reply_markup.get("inline_keyboard", [])
        return [[str(b.get("text", "")) for b in row] for row in rows]
    labels = [button.text for button in buttons_of(message)]
    return [labels] if labels else []


def render(message: Message, *, numbered: bool, updated: bool) -> list[str]:
    """A bot message as terminal lines; buttons numbered ``[1] 认领`` when ``numbered``."""
    service = _service(message)
    if service is not None:
        return [f"  · {service}"] if service else []
    first, *rest = body_of(message).split("\n")
    mark = UPDATED if updated else ""
    lines = [BOT_LINE.format(name=message.sender.first_name, text=first, mark=mark)]
    lines.extend(f"    {line}" for line in rest)
    number = 0
    keyboard = KEYBOARD if not message.reply_markup else ""
    for row in _rows(message):
        shown = []
        for label in row:
            number += 1
            shown.append(f"[{number}] {label}" if numbered else f"[{label}]")
        lines.append(f"    {keyboard}{' '.join(shown)}")
    return lines


def body_of(message: Message) -> str:
    """What a reader sees of a message: text, or a label for its media plus the caption."""
    media = message.media
    if "location" in media:
        place = media["location"]
        return LOCATION_BODY.format(latitude=place["latitude"], longitude=place["longitude"])
    if "contact" in media:
        return CONTACT_BODY.format(phone=media["contact"]["phone_number"])
    for kind, label in MEDIA_LABELS.items():
        if kind in media:
            return f"{label} {message.caption}" if message.caption else label
    return message.body


def _service(message: Message) -> str | None:
    """The line of a service message ("" to show nothing), or None for a content message."""
    media = message.media
    if "forum_topic_created" in media:
        return ""
    if "forum_topic_edited" in media:
        return TOPIC_RENAMED.format(name=media["forum_topic_edited"].get("name", ""))
    if "forum_topic_closed" in media:
        return TOPIC_WAS_CLOSED
    if "forum_topic_reopened" in media:
        return TOPIC_REOPENED
    return "" if message.is_service else None


def _signature(message: Message) -> tuple[Any, ...]:
    return (message.text, message.caption, repr(message.reply_markup), message.deleted)


def _only_lost_buttons(before: tuple[Any, ...] | None, message: Message) -> bool:
    """Whether an edit just took the buttons away (nothing new to read)."""
    return (
        before is not None
        and before[:2] == (message.text, message.caption)
        and not (message.reply_markup and message.reply_markup.get("inline_keyboard"))
    )


def _ticket_of(topic: Topic) -> str:
    return topic.name.split(maxsplit=1)[0].upper() if topic.name.strip() else ""


def find_topic(chat: Chat, word: str) -> Topic | None:
    """The ticket topic named by a full ticket number or by its serial (``1`` for ``…-0001``)."""
    word = word.strip().upper()
    for topic in chat.topics.values():
        if _ticket_of(topic) == word:
            return topic
    if word.isdigit():
        for topic in reversed(list(chat.topics.values())):
            serial = _ticket_of(topic).rsplit("-", 1)[-1]
            if serial.isdigit() and int(serial) == int(word):
                return topic
    return None


def parse_location(args: list[str]) -> tuple[float, float]:
    """Latitude and longitude from ``:location`` arguments (commas allowed)."""
    words = " ".join(args).replace(",", " ").replace("，", " ").split()
    try:
        latitude, longitude = (float(word) for word in words)
    except ValueError:
        raise Hint(LOCATION_USAGE) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Hint(LOCATION_USAGE)
    return latitude, longitude


class Sandbox:
    """The interactive session: reads a line, acts as the current person, shows what happened."""

    def __init__(
        self,
        emu: Emulator,
        seats: dict[str, Seat],
        district: District,
        workdir: Path,
        out: Callable[[str], None],
        *,
        bot_idle: Callable[[int], Awaitable[bool]],
        most: float = MOST,
    ) -> None:
        self.emu = emu
        self.seats = seats
        self.district = district
        self.workdir = workdir
        self.say = out
        self.bot_idle = bot_idle
        self.most = most
        self.seat = seats[RESIDENT]
        self.names = {spec.code: spec.name for spec in district.all()}
        self._seen: dict[tuple[int, int], tuple[Any, ...]] = {}
        self._announced: dict[str, int] = {}

    # --- the loop --------------------------------------------------------------------------

    def prompt(self) -> str:
        """The prompt: who the user is, and the ticket topic they write in."""
        topic = self._topic()
        return PROMPT.format(who=self.seat.who, topic=f" @ {_ticket_of(topic)}" if topic else "")

    def welcome(self) -> None:
        """The first screen: where the user is and the commands."""
        self.say(READY.format(district=self.district.name, resident=self.seat.who))
        self.say(self._departments_line())
        self.say(HELP)

    async def handle(self, line: str) -> bool:
        """Act on one input line; False when the session should end. Never raises."""
        try:
            return await self._handle(line.rstrip("\r\n"))
        except Hint as hint:
            self.say(str(hint))
        except Exception as error:  # one bad line must not end an operator's session
            log.debug("sandbox line failed", exc_info=True)
            self.say(FAILED.format(error=str(error) or type(error).__name__))
        return True

    async def _handle(self, line: str) -> bool:
        text = line.strip()
        if not text:
            await self._settle()
            return True
        if not text.startswith(":"):
            await self._send(
                lambda chat, thread: self.seat.person.send_text(chat, text, thread=thread),
                command=text.startswith("/"),
            )
            return True
        words = text[1:].split()
        command, args = (words[0].lower(), words[1:]) if words else ("", [])
        if command in {"quit", "exit", "q"}:
            return False
        handlers: dict[str, Callable[[list[str]], Any]] = {
            "help": self._help,
            "as": self._as,
            "topic": self._choose_topic,
            "press": self._press,
            "location": self._location,
            "photo": self._photo,
            "contact": self._contact,
            "sticker": self._sticker,
            "transcript": self._transcript,
        }
        handler = handlers.get(command)
        if handler is None:
            raise Hint(UNKNOWN_COMMAND.format(command=text.split()[0]))
        result = handler(args)
        if asyncio.iscoroutine(result):
            await result
        return True

    # --- sandbox commands ------------------------------------------------------------------

    def _help(self, args: list[str]) -> None:
        self.say(HELP)
        self.say(self._departments_line())

    async def _as(self, args: list[str]) -> None:
        if not args:
            self.say(AS_CURRENT.format(who=self.seat.who, where=self._where()))
            self.say(AS_USAGE)
            self.say(self._departments_line())
            return
        word = args[0].lower()
        if word in RESIDENT_WORDS:
            key = RESIDENT
        elif word in SUPERVISOR_WORDS:
            key = SUPERVISOR
        elif word in COLLECTOR_WORDS:
            key = COLLECTOR
        elif word in DISPATCHER_WORDS:
            key = self.district.dispatch.code
        else:
            named = " ".join(args[1:]) if word in STAFF_WORDS else " ".join(args)
            if not named:
                raise Hint(f"{AS_USAGE}\n{self._departments_line()}")
            code = department_code(named, self.names)
            if code is None or code not in self.seats:
                unknown = AS_UNKNOWN_DEPARTMENT.format(word=named)
                raise Hint(f"{unknown}\n{self._departments_line()}")
            key = code
        self.seat = self.seats[key]
        self.say(NOW_YOU_ARE.format(who=self.seat.who, where=self._where()))
        if self.seat.chat.is_forum:
            self._follow_latest_topic()
            topic = self._topic()
            self.say(CURRENT_TOPIC.format(topic=topic.name) if topic else NO_TOPIC)
        self._show()

    def _choose_topic(self, args: list[str]) -> None:
        seat = self.seat
        if not seat.chat.is_forum:
            raise Hint(TOPICS_ONLY_STAFF)
        if not args:
            if not seat.chat.topics:
                self.say(NO_TOPIC)
                return
            self.say(TOPIC_LIST)
            for topic in seat.chat.topics.values():
                mark = "▶" if topic.message_thread_id == seat.topic else " "
                closed = TOPIC_CLOSED if topic.closed else ""
                self.say(TOPIC_ITEM.format(mark=mark, name=topic.name, closed=closed))
            return
        if args[0].lower() in GENERAL_WORDS:
            seat.topic = None
            self.say(TOPIC_GENERAL)
            return
        found = find_topic(seat.chat, args[0])
        if found is None:
            raise Hint(TOPIC_NOT_FOUND.format(word=args[0]))
        seat.topic = found.message_thread_id
        self.say(TOPIC_CHOSEN.format(topic=found.name))
        self._show()

    async def _press(self, args: list[str]) -> None:
        if not args:
            raise Hint(PRESS_USAGE)
        message, button = self._button(" ".join(args))
        seat = self.seat
        self.say(PRESSED.format(label=button.text))
        thread = message.message_thread_id
        if seat.chat.is_forum and thread is not None:
            seat.topic = thread
        if button.url and not button.data:
            self.say(URL_BUTTON.format(url=button.url))
            return
        if button.reply_keyboard:
            await self._press_keyboard(message, button)
            return
        assert button.data is not None
        query = await seat.person.press_button(message, button.data)
        await self._settle(query)

    async def _press_keyboard(self, message: Message, button: Button) -> None:
        person = self.seat.person
        if button.location:
            latitude, longitude = DEFAULT_PLACE
            self.say(SENT_LOCATION.format(latitude=latitude, longitude=longitude))
            await self._send(
                lambda chat, thread: person.send_location(chat, *DEFAULT_PLACE, thread=thread)
            )
        elif button.contact:
            self.say(SENT_CONTACT.format(phone=DEFAULT_PHONE))
            await self._send(
                lambda chat, thread: person.send_contact(chat, DEFAULT_PHONE, thread=thread)
            )
        else:
            await self._send(
                lambda chat, thread: person.send_text(chat, button.text, thread=thread)
            )

    def _button(self, wanted: str) -> tuple[Message, Button]:
        latest = self.seat.last_buttons
        shown = buttons_of(latest) if latest is not None else []
        labels = " ".join(f"[{i}] {b.text}" for i, b in enumerate(shown, 1)) or NONE
        if wanted.isdigit():
            if latest is None or not shown:
                raise Hint(NO_BUTTONS)
            index = int(wanted)
            if not 1 <= index <= len(shown):
                raise Hint(NO_SUCH_NUMBER.format(number=index, count=len(shown), labels=labels))
            return latest, shown[index - 1]
        candidates = [m for m in reversed(self.seat.chat.messages) if self._was_shown(m)]
        if latest is not None:
            candidates.insert(0, latest)
        for exact in (True, False):
            for message in candidates:
                for button in buttons_of(message):
                    if button.text == wanted or (not exact and wanted in button.text):
                        return message, button
        raise Hint(NO_SUCH_LABEL.format(label=wanted, labels=labels))

    async def _location(self, args: list[str]) -> None:
        latitude, longitude = parse_location(args)
        person = self.seat.person
        await self._send(
            lambda chat, thread: person.send_location(chat, latitude, longitude, thread=thread)
        )

    async def _photo(self, args: list[str]) -> None:
        caption = " ".join(args) or None
        person = self.seat.person
        await self._send(
            lambda chat, thread: person.send_photo(chat, caption=caption, thread=thread)
        )

    async def _contact(self, args: list[str]) -> None:
        phone = "".join(args)
        if not PHONE.match(phone):
            raise Hint(CONTACT_USAGE)
        person = self.seat.person
        await self._send(lambda chat, thread: person.send_contact(chat, phone, thread=thread))

    async def _sticker(self, args: list[str]) -> None:
        person = self.seat.person
        await self._send(lambda chat, thread: person.send_sticker(chat, thread=thread))

    def _transcript(self, args: list[str]) -> None:
        chats = [chat for chat in self.emu.chats.values() if chat.messages]
        self.say(self.emu.transcript(*chats).rstrip() if chats else NONE)

    # --- sending and showing ---------------------------------------------------------------

    async def _send(
        self, write: Callable[[Chat, int | None], Any], *, command: bool = False
    ) -> None:
        """Write as the current person in their chat (a clerk: in the current ticket topic)."""
        seat = self.seat
        topic = self._topic()
        if seat.chat.is_forum and topic is None and not command:
            self.say(SENT_OUTSIDE_TOPIC)
        if seat.last_buttons is not None and seat.last_buttons.reply_keyboard:
            seat.last_buttons = None  # a reply keyboard goes away once the person answers
        await write(seat.chat, topic.message_thread_id if topic else None)
        await self._settle()

    async def _settle(self, query: CallbackQuery | None = None) -> None:
        """Wait until the bot is done with what the user did (its handlers have finished and
        the outbox has nothing left to send now), then show what arrived. Waits for that event,
        not for a guess of time: a slow machine only makes it take longer."""
        target = self.emu.updates.newest_id
        try:
            await asyncio.wait_for(self._until_idle(target), self.most)
        except TimeoutError:
            self._show()
            self.say(STILL_BUSY.format(seconds=self.most))
            return
        if query is not None and query.answer_text:
            self.say((ALERT if query.show_alert else ANSWER).format(text=query.answer_text))
        if not self._unseen(self.seat) and not (query is not None and query.answer_text):
            self._show()
            self.say(NOTHING_NEW)
            return
        self._show()

    async def _until_idle(self, update_id: int) -> None:
        """Return once the bot is idle after update ``update_id``; re-checks on every change in
        the emulator and at least every ``RECHECK`` seconds (the end of a handler or of a
        delivery changes nothing there)."""
        while not await self.bot_idle(update_id):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.emu.changed(), RECHECK)

    def _unseen(self, seat: Seat) -> list[Message]:
        return [
            m
            for m in seat.chat.messages
            if (m.from_bot or m.is_service) and not m.deleted and not self._was_shown(m)
        ]

    def _was_shown(self, message: Message) -> bool:
        return self._seen.get((message.chat.id, message.message_id)) == _signature(message)

    def _show(self) -> None:
        """Print the current seat's unseen bot messages, then news elsewhere."""
        seat = self.seat
        fresh = self._unseen(seat)
        with_buttons = [m for m in fresh if buttons_of(m)]
        last = with_buttons[-1] if with_buttons else None
        place: int | None = -1
        for message in fresh:
            key = (message.chat.id, message.message_id)
            before = self._seen.get(key)
            self._seen[key] = _signature(message)
            if _only_lost_buttons(before, message):
                continue
            if seat.chat.is_forum and message.message_thread_id != place:
                place = message.message_thread_id
                self.say(self._header(seat.chat, place))
            for line in render(message, numbered=message is last, updated=before is not None):
                self.say(line)
            if message.from_bot and "photo" in message.media:
                self._save_photo(message)
        if last is not None:
            seat.last_buttons = last
        if seat.chat.is_forum and fresh:
            previous = seat.topic
            self._follow_latest_topic()
            topic = self._topic()
            if topic is not None and seat.topic != previous:
                self.say(TOPIC_FOLLOWS.format(topic=topic.name))
        self._news_elsewhere()

    def _header(self, chat: Chat, thread: int | None) -> str:
        topic = chat.topics.get(thread) if thread is not None else None
        where = TOPIC_NAMED.format(topic=topic.name) if topic else GENERAL_AREA
        return HEADER.format(chat=chat.name, where=where)

    def _save_photo(self, message: Message) -> None:
        sizes = message.media["photo"]
        folder = self.workdir / "images"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{abs(message.chat.id)}-{message.message_id}.png"
        path.write_bytes(self.emu.file_content(sizes[-1]["file_id"]))
        self.say(f"    {IMAGE_SAVED.format(path=path)}")

    def _news_elsewhere(self) -> None:
        items = []
        for seat in self.seats.values():
            if seat is self.seat:
                self._announced.pop(seat.key, None)
                continue
            count = sum(1 for m in self._unseen(seat) if not m.is_service)
            if count and self._announced.get(seat.key) != count:
                items.append(
                    OTHER_NEWS_ITEM.format(where=seat.chat.name, count=count, switch=seat.switch)
                )
            self._announced[seat.key] = count
        if items:
            self.say(OTHER_NEWS.format(items="；".join(items)))

    def _where(self) -> str:
        chat = self.seat.chat
        return chat.name if chat.is_group else PRIVATE_CHAT

    def _topic(self) -> Topic | None:
        seat = self.seat
        return seat.chat.topics.get(seat.topic) if seat.topic is not None else None

    def _follow_latest_topic(self) -> None:
        """A clerk without an open topic moves to the newest open ticket topic."""
        seat = self.seat
        current = self._topic()
        if current is not None and not current.closed:
            return
        open_topics = [t for t in seat.chat.topics.values() if not t.closed]
        if open_topics:
            seat.topic = open_topics[-1].message_thread_id
        elif current is None and seat.chat.topics:
            seat.topic = list(seat.chat.topics.values())[-1].message_thread_id

    def _departments_line(self) -> str:
        codes = " · ".join(f"{spec.code} {spec.name}" for spec in self.district.departments)
        return DEPARTMENTS.format(codes=codes)


# --- the world and the session --------------------------------------------------------------------


async def seat_everyone(settings: Settings, emu: Emulator) -> tuple[District, dict[str, Seat]]:
    """The resident, a clerk per department, the dispatcher and the supervisor, in their chats."""
    district = read_district(settings.departments_file)
    resident = emu.add_user(RESIDENT_NAME)
    clerks = {
        spec.code: emu.add_user(f"{spec.name}·{CLERK_NAMES[index % len(CLERK_NAMES)]}")
        for index, spec in enumerate(district.departments)
    }
    clerks[district.dispatch.code] = emu.add_user(DISPATCHER_NAME)
    supervisor = emu.add_user(SUPERVISOR_NAME)
    groups = await staff_district(settings, emu, clerks, supervisor, SUPERVISOR_SHORT)
    collector = emu.add_user(COLLECTOR_NAME)
    engine = database.create_engine(settings.database_url)
    async with UnitOfWork(database.session_factory(engine)) as uow:
        await add_member(
            uow=uow,
            user_id=collector.id,
            role=Role.COLLECTOR,
            display_name=COLLECTOR_NAME,
            team=COLLECTOR_TEAM,
        )
    await engine.dispose()
    seats = {
        RESIDENT: Seat(RESIDENT, resident, resident.private_chat, ":as resident"),
        SUPERVISOR: Seat(SUPERVISOR, supervisor, supervisor.private_chat, ":as supervisor"),
        COLLECTOR: Seat(COLLECTOR, collector, collector.private_chat, ":as collector"),
    }
    for code, clerk in clerks.items():
        switch = ":as dispatcher" if code == district.dispatch.code else f":as staff {code}"
        seats[code] = Seat(code, clerk, groups[code], switch)
    return district, seats


def idle_probe(
    application: Application,  # type: ignore[type-arg]
) -> Callable[[int], Awaitable[bool]]:
    """Whether the bot is done with update N: its handlers and those of every update before it
    have finished, no outbox message is due now, and none is being delivered."""
    processor = application.update_processor
    services = application.bot_data[SERVICES_KEY]
    sender = application.bot_data.get("minyi.sender")

    async def idle(update_id: int) -> bool:
        if not isinstance(processor, PerChatUpdateProcessor) or not processor.done_with(update_id):
            return False
        if isinstance(sender, OutboxSender) and sender.busy:
            return False
        async with services.uow() as uow:
            return await due_count(uow=uow, now=utcnow()) == 0

    return idle


def _fresh_database(workdir: Path, database_file: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database_file}{suffix}").unlink(missing_ok=True)


def read_lines(fd: int, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    """Feed the lines of a file descriptor into ``queue`` from a daemon thread; None at EOF.

    Raw reads (no buffered stdin object) so that a thread still blocked in a read never keeps
    the interpreter from exiting; works for a terminal, a pipe or a file.
    """

    def post(item: str | None) -> bool:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the session is over
            return False
        return True

    def run() -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = ""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                if not post(line):
                    return
            if not chunk:
                if pending:
                    post(pending)
                post(None)
                return

    threading.Thread(target=run, name="sandbox-input", daemon=True).start()


async def run_sandbox(
    *,
    workdir: Path,
    fd: int | None = None,
    out: Callable[[str], None] | None = None,
    most: float = MOST,
) -> None:
    """The interactive session until ``:quit`` or end of input."""
    say = out or (lambda text: print(text, flush=True))
    fd = sys.stdin.fileno() if fd is None else fd
    interactive = os.isatty(fd)
    say(PREPARING)
    database_file = workdir / "minyi-sandbox.sqlite3"
    await asyncio.to_thread(_fresh_database, workdir, database_file)
    emu = Emulator()
    async with EmulatorServer(emu) as server:
        settings = load_settings(
            database_url=f"sqlite+aiosqlite:///{database_file}",
            telegram_api_base_url=server.base_url,
            telegram_bot_token=emu.token,
        )
        await asyncio.to_thread(database.upgrade, settings.database_url)
        district, seats = await seat_everyone(settings, emu)
        async with running(build_application(settings)) as application:
            sandbox = Sandbox(
                emu, seats, district, workdir, say, bot_idle=idle_probe(application), most=most
            )
            sandbox.welcome()
            queue: asyncio.Queue[str | None] = asyncio.Queue()
            read_lines(fd, asyncio.get_running_loop(), queue)
            while True:
                if interactive:
                    sys.stdout.write(sandbox.prompt())
                    sys.stdout.flush()
                line = await queue.get()
                if line is None:
                    break
                if not interactive:
                    say(f"{sandbox.prompt()}{line.rstrip()}")
                if not await sandbox.handle(line):
                    break
    await emu.close()
    say(BYE.format(path=database_file))
