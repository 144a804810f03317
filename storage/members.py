"""Staff, dispatchers, supervisors and admins, and what each may do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from storage.errors import (
    DepartmentRequired,
    DistrictWideRole,
    InvalidInput,
    NoSuchGrant,
    OwnAdminRole,
    TeamRequired,
    UnknownDepartment,
)
from storage.models import (
    ChangeSource,
    Department,
    GrantChange,
    Member,
    MemberAudit,
    Role,
)
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
    def team(self) -> str | None:
        """The collector's team, if the user is a collector."""
        return next((m.team for m in self.roles if m.role == Role.COLLECTOR and m.team), None)

    @property
    def is_collector(self) -> bool:
        """Whether the user records requests on residents' behalf (民情书记 / 网格员)."""
        return self.team is not None

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


@dataclass(frozen=True, slots=True)
class ChangedBy:
    """Who changes access and where: the operator on the command line, or an admin in Telegram."""

    source: ChangeSource
    user_id: int | None = None


OPERATOR = ChangedBy(ChangeSource.COMMAND_LINE)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the access audit trail."""

    at: datetime
    change: GrantChange
    user_id: int
    role: str
    department_code: str | None
    display_name: str
    source: ChangeSource
    actor_user_id: int | None


async def _validate_grant(uow: UnitOfWork, role: Role, department_code: str | None) -> None:
    """Staff belong to one routable department; every other role serves the whole district."""
    if role != Role.STAFF:
        if department_code is not None:
            raise DistrictWideRole(role)
        return
    if department_code is None:
        raise DepartmentRequired
    department = await uow.session.get(Department, department_code)
    if department is None or department.is_dispatch:
        codes = await uow.session.exec(
            select(Department.code).where(col(Department.is_dispatch).is_(False))
        )
        raise UnknownDepartment(department_code, sorted(codes.all()))


def _audit(row: Member, change: GrantChange, by: ChangedBy) -> MemberAudit:
    return MemberAudit(
        change=change,
        user_id=row.user_id,
        role=row.role,
        department_code=row.department_code,
        display_name=row.display_name,
        source=by.source,
        actor_user_id=by.user_id,
    )


async def _grants(uow: UnitOfWork, user_id: int) -> list[Member]:
    rows = await uow.session.exec(
        select(Member).where(Member.user_id == user_id).order_by(col(Member.id))
    )
    return list(rows.all())


async def add_member(
    *,
    uow: UnitOfWork,
    user_id: int,
    role: Role,
    department_code: str | None = None,
    display_name: str = "",
    by: ChangedBy = OPERATOR,
    team: str | None = None,
) -> tuple[MemberView, bool]:
    """Grant a role (idempotent); staff need a department, collectors a team (checked against
    teams.toml by the caller), other roles take neither.
    A new grant is recorded in the audit trail. Returns (member, created)."""
    await _validate_grant(uow, role, department_code)
    if role == Role.COLLECTOR and not team:
        raise TeamRequired
    team = team if role == Role.COLLECTOR else None
    row = next(
        (
            g
            for g in await _grants(uow, user_id)
            if (g.role, g.department_code) == (role, department_code)
        ),
        None,
    )
    created = row is None
    if row is None:
        row = Member(
            user_id=user_id,
            role=role,
            department_code=department_code,
            display_name=display_name,
            team=team,
        )
        uow.session.add(_audit(row, GrantChange.GRANTED, by))
    else:
        row.display_name = display_name or row.display_name
        row.team = team or row.team
    uow.session.add(row)
    await uow.commit()
    return MemberView.of(row), created


async def remove_member(
    *,
    uow: UnitOfWork,
    user_id: int,
    role: Role | None = None,
    department_code: str | None = None,
    by: ChangedBy = OPERATOR,
) -> list[MemberView]:
    """Take roles away: every role of the user, or those matching `role` and `department_code`.
    Effective on the user's next update (roles are read per update); recorded in the audit
    trail. Raises NoSuchGrant when nothing matches."""
    rows = [
        g
        for g in await _grants(uow, user_id)
        if (role is None or g.role == role)
        and (department_code is None or g.department_code == department_code)
    ]
    if not rows:
        raise NoSuchGrant(user_id)
    own = by.source == ChangeSource.TELEGRAM and by.user_id == user_id
    if own and any(g.role == Role.ADMIN for g in rows):
        raise OwnAdminRole
    for row in rows:
        uow.session.add(_audit(row, GrantChange.REVOKED, by))
        await uow.session.delete(row)
    await uow.commit()
    return [MemberView.of(r) for r in rows]


async def set_role(
    *,
    uow: UnitOfWork,
    user_id: int,
    role: Role,
    department_code: str | None = None,
    by: ChangedBy = OPERATOR,
) -> tuple[MemberView, list[MemberView]]:
    """Make one role the user's only role (keeping their name); returns (the role, those
    taken away). The user must already hold some role: new people are added. A collector
    needs a team: they are added with `add_member`."""
    await _validate_grant(uow, role, department_code)
    if role == Role.COLLECTOR:
        raise TeamRequired
    grants = await _grants(uow, user_id)
    if not grants:
        raise NoSuchGrant(user_id)
    name = next((g.display_name for g in grants if g.display_name), "")
    kept: Member | None = None
    removed: list[Member] = []
    for grant in grants:
        if kept is None and (grant.role, grant.department_code) == (role, department_code):
            kept = grant
            continue
        uow.session.add(_audit(grant, GrantChange.REVOKED, by))
        await uow.session.delete(grant)
        removed.append(grant)
    if kept is None:
        kept = Member(
            user_id=user_id, role=role, department_code=department_code, display_name=name
        )
        uow.session.add(kept)
        uow.session.add(_audit(kept, GrantChange.GRANTED, by))
    await uow.commit()
    return MemberView.of(kept), [MemberView.of(r) for r in removed]


async def access_history(*, uow: UnitOfWork, user_id: int | None = None) -> list[AuditEntry]:
    """The audit trail of access, oldest first: everyone's, or one user's."""
    query = select(MemberAudit).order_by(col(MemberAudit.id))
    if user_id is not None:
        query = query.where(MemberAudit.user_id == user_id)
    rows = await uow.session.exec(query)
    return [
        AuditEntry(
            at=r.at,
            change=GrantChange(r.change),
            user_id=r.user_id,
            role=r.role,
            department_code=r.department_code,
            display_name=r.display_name,
            source=ChangeSource(r.source),
            actor_user_id=r.actor_user_id,
        )
        for r in rows.all()
    ]


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


async def collector_ids(*, uow: UnitOfWork) -> list[int]:
    """User ids of every collector (their private chats get the collectors' commands)."""
    rows = await uow.session.exec(select(Member.user_id).where(Member.role == Role.COLLECTOR))
    return sorted(set(rows.all()))
