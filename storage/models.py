"""SQLModel tables. Rows stay inside storage/; the outside gets read models (storage.views)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import JSONText, UTCDateTime, utcnow


class Status(StrEnum):
    """Where a ticket is in its lifecycle (design.md)."""

    RECEIVED = "received"
    PENDING_DISPATCH = "pending_dispatch"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    SENT_BACK = "sent_back"  # 退单: the department sent it back; the dispatch desk decides


class ClosureCode(StrEnum):
    """Why a department says a ticket is done; keeps the closure rate honest."""

    FIXED = "fixed"
    ANSWERED = "answered"
    NOT_OURS = "not_ours"
    DUPLICATE = "duplicate"
    UNREACHABLE = "unreachable"
    ON_THE_SPOT = "on_the_spot"  # 现场解答 by a collector: 直办, never a department's 办结


class Rating(StrEnum):
    """The resident's verdict on the answer (回访)."""

    SATISFIED = "satisfied"
    BASICALLY = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    UNRATED = "unrated"
    NOT_REACHED = "not_reached"  # 联系不上: the collector could not reach the resident for 回访


class Role(StrEnum):
    """What a member of staff may do."""

    STAFF = "staff"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    COLLECTOR = "collector"  # 民情书记 / 网格员: records requests heard on visits (代录)


class Channel(StrEnum):
    """How a request reached the campaign (every figure can be broken down by it)."""

    BOT = "bot"  # 居民自报: the resident wrote to the bot
    VISIT = "visit"  # 入户走访
    PHONE = "phone"  # 电话
    TALK = "talk"  # 座谈
    DESK = "desk"  # 接待点
    OTHER = "other"  # 其他


class EventKind(StrEnum):
    """Every change to a ticket is one of these."""

    RECEIVED = "received"
    ROUTED = "routed"
    SENT_TO_DISPATCH = "sent_to_dispatch"
    DISPATCHED = "dispatched"
    CLAIMED = "claimed"
    REPLIED = "replied"
    NOTE = "note"
    ASKED = "asked"
    RESIDENT_INFO = "resident_info"
    REASSIGNED = "reassigned"
    RESOLVED = "resolved"
    RATED = "rated"
    REOPENED = "reopened"
    CLOSED = "closed"
    ESCALATED = "escalated"
    DELIVERY_FAILED = "delivery_failed"
    REMINDED = "reminded"
    OVERDUE = "overdue"
    UNANSWERED = "unanswered"  # the resident left a question unanswered; the clock runs again
    ANONYMISED = "anonymised"
    ANSWERED_ON_SPOT = "answered_on_spot"  # 现场解答 by the collector who recorded it
    LINKED = "linked"  # the resident opened the collector's start link
    FOLLOWED_UP = "followed_up"  # the collector's 回访 in person or by phone
    WRITTEN_OFF = "written_off"  # 销号: closed and the resident told
    ACCEPT_REMINDED = "accept_reminded"  # 签收 overdue: the department is reminded
    ACCEPT_ESCALATED = "accept_escalated"  # still not accepted: the dispatch desk is told
    SENT_BACK = "sent_back"  # 退单: sent back to the dispatch desk, with the reason
    SEND_BACK_APPROVED = "send_back_approved"  # the dispatch desk agreed (and re-dispatched)
    SEND_BACK_REJECTED = "send_back_rejected"  # the dispatch desk disagreed, with its reason
    EXTENSION_REQUESTED = "extension_requested"  # 延期: N working days asked, with a reason
    EXTENSION_APPROVED = "extension_approved"  # the due date moved
    EXTENSION_DENIED = "extension_denied"
    COHANDLER_ADDED = "cohandler_added"  # 协办: detail.department helps the lead department
    COHANDLER_NOTED = "cohandler_noted"  # a co-handler's note or partial answer for the lead


class GrantChange(StrEnum):
    """What happened to a role grant, as the access audit trail records it."""

    GRANTED = "granted"
    REVOKED = "revoked"


