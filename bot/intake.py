"""The resident's intake: the description first, the place only if it is missing, then one
summary to confirm, where photos and a phone number can be added.

What each step accepts is declared in one table, `STEPS` (step → what a typed text means
there → what happens). People type instead of pressing buttons, so every button has typed
words that do the same (bot.understanding), and a text that fits no answer of the step is
never lost: it is added to the description, or the bot says what it can do. State lives in
the database (storage.conversations), so a restart or another worker continues where the
resident left off; a press of an old button re-sends the current step's question.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot import texts
from bot.knowledge import answer_question
from bot.presses import answer_pending, answered_later
from bot.services import Context, Services, services
from bot.understanding import (
    Emergency,
    Intent,
    intent,
    is_question,
    is_repeat,
    is_vague,
    phone_number,
    place_in,
    small_talk,
)
from classifiers.model import Prediction
from storage.conversations import (
    ConversationState,
    consume_state,
    load_state,
    read_together,
    save_state,
)
from storage.errors import InvalidInput, RateLimited
from storage.routing import decide
from storage.themes import current_theme
from storage.tickets import MAX_TEXT_CHARS, Draft, ResidentRef, open_ticket
from storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

INTAKE = "intake"
read_together(INTAKE)  # a chat's conversations are read at once
PREDICTION = "prediction"  # the model's guess for the draft's text, made at the summary
DESCRIBE, PLACE, CONFIRM, PHOTOS, PHONE, PHONE_OK, EDIT = (
    "describe",
    "place",
    "confirm",
    "photos",
    "phone",
    "phone_ok",
    "edit",
)
ADDING, REASON, FOLLOW_UP = "adding", "reason", "follow_up"

CB_CONFIRM, CB_EDIT, CB_CANCEL, CB_DONE = "i:confirm", "i:edit", "i:cancel", "i:done"
CB_PLACE, CB_PHOTOS, CB_PHONE = "i:place", "i:photos", "i:phone"
CB_PHONE_YES, CB_PHONE_NO = "i:phone_yes", "i:phone_no"
CB_THEME = "i:theme"  # the month's theme (每月一个主题), offered when one is set


def conversation_key(update: Update) -> str:
    """One conversation per private chat."""
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


async def get_state(svc: Services, update: Update) -> ConversationState:
    """The resident's saved conversation state."""
    async with svc.uow() as uow:
        return await read_state(uow, update)


async def read_state(uow: UnitOfWork, update: Update) -> ConversationState:
    """`get_state` inside the caller's unit of work (read with what else it needs)."""
    return await load_state(uow=uow, name=INTAKE, key=conversation_key(update))


async def put_state(svc: Services, update: Update, state: ConversationState) -> None:
    """Save the resident's conversation state."""
    async with svc.uow() as uow:
        await save_state(uow=uow, name=INTAKE, key=conversation_key(update), state=state)


# --- keyboards --------------------------------------------------------------------------------


def _place_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SEND_LOCATION, request_location=True)], [texts.SKIP]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE, request_contact=True)], [texts.NO_PHONE]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _done_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.DONE, callback_data=CB_DONE)]])


def _phone_ok_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.PHONE_YES, callback_data=CB_PHONE_YES),
                InlineKeyboardButton(texts.PHONE_NO, callback_data=CB_PHONE_NO),
            ]
        ]
    )


def _summary_keyboard(theme: str | None = None, chosen: bool = False) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(texts.CONFIRM, callback_data=CB_CONFIRM)],
        [
            InlineKeyboardButton(texts.ADD_PLACE, callback_data=CB_PLACE),
            InlineKeyboardButton(texts.ADD_PHOTOS, callback_data=CB_PHOTOS),
            InlineKeyboardButton(texts.ADD_PHONE, callback_data=CB_PHONE),
        ],
        [
            InlineKeyboardButton(texts.EDIT, callback_data=CB_EDIT),
            InlineKeyboardButton(texts.CANCEL, callback_data=CB_CANCEL),
        ],
    ]
    if theme:
        label = (texts.THEME_CHOSEN if chosen else texts.THEME_OFFER).format(theme=theme)
        rows.append([InlineKeyboardButton(label, callback_data=CB_THEME)])
    return InlineKeyboardMarkup(rows)


# --- sending ----------------------------------------------------------------------------------


