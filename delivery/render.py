"""Rendering a notice into what is sent: text, buttons, photos."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup

from delivery import cards, texts
from storage.models import ClosureCode, Rating
from storage.notices import (
    AcceptEscalation,
    AcceptReminder,
    Claimed,
    Closed,
    CohandlerCard,
    CohandlerNote,
    DepartmentUnreachable,
    Digest,
    DigestChart,
    DispatchCard,
    Escalation,
    ExtensionApproved,
    ExtensionDecided,
    ExtensionRequest,
    FollowUp,
    Linked,
    Notice,
    NoticeKind,
    Overdue,
    PendingDispatch,
    Photos,
    Question,
    Reminder,
    Reopened,
    Reply,
    ResidentInfo,
    ResidentUnreachable,
    Resolved,
    Rework,
    Routed,
    SendBackCard,
    SendBackDecided,
    TicketCard,
    Unanswered,
    VisitReminder,
    Voices,
)
from storage.vocabulary import CLOSURE_NAMES, RATING_NAMES, status_name


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send: text, optional buttons, optional photos."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photos: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    upload: bytes | None = None
    purpose: str = "notice"


@dataclass(frozen=True, slots=True)
class Names:
    """Department names, from the district: every one, and those a ticket can be routed to."""

    all: Mapping[str, str]
    routable: Mapping[str, str]

    def of(self, code: str | None) -> str:
        """A department's name (its code if the district no longer has it)."""
        return self.all.get(code or "", code or "")


