"""Resident-facing handlers in private chats: intake, follow-up, rating, bad input."""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import intake, knowledge, texts
from bot.services import Context, Services, services
from bot.understanding import bare, emergency, is_follow_up, typed_rating
from delivery.cards import RATING_KEYS
from storage.conversations import ConversationState
from storage.errors import IllegalTransition, InvalidInput, TicketNotFound
from storage.lifecycle import Action, allowed
from storage.models import Rating
from storage.queries import (
    open_ticket_for_resident,
    resident_overview,
    resident_ticket,
    resident_tickets,
)
from storage.tickets import MAX_TEXT_CHARS, add_resident_info, rate_ticket
from storage.unit_of_work import UnitOfWork
from storage.views import TicketView

FLOOD_GROUP = -2  # first of all; collectors' recording conversation comes next (group -1)
PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
NUMBER = re.compile(r"^[A-Za-z]{1,8}-\d{8}-\d{1,6}$")
STAFF_COMMANDS = [
    "claim",
    "reply",
    "ask",
    "note",
    "reassign",
    "resolve",
    "list",
    "ticket",
    "overdue",
    "dispatch",
    "bind",
    "digest",
    "stats",
]


class FloodGuard:
    """At most `limit` updates per `window` seconds per user; extra ones are dropped."""

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[int, deque[float]] = defaultdict(deque)

    def allow(self, user_id: int, now: float | None = None) -> bool:
        """Whether this user's next update is processed; True once again after the window."""
        now = time.monotonic() if now is None else now
        seen = self._seen[user_id]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        seen.append(now)
        return len(seen) <= self.limit

    def warned_once(self, user_id: int) -> bool:
        """Whether this drop is the first of the burst (warn the user only once)."""
        return len(self._seen[user_id]) == self.limit + 1


def status_keyboard(number: str) -> InlineKeyboardMarkup:
    """Buttons under a /status answer."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.ADD_INFO, callback_data=f"add:{number}")]]
    )


async def start(update: Update, context: Context) -> None:
    """/start: what the service is, what happens to the data, how to begin."""
    assert update.effective_message is not None
    district = services(context).district.name
    await update.effective_message.reply_text(texts.START.format(district=district))


async def help_command(update: Update, context: Context) -> None:
    """/help."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.HELP)


async def my(update: Update, context: Context) -> None:
    """/my: the resident's tickets with status."""
    svc = services(context)
    assert update.effective_user is not None
    assert update.effective_message is not None
    async with svc.uow() as uow:
        tickets = await resident_tickets(uow=uow, resident_user_id=update.effective_user.id)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.number, callback_data=f"st:{t.number}")] for t in tickets[:8]]
    )
    await update.effective_message.reply_text(
        texts.my_tickets(tickets), reply_markup=keyboard if tickets else None
    )


async def status(update: Update, context: Context) -> None:
    """/status NUMBER: the ticket's timeline."""
    assert update.effective_message is not None
    if not context.args or not NUMBER.match(context.args[0]):
        await update.effective_message.reply_text(texts.STATUS_USAGE)
        return
    await _show_status(update, context, context.args[0].upper())


async def _show_status(update: Update, context: Context, number: str) -> None:
    svc = services(context)
    assert update.effective_user is not None
    assert update.effective_chat is not None
    try:
        async with svc.uow() as uow:
            ticket, events = await resident_ticket(
                uow=uow, resident_user_id=update.effective_user.id, number=number
            )
    except TicketNotFound:
        await update.effective_chat.send_message(texts.NOT_FOUND.format(number=number[:40]))
        return
    can_add = allowed(ticket.status, Action.ADD_INFO) is not None
    await update.effective_chat.send_message(
        texts.timeline(ticket, events, svc.department_names(), svc.tz),
        reply_markup=status_keyboard(ticket.number) if can_add else None,
    )


