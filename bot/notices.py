"""Rendering queued outbox messages into Telegram text and buttons."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from admin import cards
from bot import texts
from bot.residents import rating_keyboard
from storage.models import Audience, Rating


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send: text, optional buttons, optional photos."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photos: tuple[str, ...] = ()
    upload: bytes | None = None
    purpose: str = "notice"


def _resident(kind: str, p: dict[str, Any], tz: ZoneInfo) -> Rendered:
    number = p.get("number", "")
    department = p.get("department", "")
    if kind == "routed":
        template = texts.ROUTED_AGAIN if p.get("again") else texts.ROUTED
        due = texts.local_time(p.get("due_at"), tz)
        return Rendered(template.format(number=number, department=department, due=due))
    if kind == "pending_dispatch":
        return Rendered(texts.PENDING_DISPATCH.format(number=number))
    if kind == "claimed":
        return Rendered(texts.CLAIMED.format(number=number, department=department))
    if kind == "photos":  # photos staff sent with an answer
        return Rendered("", photos=tuple(p.get("photos", [])))
    if kind in ("reply", "question"):
        template = texts.QUESTION if kind == "question" else texts.REPLY
        return Rendered(template.format(number=number, department=department, text=p["text"]))
    if kind == "resolved":
        if p.get("duplicate_of"):
            text = texts.RESOLVED_DUPLICATE.format(number=number, original=p["duplicate_of"])
        else:
            code = texts.CLOSURE_NAMES.get(p.get("code", ""), "")
            text = texts.RESOLVED.format(
                number=number, code=code, department=department, answer=p.get("answer", "")
            )
        return Rendered(text, rating_keyboard(number))
    if kind == "reopened":
        return Rendered(texts.REOPENED.format(number=number, department=department))
    if kind == "closed":
        template = texts.CLOSED_UNRATED if p.get("rating") == Rating.UNRATED else texts.CLOSED
        return Rendered(template.format(number=number))
    return Rendered(str(p.get("text", "")))


def render(
    audience: str, kind: str, payload: dict[str, Any], *, tz: ZoneInfo, names: dict[str, str]
) -> Rendered:
    """Turn one outbox row into what is sent (`names`: routable department code → name)."""
    if audience == Audience.RESIDENT:
        return _resident(kind, payload, tz)
    if kind == "ticket_card":
        text, markup = cards.ticket_card(payload, tz)
        return Rendered(text, markup, purpose="card")
    if kind == "dispatch_card":
        text, markup = cards.dispatch_card(payload, names)
        return Rendered(text, markup, purpose="card")
    if kind == "photos":
        return Rendered("", photos=tuple(payload.get("photos", [])))
    if kind == "digest_chart":
        return Rendered(str(payload.get("day", "")), upload=base64.b64decode(payload["chart_png"]))
    notice = cards.notice(kind, payload, tz)
    return Rendered(notice if notice is not None else str(payload))