async def _say(update: Update, text: str, markup: Any = None) -> None:
    assert update.effective_chat is not None
    await answer_pending()
    await update.effective_chat.send_message(text, reply_markup=markup)


async def _save(svc: Services, update: Update, state: ConversationState, step: str) -> None:
    state.state = step
    await put_state(svc, update, state)


async def ask_place(update: Update, svc: Services, state: ConversationState) -> None:
    """Where did it happen? (only when the description names no place)."""
    await _save(svc, update, state, PLACE)
    await _say(update, texts.ASK_PLACE, _place_keyboard())


async def summary(
    update: Update, svc: Services, state: ConversationState, *, lead: str = ""
) -> None:
    """Show the report to confirm; classify it here, once per version of the text."""
    data = state.data
    prediction = svc.classifier.predict(data["text"])
    data[PREDICTION] = _stored(prediction)
    decision = decide(
        _routable(data["text"], prediction),
        threshold=svc.policy.dispatch_threshold,
        known=svc.district.codes,
    )
    names = svc.department_names()
    routing = (
        texts.ROUTING_CONFIDENT.format(department=names[decision.route_to])
        if decision.route_to
        else texts.ROUTING_UNSURE
    )
    pinned = "latitude" in data
    place = (
        f"{data['address']}{texts.PLACE_PIN_TOO if pinned else ''}"
        if data.get("address")
        else (texts.PLACE_PIN if pinned else texts.NO_PLACE)
    )
    async with svc.uow() as uow:  # the month's theme, read and saved with the summary
        theme = await current_theme(uow=uow, day=datetime.now(svc.tz).date())
        if data.get("theme") and data["theme"] != theme:
            data.pop("theme")  # the month's theme changed meanwhile
        state.state = CONFIRM
        await save_state(uow=uow, name=INTAKE, key=conversation_key(update), state=state)
    body = texts.SUMMARY.format(
        text=data["text"],
        place=place,
        photos=len(data.get("photos", [])),
        phone=texts.PHONE_SHARED if data.get("phone") else texts.PHONE_NONE,
        routing=routing,
    )
    keyboard = _summary_keyboard(theme, bool(data.get("theme")))
    await _say(update, (lead + "\n\n" if lead else "") + body, keyboard)


async def _ask_photos(update: Update, svc: Services, state: ConversationState) -> None:
    await _save(svc, update, state, PHOTOS)
    await _say(update, texts.ASK_PHOTOS.format(limit=svc.max_photos), _done_keyboard())


async def _ask_phone(update: Update, svc: Services, state: ConversationState) -> None:
    await _save(svc, update, state, PHONE)
    await _say(update, texts.ASK_PHONE, _phone_keyboard())


async def _confirm_phone(
    update: Update, svc: Services, state: ConversationState, number: str
) -> None:
    state.data["pending_phone"] = number
    await _save(svc, update, state, PHONE_OK)
    await _say(update, texts.CONFIRM_PHONE.format(phone=number), _phone_ok_keyboard())


# --- the description ----------------------------------------------------------------------------


def check_text(svc: Services, text: str) -> str | None:
    """A friendly reason why a description cannot be used, or None."""
    stripped = text.strip()
    if len(stripped) > MAX_TEXT_CHARS:
        return texts.TOO_LONG.format(limit=MAX_TEXT_CHARS)
    if len(stripped) < svc.min_text_chars:
        return texts.TOO_SHORT
    return None


def _stored(prediction: Prediction) -> list[Any]:
    return [prediction.code, prediction.confidence, [list(r) for r in prediction.runner_up]]


def _prediction(data: dict[str, Any]) -> Prediction | None:
    """The prediction made when the summary was shown (None for a draft saved without one)."""
    stored = data.get(PREDICTION)
    if not isinstance(stored, list) or len(stored) != 3:
        return None
    code, confidence, runner_up = stored
    return Prediction(str(code), float(confidence), tuple((str(c), float(p)) for c, p in runner_up))


def _routable(text: str, prediction: Prediction) -> Prediction | None:
    """Text with no domain content goes to the dispatch desk, however sure the model is."""
    return None if is_vague(text) else prediction


