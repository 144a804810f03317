"""Ticket cards and notices for department groups, dispatch and supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from admin import texts

STATUS_LABELS = {
    "routed": "待认领",
    "in_progress": "办理中",
    "reopened": "重办中",
    "resolved": "已办结",
    "closed": "已归档",
    "pending_dispatch": "已转出",
}


def _due(value: str | None, tz: ZoneInfo) -> str:
    if not value:
        return "—"
    local = datetime.fromisoformat(value).astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _place(payload: dict[str, Any]) -> str:
    if payload.get("address"):
        return texts.CARD_PLACE.format(place=payload["address"])
    if payload.get("latitude") is not None and payload.get("longitude") is not None:
        return texts.CARD_PIN.format(lat=payload["latitude"], lon=payload["longitude"])
    return ""


def card_keyboard(number: str) -> InlineKeyboardMarkup:
    """Buttons on a department's ticket card."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("认领", callback_data=f"s:claim:{number}"),
                InlineKeyboardButton("转办", callback_data=f"s:move:{number}"),
                InlineKeyboardButton("办结", callback_data=f"s:done:{number}"),
            ]
        ]
    )


def ticket_card(payload: dict[str, Any], tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    """The card a department sees for a newly routed ticket (phone only with consent)."""
    phone = texts.CARD_PHONE.format(phone=payload["phone"]) if payload.get("phone") else ""
    text = texts.CARD.format(
        number=payload["number"],
        department=payload["department"],
        due=_due(payload.get("due_at"), tz),
        resident=payload.get("resident_name") or "群众",
        phone=phone,
        place=_place(payload),
        text=payload["text"],
    )
    if payload.get("photos"):
        text += texts.CARD_PHOTOS.format(count=len(payload["photos"]))
    if payload.get("confidence") is not None:
        text += texts.CARD_CONFIDENCE.format(confidence=payload["confidence"])
    if payload.get("unbound_department"):
        text = texts.CARD_UNBOUND.format(department=payload["unbound_department"]) + text
    return text, card_keyboard(payload["number"])


def dispatch_card(
    payload: dict[str, Any], names: dict[str, str]
) -> tuple[str, InlineKeyboardMarkup]:
    """The dispatch centre's card: the model's candidates first, then every department."""
    number = payload["number"]
    suggested = [code for code, _ in payload.get("candidates", []) if code in names][:3]
    rest = [code for code in names if code not in suggested]
    rows: list[list[InlineKeyboardButton]] = [
        [InlineKeyboardButton(f"⭐ {names[code]} {conf:.0%}", callback_data=f"d:{number}:{code}")]
        for code, conf in payload.get("candidates", [])
        if code in suggested
    ]
    for i in range(0, len(rest), 3):
        rows.append(
            [
                InlineKeyboardButton(names[code], callback_data=f"d:{number}:{code}")
                for code in rest[i : i + 3]
            ]
        )
    text = texts.DISPATCH_CARD.format(
        number=number,
        reason=texts.DISPATCH_REASON.get(payload.get("reason", ""), ""),
        text=payload["text"],
        place=_place(payload),
    )
    return text, InlineKeyboardMarkup(rows)


def notice(kind: str, payload: dict[str, Any]) -> str | None:
    """Plain notices for staff, dispatch and supervisors; None for kinds handled elsewhere."""
    number = payload.get("number") or ""
    if kind == "resident_info":
        template = texts.RESIDENT_ANSWER if payload.get("answer") else texts.RESIDENT_INFO
        text = template.format(number=number, text=payload.get("text") or "")
        if payload.get("photos"):
            text += texts.RESIDENT_PHOTOS.format(count=len(payload["photos"]))
        return text
    if kind == "reopened":
        return texts.REOPENED.format(
            number=number, count=payload.get("count", 1), reason=payload.get("reason") or "—"
        )
    if kind == "department_unreachable":
        return texts.DEPARTMENT_UNREACHABLE.format(
            department=payload.get("department", ""), error=payload.get("error", ""), number=number
        )
    if kind == "escalation":
        return texts.ESCALATION.format(
            number=number,
            department=payload.get("department", ""),
            why=texts.ESCALATION_WHY.get(payload.get("why", ""), ""),
            reason=payload.get("reason") or "",
        )
    if kind == "text":
        return str(payload.get("text", ""))
    return None
