"""Staff, dispatchers, supervisors and admins, and what each may do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from storage.errors import InvalidInput, UnknownDepartment
from storage.models import Department, Member, Role
from storage.unit_of_work import UnitOfWork
from storage.views import MemberView

TELEGRAM_ID_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Actor:
    """A Telegram user acting with every role they hold."""

    user_id: int
    display_name: str
    roles: tuple[MemberView, ...] = ()

    def has(self, role: Role) -> bool:
        """Whether the user holds a role (in any department)."""
        return any(m.role == role for m in self.roles)

    @property
    def departments(self) -> frozenset[str]:
        """Departments where the user is staff."""
        return frozenset(
            m.department_code for m in self.roles if m.role == Role.STAFF and m.department_code
        )

    @property
    def is_staff(self) -> bool:
        """Whether the user holds any staff-side role at all."""
        return bool(self.roles)

    @property
    def oversees_all(self) -> bool:
        """Dispatchers, supervisors and admins may act on any department's tickets."""
        return any(m.role in (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN) for m in self.roles)

    def may_work_on(self, department_code: str | None) -> bool:
        """Whether the user may act on a ticket currently with this department."""
        if self.oversees_all:
            return True
        return department_code is not None and department_code in self.departments


async def actor_for(*, uow: UnitOfWork, user_id: int, display_name: str = "") -> Actor:
    """The actor for a Telegram user, with every role they hold (none for residents)."""
    rows = await uow.session.exec(select(Member).where(Member.user_id == user_id))
    return Actor(user_id, display_name, tuple(MemberView.of(r) for r in rows.all()))


async def member_name(*, uow: UnitOfWork, user_id: int) -> str:
    """How colleagues know a member of staff (the name kept with their roles), or ""."""
    rows = await uow.session.exec(
        select(Member.display_name).where(Member.user_id == user_id).order_by(col(Member.id))
    )
    return next((name for name in rows.all() if name), "")


def parse_user_id(raw: str) -> int:
    """A Telegram user id from text, or a clear error."""
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInput(f"not a Telegram user id: {raw!r}") from None
    if not 0 < value <= TELEGRAM_ID_MAX:
        raise InvalidInput(f"Telegram user ids are positive 64-bit numbers, got {value}")
    return value


async def add_member(
    *,
    uow: UnitOfWork,
    user_id: int,
    role: Role,
    department_code: str | None = None,
    display_name: str = "",
) -> tuple[MemberView, bool]:
    """Grant a role (idempotent); staff need a department. Returns (member, created)."""
    if role == Role.STAFF and department_code is None:
        raise InvalidInput("staff members need a department (--department CODE)")
    if department_code is not None:
        department = await uow.session.get(Department, department_code)
        if department is None:
            codes = (await uow.session.exec(select(Department.code))).all()
            raise UnknownDepartment(department_code, sorted(codes))
    if role != Role.STAFF:
        department_code = None if role != Role.DISPATCHER else department_code
    existing = await uow.session.exec(
        select(Member).where(
            Member.user_id == user_id,
            Member.role == role,
            col(Member.department_code).is_(None)
            if department_code is None
            else Member.department_code == department_code,
        )
    )
    row = existing.first()
    created = row is None
    if row is None:
        row = Member(
            user_id=user_id, role=role, department_code=department_code, display_name=display_name
        )
    elif display_name:
        row.display_name = display_name
    uow.session.add(row)
    await uow.commit()
    return MemberView.of(row), created


async def remove_member(
    *, uow: UnitOfWork, user_id: int, role: Role, department_code: str | None = None
) -> int:
    """Take a role away; returns how many grants were removed."""
    query = select(Member).where(Member.user_id == user_id, Member.role == role)
    if department_code is not None:
        query = query.where(Member.department_code == department_code)
    rows = (await uow.session.exec(query)).all()
    for row in rows:
        await uow.session.delete(row)
    await uow.commit()
    return len(rows)


async def list_members(*, uow: UnitOfWork) -> list[MemberView]:
    """Every grant, ordered by role, department and user."""
    rows = await uow.session.exec(
        select(Member).order_by(col(Member.role), col(Member.department_code), col(Member.user_id))
    )
    return [MemberView.of(r) for r in rows.all()]


async def supervisor_ids(*, uow: UnitOfWork) -> list[int]:
    """User ids of every supervisor (their private chat ids in Telegram)."""
    rows = await uow.session.exec(select(Member.user_id).where(Member.role == Role.SUPERVISOR))
    return sorted(set(rows.all()))
