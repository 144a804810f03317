"""Collectors (民情书记 / 网格员) in their private chat: the collector menu, /record (代录 on a
resident's behalf), the start link and its QR code, the 回访 buttons, /register and 销号; and
the resident who opens a start link.

The recording conversation lives in the database like the residents' intake (name "collect",
one per private chat). What each step accepts, and where it leads, is `STEPS` below; a
collector's typed answers are read with the intake's own rules (bot.understanding).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot import intake, residents, texts
from bot.presses import answer_pending, answered_later
from bot.services import Context, Services, services
from bot.understanding import Intent, emergency, intent, phone_number
from classifiers.model import Prediction
from delivery.cards import FOLLOW_UP_KEYS
from storage.collect import (
    Record,
    RegisterLine,
    Stage,
    link_resident,
    record_follow_up,
    record_ticket,
    start_link,
    team_register,
    write_off,
)
from storage.columns import utcnow
from storage.conversations import (
    ConversationState,
    consume_state,
    load_state,
    read_together,
    save_state,
)
from storage.errors import DomainError, IllegalTransition, PermissionDenied, TicketNotFound
from storage.members import Actor, actor_for, collector_ids
from storage.models import Channel
from storage.routing import decide
from storage.themes import current_theme, set_theme
from storage.tickets import ResidentRef, add_resident_info
from storage.visits import log_visit, queue_visit_reminders
from storage.vocabulary import ANONYMOUS, CHANNEL_NAMES

log = logging.getLogger(__name__)

COLLECT = "collect"
read_together(COLLECT)  # a chat's conversations are read at once
CHANNEL, PERSON, ADDRESS, REQUEST, PHONE, PHONE_NUMBER, SUMMARY, ANSWER, RELAY = (
    "channel",
    "person",
    "address",
    "request",
    "phone",
    "phone_number",
    "summary",
    "answer",
    "relay",  # the resident's answer to a department's question, passed on by the collector
)
COLLECTOR_COMMANDS = [
    BotCommand("record", "代录群众诉求"),
    BotCommand("visit", "登记走访：/visit 入户数 诉求数 备注"),
    BotCommand("register", "我的诉求台账：/register 天数"),
    BotCommand("cancel", "取消正在代录的诉求"),
    BotCommand("start", "民情书记菜单"),
]
REGISTER_DAYS = 31  # a register without a period shows the last month
REMIND_AT = time(18, 0)  # the evening before a visit day, in the district's time zone


# --- state ------------------------------------------------------------------------------------


def _key(update: Update) -> str:
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


async def _state(svc: Services, update: Update) -> ConversationState:
    async with svc.uow() as uow:
        return await load_state(uow=uow, name=COLLECT, key=_key(update))


async def _save(svc: Services, update: Update, state: ConversationState, step: str | None) -> None:
    state.state = step
    async with svc.uow() as uow:
        await save_state(uow=uow, name=COLLECT, key=_key(update), state=state)


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    assert update.effective_chat is not None
    await answer_pending()
    await update.effective_chat.send_message(text, reply_markup=markup)


async def _collector(svc: Services, update: Update) -> Actor | None:
    """The sender as a collector (roles read per update), or None."""
    user = update.effective_user
    if user is None:
        return None
    async with svc.uow() as uow:
        actor = await actor_for(uow=uow, user_id=user.id, display_name=user.first_name)
    return actor if actor.is_collector else None


# --- keyboards --------------------------------------------------------------------------------


def _buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def menu_keyboard() -> InlineKeyboardMarkup:
    """The collector menu."""
    return _buttons([(texts.C_MENU_RECORD, "c:new"), (texts.C_MENU_REGISTER, "c:reg")])


def _channel_keyboard() -> InlineKeyboardMarkup:
    channels = [c for c in Channel if c != Channel.BOT]
    return _buttons(
        [(CHANNEL_NAMES[c], f"c:ch:{c.value}") for c in channels[:3]],
        [(CHANNEL_NAMES[c], f"c:ch:{c.value}") for c in channels[3:]],
    )


def _summary_keyboard(route_name: str, theme: str | None, chosen: bool) -> InlineKeyboardMarkup:
    rows = [
        [
            (texts.C_ON_THE_SPOT, "c:spot"),
            (texts.C_SEND_ON.format(department=route_name), "c:send"),
        ],
        [(texts.C_CHANGE_DEPARTMENT, "c:dept"), (texts.C_CANCEL, "c:cancel")],
    ]
    if theme:
        label = texts.C_THEME_OFF if chosen else texts.C_THEME_ON
        rows.append([(label.format(theme=theme), "c:theme")])
    return _buttons(*rows)


def _departments_keyboard(svc: Services) -> InlineKeyboardMarkup:
    names = [*svc.routable_names().items(), (svc.district.dispatch.code, texts.C_TO_DISPATCH)]
    rows = [names[i : i + 2] for i in range(0, len(names), 2)]
    return _buttons(*[[(name, f"c:to:{code}") for code, name in row] for row in rows])


# --- the steps --------------------------------------------------------------------------------


def _prediction(data: dict[str, Any]) -> Prediction | None:
    stored = data.get("prediction")
    if not isinstance(stored, list) or len(stored) != 2:
        return None
    return Prediction(str(stored[0]), float(stored[1]))


def _route_to(svc: Services, data: dict[str, Any]) -> str | None:
    """Where 转办 sends it: the collector's choice, else the model when sure enough, else
    None (the dispatch desk)."""
    if data.get("emergency"):
        return None  # urgent: the dispatch desk, whatever else was chosen
    if data.get("department"):
        chosen = str(data["department"])
        return None if chosen == svc.district.dispatch.code else chosen
    decision = decide(
        _prediction(data), threshold=svc.policy.dispatch_threshold, known=svc.district.codes
    )
    return decision.route_to


async def _summary(update: Update, svc: Services, state: ConversationState) -> None:
    data = state.data
    if "prediction" not in data:
        found = svc.classifier.predict(data["text"])
        data["prediction"] = [found.code, found.confidence]
    route = _route_to(svc, data)
    names = svc.department_names()
    route_name = names.get(route, route) if route else texts.C_TO_DISPATCH
    async with svc.uow() as uow:
        theme = await current_theme(uow=uow, day=datetime.now(svc.tz).date())
    if data.get("theme") and data["theme"] != theme:
        data.pop("theme")  # the month's theme changed meanwhile
    await _save(svc, update, state, SUMMARY)
    body = texts.C_SUMMARY.format(
        channel=CHANNEL_NAMES[Channel(data["channel"])],
        person=data.get("person") or ANONYMOUS,
        address=data.get("address") or texts.C_NONE,
        text=data["text"],
        photos=len(data.get("photos", [])),
        phone=texts.C_PHONE_CONSENTED if data.get("phone") else texts.C_PHONE_NONE,
        department=route_name,
        theme=data.get("theme") or texts.C_NONE,
    )
    await _say(update, body, _summary_keyboard(route_name, theme, bool(data.get("theme"))))


async def _on_person(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    state.data["person"] = "" if intent(text, allowed=[Intent.SKIP]) else text.strip()[:100]
    await _save(svc, update, state, ADDRESS)
    await _say(update, texts.C_ASK_ADDRESS, _buttons([(texts.C_SKIP, "c:skip")]))


async def _on_address(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    state.data["address"] = "" if intent(text, allowed=[Intent.SKIP]) else text.strip()[:200]
    await _save(svc, update, state, REQUEST)
    await _say(update, texts.C_ASK_REQUEST)


async def _on_request(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    problem = intake.check_text(svc, text)
    if problem:
        await _say(update, problem)
        return
    state.data["text"] = text.strip()
    found = emergency(text)
    if found is not None:  # the number to call first; sent on, it goes to dispatch as urgent
        state.data["emergency"] = f"{found.kind}:{found.number}"
        await _say(
            update,
            texts.C_EMERGENCY.format(
                number=found.number,
                service=texts.EMERGENCY_SERVICES[found.number],
                advice=texts.EMERGENCY_ADVICE.get(found.kind, ""),
            ),
        )
    await _save(svc, update, state, PHONE)
    await _say(
        update,
        texts.C_ASK_PHONE,
        _buttons([(texts.C_PHONE_YES, "c:consent"), (texts.C_PHONE_NO, "c:nophone")]),
    )


async def _on_phone_number(
    update: Update, svc: Services, state: ConversationState, text: str
) -> None:
    number = phone_number(text)
    if number is None:
        await _say(update, texts.C_PHONE_AGAIN)
        return
    state.data["phone"] = number
    await _summary(update, svc, state)


async def _on_summary(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    """More words at the summary are added to the request, never replacing it."""
    state.data["text"] = f"{state.data['text']}\n{text.strip()}"
    state.data.pop("prediction", None)
    await _summary(update, svc, state)


async def _on_answer(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    await _submit(update, svc, state, answer=text.strip())


async def _ask_channel(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    await _say(update, texts.C_ASK_CHANNEL, _channel_keyboard())


async def _ask_consent(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    await _say(
        update,
        texts.C_ASK_PHONE,
        _buttons([(texts.C_PHONE_YES, "c:consent"), (texts.C_PHONE_NO, "c:nophone")]),
    )


async def _on_relay(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    actor = await _collector(svc, update)
    number = str(state.data.get("number", ""))
    try:
        async with svc.uow() as uow:
            await add_resident_info(
                uow=uow,
                resident_user_id=0,
                number=number,
                text=text,
                policy=svc.policy,
                relayed_by=actor,
            )
    except DomainError:
        await _save(svc, update, ConversationState(), None)
        await _say(update, texts.C_RELAY_FAILED.format(number=number))
        return
    svc.kick_outbox()
    await _save(svc, update, ConversationState(), None)
    await _say(update, texts.C_RELAYED.format(number=number))


Typed = Callable[[Update, Services, ConversationState, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StepSpec:
    """What a step asks, what typed text does there, and which buttons it accepts."""

    asks: str
    typed: Typed
    buttons: frozenset[str]


# The recording conversation in one table: step → what it asks, what typed text does, which
# buttons it takes (photos are added at any step from the request on; /cancel ends it).
STEPS: dict[str, StepSpec] = {
    CHANNEL: StepSpec("渠道", _ask_channel, frozenset({"ch"})),
    PERSON: StepSpec("群众姓名", _on_person, frozenset({"anon"})),
    ADDRESS: StepSpec("住址", _on_address, frozenset({"skip"})),
    REQUEST: StepSpec("诉求原话", _on_request, frozenset()),
    PHONE: StepSpec("电话同意", _ask_consent, frozenset({"consent", "nophone"})),
    PHONE_NUMBER: StepSpec("电话", _on_phone_number, frozenset()),
    SUMMARY: StepSpec("确认", _on_summary, frozenset({"spot", "send", "dept", "to", "theme"})),
    ANSWER: StepSpec("现场答复", _on_answer, frozenset()),
    RELAY: StepSpec("代群众回复", _on_relay, frozenset()),
}


async def _submit(
    update: Update, svc: Services, state: ConversationState, *, answer: str | None
) -> None:
    """Record the ticket: the draft is consumed in the same transaction (a double tap records
    it once); then the receipt, the start link and its QR code."""
    actor = await _collector(svc, update)
    if actor is None:
        await _say(update, texts.C_NOT_COLLECTOR)
        return
    data = state.data
    record = Record(
        channel=Channel(data["channel"]),
        text=data["text"],
        person_name=data.get("person", ""),
        address=data.get("address") or None,
        photo_file_ids=tuple(data.get("photos", [])),
        phone=data.get("phone"),
        phone_consent=bool(data.get("phone")),
        theme=data.get("theme"),
    )
    expected = ANSWER if answer is not None else SUMMARY
    async with svc.uow() as uow:
        if not await consume_state(uow=uow, name=COLLECT, key=_key(update), expected=expected):
            return
        recorded = await record_ticket(
            uow=uow,
            collector=actor,
            record=record,
            prediction=_prediction(data),
            policy=svc.policy,
            department_code=data.get("department") or None,
            answer_on_spot=answer,
            emergency=str(data.get("emergency", "")),
        )
    svc.kick_outbox()
    link = start_link(update.get_bot().username, recorded.start_code)
    done = texts.C_RECORDED_ON_SPOT if answer is not None else texts.C_RECORDED_SENT
    await _say(update, done.format(number=recorded.ticket.number, link=link), menu_keyboard())
    await _send_qr(update, link, recorded.ticket.number)


def qr_png(link: str) -> bytes:
    """The start link as a QR code image (PNG), large enough to scan from a phone or a slip."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