async def on_status_button(update: Update, context: Context) -> None:
    """A ticket button under /my."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    number = (query.data or "").removeprefix("st:")
    if not NUMBER.match(number):
        return
    await _show_status(update, context, number)


async def on_add_button(update: Update, context: Context) -> None:
    """补充材料: the next message is attached to the ticket."""
    query = update.callback_query
    assert query is not None
    number = (query.data or "").removeprefix("add:")
    svc = services(context)
    assert update.effective_user is not None
    try:
        async with svc.uow() as uow:
            ticket, _ = await resident_ticket(
                uow=uow, resident_user_id=update.effective_user.id, number=number
            )
    except TicketNotFound:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    assert update.effective_chat is not None
    if allowed(ticket.status, Action.ADD_INFO) is None:
        await query.answer()
        await update.effective_chat.send_message(texts.INFO_CLOSED.format(number=number))
        return
    # Saved before the press is answered: the ticket read and the state saved, one transaction.
    await intake.put_state(svc, update, ConversationState(intake.ADDING, {"number": number}))
    await query.answer()
    await update.effective_chat.send_message(texts.ADD_INFO_PROMPT.format(number=number))


async def on_rating_button(update: Update, context: Context) -> None:
    """满意 / 基本满意 close the ticket; 不满意 asks why, then reopens it."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[2] not in RATING_KEYS or not NUMBER.match(parts[1]):
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    number, rating = parts[1], RATING_KEYS[parts[2]]
    svc = services(context)
    assert update.effective_user is not None
    if rating == Rating.UNSATISFIED:
        try:
            async with svc.uow() as uow:
                ticket, _ = await resident_ticket(
                    uow=uow, resident_user_id=update.effective_user.id, number=number
                )
        except TicketNotFound:
            ticket = None
        if ticket is None or allowed(ticket.status, Action.REJECT) is None:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
            return
        await intake.put_state(svc, update, ConversationState(intake.REASON, {"number": number}))
        await query.answer()  # after the save: the ticket read and the state saved, one transaction
        assert update.effective_chat is not None
        await update.effective_chat.send_message(texts.REASON_PROMPT)
        return
    if await _rate(update, context, number, rating, ""):
        state = await intake.get_state(svc, update)
        if state.state in (intake.REASON, intake.ADDING) and state.data.get("number") == number:
            await intake.put_state(svc, update, ConversationState())


async def _rate(update: Update, context: Context, number: str, rating: Rating, reason: str) -> bool:
    svc = services(context)
    assert update.effective_user is not None
    try:
        async with svc.uow() as uow:
            await rate_ticket(
                uow=uow,
                resident_user_id=update.effective_user.id,
                number=number,
                rating=rating,
                reason=reason,
                policy=svc.policy,
            )
    except (TicketNotFound, IllegalTransition):
        if update.callback_query:
            await update.callback_query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return False
    svc.kick_outbox()
    if update.callback_query:
        await update.callback_query.answer(texts.RATING_THANKS)
        await update.callback_query.edit_message_reply_markup(None)
    return True


async def on_text(update: Update, context: Context) -> None:
    """Any plain text. An emergency is answered first, whatever else is going on; then the
    conversation in progress, an answer to staff's question, a typed rating, a follow-up
    about a filed ticket; anything else starts a new report (bot.intake)."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    assert update.effective_user is not None
    text = message.text
    found = emergency(text)
    if found is not None:
        await intake.report_emergency(update, context, text, found)
        return
    user_id = update.effective_user.id
    async with svc.uow() as uow:  # the conversation, and without one the resident's tickets
        state = await intake.read_state(uow, update)
        tickets = await _tickets(uow, user_id) if state.state is None else None
    if state.state == intake.REASON:
        await intake.put_state(svc, update, ConversationState())
        if await _rate(update, context, state.data["number"], Rating.UNSATISFIED, text[:500]):
            await message.reply_text(texts.RATING_THANKS)
            return
        state = ConversationState()  # the ticket moved on meanwhile: this is a new message
    if state.state == intake.ADDING:
        await intake.put_state(svc, update, ConversationState())
        await _add_info(update, context, state.data["number"], text=text)
        return
    if state.state == intake.FOLLOW_UP:  # typed instead of pressing 补充 / 新问题
        await _follow_up_typed(update, context, state, text)
        return
    if state.state is not None:
        await intake.on_text(update, context, state)
        return
    if tickets is None:
        async with svc.uow() as uow:
            tickets = await _tickets(uow, user_id)
    waiting, recent = tickets
    if waiting is not None:
        await _add_info(update, context, waiting.number, text=text)
        return
    to_rate = next((t for t in recent if allowed(t.status, Action.RATE)), None)
    rated = typed_rating(text)
    if to_rate is not None and rated is not None:
        await _typed_rating(update, context, to_rate.number, *rated)
        return
    open_one = next((t for t in recent if allowed(t.status, Action.ADD_INFO)), None)
    if open_one is not None and is_follow_up(text):
        pending = {"number": open_one.number, "text": text}
        await intake.put_state(svc, update, ConversationState(intake.FOLLOW_UP, pending))
        offer = texts.FOLLOW_UP_OFFER.format(
            number=open_one.number, snippet=texts.snippet(open_one.text)
        )
        await message.reply_text(offer, reply_markup=follow_up_keyboard(open_one.number))
        return
    await intake.begin(update, context, text)


async def _tickets(uow: UnitOfWork, user_id: int) -> tuple[TicketView | None, list[TicketView]]:
    """The resident's ticket waiting for more information, and the latest five."""
    return await resident_overview(uow=uow, resident_user_id=user_id, recent=5)


