"""Ticket cards, their buttons, and the resident's rating buttons: the messages people act on.

Callback data is a contract with the handlers that read it back (bot.residents, admin.staff,
admin.dispatch); it is verified against the database on every press.
"""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from delivery import texts
from storage.lifecycle import is_open
from storage.models import Rating, Status
from storage.notices import (
    CardVia,
    DispatchCard,
    DispatchReason,
    SendBackCard,
    StaffCard,
    TicketCard,
)
from storage.vocabulary import RATING_NAMES, channel_name, status_name

# The resident's verdict buttons: `r:<number>:<key>`.
RATING_KEYS: Mapping[str, Rating] = {
    "s": Rating.SATISFIED,
    "b": Rating.BASICALLY,
    "u": Rating.UNSATISFIED,
}


def rating_keyboard(number: str) -> InlineKeyboardMarkup:
    """满意 / 基本满意 / 不满意 buttons for a resolved ticket."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(RATING_NAMES[rating], callback_data=f"r:{number}:{key}")
                for key, rating in RATING_KEYS.items()
            ]
        ]
    )


FOLLOW_UP_KEYS: Mapping[str, Rating] = {
    "s": Rating.SATISFIED,
    "b": Rating.BASICALLY,
    "u": Rating.UNSATISFIED,
    "n": Rating.NOT_REACHED,
}


def follow_up_keyboard(number: str) -> InlineKeyboardMarkup:
    """The collector's 回访 buttons: 满意 / 基本满意 / 不满意 / 联系不上."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.FOLLOW_UP_BUTTONS[key], callback_data=f"cv:{number}:{key}"
                )
                for key in FOLLOW_UP_KEYS
            ]
        ]
    )


def relay_keyboard(number: str) -> InlineKeyboardMarkup:
    """Under a department's question to a resident nobody follows in Telegram: the collector
    passes on the resident's answer."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.RELAY, callback_data=f"ca:{number}")]])


def card_keyboard(number: str) -> InlineKeyboardMarkup:
    """Buttons on a department's ticket card."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.CLAIM, callback_data=f"s:claim:{number}"),
                InlineKeyboardButton(texts.MOVE, callback_data=f"s:move:{number}"),
                InlineKeyboardButton(texts.RESOLVE, callback_data=f"s:done:{number}"),
            ]
        ]
    )


def _place(card: StaffCard) -> str:
    if card.address:
        return texts.CARD_PLACE.format(place=card.address)
    if card.latitude is not None and card.longitude is not None:
        return texts.CARD_PIN.format(lat=card.latitude, lon=card.longitude)
    return ""


def place_line(card: StaffCard) -> str:
    """Where, as the cards say it (empty when the resident said nowhere)."""
    place = _place(card)
    return f"\n{place}" if place else ""


def card_text(card: StaffCard, names: Mapping[str, str], tz: ZoneInfo) -> str:
    """The body of a ticket's card (phone only with consent)."""
    text = texts.CARD.format(
        number=card.number,
        department=names.get(card.department_code, card.department_code),
        due=texts.local_time(card.due_at, tz),
        resident=card.resident_name or texts.CARD_RESIDENT,
        phone=texts.CARD_PHONE.format(phone=card.phone) if card.phone else "",
        place=_place(card),
        text=card.text,
    )
    if card.photos:
        text += texts.CARD_PHOTOS.format(count=len(card.photos))
    if card.voices:
        text += texts.CARD_VOICES.format(count=len(card.voices))
    if card.team:
        text += texts.CARD_RECORDED.format(team=card.team, channel=channel_name(card.channel))
    return text


def ticket_card(
    notice: TicketCard, names: Mapping[str, str], tz: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """The card a department sees for a ticket routed to it."""
    card = notice.card
    text = card_text(card, names, tz)
    if notice.via == CardVia.DISPATCHED:
        text += texts.CARD_DISPATCHED
    elif notice.via == CardVia.REASSIGNED:
        text += texts.CARD_REASSIGNED.format(reason=notice.reason or texts.NO_VALUE)
    elif card.confidence is not None:
        text += texts.CARD_CONFIDENCE.format(confidence=card.confidence)
    if notice.unbound_department_code:
        code = notice.unbound_department_code
        text = texts.CARD_UNBOUND.format(department=names.get(code, code)) + text
    return text, card_keyboard(card.number)


def send_back_card(
    notice: SendBackCard, names: Mapping[str, str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The dispatch centre's card for a 退单: a button per other department approves it and
    re-dispatches there (`names`: the routable departments)."""
    card = notice.card
    number = card.number
    codes = [code for code in names if code != card.department_code]
    rows = [
        [
            InlineKeyboardButton(names[code], callback_data=f"d:{number}:{code}")
            for code in codes[i : i + 3]
        ]
        for i in range(0, len(codes), 3)
    ]
    text = texts.SEND_BACK_CARD.format(
        number=number,
        department=names.get(card.department_code, card.department_code),
        reason=notice.reason,
        text=card.text,
        place=_place(card),
    )
    return text, InlineKeyboardMarkup(rows)


def extension_keyboard(number: str, days: int) -> InlineKeyboardMarkup:
    """批准 / 不批准 buttons for supervisors: `x:ok|no:<number>:<days>`."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.EXTENSION_APPROVE, callback_data=f"x:ok:{number}:{days}"
                ),
                InlineKeyboardButton(texts.EXTENSION_DENY, callback_data=f"x:no:{number}:{days}"),
            ]
        ]
    )


def dispatch_card(
    notice: DispatchCard, names: Mapping[str, str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The dispatch centre's card: the model's candidates first, then every department
    (`names`: the routable departments)."""
    number = notice.card.number
    suggested = [c for c in notice.candidates if c.code in names][:3]
    rows: list[list[InlineKeyboardButton]] = [
        [
            InlineKeyboardButton(
                f"⭐ {names[c.code]} {c.confidence:.0%}", callback_data=f"d:{number}:{c.code}"
            )
        ]
        for c in suggested
    ]
    rest = [code for code in names if code not in {c.code for c in suggested}]
    for i in range(0, len(rest), 3):
        rows.append(
            [
                InlineKeyboardButton(names[code], callback_data=f"d:{number}:{code}")
                for code in rest[i : i + 3]
            ]
        )
    text = texts.DISPATCH_CARD.format(
        number=number,
        reason=texts.DISPATCH_REASON.get(notice.reason, ""),
        text=notice.card.text,
        place=_place(notice.card),
    )
    if notice.card.photos:
        text += texts.CARD_PHOTOS.format(count=len(notice.card.photos))
    if notice.card.voices:
        text += texts.CARD_VOICES.format(count=len(notice.card.voices))
    if notice.reason == DispatchReason.EMERGENCY:
        kind, _, call = notice.note.partition(":")
        note = texts.EMERGENCY_NOTE.format(kind=texts.EMERGENCY_KINDS.get(kind, kind), number=call)
        text = texts.DISPATCH_URGENT.format(number=number) + text + "\n" + note
    elif notice.note:
        text += "\n" + texts.DISPATCH_NOTE.format(note=notice.note)
    return text, InlineKeyboardMarkup(rows)


def topic_state(number: str, status: Status | str, *, current: bool) -> tuple[str, bool]:
    """A ticket topic's name and whether it is closed; `current`: the group still owns it."""
    if not current:
        return texts.TOPIC_NAME.format(number=number, status=texts.TOPIC_MOVED)[:128], True
    label = status_name(status, staff=True)
    return (
        texts.TOPIC_NAME.format(number=number, status=label)[:128],
        not is_open(status),
    )
