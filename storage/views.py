"""Read models handed to the layers above; table rows never leave storage/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.models import Department, Member, Ticket, TicketEvent


@dataclass(frozen=True, slots=True)
class DepartmentView:
    """A department as the handlers see it."""

    code: str
    name: str
    sla_hours: int
    is_dispatch: bool
    chat_id: int | None
    is_forum: bool

    @classmethod
    def of(cls, row: Department) -> DepartmentView:
        """Build from a table row."""
        return cls(row.code, row.name, row.sla_hours, row.is_dispatch, row.chat_id, row.is_forum)


@dataclass(frozen=True, slots=True)
class MemberView:
    """One role held by one Telegram user."""

    user_id: int
    role: str
    department_code: str | None
    display_name: str
    team: str | None = None  # collectors: their team

    @classmethod
    def of(cls, row: Member) -> MemberView:
        """Build from a table row."""
        return cls(row.user_id, row.role, row.department_code, row.display_name, row.team)


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket's current state."""

    id: int
    number: str
    text: str
    status: str
    department_code: str | None
    predicted_code: str | None
    confidence: float | None
    address: str | None
    latitude: float | None
    longitude: float | None
    photo_file_ids: tuple[str, ...]
    phone: str | None
    created_at: datetime
    routed_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    closure_code: str | None
    answer: str | None
    rating: str | None
    reopen_count: int
    awaiting_resident: bool
    assignee_user_id: int | None
    duplicate_of_id: int | None

    @classmethod
    def of(cls, row: Ticket) -> TicketView:
        """Build from a table row; the phone is present only with the resident's consent."""
        assert row.id is not None
        return cls(
            id=row.id,
            number=row.number,
            text=row.text,
            status=row.status,
            department_code=row.department_code,
            predicted_code=row.predicted_code,
            confidence=row.confidence,
            address=row.address,
            latitude=row.latitude,
            longitude=row.longitude,
            photo_file_ids=tuple(row.photo_file_ids or ()),
            phone=row.phone if row.phone_consent else None,
            created_at=row.created_at,
            routed_at=row.routed_at,
            resolved_at=row.resolved_at,
            closed_at=row.closed_at,
            due_at=row.due_at,
            closure_code=row.closure_code,
            answer=row.answer,
            rating=row.rating,
            reopen_count=row.reopen_count,
            awaiting_resident=row.awaiting_resident,
            assignee_user_id=row.assignee_user_id,
            duplicate_of_id=row.duplicate_of_id,
        )


@dataclass(frozen=True, slots=True)
class EventView:
    """One entry of a ticket's history."""

    at: datetime
    kind: str
    actor_kind: str
    actor_user_id: int | None
    from_status: str | None
    to_status: str | None
    department_code: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: TicketEvent) -> EventView:
        """Build from a table row."""
        return cls(
            row.at,
            row.kind,
            row.actor_kind,
            row.actor_user_id,
            row.from_status,
            row.to_status,
            row.department_code,
            dict(row.detail or {}),
        )
