"""Builders for test data, in one place."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from classifiers.model import Prediction
from storage.members import Actor, actor_for, add_member
from storage.models import Role
from storage.tickets import Draft, Policy, ResidentRef, open_ticket
from storage.unit_of_work import UnitOfWork
from storage.views import TicketView

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai, a Tuesday
POLICY = Policy()
_ids = count(10_000_000_000)  # beyond int32, as real Telegram ids are


def prediction(route_to: str | None) -> Prediction:
    """What the model says: sure of `route_to`, or unsure (urban at 0.42) when None."""
    if route_to is None:
        return Prediction("urban", 0.42)
    return Prediction(route_to, 0.97, (("urban", 0.02),) if route_to != "urban" else ())


def resident(name: str = "王女士") -> ResidentRef:
    """A resident with a fresh 64-bit Telegram id."""
    user_id = next(_ids)
    return ResidentRef(user_id=user_id, chat_id=user_id, display_name=name)


async def staff(uow: UnitOfWork, department: str, name: str = "李科员") -> Actor:
    """A member of staff of a department."""
    user_id = next(_ids)
    async with uow:
        await add_member(
            uow=uow, user_id=user_id, role=Role.STAFF, department_code=department, display_name=name
        )
    async with uow:
        return await actor_for(uow=uow, user_id=user_id, display_name=name)


async def member(uow: UnitOfWork, role: Role, name: str = "调度员") -> Actor:
    """A dispatcher, supervisor or admin."""
    user_id = next(_ids)
    async with uow:
        await add_member(uow=uow, user_id=user_id, role=role, display_name=name)
    async with uow:
        return await actor_for(uow=uow, user_id=user_id, display_name=name)


async def ticket(
    uow: UnitOfWork,
    who: ResidentRef | None = None,
    *,
    text: str = "荷韵花园门口路灯坏了一个星期了",
    route_to: str | None = "urban",
    now: datetime = NOW,
    phone: str | None = None,
    consent: bool = False,
) -> TicketView:
    """A ticket opened by a resident and routed (or sent to dispatch when route_to is None)."""
    async with uow:
        return await open_ticket(
            uow=uow,
            resident=who or resident(),
            draft=Draft(text=text, phone=phone, phone_consent=consent),
            prediction=prediction(route_to),
            policy=POLICY,
            now=now,
        )


async def collector(
    uow: UnitOfWork, team: str = "市直第一民情书记队", name: str = "民情书记老周"
) -> Actor:
    """A collector (民情书记 / 网格员) of a team."""
    user_id = next(_ids)
    async with uow:
        await add_member(
            uow=uow, user_id=user_id, role=Role.COLLECTOR, display_name=name, team=team
        )
    async with uow:
        return await actor_for(uow=uow, user_id=user_id, display_name=name)