async def _send_qr(update: Update, link: str, number: str) -> None:
    assert update.effective_chat is not None
    try:
        await update.effective_chat.send_photo(
            qr_png(link), caption=texts.C_QR_CAPTION.format(number=number)
        )
    except TelegramError:  # the link itself was already sent: the QR is a convenience
        log.warning("could not send a start link's QR code")


# --- handlers ---------------------------------------------------------------------------------


async def catch(update: Update, context: Context) -> None:
    """Before the residents' handlers: a message in a collector's recording conversation is
    the conversation's (anything else goes on to the residents' handlers)."""
    message = update.message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != "private":
        return
    text = message.text or ""
    if text.startswith("/") and not text.startswith("/cancel"):
        return  # other commands work as usual during a recording
    svc = services(context)
    state = await _state(svc, update)
    if state.state not in STEPS:
        return
    if await _collector(svc, update) is None:  # no longer a collector: the draft is gone
        await _save(svc, update, ConversationState(), None)
        return
    if text.startswith("/cancel") or (text and intent(text, allowed=[Intent.CANCEL])):
        await _save(svc, update, ConversationState(), None)
        await _say(update, texts.C_CANCELLED, menu_keyboard())
    elif message.photo:
        await _add_photo(update, svc, state)
    elif text:
        await STEPS[state.state].typed(update, svc, state, text)
    else:
        await _say(update, texts.C_TEXT_PLEASE)
    raise ApplicationHandlerStop


