"""The campaign's monthly theme (每月一个主题): set by a supervisor, offered when recording,
counted in the digest."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Integer, func
from sqlmodel import col, select

from storage.columns import utcnow
from storage.errors import InvalidInput, PermissionDenied
from storage.members import Actor
from storage.models import ClosureCode, Role, Theme, Ticket
from storage.unit_of_work import UnitOfWork

MAX_THEME_CHARS = 64


def month_key(day: date) -> str:
    """The month a day belongs to, as themes are keyed (YYYY-MM)."""
    return f"{day.year:04d}-{day.month:02d}"


async def set_theme(
    *, uow: UnitOfWork, actor: Actor, day: date, name: str, now: datetime | None = None
) -> str:
    """A supervisor (or admin) sets the theme of `day`'s month; returns it."""
    if not (actor.has(Role.SUPERVISOR) or actor.has(Role.ADMIN)):
        raise PermissionDenied("theme")
    name = name.strip()
    if not name or len(name) > MAX_THEME_CHARS:
        raise InvalidInput("a theme is a short phrase")
    row = await uow.session.get(Theme, month_key(day))
    if row is None:
        row = Theme(month=month_key(day), name=name)
    row.name, row.set_by, row.set_at = name, actor.user_id, now or utcnow()
    uow.session.add(row)
    await uow.commit()
    return name


async def current_theme(*, uow: UnitOfWork, day: date) -> str | None:
    """The theme of `day`'s month, if one is set."""
    row = await uow.session.get(Theme, month_key(day))
    return row.name if row else None


async def theme_counts(
    *, uow: UnitOfWork, since: datetime, until: datetime
) -> list[tuple[str, int, int]]:
    """(theme, requests, of them answered on the spot) for requests collected in
    [since, until), the most frequent first."""
    direct = func.sum(
        func.coalesce(
            (col(Ticket.closure_code) == ClosureCode.ON_THE_SPOT.value).cast(type_=Integer), 0
        )
    )
    rows = await uow.session.exec(
        select(Ticket.theme, func.count(), direct)
        .where(
            col(Ticket.theme).is_not(None),
            col(Ticket.created_at) >= since,
            col(Ticket.created_at) < until,
        )
        .group_by(col(Ticket.theme))
        .order_by(func.count().desc())
    )
    return [(str(theme), int(n), int(d or 0)) for theme, n, d in rows.all()]
