"""What staff see when they act: pickers, lists, a ticket with its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from admin import texts
from delivery.cards import ticket_card
from delivery.texts import local_time
from storage.lifecycle import is_open
from storage.models import ClosureCode
from storage.notices import StaffCard, TicketCard
from storage.templates import TemplateView
from storage.views import EventView, TicketView
from storage.vocabulary import CLOSURE_NAMES, closure_name, rating_name, status_name

PICKABLE_CLOSURES = (
    ClosureCode.FIXED,
    ClosureCode.ANSWERED,
    ClosureCode.UNREACHABLE,
    ClosureCode.DUPLICATE,
    ClosureCode.NOT_OURS,
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
                InlineKeyboardButton(CLOSURE_NAMES[code], callback_data=f"s:code:{number}:{code}")
                for code in PICKABLE_CLOSURES[i : i + 3]
            ]
            for i in range(0, len(PICKABLE_CLOSURES), 3)
        ]
    )


def template_picker(number: str, templates: Sequence[TemplateView]) -> InlineKeyboardMarkup | None:
    """答复模板: one button per standard answer (`s:tpl:<number>:<id>`); None without any."""
    if not templates:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(f"📋 {t.title}", callback_data=f"s:tpl:{number}:{t.id}")
                for t in templates[i : i + 2]
            ]
            for i in range(0, min(len(templates), 10), 2)
        ]
    )


def promote_keyboard(number: str) -> InlineKeyboardMarkup:
    """收入知识库: a good answer serves the next resident who asks (`s:kb:<number>`)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.PROMOTE, callback_data=f"s:kb:{number}")]]
    )


def draft_keyboard(number: str, *, reply: bool = False) -> InlineKeyboardMarkup:
    """The one button that sends a template's draft as it is (`s:use:<number>`): as the 办结
    answer, or (`reply`) as a reply."""
    label = texts.USE_REPLY_DRAFT if reply else texts.USE_DRAFT
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=f"s:use:{number}")]])


def template_list(name: str, templates: Sequence[TemplateView]) -> str:
    """/templates: a department's standard answers."""
    if not templates:
        return texts.TEMPLATES_NONE.format(name=name)
    lines = [texts.TEMPLATES_HEADER.format(name=name)]
    lines += [
        texts.TEMPLATES_LINE.format(id=t.id, title=t.title, text=_snippet(t.text, 40))
        for t in templates
    ]
    return "\n".join(lines)


def _snippet(text: str, limit: int = 24) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """Whether a deadline has passed."""
    return due_at is not None and due_at < now


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
                status=status_name(ticket.status, staff=True),
                due=local_time(ticket.due_at, tz),
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
                due=local_time(ticket.due_at, tz),
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
        code=closure_name(detail.get("code")),
        answer=_snippet(str(detail.get("answer") or detail.get("duplicate_of") or ""), 60),
        rating=rating_name(detail.get("rating")),
        days=detail.get("days", ""),
        cohandler=names.get(str(detail.get("department") or ""), ""),
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
    card: StaffCard,
    events: list[EventView],
    staff_names: dict[int, str],
    names: dict[str, str],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> tuple[str, InlineKeyboardMarkup]:
    """/ticket: the card, the current status and the whole history."""
    body, markup = ticket_card(TicketCard(card), names, tz)
    text = texts.TICKET_TITLE.format(number=card.number) + body.split("\n", 1)[-1]
    text += texts.TICKET_STATUS.format(
        status=status_name(card.status, staff=True),
        overdue=texts.OVERDUE_MARK if is_open(card.status) and is_overdue(card.due_at, now) else "",
    )
    return text + "\n\n" + history(events, staff_names, names, tz), markup
