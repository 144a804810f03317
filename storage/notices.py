"""Every notice the product sends: one kind, one frozen payload type.

Payloads carry department codes, never names: delivery names them from the district at send
time, from one source.

The lifecycle queues notices in the outbox; delivery reads them back as the same types and
renders them. A row whose kind is unknown, or whose payload does not fit its kind, is an
`UnknownNotice`: logged and recorded on the ticket, never sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any, ClassVar

from pydantic import Base64Bytes, TypeAdapter, ValidationError

from storage.models import ClosureCode, Rating, Status
from storage.routing import Candidate


class NoticeKind(StrEnum):
    """What a queued message says (stored in `outbox.kind`)."""

    # to the resident
    ROUTED = "routed"
    PENDING_DISPATCH = "pending_dispatch"
    CLAIMED = "claimed"
    REPLY = "reply"
    QUESTION = "question"
    PHOTOS = "photos"  # to the resident or to staff: the photos that go with a message
    VOICES = "voices"  # to staff: voice messages the resident sent
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    # to a department or the dispatch desk
    TICKET_CARD = "ticket_card"
    DISPATCH_CARD = "dispatch_card"
    RESIDENT_INFO = "resident_info"
    REWORK = "rework"  # the resident was not satisfied: the department works on it again
    REMINDER = "reminder"
    OVERDUE = "overdue"
    UNANSWERED = "unanswered"
    RESIDENT_UNREACHABLE = "resident_unreachable"
    DEPARTMENT_UNREACHABLE = "department_unreachable"
    # to supervisors
    ESCALATION = "escalation"
    DIGEST = "digest"
    DIGEST_CHART = "digest_chart"
    # the campaign's own channel
    LINKED = "linked"  # to the resident: they now follow a ticket a collector recorded
    FOLLOW_UP = "follow_up"  # to the collector: a step of a ticket they recorded (首问跟办)
    # 签收 (acceptance)
    ACCEPT_REMINDER = "accept_reminder"  # to the department: accept the ticket
    ACCEPT_ESCALATION = "accept_escalation"  # to the dispatch desk: still not accepted
    # 退单 (send back)
    SEND_BACK_CARD = "send_back_card"  # to the dispatch desk: approve (re-dispatch) or refuse
    SEND_BACK_DECIDED = "send_back_decided"  # to the department that sent it back
    # 延期 (extension)
    EXTENSION_REQUEST = "extension_request"  # to supervisors: approve or deny
    EXTENSION_APPROVED = "extension_approved"  # to the resident: the new date
    EXTENSION_DECIDED = "extension_decided"  # to the department: approved or denied
    VISIT_REMINDER = "visit_reminder"  # to collectors: tomorrow is a visit day (5th/15th/25th)
    # 协办 (co-handling)
    COHANDLER_CARD = "cohandler_card"  # to a co-handling department: the ticket, no 办结
    COHANDLER_NOTE = "cohandler_note"  # to the lead department: a co-handler's note


class CardVia(StrEnum):
    """How a ticket reached the department whose card this is."""

    ROUTED = "routed"
    DISPATCHED = "dispatched"
    REASSIGNED = "reassigned"


class DispatchReason(StrEnum):
    """Why a ticket is on the dispatch desk."""

    LOW_CONFIDENCE = "low_confidence"
    REASSIGNED = "reassigned"
    NOT_OURS = "not_ours"
    EMERGENCY = "emergency"  # the resident's words read as an emergency: urgent, at once


class EscalationWhy(StrEnum):
    """Why supervisors step in (督办)."""

    OVERDUE = "overdue"
    UNSATISFIED = "unsatisfied"


class UnknownNotice(Exception):
    """A queued row that is no notice this version knows: it is never sent."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"unknown notice {kind!r}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StaffCard:
    """Everything staff see about a ticket; the phone only with consent, never Telegram ids."""

    number: str
    text: str
    status: Status
    department_code: str
    resident_name: str = ""
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[str, ...] = ()
    phone: str | None = None
    confidence: float | None = None
    due_at: datetime | None = None
    voices: tuple[str, ...] = ()
    channel: str = "bot"  # storage.models.Channel: how the request reached the campaign
    team: str | None = None  # the collector's team, when a collector recorded it (代录)


# --- to the resident --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Routed:
    """The ticket went to a department (`again`: after a reassignment or dispatch)."""

    kind: ClassVar[NoticeKind] = NoticeKind.ROUTED
    number: str
    department_code: str
    due_at: datetime | None
    again: bool = False