class ChangeSource(StrEnum):
    """Where a change of access was made."""

    COMMAND_LINE = "cli"
    TELEGRAM = "telegram"


class ActorKind(StrEnum):
    """Who caused an event."""

    RESIDENT = "resident"
    STAFF = "staff"
    SYSTEM = "system"


class OutboxStatus(StrEnum):
    """Delivery state of one outgoing message."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Audience(StrEnum):
    """Who an outgoing message is for."""

    RESIDENT = "resident"
    DEPARTMENT = "department"
    DISPATCH = "dispatch"
    SUPERVISORS = "supervisors"
    COLLECTOR = "collector"  # the collector who recorded the ticket (首问跟办)


class DepartmentBase(SQLModel):
    """A department tickets are routed to."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    sla_hours: int
    scope: str = ""
    is_dispatch: bool = False
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    is_forum: bool = False


class Department(DepartmentBase, table=True):
    """Table of departments, loaded from departments.toml."""

    __tablename__ = "departments"


class Member(SQLModel, table=True):
    """A member of staff with one role (staff of a department, dispatcher, supervisor, admin)."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("user_id", "role", "department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, index=True)
    role: str = Field(max_length=16)
    department_code: str | None = Field(default=None, foreign_key="departments.code")
    display_name: str = Field(default="", max_length=100)
    team: str | None = Field(default=None, max_length=64)  # collectors: their team (teams.toml)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MemberAudit(SQLModel, table=True):
    """Append-only trail of access: every role granted or revoked, by whom and where."""

    __tablename__ = "member_audit"
    __table_args__ = (Index("ix_member_audit_user", "user_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    change: str = Field(max_length=12)
    user_id: int = Field(sa_type=BigInteger)
    role: str = Field(max_length=16)
    department_code: str | None = Field(default=None, max_length=32)
    display_name: str = Field(default="", max_length=100)
    source: str = Field(max_length=12)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)


class Resident(SQLModel, table=True):
    """A person who writes to the bot in a private chat."""

    __tablename__ = "residents"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_type=BigInteger, unique=True)
    chat_id: int = Field(sa_type=BigInteger)
    display_name: str = Field(default="", max_length=100)
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Ticket(SQLModel, table=True):
    """One resident request and its current state."""

    __tablename__ = "tickets"
    __table_args__ = (
        # storage.metrics.channel_figures and storage.themes: a period's cohort, index-only (0019).
        Index(
            "ix_tickets_created_cover",
            "created_at",
            "channel",
            "closure_code",
            "duplicate_of_id",
            "status",
            "resolved_at",
            "written_off_at",
            "rating",
            "team",
            "theme",
        ),
        Index("ix_tickets_resolved_at", "resolved_at"),
        Index("ix_tickets_status_department", "status", "department_code"),
        Index("ix_tickets_resident", "resident_id", "created_at"),
        # storage.metrics: each figure per department, from one index in its order (0009).
        Index(
            "ix_tickets_department_received",
            "department_code",
            "created_at",
            "duplicate_of_id",
            "status",
            "closure_code",
            "resolved_at",
            "routed_at",
            "reassign_count",
        ),
        Index(
            "ix_tickets_department_resolved",
            "department_code",
            "resolved_at",
            "status",
            "closure_code",
            "due_at",
            "routed_at",
        ),
        Index(
            "ix_tickets_department_first_reply", "department_code", "first_reply_at", "routed_at"
        ),
        Index(
            "ix_tickets_department_closed", "department_code", "closed_at", "rating", "closure_code"
        ),
        Index("ix_tickets_department_open", "department_code", "status", "due_at"),
        Index("ix_tickets_closed_cover", "closed_at", "rating", "department_code"),
        Index("ix_tickets_team", "team", "created_at"),
        Index("ix_tickets_recorder", "recorder_user_id", "created_at"),
        Index("ix_tickets_link_code", "link_code_hash", unique=True),
        Index("ix_tickets_accept_cover", "accept_due_at", "department_code", "accepted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    # None for a ticket a collector recorded, until the resident opens its start link
    resident_id: int | None = Field(default=None, foreign_key="residents.id")
    text: str
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photo_file_ids: list[str] = Field(default_factory=list, sa_type=JSONText)
    voice_file_ids: list[str] = Field(default_factory=list, sa_type=JSONText)
    phone: str | None = Field(default=None, max_length=32)
    phone_consent: bool = False
    predicted_code: str | None = Field(default=None, max_length=32)
    confidence: float | None = None
    department_code: str | None = Field(default=None, foreign_key="departments.code")
    status: str = Field(default=Status.RECEIVED, max_length=20)
    priority: int = 0
    assignee_user_id: int | None = Field(default=None, sa_type=BigInteger)
    awaiting_resident: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    routed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_reply_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closure_code: str | None = Field(default=None, max_length=16)
    answer: str | None = None
    rating: str | None = Field(default=None, max_length=24)
    reopen_count: int = 0
    reassign_count: int = 0
    duplicate_of_id: int | None = Field(default=None, foreign_key="tickets.id")
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    anonymised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the campaign's own channel (storage/collect.py)
    channel: str = Field(default=Channel.BOT, max_length=16)
    recorder_user_id: int | None = Field(default=None, sa_type=BigInteger)  # the collector
    team: str | None = Field(default=None, max_length=64)  # the collector's team
    person_name: str | None = Field(default=None, max_length=100)  # 群众, as recorded (or 匿名)
    link_code_hash: str | None = Field(default=None, max_length=64)  # single use, hashed
    written_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # 销号
    # 签收: the department must accept (claim) a routed ticket by accept_due_at
    accept_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accept_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accept_escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # 延期: approved extensions so far, and the working days of the one awaiting a decision
    extension_count: int = 0
    extension_pending_days: int | None = None
    theme: str | None = Field(default=None, max_length=64)  # the month's theme, if it applies


class TicketEvent(SQLModel, table=True):
    """Append-only history: who did what to a ticket, when."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_kind_at", "kind", "at"),
        Index("ix_ticket_events_department_kind_at", "department_code", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=24)
    actor_kind: str = Field(max_length=12)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    department_code: str | None = Field(default=None, max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_chat_queue", "chat_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    audience: str = Field(max_length=16)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    status: str = Field(default=OutboxStatus.PENDING, max_length=12)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = None
    worker: str | None = Field(default=None, max_length=64)  # whose claim (storage/workers.py)


class TicketMessage(SQLModel, table=True):
    """Which Telegram message or forum topic belongs to which ticket (never parsed from text)."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        Index("ix_ticket_messages_lookup", "chat_id", "message_id"),
        Index("ix_ticket_messages_thread", "chat_id", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    thread_id: int | None = Field(default=None, sa_type=BigInteger)
    purpose: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TopicClaim(SQLModel, table=True):
    """A ticket's forum topic in one group, claimed before it is created (storage/topics.py)."""

    __tablename__ = "topic_claims"
    __table_args__ = (
        UniqueConstraint("ticket_id", "chat_id"),
        Index("ix_topic_claims_name", "chat_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    chat_id: int = Field(sa_type=BigInteger)
    name: str = Field(default="", max_length=128)  # as asked of createForumTopic
    thread_id: int | None = Field(default=None, sa_type=BigInteger)  # once Telegram said it
    tries: int = 0  # createForumTopic calls made without hearing the topic back
    holder: int | None = Field(default=None, sa_type=BigInteger)  # the outbox row creating it
    holder_attempt: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LabelledExample(SQLModel, table=True):
    """A human correction of the routing, kept as a training example."""

    __tablename__ = "labelled_examples"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    text: str
    label: str = Field(max_length=32)
    predicted: str | None = Field(default=None, max_length=32)
    source: str = Field(max_length=16)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReplyTemplate(SQLModel, table=True):
    """A department's standard answer (答复口径): inserted as a draft, never sent unconfirmed."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("department_code", "title"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="departments.code", max_length=32)
    title: str = Field(max_length=32)
    text: str
    closure_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)


class KnowledgeEntry(SQLModel, table=True):
    """A question residents ask (咨询) and the answer the bot may give at once."""

    __tablename__ = "knowledge_entries"

    id: int | None = Field(default=None, primary_key=True)
    question: str
    answer: str
    source: str = Field(default="file", max_length=16)  # file, or promoted from a ticket
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DirectAnswer(SQLModel, table=True):
    """An answer the bot gave from the knowledge base, and what the resident said to it:
    解决了 (直接答复, its own figure) or 转人工 (the normal intake, with the words kept)."""

    __tablename__ = "direct_answers"
    __table_args__ = (Index("ix_direct_answers_decided", "decided_at", "outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="knowledge_entries.id")
    resident_user_id: int = Field(sa_type=BigInteger)
    text: str
    score: float
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    outcome: str | None = Field(default=None, max_length=12)  # solved / human
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TicketCohandler(SQLModel, table=True):
    """协办: a department helping the lead (主办) department with a ticket."""

    __tablename__ = "ticket_cohandlers"
    __table_args__ = (UniqueConstraint("ticket_id", "department_code"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    department_code: str = Field(foreign_key="departments.code", max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_user_id: int | None = Field(default=None, sa_type=BigInteger)


class TicketCounter(SQLModel, table=True):
    """The last ticket number issued per day; allocates numbers without gaps or clashes."""

    __tablename__ = "ticket_counters"

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class Conversation(SQLModel, table=True):
    """Conversation state kept in the database so any worker can continue a conversation."""

    __tablename__ = "conversations"

    name: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=64)
    state: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobRun(SQLModel, table=True):
    """A scheduled job that ran for a key (e.g. the digest of one day): runs exactly once."""

    __tablename__ = "job_runs"

    name: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=64)
    ran_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Visit(SQLModel, table=True):
    """A collectors' visit to their community (5th, 15th, 25th): who, where, how much was heard."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_team_day", "team", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    team: str = Field(max_length=64)
    community: str = Field(default="", max_length=100)
    collector_user_id: int = Field(sa_type=BigInteger)
    households: int = 0
    requests: int = 0
    notes: str = ""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Theme(SQLModel, table=True):
    """The month's theme of the campaign (每月一个主题, e.g. 打击养老诈骗), set by a supervisor."""

    __tablename__ = "themes"

    month: str = Field(primary_key=True, max_length=7)  # YYYY-MM, in the district's time zone
    name: str = Field(max_length=64)
    set_by: int | None = Field(default=None, sa_type=BigInteger)
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundUpdate(SQLModel, table=True):
    """A Telegram update, stored before Telegram is told it arrived (storage/inbox.py)."""

    __tablename__ = "inbound_updates"
    __table_args__ = (Index("ix_inbound_updates_waiting", "processed_at", "update_id"),)

    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSONText)  # cleared when finished
    worker: str | None = Field(default=None, max_length=64)  # the worker processing it
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # effects committed
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # handlers returned


class Worker(SQLModel, table=True):
    """A running bot process and its heartbeat: its claims die with it (storage/workers.py)."""

    __tablename__ = "workers"

    id: str = Field(primary_key=True, max_length=64)
    poller: bool = False  # polls getUpdates (one per bot): a new poller replaces the old
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Lease(SQLModel, table=True):
    """A role one live worker holds at a time (the scheduler): held while the holder beats,
    taken over by compare-and-set when it stops (storage/leases.py)."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=32)
    worker: str | None = Field(default=None, max_length=64)
    since: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PaceSlot(SQLModel, table=True):
    """One of Telegram's buckets shared by the webhook workers on PostgreSQL: the bot's ('*')
    or a chat's, as the time its next message is theoretically due (storage/pace.py)."""

    __tablename__ = "pace"

    key: str = Field(primary_key=True, max_length=32)  # '*' or the chat id
    tat: datetime = Field(sa_type=UTCDateTime)
