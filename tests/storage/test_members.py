"""Granting, changing and revoking access, each recorded in the audit trail."""

from __future__ import annotations

import pytest

from storage.errors import (
    DepartmentRequired,
    DistrictWideRole,
    NoSuchGrant,
    OwnAdminRole,
    UnknownDepartment,
)
from storage.members import (
    ChangedBy,
    access_history,
    actor_for,
    add_member,
    list_members,
    remove_member,
    set_role,
)
from storage.models import ChangeSource, GrantChange, Role
from storage.unit_of_work import UnitOfWork

CLERK = 7_000_000_001
ADMIN = 7_000_000_002
IN_TELEGRAM = ChangedBy(ChangeSource.TELEGRAM, ADMIN)


async def grant(uow: UnitOfWork, role: Role, code: str | None = None, user: int = CLERK) -> None:
    async with uow:
        await add_member(
            uow=uow, user_id=user, role=role, department_code=code, display_name="小李"
        )


async def trail(uow: UnitOfWork, user: int | None = CLERK) -> list[tuple[str, str, str | None]]:
    async with uow:
        entries = await access_history(uow=uow, user_id=user)
    return [(e.change, e.role, e.department_code) for e in entries]


async def test_a_grant_is_recorded_once(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    await grant(uow, Role.STAFF, "urban")  # idempotent: no second grant, no second record
    assert await trail(uow) == [(GrantChange.GRANTED, Role.STAFF, "urban")]
    async with uow:
        entry = (await access_history(uow=uow))[0]
    assert entry.source == ChangeSource.COMMAND_LINE
    assert entry.actor_user_id is None
    assert entry.display_name == "小李"


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
async def test_district_wide_roles_take_no_department(uow: UnitOfWork, role: Role) -> None:
    with pytest.raises(DistrictWideRole):
        await grant(uow, role, "urban")
    assert await trail(uow) == []


async def test_staff_need_a_routable_department(uow: UnitOfWork) -> None:
    with pytest.raises(DepartmentRequired):
        await grant(uow, Role.STAFF)
    with pytest.raises(UnknownDepartment) as unknown:
        await grant(uow, Role.STAFF, "dispatch")
    assert "dispatch" not in unknown.value.known
    assert "urban" in unknown.value.known


async def test_removing_takes_every_role_away_and_records_who(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    await grant(uow, Role.STAFF, "housing")
    await grant(uow, Role.SUPERVISOR)
    async with uow:
        removed = await remove_member(uow=uow, user_id=CLERK, by=IN_TELEGRAM)
    assert sorted(m.role for m in removed) == [Role.STAFF, Role.STAFF, Role.SUPERVISOR]
    async with uow:
        actor = await actor_for(uow=uow, user_id=CLERK)
        entries = await access_history(uow=uow, user_id=CLERK)
    assert not actor.is_staff
    revoked = [e for e in entries if e.change == GrantChange.REVOKED]
    assert len(revoked) == 3
    assert {(e.source, e.actor_user_id) for e in revoked} == {(ChangeSource.TELEGRAM, ADMIN)}


async def test_removing_one_role_keeps_the_others(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    await grant(uow, Role.STAFF, "housing")
    async with uow:
        await remove_member(uow=uow, user_id=CLERK, role=Role.STAFF, department_code="urban")
    async with uow:
        actor = await actor_for(uow=uow, user_id=CLERK)
    assert actor.departments == {"housing"}


async def test_removing_what_is_not_there_says_so_and_changes_nothing(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    with pytest.raises(NoSuchGrant):
        async with uow:
            await remove_member(uow=uow, user_id=CLERK, role=Role.ADMIN)
    with pytest.raises(NoSuchGrant):
        async with uow:
            await remove_member(uow=uow, user_id=ADMIN)
    assert await trail(uow) == [(GrantChange.GRANTED, Role.STAFF, "urban")]


async def test_an_admin_cannot_revoke_their_own_admin_role_in_telegram(uow: UnitOfWork) -> None:
    await grant(uow, Role.ADMIN, user=ADMIN)
    with pytest.raises(OwnAdminRole):
        async with uow:
            await remove_member(uow=uow, user_id=ADMIN, by=IN_TELEGRAM)
    async with uow:
        await remove_member(uow=uow, user_id=ADMIN)  # the operator can
        assert await list_members(uow=uow) == []


async def test_set_role_replaces_every_role_and_keeps_the_name(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    await grant(uow, Role.SUPERVISOR)
    async with uow:
        kept, removed = await set_role(
            uow=uow, user_id=CLERK, role=Role.STAFF, department_code="housing"
        )
    assert (kept.role, kept.department_code, kept.display_name) == (Role.STAFF, "housing", "小李")
    assert sorted((m.role, m.department_code) for m in removed) == [
        (Role.STAFF, "urban"),
        (Role.SUPERVISOR, None),
    ]
    assert await trail(uow) == [
        (GrantChange.GRANTED, Role.STAFF, "urban"),
        (GrantChange.GRANTED, Role.SUPERVISOR, None),
        (GrantChange.REVOKED, Role.STAFF, "urban"),
        (GrantChange.REVOKED, Role.SUPERVISOR, None),
        (GrantChange.GRANTED, Role.STAFF, "housing"),
    ]


async def test_set_role_to_a_role_already_held_drops_only_the_others(uow: UnitOfWork) -> None:
    await grant(uow, Role.STAFF, "urban")
    await grant(uow, Role.DISPATCHER)
    async with uow:
        kept, removed = await set_role(uow=uow, user_id=CLERK, role=Role.DISPATCHER)
    assert kept.role == Role.DISPATCHER
    assert [(m.role, m.department_code) for m in removed] == [(Role.STAFF, "urban")]


async def test_set_role_needs_an_existing_member_and_a_valid_role(uow: UnitOfWork) -> None:
    with pytest.raises(NoSuchGrant):
        async with uow:
            await set_role(uow=uow, user_id=CLERK, role=Role.DISPATCHER)
    await grant(uow, Role.STAFF, "urban")
    with pytest.raises(DistrictWideRole):
        async with uow:
            await set_role(uow=uow, user_id=CLERK, role=Role.DISPATCHER, department_code="urban")
    async with uow:
        assert len(await list_members(uow=uow)) == 1