@dataclass(frozen=True, slots=True)
class PendingDispatch:
    """The dispatch desk decides who handles the ticket."""

    kind: ClassVar[NoticeKind] = NoticeKind.PENDING_DISPATCH
    number: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """Someone in the department took the ticket on."""

    kind: ClassVar[NoticeKind] = NoticeKind.CLAIMED
    number: str
    department_code: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The department's answer while it works on the ticket."""

    kind: ClassVar[NoticeKind] = NoticeKind.REPLY
    number: str
    department_code: str
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """The department asks the resident something."""

    kind: ClassVar[NoticeKind] = NoticeKind.QUESTION
    number: str
    department_code: str
    text: str


@dataclass(frozen=True, slots=True)
class Photos:
    """Photos that go with a message (an answer's, or a card's)."""

    kind: ClassVar[NoticeKind] = NoticeKind.PHOTOS
    number: str
    photos: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Voices:
    """Voice messages from the resident, for staff to listen to."""

    kind: ClassVar[NoticeKind] = NoticeKind.VOICES
    number: str
    voices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolved:
    """办结: the answer, with buttons to rate it."""

    kind: ClassVar[NoticeKind] = NoticeKind.RESOLVED
    number: str
    department_code: str
    code: ClosureCode
    answer: str
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class Reopened:
    """The resident was not satisfied: the ticket goes back to the department."""

    kind: ClassVar[NoticeKind] = NoticeKind.REOPENED
    number: str
    department_code: str


@dataclass(frozen=True, slots=True)
class Closed:
    """The ticket is archived, rated or not."""

    kind: ClassVar[NoticeKind] = NoticeKind.CLOSED
    number: str
    rating: Rating


# --- to staff ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketCard:
    """A department's card for a ticket it must handle (with the action buttons)."""

    kind: ClassVar[NoticeKind] = NoticeKind.TICKET_CARD
    card: StaffCard
    via: CardVia = CardVia.ROUTED
    reason: str | None = None
    unbound_department_code: str | None = None  # dispatch stands in for a group not bound


@dataclass(frozen=True, slots=True)
class DispatchCard:
    """The dispatch desk's card: the model's candidates and why it is here."""

    kind: ClassVar[NoticeKind] = NoticeKind.DISPATCH_CARD
    card: StaffCard
    candidates: tuple[Candidate, ...] = ()
    reason: DispatchReason = DispatchReason.LOW_CONFIDENCE
    note: str = ""


@dataclass(frozen=True, slots=True)
class ResidentInfo:
    """The resident added words or photos (`answer`: to the department's question)."""

    kind: ClassVar[NoticeKind] = NoticeKind.RESIDENT_INFO
    number: str
    text: str
    photos: tuple[str, ...] = ()
    answer: bool = False
    voices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rework:
    """The resident was not satisfied: the department handles the ticket again."""

    kind: ClassVar[NoticeKind] = NoticeKind.REWORK
    number: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class Reminder:
    """The deadline is near."""

    kind: ClassVar[NoticeKind] = NoticeKind.REMINDER
    number: str
    due_at: datetime
    hours_left: float


@dataclass(frozen=True, slots=True)
class Overdue:
    """The deadline has passed (催办)."""

    kind: ClassVar[NoticeKind] = NoticeKind.OVERDUE
    number: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Unanswered:
    """The resident left a question unanswered too long: the clock runs again."""

    kind: ClassVar[NoticeKind] = NoticeKind.UNANSWERED
    number: str
    hours: float
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ResidentUnreachable:
    """Messages no longer reach the resident (`blocked`: they blocked the bot)."""

    kind: ClassVar[NoticeKind] = NoticeKind.RESIDENT_UNREACHABLE
    number: str
    blocked: bool


@dataclass(frozen=True, slots=True)
class DepartmentUnreachable:
    """A department's group cannot be reached (told to the dispatch desk)."""

    kind: ClassVar[NoticeKind] = NoticeKind.DEPARTMENT_UNREACHABLE
    number: str | None
    department_code: str | None  # None: a group no department is bound to any more
    error: str


# --- to supervisors ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Escalation:
    """督办: a ticket needs a supervisor."""

    kind: ClassVar[NoticeKind] = NoticeKind.ESCALATION
    number: str
    department_code: str
    why: EscalationWhy
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Digest:
    """The daily closure digest, as text."""

    kind: ClassVar[NoticeKind] = NoticeKind.DIGEST
    text: str