async def _add_photo(update: Update, svc: Services, state: ConversationState) -> None:
    message = update.message
    assert message is not None
    if state.state in (CHANNEL, PERSON, ADDRESS):
        await _say(update, texts.C_PHOTO_LATER)
        return
    photos = list(state.data.get("photos", []))
    if len(photos) >= svc.max_photos:
        await _say(update, texts.C_PHOTO_LIMIT.format(limit=svc.max_photos))
        return
    photos.append(message.photo[-1].file_id)
    state.data["photos"] = photos
    await _save(svc, update, state, state.state)
    if message.caption and state.state == REQUEST:
        await _on_request(update, svc, state, message.caption)
        return
    await _say(update, texts.C_PHOTO_ADDED.format(count=len(photos)))


async def record(update: Update, context: Context) -> None:
    """/record: start recording a request heard from a resident (代录)."""
    svc = services(context)
    if await _collector(svc, update) is None:
        await _say(update, texts.C_NOT_COLLECTOR)
        return
    await _save(svc, update, ConversationState(None, {"photos": []}), CHANNEL)
    await _say(update, texts.C_ASK_CHANNEL, _channel_keyboard())


async def on_button(update: Update, context: Context) -> None:
    """The recording's buttons, checked against the step the conversation is at."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    parts = (query.data or "").split(":")
    what = parts[1] if len(parts) > 1 else ""
    if what in ("new", "reg"):
        await query.answer()
        await (record(update, context) if what == "new" else register(update, context))
        return
    if await _collector(svc, update) is None:
        await query.answer(texts.C_NOT_COLLECTOR, show_alert=True)
        return
    state = await _state(svc, update)
    if what == "cancel" and state.state in STEPS:
        async with answered_later(query.answer):  # with the reply, after the writes
            await _save(svc, update, ConversationState(), None)
            await _say(update, texts.C_CANCELLED, menu_keyboard())
        return
    spec = STEPS.get(state.state or "")
    if spec is None or what not in spec.buttons:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    async with answered_later(query.answer):  # with the first reply, after the writes
        await _chosen(update, svc, state, parts)


async def _chosen(
    update: Update, svc: Services, state: ConversationState, parts: list[str]
) -> None:
    """What a recording button accepted at its step does."""
    what, data = parts[1], state.data
    if what == "ch" and len(parts) == 3 and parts[2] in {c.value for c in Channel}:
        data["channel"] = parts[2]
        await _save(svc, update, state, PERSON)
        await _say(update, texts.C_ASK_PERSON, _buttons([(ANONYMOUS, "c:anon")]))
    elif what == "anon":
        await _on_person(update, svc, state, texts.C_SKIP)
    elif what == "skip":
        await _on_address(update, svc, state, texts.C_SKIP)
    elif what == "consent":
        await _save(svc, update, state, PHONE_NUMBER)
        await _say(update, texts.C_ASK_PHONE_NUMBER)
    elif what == "nophone":
        data.pop("phone", None)
        await _summary(update, svc, state)
    elif what == "dept":
        await _say(update, texts.C_CHOOSE_DEPARTMENT, _departments_keyboard(svc))
    elif what == "to" and len(parts) == 3 and parts[2] in svc.department_names():
        data["department"] = parts[2]
        await _summary(update, svc, state)
    elif what == "theme":
        async with svc.uow() as uow:
            theme = await current_theme(uow=uow, day=datetime.now(svc.tz).date())
        data["theme"] = None if data.get("theme") else theme
        await _summary(update, svc, state)
    elif what == "spot":
        await _save(svc, update, state, ANSWER)
        await _say(update, texts.C_ASK_ANSWER)
    elif what == "send":
        await _submit(update, svc, state, answer=None)
    else:
        query = update.callback_query
        assert query is not None
        await answer_pending()
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)


async def on_follow_up(update: Update, context: Context) -> None:
    """The collector's 回访 buttons (满意 / 基本满意 / 不满意 / 联系不上) under a resolution."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[2] not in FOLLOW_UP_KEYS or not residents.NUMBER.match(parts[1]):
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    svc = services(context)
    actor = await _collector(svc, update)
    if actor is None:
        await query.answer(texts.C_NOT_COLLECTOR, show_alert=True)
        return
    try:
        async with svc.uow() as uow:
            await record_follow_up(
                uow=uow,
                collector=actor,
                number=parts[1],
                rating=FOLLOW_UP_KEYS[parts[2]],
                policy=svc.policy,
            )
    except (TicketNotFound, IllegalTransition, PermissionDenied):
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    svc.kick_outbox()
    await query.answer(texts.C_FOLLOWED_UP)
    await query.edit_message_reply_markup(None)


