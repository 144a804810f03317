"""The resident's intake conversation: problem → place → photos → phone → confirm.

State lives in the database (storage.conversations), read on every update, so a restart or
another worker continues where the resident left off.
"""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot import texts
from bot.services import Context, Services, services
from classifiers.model import Prediction
from storage.conversations import ConversationState, consume_state, load_state, save_state
from storage.errors import InvalidInput, RateLimited
from storage.routing import decide
from storage.tickets import MAX_TEXT_CHARS, Draft, ResidentRef, open_ticket

INTAKE = "intake"
PREDICTION = "prediction"  # the model's guess for the draft's text, made at the summary
PLACE, PHOTOS, PHONE, CONFIRM, EDIT = "place", "photos", "phone", "confirm", "edit"
ADDING, REASON = "adding", "reason"

CB_CONFIRM, CB_EDIT, CB_CANCEL, CB_DONE = "i:confirm", "i:edit", "i:cancel", "i:done"


def conversation_key(update: Update) -> str:
    """One conversation per private chat."""
    assert update.effective_chat is not None
    return str(update.effective_chat.id)


async def get_state(svc: Services, update: Update) -> ConversationState:
    """The resident's saved conversation state."""
    async with svc.uow() as uow:
        return await load_state(uow=uow, name=INTAKE, key=conversation_key(update))


async def put_state(svc: Services, update: Update, state: ConversationState) -> None:
    """Save the resident's conversation state."""
    async with svc.uow() as uow:
        await save_state(uow=uow, name=INTAKE, key=conversation_key(update), state=state)


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


def _confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.CONFIRM, callback_data=CB_CONFIRM)],
            [
                InlineKeyboardButton(texts.EDIT, callback_data=CB_EDIT),
                InlineKeyboardButton(texts.CANCEL, callback_data=CB_CANCEL),
            ],
        ]
    )


def check_text(svc: Services, text: str) -> str | None:
    """A friendly reason why a description cannot be used, or None."""
    stripped = text.strip()
    if len(stripped) > MAX_TEXT_CHARS:
        return texts.TOO_LONG.format(limit=MAX_TEXT_CHARS)
    if len(stripped) < svc.min_text_chars:
        return texts.TOO_SHORT
    return None


async def begin(update: Update, context: Context, text: str) -> None:
    """A new problem description starts the intake."""
    svc = services(context)
    assert update.effective_message is not None
    problem = check_text(svc, text)
    if problem:
        await update.effective_message.reply_text(problem)
        return
    await put_state(svc, update, ConversationState(PLACE, {"text": text.strip(), "photos": []}))
    await update.effective_message.reply_text(texts.ASK_PLACE, reply_markup=_place_keyboard())


async def on_text(update: Update, context: Context, state: ConversationState) -> None:
    """A text message while the intake is running."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    text = message.text.strip()
    if state.state == PLACE:
        if text != texts.SKIP:
            state.data["address"] = text[:200]
        await _ask_photos(update, svc, state)
    elif state.state == PHOTOS:
        await message.reply_text(
            texts.ASK_PHOTOS.format(limit=svc.max_photos), reply_markup=_done_keyboard()
        )
    elif state.state == PHONE:
        if text == texts.NO_PHONE:
            state.data.pop("phone", None)
            await _summary(update, svc, state)
        else:
            await message.reply_text(texts.ASK_PHONE, reply_markup=_phone_keyboard())
    elif state.state == EDIT:
        problem = check_text(svc, text)
        if problem:
            await message.reply_text(problem)
            return
        state.data["text"] = text
        await _summary(update, svc, state)
    else:  # CONFIRM: a new text replaces the description
        problem = check_text(svc, text)
        if problem:
            await message.reply_text(problem)
            return
        state.data["text"] = text
        await _summary(update, svc, state)


async def _ask_photos(update: Update, svc: Services, state: ConversationState) -> None:
    assert update.effective_message is not None
    state.state = PHOTOS
    await put_state(svc, update, state)
    await update.effective_message.reply_text(
        texts.ASK_PHOTOS.format(limit=svc.max_photos), reply_markup=_done_keyboard()
    )


async def _ask_phone(update: Update, svc: Services, state: ConversationState) -> None:
    assert update.effective_chat is not None
    state.state = PHONE
    await put_state(svc, update, state)
    await update.effective_chat.send_message(texts.ASK_PHONE, reply_markup=_phone_keyboard())


def _stored(prediction: Prediction) -> list[Any]:
    return [prediction.code, prediction.confidence, [list(r) for r in prediction.runner_up]]


def _prediction(data: dict[str, Any]) -> Prediction | None:
    """The prediction made when the summary was shown (None for a draft saved without one)."""
    stored = data.get(PREDICTION)
    if not isinstance(stored, list) or len(stored) != 3:
        return None
    code, confidence, runner_up = stored
    return Prediction(str(code), float(confidence), tuple((str(c), float(p)) for c, p in runner_up))


async def _summary(update: Update, svc: Services, state: ConversationState) -> None:
    assert update.effective_chat is not None
    data = state.data
    prediction = svc.classifier.predict(data["text"])
    data[PREDICTION] = _stored(prediction)  # the report is classified once, here
    decision = decide(prediction, threshold=svc.policy.dispatch_threshold, known=svc.district.codes)
    names = svc.department_names()
    routing = (
        texts.ROUTING_CONFIDENT.format(department=names[decision.route_to])
        if decision.route_to
        else texts.ROUTING_UNSURE
    )
    place = data.get("address") or (texts.PLACE_PIN if "latitude" in data else texts.NO_PLACE)
    state.state = CONFIRM
    await put_state(svc, update, state)
    await update.effective_chat.send_message(
        texts.SUMMARY.format(
            text=data["text"],
            place=place,
            photos=len(data.get("photos", [])),
            phone=texts.PHONE_SHARED if data.get("phone") else texts.PHONE_NONE,
            routing=routing,
        ),
        reply_markup=_confirm_keyboard(),
    )


async def on_location(update: Update, context: Context, state: ConversationState) -> None:
    """A location pin answers the place question."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.location is not None
    if state.state != PLACE:
        await message.reply_text(texts.TOO_SHORT if state.state is None else texts.ASK_PLACE)
        return
    state.data["latitude"] = message.location.latitude
    state.data["longitude"] = message.location.longitude
    await _ask_photos(update, svc, state)