@dataclass(frozen=True, slots=True)
class DigestChart:
    """The daily digest's chart (a PNG)."""

    kind: ClassVar[NoticeKind] = NoticeKind.DIGEST_CHART
    day: date
    chart_png: Base64Bytes


# --- the campaign's own channel ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Linked:
    """The resident opened a collector's start link: they follow this ticket from now on."""

    kind: ClassVar[NoticeKind] = NoticeKind.LINKED
    number: str
    status: Status


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The collector's copy of what the resident is told (首问跟办). `step` is the kind of the
    resident's notice; `linked` says whether the resident follows the ticket themselves (if
    not, the collector does the 回访 when the ticket is resolved)."""

    kind: ClassVar[NoticeKind] = NoticeKind.FOLLOW_UP
    number: str
    step: NoticeKind
    linked: bool
    department_code: str = ""
    text: str = ""
    code: ClosureCode | None = None
    rating: Rating | None = None


# --- 签收 (acceptance) ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AcceptReminder:
    """The department has not accepted (签收) a routed ticket in time."""

    kind: ClassVar[NoticeKind] = NoticeKind.ACCEPT_REMINDER
    number: str
    accept_due_at: datetime


@dataclass(frozen=True, slots=True)
class AcceptEscalation:
    """Still not accepted after the reminder: the dispatch desk steps in."""

    kind: ClassVar[NoticeKind] = NoticeKind.ACCEPT_ESCALATION
    number: str
    department_code: str
    routed_at: datetime
    accept_due_at: datetime


# --- 退单 (send back) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendBackCard:
    """A department sent a ticket back (退单): the dispatch desk re-dispatches or refuses."""

    kind: ClassVar[NoticeKind] = NoticeKind.SEND_BACK_CARD
    card: StaffCard  # card.department_code: the department that sent it back
    reason: str


@dataclass(frozen=True, slots=True)
class SendBackDecided:
    """The dispatch desk's decision on a 退单, told to the department that sent it back."""

    kind: ClassVar[NoticeKind] = NoticeKind.SEND_BACK_DECIDED
    number: str
    approved: bool
    department_code: str | None = None  # approved: where it went
    reason: str = ""  # refused: why


# --- 延期 (extension) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExtensionRequest:
    """A department asks supervisors for more working days (buttons approve or deny)."""

    kind: ClassVar[NoticeKind] = NoticeKind.EXTENSION_REQUEST
    number: str
    department_code: str
    days: int
    reason: str
    due_at: datetime
    count: int  # extensions approved before this one


@dataclass(frozen=True, slots=True)
class ExtensionApproved:
    """The resident is told the new date."""

    kind: ClassVar[NoticeKind] = NoticeKind.EXTENSION_APPROVED
    number: str
    department_code: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class ExtensionDecided:
    """The department is told the supervisors' decision."""

    kind: ClassVar[NoticeKind] = NoticeKind.EXTENSION_DECIDED
    number: str
    approved: bool
    days: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class VisitReminder:
    """Tomorrow is a visit day: the team goes to its community."""

    kind: ClassVar[NoticeKind] = NoticeKind.VISIT_REMINDER
    day: date
    team: str


# --- 协办 (co-handling) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohandlerCard:
    """A department is asked to help (协办) the lead department (主办) with a ticket."""

    kind: ClassVar[NoticeKind] = NoticeKind.COHANDLER_CARD
    card: StaffCard  # card.department_code: the lead department
    cohandler_code: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class CohandlerNote:
    """A co-handling department's note or partial answer, for the lead department."""

    kind: ClassVar[NoticeKind] = NoticeKind.COHANDLER_NOTE
    number: str
    cohandler_code: str
    text: str
    partial: bool  # a partial answer (for the lead's reply), or an internal note


Notice = (
    Routed
    | PendingDispatch
    | Claimed
    | Reply
    | Question
    | Photos
    | Voices
    | Resolved
    | Reopened
    | Closed
    | TicketCard
    | DispatchCard
    | ResidentInfo
    | Rework
    | Reminder
    | Overdue
    | Unanswered
    | ResidentUnreachable
    | DepartmentUnreachable
    | Escalation
    | Digest
    | DigestChart
    | Linked
    | FollowUp
    | AcceptReminder
    | AcceptEscalation
    | SendBackCard
    | SendBackDecided
    | ExtensionRequest
    | ExtensionApproved
    | ExtensionDecided
    | VisitReminder
    | CohandlerCard
    | CohandlerNote
)