def _line(line: RegisterLine) -> str:
    return texts.C_REGISTER_LINE.format(
        number=line.number,
        channel=CHANNEL_NAMES[line.channel],
        person=line.person_name or ANONYMOUS,
        text=texts.snippet(line.text, 20),
    )


async def on_relay(update: Update, context: Context) -> None:
    """✍️ 代群众回复 under a department's question: the collector's next text is the answer."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    svc = services(context)
    actor = await _collector(svc, update)
    if len(parts) != 2 or not residents.NUMBER.match(parts[1]) or actor is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer()
    await _save(svc, update, ConversationState(None, {"number": parts[1]}), RELAY)
    await _say(update, texts.C_RELAY_PROMPT.format(number=parts[1]))


async def register(update: Update, context: Context) -> None:
    """/register [队名] [天数]: the team's register (诉求台账) by stage, with 销号 buttons; a
    collector sees their own team's, a supervisor any team's."""
    svc = services(context)
    user = update.effective_user
    message = update.effective_message
    if user is None or message is None:
        return
    words = (message.text or "").split()[1:] if update.callback_query is None else []
    days = next((int(w) for w in words if w.isdigit() and 0 < int(w) <= 366), REGISTER_DAYS)
    team = next((w for w in words if not w.isdigit()), None)
    now = utcnow()
    try:
        async with svc.uow() as uow:
            actor = await actor_for(uow=uow, user_id=user.id, display_name=user.first_name)
            lines = await team_register(
                uow=uow, viewer=actor, since=now - timedelta(days=days), until=now, team=team
            )
    except PermissionDenied:
        await _say(update, texts.C_REGISTER_REFUSED)
        return
    title = texts.C_REGISTER_TITLE.format(team=team or actor.team or "", days=days)
    if not lines:
        await _say(update, title + texts.C_REGISTER_EMPTY)
        return
    parts = [title]
    for stage in Stage:
        mine = [line for line in lines if line.stage == stage]
        if mine:
            parts.append(texts.C_STAGES[stage].format(count=len(mine)))
            parts.extend(_line(line) for line in mine[:30])
    to_write_off = [line.number for line in lines if line.stage == Stage.TO_WRITE_OFF][:10]
    markup = _buttons(*[[(texts.C_WRITE_OFF.format(number=n), f"cw:{n}")] for n in to_write_off])
    await _say(update, "\n".join(parts), markup if to_write_off else None)


async def on_write_off(update: Update, context: Context) -> None:
    """销号 pressed under a register."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 2 or not residents.NUMBER.match(parts[1]):
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    svc = services(context)
    user = update.effective_user
    assert user is not None
    try:
        async with svc.uow() as uow:
            actor = await actor_for(uow=uow, user_id=user.id, display_name=user.first_name)
            await write_off(uow=uow, viewer=actor, number=parts[1])
    except DomainError:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer(texts.C_WRITTEN_OFF.format(number=parts[1]))