def follow_up_keyboard(number: str) -> InlineKeyboardMarkup:
    """补充到 TB-… / 这是新问题."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.FOLLOW_UP_ADD.format(number=number), callback_data="f:add"
                )
            ],
            [InlineKeyboardButton(texts.FOLLOW_UP_NEW, callback_data="f:new")],
        ]
    )


_ADD_WORDS = ("补充", "补充到", "补上", "加上", "是", "是的", "对", "对的", "旧的", "原来的")
_NEW_WORDS = ("新问题", "新的", "是新问题", "新", "不是", "另一个", "别的事", "另外的事")


async def _follow_up_typed(
    update: Update, context: Context, state: ConversationState, text: str
) -> None:
    """补充 / 是 (add it) or 新问题 / 不是 (a new report) typed instead of pressed; any other
    text joins the pending one and the question is asked again, so nothing is lost."""
    svc = services(context)
    flat = bare(text)
    number, pending = state.data["number"], state.data["text"]
    if flat in _ADD_WORDS or flat in _NEW_WORDS:
        await intake.put_state(svc, update, ConversationState())
        if flat in _ADD_WORDS:
            await _add_info(update, context, number, text=pending, progress=True)
        else:
            await intake.begin(update, context, pending)
        return
    state.data["text"] = f"{pending}\n{text}"[:MAX_TEXT_CHARS]
    await intake.put_state(svc, update, state)
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        texts.FOLLOW_UP_OFFER.format(number=number, snippet=texts.snippet(state.data["text"])),
        reply_markup=follow_up_keyboard(number),
    )


async def on_follow_up_button(update: Update, context: Context) -> None:
    """补充到 TB-… or 这是新问题, for the message the resident sent after filing."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    state = await intake.get_state(svc, update)
    if state.state != intake.FOLLOW_UP:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await intake.put_state(svc, update, ConversationState())  # with the read, before answering
    await query.answer()
    await query.edit_message_reply_markup(None)
    if query.data == "f:add":
        await _add_info(
            update, context, state.data["number"], text=state.data["text"], progress=True
        )
    else:
        await intake.begin(update, context, state.data["text"])


async def _typed_rating(
    update: Update, context: Context, number: str, rating: Rating, reason: str
) -> None:
    """满意 / 基本满意 / 不满意 typed instead of pressed; 不满意 without a reason asks for one."""
    assert update.effective_message is not None
    if rating == Rating.UNSATISFIED and not reason:
        await intake.put_state(
            services(context), update, ConversationState(intake.REASON, {"number": number})
        )
        await update.effective_message.reply_text(texts.REASON_PROMPT)
        return
    if await _rate(update, context, number, rating, reason):
        await update.effective_message.reply_text(texts.RATING_THANKS)


async def _add_info(
    update: Update,
    context: Context,
    number: str,
    *,
    text: str = "",
    photos: tuple[str, ...] = (),
    voices: tuple[str, ...] = (),
    progress: bool = False,
) -> None:
    svc = services(context)
    assert update.effective_user is not None
    assert update.effective_message is not None
    if len(text) > MAX_TEXT_CHARS:
        await update.effective_message.reply_text(texts.TOO_LONG.format(limit=MAX_TEXT_CHARS))
        return
    try:
        async with svc.uow() as uow:
            await add_resident_info(
                uow=uow,
                resident_user_id=update.effective_user.id,
                number=number,
                text=text,
                photo_file_ids=photos,
                voice_file_ids=voices,
                policy=svc.policy,
            )
    except (TicketNotFound, IllegalTransition, InvalidInput):
        await update.effective_message.reply_text(texts.INFO_CLOSED.format(number=number))
        return
    svc.kick_outbox()
    done = texts.INFO_ADDED_PROGRESS if progress else texts.INFO_ADDED
    assert update.effective_chat is not None
    await update.effective_chat.send_message(done.format(number=number))


async def on_photo(update: Update, context: Context) -> None:
    """A photo: part of the intake, an answer to a question, or added material."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert update.effective_user is not None
    state = await intake.get_state(svc, update)
    if state.state == intake.ADDING:
        await _add_info(
            update,
            context,
            state.data["number"],
            text=message.caption or "",
            photos=(message.photo[-1].file_id,),
        )
        return
    if state.state is None:
        async with svc.uow() as uow:
            waiting = await open_ticket_for_resident(
                uow=uow, resident_user_id=update.effective_user.id
            )
        if waiting is not None:
            await _add_info(
                update,
                context,
                waiting.number,
                text=message.caption or "",
                photos=(message.photo[-1].file_id,),
            )
            return
        if message.caption:
            await intake.begin(update, context, message.caption)
            state = await intake.get_state(svc, update)
            state.data["photos"] = [message.photo[-1].file_id]
            await intake.put_state(svc, update, state)
            return
        await message.reply_text(texts.TOO_SHORT)
        return
    await intake.on_photo(update, context, state)


async def on_voice(update: Update, context: Context) -> None:
    """A voice message: an addition to a ticket, part of the report being written, or the
    report itself (to the dispatch desk, where a person listens to it)."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.voice is not None
    assert update.effective_user is not None
    state = await intake.get_state(svc, update)
    voice = (message.voice.file_id,)
    if state.state == intake.ADDING:
        await intake.put_state(svc, update, ConversationState())
        await _add_info(update, context, state.data["number"], voices=voice)
        return
    if state.state in intake.STEPS:
        await intake.on_voice(update, context, state)
        return
    async with svc.uow() as uow:
        waiting = await open_ticket_for_resident(uow=uow, resident_user_id=update.effective_user.id)
    if waiting is not None:
        await _add_info(update, context, waiting.number, voices=voice)
        return
    await intake.file_voice(update, context)