def render(notice: Notice, *, tz: ZoneInfo, names: Names) -> Rendered:
    """Turn one notice into what is sent; every kind is handled (mypy checks it)."""
    match notice:
        case Routed():
            template = texts.ROUTED_AGAIN if notice.again else texts.ROUTED
            return Rendered(
                template.format(
                    number=notice.number,
                    department=names.of(notice.department_code),
                    due=texts.local_time(notice.due_at, tz),
                )
            )
        case PendingDispatch():
            return Rendered(texts.PENDING_DISPATCH.format(number=notice.number))
        case Claimed():
            return Rendered(
                texts.CLAIMED.format(
                    number=notice.number, department=names.of(notice.department_code)
                )
            )
        case Reply() | Question():
            template = texts.QUESTION if isinstance(notice, Question) else texts.REPLY
            return Rendered(
                template.format(
                    number=notice.number,
                    department=names.of(notice.department_code),
                    text=notice.text,
                )
            )
        case Photos():
            return Rendered("", photos=notice.photos)
        case Voices():
            return Rendered("", voices=notice.voices)
        case Resolved():
            if notice.duplicate_of:
                text = texts.RESOLVED_DUPLICATE.format(
                    number=notice.number, original=notice.duplicate_of
                )
            else:
                text = texts.RESOLVED.format(
                    number=notice.number,
                    code=CLOSURE_NAMES[notice.code],
                    department=names.of(notice.department_code),
                    answer=notice.answer,
                )
            return Rendered(text, cards.rating_keyboard(notice.number))
        case Reopened():
            return Rendered(
                texts.REOPENED.format(
                    number=notice.number, department=names.of(notice.department_code)
                )
            )
        case Closed():
            unrated = notice.rating == Rating.UNRATED
            template = texts.CLOSED_UNRATED if unrated else texts.CLOSED
            return Rendered(template.format(number=notice.number))
        case TicketCard():
            text, markup = cards.ticket_card(notice, names.all, tz)
            return Rendered(text, markup, purpose="card")
        case DispatchCard():
            text, markup = cards.dispatch_card(notice, names.routable)
            return Rendered(text, markup, purpose="card")
        case ResidentInfo():
            template = texts.RESIDENT_ANSWER if notice.answer else texts.RESIDENT_INFO
            text = template.format(number=notice.number, text=notice.text)
            if notice.photos:
                text += texts.RESIDENT_PHOTOS.format(count=len(notice.photos))
            if notice.voices:
                text += texts.RESIDENT_VOICES.format(count=len(notice.voices))
            return Rendered(text)
        case Rework():
            return Rendered(
                texts.REWORK.format(
                    number=notice.number,
                    count=notice.count,
                    reason=notice.reason or texts.NO_VALUE,
                )
            )
        case Reminder():
            return Rendered(
                texts.REMINDER.format(
                    number=notice.number,
                    hours=notice.hours_left,
                    due=texts.local_time(notice.due_at, tz),
                )
            )
        case Overdue():
            return Rendered(
                texts.OVERDUE.format(number=notice.number, due=texts.local_time(notice.due_at, tz))
            )
        case Unanswered():
            return Rendered(
                texts.UNANSWERED.format(
                    number=notice.number,
                    hours=notice.hours,
                    due=texts.local_time(notice.due_at, tz),
                )
            )
        case ResidentUnreachable():
            blocked = notice.blocked
            template = texts.RESIDENT_BLOCKED if blocked else texts.RESIDENT_UNREACHABLE
            return Rendered(template.format(number=notice.number))
        case DepartmentUnreachable():
            department = (
                names.of(notice.department_code) if notice.department_code else texts.UNKNOWN_GROUP
            )
            return Rendered(
                texts.DEPARTMENT_UNREACHABLE.format(
                    department=department,
                    error=notice.error,
                    number=notice.number or texts.NO_VALUE,
                )
            )
        case Escalation():
            return Rendered(
                texts.ESCALATION.format(
                    number=notice.number,
                    department=names.of(notice.department_code),
                    why=texts.ESCALATION_WHY[notice.why],
                    reason=notice.reason,
                )
            )
        case Digest():
            return Rendered(notice.text)
        case DigestChart():
            return Rendered(notice.day.isoformat(), upload=notice.chart_png)
        case Linked():
            return Rendered(
                texts.LINKED.format(
                    number=notice.number, status=status_name(notice.status, staff=False)
                )
            )
        case FollowUp():
            return _follow_up(notice, names)
        case VisitReminder():
            day = f"{notice.day.month}月{notice.day.day}日"
            return Rendered(texts.VISIT_REMINDER.format(day=day, team=notice.team))

        case AcceptReminder():
            return Rendered(
                texts.ACCEPT_REMINDER.format(
                    number=notice.number, due=texts.local_time(notice.accept_due_at, tz)
                )
            )
        case SendBackCard():
            text, markup = cards.send_back_card(notice, names.routable)
            return Rendered(text, markup, purpose="card")
        case SendBackDecided():
            if notice.approved:
                return Rendered(
                    texts.SEND_BACK_APPROVED.format(
                        number=notice.number, department=names.of(notice.department_code)
                    )
                )
            return Rendered(
                texts.SEND_BACK_REFUSED.format(number=notice.number, reason=notice.reason)
            )
        case ExtensionRequest():
            count = texts.EXTENSION_COUNT.format(count=notice.count) if notice.count else ""
            text = texts.EXTENSION_REQUEST.format(
                number=notice.number,
                department=names.of(notice.department_code),
                days=notice.days,
                due=texts.local_time(notice.due_at, tz),
                reason=notice.reason,
                count=count,
            )
            return Rendered(text, cards.extension_keyboard(notice.number, notice.days))
        case ExtensionApproved():
            return Rendered(
                texts.EXTENSION_APPROVED.format(
                    number=notice.number,
                    department=names.of(notice.department_code),
                    due=texts.local_time(notice.due_at, tz),
                )
            )
        case ExtensionDecided():
            template = texts.EXTENSION_GRANTED if notice.approved else texts.EXTENSION_REFUSED
            return Rendered(
                template.format(
                    number=notice.number,
                    days=notice.days,
                    due=texts.local_time(notice.due_at, tz),
                )
            )
        case CohandlerCard():
            card = notice.card
            note = texts.COHANDLER_CARD_NOTE.format(note=notice.note) if notice.note else ""
            text = texts.COHANDLER_CARD.format(
                number=card.number,
                lead=names.of(card.department_code),
                department=names.of(notice.cohandler_code),
                note=note,
                text=card.text,
                place=cards.place_line(card),
            )
            return Rendered(text, purpose="card")
        case CohandlerNote():
            return Rendered(
                texts.COHANDLER_NOTE.format(
                    department=names.of(notice.cohandler_code),
                    what=texts.COHANDLER_WHAT[notice.partial],
                    number=notice.number,
                    text=notice.text,
                )
            )
        case AcceptEscalation():
            return Rendered(
                texts.ACCEPT_ESCALATION.format(
                    number=notice.number,
                    department=names.of(notice.department_code),
                    routed=texts.local_time(notice.routed_at, tz),
                    due=texts.local_time(notice.accept_due_at, tz),
                )
            )


def _follow_up(notice: FollowUp, names: Names) -> Rendered:
    """The collector's copy of a step; a resolved ticket nobody follows asks for the 回访."""
    step = texts.FOLLOW_UP_STEPS[notice.step].format(
        department=names.of(notice.department_code),
        text=notice.text,
        code=CLOSURE_NAMES[notice.code] if notice.code else texts.NO_VALUE,
        rating=RATING_NAMES[notice.rating] if notice.rating else texts.NO_VALUE,
    )
    if notice.code == ClosureCode.ON_THE_SPOT:
        step = texts.FOLLOW_UP_ON_THE_SPOT.format(text=notice.text)
    text = texts.FOLLOW_UP_HEAD.format(number=notice.number) + step
    if notice.step == NoticeKind.QUESTION and not notice.linked:
        return Rendered(text, cards.relay_keyboard(notice.number))
    if notice.step == NoticeKind.RESOLVED:
        if notice.linked:
            return Rendered(text + texts.FOLLOW_UP_LINKED)
        return Rendered(text + texts.FOLLOW_UP_ASK, cards.follow_up_keyboard(notice.number))
    return Rendered(text)