async def start(update: Update, context: Context) -> None:
    """/start: with a start code, the resident follows that ticket; a collector gets the
    collector menu; anyone else the residents' welcome."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None
    if user is None or chat is None:
        return
    svc = services(context)
    code = context.args[0] if context.args else ""
    if code:
        async with svc.uow() as uow:
            linked = await link_resident(
                uow=uow, code=code, resident=ResidentRef(user.id, chat.id, user.full_name[:100])
            )
        if linked is None:  # forged, mistyped or used already: nothing is linked
            await message.reply_text(texts.C_LINK_INVALID)
            return
        svc.kick_outbox()
        return
    if await _collector(svc, update) is not None:
        await _say(update, texts.C_MENU, menu_keyboard())
        return
    await residents.start(update, context)


async def visit(update: Update, context: Context) -> None:
    """/visit [日期] 入户数 诉求数 [备注]: log the team's visit (today unless a date is given)."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    actor = await _collector(svc, update)
    if actor is None or actor.team is None:
        await _say(update, texts.C_NOT_COLLECTOR)
        return
    words = (message.text or "").split()[1:]
    day = datetime.now(svc.tz).date()
    if words:
        try:
            day = date.fromisoformat(words[0])
            words = words[1:]
        except ValueError:
            pass
    if len(words) < 2 or not (words[0].isdigit() and words[1].isdigit()):
        await _say(update, texts.C_VISIT_USAGE)
        return
    community = next((t.community for t in svc.teams if t.name == actor.team), "")
    async with svc.uow() as uow:
        logged = await log_visit(
            uow=uow,
            collector=actor,
            day=day,
            households=int(words[0]),
            requests=int(words[1]),
            community=community,
            notes=" ".join(words[2:]),
        )
    await _say(
        update,
        texts.C_VISIT_LOGGED.format(
            day=f"{logged.day.month}月{logged.day.day}日",
            team=logged.team,
            community=logged.community or texts.C_NONE,
            households=logged.households,
            requests=logged.requests,
        ),
    )


