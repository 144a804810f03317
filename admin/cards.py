"""Ticket cards and notices for department groups, dispatch and supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from admin import texts
from storage.views import EventView, TicketView

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
    via = payload.get("via", "routed")
    if via == "dispatched":
        text += texts.CARD_DISPATCHED
    elif via == "reassigned":
        text += texts.CARD_REASSIGNED.format(reason=payload.get("reason") or "—")
    elif payload.get("confidence") is not None:
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
    if payload.get("note"):
        text += "\n" + texts.DISPATCH_NOTE.format(note=payload["note"])
    return text, InlineKeyboardMarkup(rows)


def notice(kind: str, payload: dict[str, Any], tz: ZoneInfo) -> str | None:
    """Plain notices for staff, dispatch and supervisors; None for kinds handled elsewhere."""
    number = payload.get("number") or ""
    if kind == "reminder":
        return texts.REMINDER.format(
            number=number, hours=payload.get("hours_left", 0), due=_due(payload.get("due_at"), tz)
        )
    if kind == "resident_unreachable":
        template = texts.RESIDENT_BLOCKED if payload.get("blocked") else texts.RESIDENT_UNREACHABLE
        return template.format(number=number)
    if kind == "overdue":
        return texts.OVERDUE.format(number=number, due=_due(payload.get("due_at"), tz))
    if kind == "unanswered":
        return texts.UNANSWERED.format(
            number=number, hours=payload.get("hours", 0), due=_due(payload.get("due_at"), tz)
        )
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
    if kind in ("text", "digest"):
        return str(payload.get("text", ""))
    return None


# --- staff actions: topics, pickers, lists and a ticket's history ----------------------------

MOVED_LABEL = "已转出"
TOPIC_CLOSED_STATUSES = frozenset({"resolved", "closed"})
OPEN_STATUS_NAMES = frozenset({"received", "pending_dispatch", "routed", "in_progress", "reopened"})
PICKABLE_CLOSURES = ("fixed", "answered", "unreachable", "duplicate", "not_ours")


def topic_state(number: str, status: str, *, current: bool) -> tuple[str, bool]:
    """A ticket topic's name and whether it is closed; `current`: the group still owns it."""
    if not current:
        return texts.TOPIC_NAME.format(number=number, status=MOVED_LABEL)[:128], True
    label = STATUS_LABELS.get(status, status)
    return (
        texts.TOPIC_NAME.format(number=number, status=label)[:128],
        status in TOPIC_CLOSED_STATUSES,
    )


def department_picker(number: str, names: dict[str, str]) -> InlineKeyboardMarkup:
    """转办: one button per department the ticket can move to (`s:to:<number>:<code>`)."""
    codes = list(names)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(names[code], callback_data=f"s:to:{number}:{code}")
                for code in codes[i : i + 3]
            ]
            for i in range(0, len(codes), 3)
        ]
    )


def closure_picker(number: str) -> InlineKeyboardMarkup:
    """办结: one button per closure code (`s:code:<number>:<code>`)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.STAFF_CLOSURE_NAMES[code], callback_data=f"s:code:{number}:{code}"
                )
                for code in PICKABLE_CLOSURES[i : i + 3]
            ]
            for i in range(0, len(PICKABLE_CLOSURES), 3)
        ]
    )


def _snippet(text: str, limit: int = 24) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """Whether a deadline has passed."""
    return due_at is not None and due_at < now


def _due_at(value: datetime | None, tz: ZoneInfo) -> str:
    return _due(value.isoformat() if value else None, tz)


def ticket_list(department: str, tickets: list[TicketView], *, now: datetime, tz: ZoneInfo) -> str:
    """/list: a department's open tickets, oldest first, overdue ones marked ⏰."""
    if not tickets:
        return texts.LIST_EMPTY.format(department=department)
    lines = [texts.LIST_HEADER.format(department=department, count=len(tickets))]
    for ticket in tickets:
        lines.append(
            texts.LIST_LINE.format(
                mark="⏰ " if is_overdue(ticket.due_at, now) else "",
                number=ticket.number,
                status=texts.STAFF_STATUS_NAMES.get(ticket.status, ticket.status),
                due=_due_at(ticket.due_at, tz),
                snippet=_snippet(ticket.text),
            )
        )
    return "\n".join(lines)


def overdue_list(tickets: list[TicketView], names: dict[str, str], *, tz: ZoneInfo) -> str:
    """/overdue: tickets past their deadline."""
    if not tickets:
        return texts.OVERDUE_EMPTY
    lines = [texts.OVERDUE_HEADER.format(count=len(tickets))]
    for ticket in tickets:
        lines.append(
            texts.OVERDUE_LINE.format(
                number=ticket.number,
                department=names.get(ticket.department_code or "", ""),
                due=_due_at(ticket.due_at, tz),
                snippet=_snippet(ticket.text),
            )
        )
    return "\n".join(lines)


def _event_line(event: EventView, names: dict[str, str]) -> str:
    detail = event.detail
    reason = detail.get("reason") or ""
    template = texts.EVENT_LINES.get(event.kind, event.kind)
    return template.format(
        department=names.get(event.department_code or "", ""),
        text=_snippet(str(detail.get("text") or ""), 60),
        reason=f"（{reason}）" if reason and isinstance(reason, str) else "",
        code=texts.STAFF_CLOSURE_NAMES.get(str(detail.get("code") or ""), ""),
        answer=_snippet(str(detail.get("answer") or detail.get("duplicate_of") or ""), 60),
        rating=texts.EVENT_RATINGS.get(str(detail.get("rating") or ""), ""),
    )


def history(
    events: list[EventView], staff_names: dict[int, str], names: dict[str, str], tz: ZoneInfo
) -> str:
    """A ticket's history for staff: when, who (a name, never a Telegram id), what."""
    lines = [texts.HISTORY_HEADER.strip("\n")]
    for event in events:
        if event.actor_kind == "resident":
            who = texts.WHO_RESIDENT
        elif event.actor_user_id is not None:
            who = staff_names.get(event.actor_user_id) or texts.WHO_STAFF
        else:
            who = texts.WHO_SYSTEM
        local = event.at.astimezone(tz)
        lines.append(
            texts.HISTORY_LINE.format(
                at=f"{local.month}-{local.day:02d} {local:%H:%M}",
                who=who,
                what=_event_line(event, names),
            )
        )
    return "\n".join(lines)


def staff_ticket(
    payload: dict[str, Any],
    events: list[EventView],
    staff_names: dict[int, str],
    names: dict[str, str],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup]:
    """/ticket: the card, the current status and the whole history."""
    text, markup = ticket_card(payload, tz)
    text = texts.TICKET_TITLE.format(number=payload["number"]) + text.split("\n", 1)[-1]
    due = datetime.fromisoformat(payload["due_at"]) if payload.get("due_at") else None
    text += texts.TICKET_STATUS.format(
        status=texts.STAFF_STATUS_NAMES.get(payload["status"], payload["status"]),
        overdue=texts.OVERDUE_MARK
        if payload["status"] in OPEN_STATUS_NAMES and is_overdue(due, now)
        else "",
    )
    return text + "\n\n" + history(events, staff_names, names, tz), markup