async def on_photo(update: Update, context: Context, state: ConversationState) -> None:
    """A photo during the photo step."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    photos: list[str] = state.data.setdefault("photos", [])
    if state.state not in (PLACE, PHOTOS):
        await message.reply_text(texts.ASK_PHOTOS.format(limit=svc.max_photos))
        return
    if len(photos) >= svc.max_photos:
        await message.reply_text(
            texts.TOO_MANY_PHOTOS.format(limit=svc.max_photos), reply_markup=_done_keyboard()
        )
        return
    photos.append(message.photo[-1].file_id)
    if message.caption and state.state == PLACE:
        state.data["address"] = message.caption[:200]
    state.state = PHOTOS
    await put_state(svc, update, state)
    await message.reply_text(
        texts.PHOTO_SAVED.format(count=len(photos)), reply_markup=_done_keyboard()
    )


async def on_contact(update: Update, context: Context, state: ConversationState) -> None:
    """The resident shares their own phone number, which is their consent."""
    svc = services(context)
    message = update.effective_message
    assert message is not None
    assert message.contact is not None
    if state.state != PHONE:
        await message.reply_text(texts.CONTACT_UNEXPECTED, reply_markup=ReplyKeyboardRemove())
        return
    user = update.effective_user
    if user is None or message.contact.user_id != user.id:
        await message.reply_text(texts.NOT_YOUR_PHONE, reply_markup=_phone_keyboard())
        return
    state.data["phone"] = message.contact.phone_number[:32]
    await _summary(update, svc, state)


async def on_button(update: Update, context: Context, state: ConversationState) -> None:
    """Done / confirm / edit / cancel buttons of the intake."""
    svc = services(context)
    query = update.callback_query
    assert query is not None
    if query.data == CB_CANCEL:
        await cancel(update, context)
        await query.answer()
        return
    expected = {CB_DONE: PHOTOS, CB_CONFIRM: CONFIRM, CB_EDIT: CONFIRM}
    if expected.get(query.data or "") != state.state:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer()
    if query.data == CB_DONE:
        await _ask_phone(update, svc, state)
    elif query.data == CB_EDIT:
        state.state = EDIT
        await put_state(svc, update, state)
        await query.edit_message_reply_markup(None)
        assert update.effective_chat is not None
        await update.effective_chat.send_message(texts.EDIT_PROMPT)
    else:
        await _submit(update, svc, state)


async def _submit(update: Update, svc: Services, state: ConversationState) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    assert query is not None
    assert user is not None
    assert chat is not None
    data: dict[str, Any] = state.data
    prediction = _prediction(data) or svc.classifier.predict(data["text"])
    draft = Draft(
        text=data["text"],
        address=data.get("address"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        photo_file_ids=tuple(data.get("photos", [])),
        phone=data.get("phone"),
        phone_consent=bool(data.get("phone")),
    )
    try:
        async with svc.uow() as uow:
            # Consuming the draft and creating the ticket commit together: a double tap
            # cannot create two tickets, a crash cannot lose the draft.
            if not await consume_state(uow=uow, name=INTAKE, key=str(chat.id), expected=CONFIRM):
                return  # a second tap (on this or another worker) finds the draft taken
            await open_ticket(
                uow=uow,
                resident=ResidentRef(user.id, chat.id, user.full_name[:100]),
                draft=draft,
                prediction=prediction,
                policy=svc.policy,
            )
    except RateLimited as error:
        await query.edit_message_reply_markup(None)
        await chat.send_message(texts.RATE_LIMITED.format(limit=error.limit))
        await put_state(svc, update, ConversationState())
        return
    except InvalidInput:
        await chat.send_message(texts.TOO_SHORT)
        return
    svc.kick_outbox()
    await query.edit_message_reply_markup(None)
    await chat.send_message(texts.SUBMITTED)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: drop the draft, whatever step it is at."""
    svc = services(context)
    state = await get_state(svc, update)
    assert update.effective_chat is not None
    if state.state is None:
        await update.effective_chat.send_message(
            texts.NOTHING_TO_CANCEL, reply_markup=ReplyKeyboardRemove()
        )
        return
    await put_state(svc, update, ConversationState())
    await update.effective_chat.send_message(texts.CANCELLED, reply_markup=ReplyKeyboardRemove())