async def theme(update: Update, context: Context) -> None:
    """/theme [主题]: a supervisor sets the month's theme; without words, it is shown."""
    svc = services(context)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    words = " ".join((message.text or "").split()[1:])
    today = datetime.now(svc.tz).date()
    async with svc.uow() as uow:
        if not words:
            current = await current_theme(uow=uow, day=today)
            await _say(update, texts.C_THEME_IS.format(theme=current or texts.C_NONE))
            return
        actor = await actor_for(uow=uow, user_id=user.id, display_name=user.first_name)
        try:
            name = await set_theme(uow=uow, actor=actor, day=today, name=words)
        except PermissionDenied:
            await _say(update, texts.C_THEME_REFUSED)
            return
        except DomainError:
            await _say(update, texts.C_THEME_USAGE)
            return
    await _say(update, texts.C_THEME_SET.format(month=today.month, theme=name))


async def visit_reminder_job(context: Context) -> None:
    """Daily, in the evening: the day before the 5th, 15th and 25th, remind every collector."""
    svc = services(context)
    async with svc.uow() as uow:
        queued = await queue_visit_reminders(uow=uow, today=datetime.now(svc.tz).date())
    if queued:
        log.info("visit reminders queued for %d collectors", queued)
        svc.kick_outbox()


def schedule(application: Application, *, tz: ZoneInfo) -> None:  # type: ignore[type-arg]
    """Put the collectors' reminder on the application's job queue."""
    jobs = application.job_queue
    if jobs is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    jobs.run_daily(visit_reminder_job, time=REMIND_AT.replace(tzinfo=tz), name="visit_reminder")


async def set_commands(application: Application, svc: Services) -> None:  # type: ignore[type-arg]
    """Each collector's private chat lists the collectors' commands (set per chat), and the
    flood guard lets collectors through (they record request after request)."""
    async with svc.uow() as uow:
        ids = await collector_ids(uow=uow)
    application.bot_data[residents.TRUSTED_KEY] = frozenset(ids)
    for user_id in ids:
        await application.bot.set_my_commands(
            COLLECTOR_COMMANDS, scope=BotCommandScopeChat(chat_id=user_id)
        )


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Register the collectors' handlers (before the residents': /start is shared)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(TypeHandler(Update, catch), group=CATCH_GROUP)
    application.add_handlers(
        [
            CommandHandler("start", start, filters=private),
            CommandHandler("record", record, filters=private),
            CommandHandler("register", register, filters=private),
            CommandHandler("visit", visit, filters=private),
            CommandHandler("theme", theme, filters=private),
            CallbackQueryHandler(on_button, pattern=r"^c:"),
            CallbackQueryHandler(on_follow_up, pattern=r"^cv:"),
            CallbackQueryHandler(on_write_off, pattern=r"^cw:"),
            CallbackQueryHandler(on_relay, pattern=r"^ca:"),
        ]
    )


CATCH_GROUP = -1  # after the flood guard (residents.FLOOD_GROUP), before every handler