async def begin(update: Update, context: Context, text: str, *, knowledge: bool = True) -> None:
    """A message from a resident with no conversation running: small talk gets an answer, a
    vague complaint a question, a question the knowledge base knows its answer (解决了 /
    转人工; `knowledge=False` after 转人工), a description its summary (or the place question
    first)."""
    svc = services(context)
    chat = small_talk(text)
    if chat is not None:
        await _say(update, texts.SMALL_TALK[chat].format(district=svc.district.name))
        return
    if is_vague(text):
        await put_state(svc, update, ConversationState(DESCRIBE, {"vague": text.strip()[:200]}))
        await _say(update, texts.ASK_WHAT)
        return
    if knowledge and is_question(text) and await answer_question(update, context, text):
        return
    await _describe(update, svc, ConversationState(None, {"photos": []}), text)


async def _describe(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    problem = check_text(svc, text)
    if problem:
        await _say(update, problem)
        return
    state.data["text"] = text.strip()
    place = place_in(text, svc.places)
    if place:
        state.data["address"] = place
    if place or "latitude" in state.data or state.data.get("address"):
        await summary(update, svc, state)
    else:
        await ask_place(update, svc, state)


def _add_to_description(state: ConversationState, text: str) -> bool:
    """Append more words to the description; False when it would grow too long."""
    joined = f"{state.data['text']}\n{text.strip()}"
    if len(joined) > MAX_TEXT_CHARS:
        return False
    state.data["text"] = joined
    return True


# --- what a typed text means at each step ---------------------------------------------------------

Step = Callable[[Update, Services, ConversationState, str], Awaitable[None]]


async def _on_describe(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    if intent(text, allowed=(Intent.CANCEL,)):
        await _cancelled(update, svc)
    elif small_talk(text) or is_vague(text):
        await _say(update, texts.ASK_WHAT_AGAIN)
    else:
        await _describe(update, svc, ConversationState(None, {"photos": []}), text)


async def _on_place(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    said = intent(text, allowed=(Intent.SKIP, Intent.CANCEL, Intent.CONFIRM))
    if said == Intent.CANCEL:
        await _cancelled(update, svc)
    elif said is not None:  # 跳过 / 没有 / 好的 …: no place
        await summary(update, svc, state)
    elif is_repeat(text, state.data["text"]):
        await _say(update, texts.SAME_AGAIN + "\n\n" + texts.ASK_PLACE, _place_keyboard())
    elif place_in(text, svc.places) or len(text.strip()) <= 30:
        state.data["address"] = text.strip()[:200]
        await summary(update, svc, state)
    elif _add_to_description(state, text):  # more of the story, not a place
        await _save(svc, update, state, PLACE)
        await _say(update, texts.ASK_PLACE_AGAIN, _place_keyboard())
    else:
        await _say(update, texts.TOO_LONG.format(limit=MAX_TEXT_CHARS))


async def _on_confirm(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    said = intent(text, allowed=(Intent.CONFIRM, Intent.CANCEL, Intent.EDIT, Intent.SKIP))
    number = phone_number(text)
    if said == Intent.CONFIRM:
        await submit(update, svc, state)
    elif said == Intent.CANCEL:
        await _cancelled(update, svc)
    elif said == Intent.EDIT:
        await _save(svc, update, state, EDIT)
        await _say(update, texts.EDIT_PROMPT)
    elif said == Intent.SKIP:  # 没有了 / 就这些: nothing to add, but not a yes either
        await _say(update, texts.CONFIRM_HINT)
    elif number and len(text.strip()) <= len(number) + 8:
        await _confirm_phone(update, svc, state, number)
    elif is_repeat(text, state.data["text"]) or text.strip() in state.data["text"]:
        await _say(update, texts.SAME_AGAIN + texts.CONFIRM_HINT)
    elif not state.data.get("address") and place_in(text, svc.places) and len(text) <= 30:
        state.data["address"] = text.strip()[:200]
        await summary(update, svc, state, lead=texts.SUMMARY_ADDED)
    elif _add_to_description(state, text):
        await summary(update, svc, state, lead=texts.SUMMARY_ADDED)
    else:
        await _say(update, texts.TOO_LONG.format(limit=MAX_TEXT_CHARS))


async def _on_photos(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    """Photos are sent, not typed: 好了 / 没有了 go back to the summary; what else a resident
    types here is still theirs (a phone number, more of the story, 取消), never dropped."""
    said = intent(text, allowed=(Intent.SKIP, Intent.CONFIRM, Intent.CANCEL))
    number = phone_number(text)
    if said in (Intent.SKIP, Intent.CONFIRM):
        await summary(update, svc, state)
    elif said == Intent.CANCEL:
        await _cancelled(update, svc)
    elif number and len(text.strip()) <= len(number) + 8:
        await _confirm_phone(update, svc, state, number)
    elif is_repeat(text, state.data["text"]) or text.strip() in state.data["text"]:
        await _say(update, texts.PHOTOS_HINT, _done_keyboard())
    elif _add_to_description(state, text):
        await summary(update, svc, state, lead=texts.SUMMARY_ADDED)
    else:
        await _say(update, texts.TOO_LONG.format(limit=MAX_TEXT_CHARS))


async def _on_phone(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    number = phone_number(text)
    if number:
        await _confirm_phone(update, svc, state, number)
    elif text.strip() == texts.NO_PHONE or intent(text, allowed=(Intent.SKIP, Intent.NO)):
        state.data.pop("phone", None)
        await summary(update, svc, state)
    else:
        await _say(update, texts.PHONE_HINT, _phone_keyboard())


async def _on_phone_ok(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    number = phone_number(text)
    said = intent(text, allowed=(Intent.YES, Intent.NO))
    if number and number != state.data.get("pending_phone"):
        await _confirm_phone(update, svc, state, number)
    elif said == Intent.YES:
        await _phone_chosen(update, svc, state, consent=True)
    elif said == Intent.NO:
        await _phone_chosen(update, svc, state, consent=False)
    else:
        phone = state.data.get("pending_phone", "")
        await _say(
            update,
            texts.CONFIRM_PHONE.format(phone=phone) + "\n" + texts.PHONE_HINT,
            _phone_ok_keyboard(),
        )


async def _on_edit(update: Update, svc: Services, state: ConversationState, text: str) -> None:
    if intent(text, allowed=(Intent.CANCEL,)):
        await _cancelled(update, svc)
        return
    problem = check_text(svc, text)
    if problem:
        await _say(update, problem)
        return
    state.data["text"] = text.strip()
    await summary(update, svc, state)


# The conversation in one table: the step a resident is at → what their typed text does there.
STEPS: dict[str, Step] = {
    DESCRIBE: _on_describe,
    PLACE: _on_place,
    CONFIRM: _on_confirm,
    PHOTOS: _on_photos,
    PHONE: _on_phone,
    PHONE_OK: _on_phone_ok,
    EDIT: _on_edit,
}


async def on_text(update: Update, context: Context, state: ConversationState) -> None:
    """A text message while the intake is running."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    step = STEPS.get(state.state or "")
    if step is None:  # a step this version does not know: start over, keeping the words
        await begin(update, context, message.text)
        return
    await step(update, services(context), state, message.text)


# --- photos, places, contacts, buttons -------------------------------------------------------


async def on_location(update: Update, context: Context, state: ConversationState) -> None:
    """A location pin: the place, at any step before submitting."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.location is not None
    if state.state not in (PLACE, CONFIRM, PHOTOS, PHONE):
        await message.reply_text(texts.TOO_SHORT, reply_markup=ReplyKeyboardRemove())
        return
    state.data["latitude"] = message.location.latitude
    state.data["longitude"] = message.location.longitude
    await summary(update, svc, state)


async def on_photo(update: Update, context: Context, state: ConversationState) -> None:
    """A photo during the intake: kept with the report (its caption adds to the words)."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    if state.state not in (PLACE, CONFIRM, PHOTOS):
        await message.reply_text(texts.PHOTOS_HINT if state.state else texts.TOO_SHORT)
        return
    photos: list[str] = state.data.setdefault("photos", [])
    if len(photos) >= svc.max_photos:
        await message.reply_text(
            texts.TOO_MANY_PHOTOS.format(limit=svc.max_photos), reply_markup=_done_keyboard()
        )
        return
    photos.append(message.photo[-1].file_id)
    if message.caption:
        if state.state == PLACE and len(message.caption) <= 30:
            state.data["address"] = message.caption.strip()[:200]
        else:
            _add_to_description(state, message.caption)
    await _save(svc, update, state, PHOTOS)
    await message.reply_text(
        texts.PHOTO_SAVED.format(count=len(photos)), reply_markup=_done_keyboard()
    )


async def on_contact(update: Update, context: Context, state: ConversationState) -> None:
    """The resident shares their own phone number, which is their consent."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.contact is not None
    if state.state not in (PHONE, CONFIRM, PHONE_OK):
        await message.reply_text(texts.CONTACT_UNEXPECTED, reply_markup=ReplyKeyboardRemove())
        return
    user = update.effective_user
    if user is None or message.contact.user_id != user.id:
        await message.reply_text(texts.NOT_YOUR_PHONE, reply_markup=_phone_keyboard())
        return
    state.data["phone"] = message.contact.phone_number[:32]
    await summary(update, svc, state)


async def _phone_chosen(
    update: Update, svc: Services, state: ConversationState, *, consent: bool
) -> None:
    pending = state.data.pop("pending_phone", None)
    if consent and pending:
        state.data["phone"] = pending
    await summary(update, svc, state)


async def again(update: Update, svc: Services, state: ConversationState) -> None:
    """Send the current step's question again (its message may have been lost)."""
    if state.state == PLACE:
        await _say(update, texts.ASK_PLACE, _place_keyboard())
    elif state.state == PHOTOS and state.data.get("photos"):  # say what has arrived so far
        count = len(state.data["photos"])
        await _say(update, texts.PHOTO_SAVED.format(count=count), _done_keyboard())
    elif state.state == PHOTOS:
        await _say(update, texts.ASK_PHOTOS.format(limit=svc.max_photos), _done_keyboard())
    elif state.state == PHONE:
        await _say(update, texts.ASK_PHONE, _phone_keyboard())
    elif state.state == PHONE_OK:
        phone = state.data.get("pending_phone", "")
        await _say(update, texts.CONFIRM_PHONE.format(phone=phone), _phone_ok_keyboard())
    elif state.state == EDIT:
        await _say(update, texts.EDIT_PROMPT)
    elif state.state == DESCRIBE:
        await _say(update, texts.ASK_WHAT)
    else:
        await summary(update, svc, state)


async def _ack(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press. One answered already, or too old to answer (its update was taken
    over from a worker thought dead, that may have answered it), is still acted on: the
    resident pressed it, and the report must be filed."""
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest:
        log.info("button press %s could not be answered; acting on it anyway", query.id)


async def on_button(update: Update, context: Context, state: ConversationState) -> None:
    """The intake's buttons; an old button re-sends the question of the step the resident is at."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    valid = {
        CB_CONFIRM: (CONFIRM,),
        CB_EDIT: (CONFIRM,),
        CB_PLACE: (CONFIRM,),
        CB_PHOTOS: (CONFIRM,),
        CB_PHONE: (CONFIRM,),
        CB_THEME: (CONFIRM,),
        CB_DONE: (PHOTOS,),
        CB_PHONE_YES: (PHONE_OK,),
        CB_PHONE_NO: (PHONE_OK,),
    }
    cancelled = data == CB_CANCEL and state.state is not None  # at whatever step
    if not cancelled and state.state not in valid.get(data, ()):
        if state.state in STEPS:
            await _ack(query)
            await again(update, svc, state)  # the resident may never have seen the question
        else:
            await _ack(query, texts.BUTTON_EXPIRED, alert=True)
        return
    async with answered_later(lambda: _ack(query)):  # with the first reply, after the writes
        await _pressed(update, svc, state, data)


async def _pressed(update: Update, svc: Services, state: ConversationState, data: str) -> None:
    """What a valid intake button does."""
    if data == CB_CANCEL:
        await _cancelled(update, svc)
    elif data == CB_CONFIRM:
        await submit(update, svc, state)
    elif data == CB_EDIT:
        await _save(svc, update, state, EDIT)
        await _say(update, texts.EDIT_PROMPT)
    elif data == CB_PLACE:
        await ask_place(update, svc, state)
    elif data == CB_PHOTOS:
        await _ask_photos(update, svc, state)
    elif data == CB_PHONE:
        await _ask_phone(update, svc, state)
    elif data == CB_DONE:
        await summary(update, svc, state)
    elif data == CB_THEME:
        async with svc.uow() as uow:
            theme = await current_theme(uow=uow, day=datetime.now(svc.tz).date())
        state.data["theme"] = None if state.data.get("theme") else theme
        await summary(update, svc, state)
    else:
        await _phone_chosen(update, svc, state, consent=data == CB_PHONE_YES)


# --- submitting, emergencies, cancelling ------------------------------------------------------


async def submit(update: Update, svc: Services, state: ConversationState) -> None:
    """File the ticket: the draft is consumed in the same transaction, so a double tap or a
    second worker files it once."""
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    assert chat is not None
    data: dict[str, Any] = state.data
    prediction: Prediction | None = _prediction(data) or svc.classifier.predict(data["text"])
    if data["text"] == texts.VOICE_REPORT:
        prediction = None  # nothing typed: a person listens to the recording
    draft = Draft(
        text=data["text"],
        address=data.get("address"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        photo_file_ids=tuple(data.get("photos", [])),
        voice_file_ids=tuple(data.get("voices", [])),
        phone=data.get("phone"),
        phone_consent=bool(data.get("phone")),
        theme=data.get("theme") or None,
    )
    try:
        async with svc.uow() as uow:
            if not await consume_state(uow=uow, name=INTAKE, key=str(chat.id), expected=CONFIRM):
                return  # a second tap (on this or another worker) finds the draft taken
            await open_ticket(
                uow=uow,
                resident=ResidentRef(user.id, chat.id, user.full_name[:100]),
                draft=draft,
                prediction=_routable(data["text"], prediction) if prediction else None,
                policy=svc.policy,
            )
    except RateLimited as error:
        await _say(update, texts.RATE_LIMITED.format(limit=error.limit))
        await put_state(svc, update, ConversationState())
        return
    except InvalidInput:
        await _say(update, texts.TOO_SHORT)
        return
    svc.kick_outbox()
    query = update.callback_query
    if query is not None and query.message is not None:
        # The summary becomes the receipt: no extra message before the number arrives.
        await answer_pending()
        await query.edit_message_text(
            (getattr(query.message, "text", None) or "") + texts.SUMMARY_SUBMITTED
        )
    else:
        await _say(update, texts.SUBMITTED, ReplyKeyboardRemove())


async def on_voice(update: Update, context: Context, state: ConversationState) -> None:
    """A voice message during the intake: kept with the report for staff to listen to."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.voice is not None
    state.data.setdefault("voices", []).append(message.voice.file_id)
    await put_state(svc, update, state)
    await message.reply_text(texts.VOICE_ADDED + "\n" + texts.CONFIRM_HINT)


async def file_voice(update: Update, context: Context) -> None:
    """A voice message as the report itself: there is no text to classify, so it goes to the
    dispatch desk at once, with the recording; a person will listen to it."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    assert user is not None
    assert chat is not None
    assert message is not None
    assert message.voice is not None
    try:
        async with svc.uow() as uow:
            await open_ticket(
                uow=uow,
                resident=ResidentRef(user.id, chat.id, user.full_name[:100]),
                draft=Draft(text=texts.VOICE_REPORT, voice_file_ids=(message.voice.file_id,)),
                prediction=None,
                policy=svc.policy,
            )
    except RateLimited as error:
        await message.reply_text(texts.RATE_LIMITED.format(limit=error.limit))
        return
    svc.kick_outbox()
    await message.reply_text(texts.VOICE_FILED)


async def report_emergency(update: Update, context: Context, text: str, found: Emergency) -> None:
    """Tell the person the number to call, now; put the message before the dispatch desk as
    urgent (never an ordinary ticket with a deadline of days)."""
    svc = services(context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    assert chat is not None
    number = ""
    try:
        async with svc.uow() as uow:
            ticket = await open_ticket(
                uow=uow,
                resident=ResidentRef(user.id, chat.id, user.full_name[:100]),
                draft=Draft(text=text.strip()[:MAX_TEXT_CHARS] or found.kind),
                prediction=None,
                policy=svc.policy,
                emergency=f"{found.kind}:{found.number}",
            )
        number = ticket.number
        svc.kick_outbox()
    except (InvalidInput, RateLimited):
        pass  # the number to call matters more than the ticket
    await _say(
        update,
        texts.EMERGENCY.format(
            number=found.number,
            service=texts.EMERGENCY_SERVICES[found.number],
            advice=texts.EMERGENCY_ADVICE.get(found.kind, ""),
            ticket=texts.EMERGENCY_TICKET.format(number=number) if number else "",
        ),
    )


async def _cancelled(update: Update, svc: Services) -> None:
    await put_state(svc, update, ConversationState())
    await _say(update, texts.CANCELLED, ReplyKeyboardRemove())


async def cancel(update: Update, context: Context) -> None:
    """/cancel: drop the draft, whatever step it is at."""
    svc = services(context)
    state = await get_state(svc, update)
    if state.state is None:
        await _say(update, texts.NOTHING_TO_CANCEL, ReplyKeyboardRemove())
        return
    await _cancelled(update, svc)