NOTICE_TYPES: tuple[type[Notice], ...] = (
    Routed,
    PendingDispatch,
    Claimed,
    Reply,
    Question,
    Photos,
    Voices,
    Resolved,
    Reopened,
    Closed,
    TicketCard,
    DispatchCard,
    ResidentInfo,
    Rework,
    Reminder,
    Overdue,
    Unanswered,
    ResidentUnreachable,
    DepartmentUnreachable,
    Escalation,
    Digest,
    DigestChart,
    Linked,
    FollowUp,
    AcceptReminder,
    AcceptEscalation,
    SendBackCard,
    SendBackDecided,
    ExtensionRequest,
    ExtensionApproved,
    ExtensionDecided,
    VisitReminder,
    CohandlerCard,
    CohandlerNote,
)


@cache
def _adapter(kind: NoticeKind) -> TypeAdapter[Any]:
    (cls,) = (c for c in NOTICE_TYPES if c.kind == kind)
    return TypeAdapter(cls)


def encode(notice: Notice) -> dict[str, Any]:
    """The notice as JSON-ready data for the outbox row's payload."""
    data = _adapter(notice.kind).dump_python(notice, mode="json")
    assert isinstance(data, dict)
    return data


def decode(kind: str, payload: dict[str, Any] | None) -> Notice:
    """The notice stored in an outbox row; `UnknownNotice` if it is none this version knows."""
    try:
        known = NoticeKind(kind)
    except ValueError:
        raise UnknownNotice(kind, "no such kind") from None
    try:
        notice = _adapter(known).validate_python(payload or {})
    except ValidationError as error:
        # Only where the payload went wrong, never its values (they may be a resident's words).
        places = ", ".join(".".join(map(str, e["loc"])) or "-" for e in error.errors())
        raise UnknownNotice(kind, f"payload does not fit ({places})") from None
    assert isinstance(notice, NOTICE_TYPES)
    return notice


def ticket_number(notice: Notice) -> str | None:
    """The ticket a notice is about, if any."""
    if isinstance(notice, TicketCard | DispatchCard | SendBackCard | CohandlerCard):
        return notice.card.number
    return getattr(notice, "number", None)


def anonymised(notice: Notice, mask: Any) -> Notice:
    """The notice without the resident's personal data (retention); `mask` hides personal
    numbers in free text."""
    if isinstance(notice, TicketCard | DispatchCard | SendBackCard | CohandlerCard):
        card = replace(
            notice.card,
            text=mask(notice.card.text),
            resident_name="",
            address=None,
            latitude=None,
            longitude=None,
            photos=(),
            phone=None,
            voices=(),
        )
        if isinstance(notice, TicketCard):
            return replace(notice, card=card, reason=None)
        if isinstance(notice, SendBackCard):
            return replace(notice, card=card, reason=mask(notice.reason))
        if isinstance(notice, CohandlerCard):
            return replace(notice, card=card, note=mask(notice.note))
        return replace(notice, card=card, note=mask(notice.note))
    if isinstance(notice, ResidentInfo):
        return replace(notice, text="", photos=(), voices=())
    if isinstance(notice, SendBackDecided):
        return replace(notice, reason=mask(notice.reason))
    if isinstance(notice, Rework | Escalation | ExtensionRequest):
        return replace(notice, reason="")
    if isinstance(notice, Photos):
        return replace(notice, photos=())
    if isinstance(notice, Voices):
        return replace(notice, voices=())
    if isinstance(notice, Reply | Question | CohandlerNote):
        return replace(notice, text=mask(notice.text))
    if isinstance(notice, Resolved):
        return replace(notice, answer=mask(notice.answer))
    if isinstance(notice, FollowUp):
        return replace(notice, text=mask(notice.text))
    return notice


def follow_up(notice: Notice, *, linked: bool) -> FollowUp | None:
    """The collector's copy of a notice to the resident of a ticket they recorded (None for
    photos, which the collector does not need twice)."""
    match notice:
        case Routed() | Claimed() | Reopened() | ExtensionApproved():
            return FollowUp(notice.number, notice.kind, linked, notice.department_code)
        case Reply() | Question():
            return FollowUp(notice.number, notice.kind, linked, notice.department_code, notice.text)
        case Resolved():
            return FollowUp(
                notice.number,
                notice.kind,
                linked,
                notice.department_code,
                notice.answer,
                code=notice.code,
            )
        case Closed():
            return FollowUp(notice.number, notice.kind, linked, rating=notice.rating)
        case PendingDispatch() | Linked():
            return FollowUp(notice.number, notice.kind, linked)
    return None