async def on_location(update: Update, context: Context) -> None:
    """A location pin."""
    state = await intake.get_state(services(context), update)
    await intake.on_location(update, context, state)


async def on_contact(update: Update, context: Context) -> None:
    """A shared contact (the phone step)."""
    state = await intake.get_state(services(context), update)
    await intake.on_contact(update, context, state)


async def on_intake_button(update: Update, context: Context) -> None:
    """Buttons of the intake conversation."""
    state = await intake.get_state(services(context), update)
    await intake.on_button(update, context, state)


async def unsupported(update: Update, context: Context) -> None:
    """Stickers, voice, video, files and the like."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.UNSUPPORTED)


async def edited(update: Update, context: Context) -> None:
    """Edits do not change what was submitted; say so instead of silently ignoring."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        "修改已发送的消息不会更新诉求内容。如需补充，请直接发送新消息。"
    )


async def staff_only(update: Update, context: Context) -> None:
    """A staff command in a private chat."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.STAFF_ONLY)


async def unknown_command(update: Update, context: Context) -> None:
    """Anything else that starts with a slash."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


async def forged_button(update: Update, context: Context) -> None:
    """Callback data that matches nothing we ever sent."""
    assert update.callback_query is not None
    await update.callback_query.answer(texts.BUTTON_EXPIRED, show_alert=True)


TRUSTED_KEY = "minyi.flood_trusted"


def trusted(context: Context) -> frozenset[int]:
    """Users the flood guard lets through: collectors, who record one request after another
    at a street desk (set when the bot starts, bot.collectors.set_commands)."""
    found = context.application.bot_data.get(TRUSTED_KEY, frozenset())
    return found if isinstance(found, frozenset) else frozenset()


def flood_guard(guard: FloodGuard) -> TypeHandler[Update, Context, None]:
    """A first-group handler that drops a single user's flood before any work is done."""

    async def check(update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None or update.effective_chat is None:
            return
        if update.effective_chat.type != "private" or user.id in trusted(context):
            return
        if guard.allow(user.id):
            return
        if guard.warned_once(user.id) and update.effective_message is not None:
            await update.effective_message.reply_text(texts.FLOOD)
        raise ApplicationHandlerStop

    return TypeHandler(Update, check)


async def answer_again(update: Update, svc: Services) -> None:
    """A worker died after handling this update and maybe before answering it: a resident in
    the middle of a report is asked the current step's question again (never handled twice)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    state = await intake.get_state(svc, update)
    if state.state is not None:
        await intake.again(update, svc, state)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Register every resident handler (private chats only)."""
    application.add_handler(flood_guard(FloodGuard()), group=FLOOD_GROUP)
    private_command = PRIVATE & NEW_MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", start, filters=private_command),
            CommandHandler("help", help_command, filters=private_command),
            CommandHandler("my", my, filters=private_command),
            CommandHandler("status", status, filters=private_command),
            CommandHandler("cancel", intake.cancel, filters=private_command),
            CommandHandler(STAFF_COMMANDS, staff_only, filters=private_command),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.COMMAND, unknown_command),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.TEXT, on_text),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.PHOTO, on_photo),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.LOCATION, on_location),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.CONTACT, on_contact),
            MessageHandler(PRIVATE & NEW_MESSAGE & filters.VOICE, on_voice),
            MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, edited),
            MessageHandler(PRIVATE & NEW_MESSAGE, unsupported),
            CallbackQueryHandler(on_intake_button, pattern=r"^i:"),
            CallbackQueryHandler(on_rating_button, pattern=r"^r:"),
            CallbackQueryHandler(on_add_button, pattern=r"^add:"),
            CallbackQueryHandler(on_status_button, pattern=r"^st:"),
            CallbackQueryHandler(on_follow_up_button, pattern=r"^f:"),
            CallbackQueryHandler(knowledge.on_button, pattern=r"^k:"),
        ]
    )


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Last resort: button data nobody recognises (added after every feature's handlers)."""
    application.add_handler(CallbackQueryHandler(forged_button))
