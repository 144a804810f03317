"""The district's configuration file (departments.toml) and loading it into the store."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from storage.errors import InvalidInput, UnknownDepartment
from storage.models import Department
from storage.unit_of_work import UnitOfWork
from storage.views import DepartmentView

DEFAULT_DEPARTMENTS = Path(__file__).with_name("departments.toml")


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """One department as configured."""

    code: str
    name: str
    sla_hours: int
    scope: str = ""
    is_dispatch: bool = False


@dataclass(frozen=True, slots=True)
class District:
    """The district: its name, time zone, dispatch centre and departments."""

    name: str
    timezone: str
    dispatch: DepartmentSpec
    departments: tuple[DepartmentSpec, ...]

    @property
    def codes(self) -> list[str]:
        """Codes of the routable departments (not dispatch), in file order."""
        return [d.code for d in self.departments]

    def all(self) -> tuple[DepartmentSpec, ...]:
        """Dispatch first, then every department."""
        return (self.dispatch, *self.departments)


def _spec(raw: object, where: str, *, is_dispatch: bool = False) -> DepartmentSpec:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: expected a table")
    try:
        code, name, sla = str(raw["code"]).strip(), str(raw["name"]).strip(), raw["sla_hours"]
    except KeyError as missing:
        raise InvalidInput(f"{where}: missing key {missing}") from None
    if not code or not name:
        raise InvalidInput(f"{where}: code and name must not be empty")
    if not isinstance(sla, int) or isinstance(sla, bool) or sla <= 0:
        raise InvalidInput(f"{where}: sla_hours must be a positive integer")
    return DepartmentSpec(code, name, sla, str(raw.get("scope", "")), is_dispatch)


def parse_district(text: str, source: str = "departments.toml") -> District:
    """Parse and validate the TOML text of a district configuration."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"{source}: not valid TOML ({error})") from None
    if "dispatch" not in data or "departments" not in data:
        raise InvalidInput(f"{source}: needs a [dispatch] table and [[departments]]")
    dispatch = _spec(data["dispatch"], f"{source} [dispatch]", is_dispatch=True)
    raw_departments = data["departments"]
    if not isinstance(raw_departments, list) or not raw_departments:
        raise InvalidInput(f"{source}: [[departments]] must list at least one department")
    departments = tuple(
        _spec(raw, f"{source} departments[{i}]") for i, raw in enumerate(raw_departments)
    )
    codes = [dispatch.code, *(d.code for d in departments)]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise InvalidInput(f"{source}: duplicate department codes {', '.join(duplicates)}")
    return District(
        name=str(data.get("district", "")),
        timezone=str(data.get("timezone", "Asia/Shanghai")),
        dispatch=dispatch,
        departments=departments,
    )


def read_district(path: Path = DEFAULT_DEPARTMENTS) -> District:
    """Read a district configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror}") from None
    return parse_district(text, str(path))


async def load_departments(*, uow: UnitOfWork, district: District) -> tuple[int, int]:
    """Insert or update every department (idempotent); returns (added, updated)."""
    added = updated = 0
    for spec in district.all():
        row = await uow.session.get(Department, spec.code)
        if row is None:
            uow.session.add(
                Department(
                    code=spec.code,
                    name=spec.name,
                    sla_hours=spec.sla_hours,
                    scope=spec.scope,
                    is_dispatch=spec.is_dispatch,
                )
            )
            added += 1
            continue
        changed = (row.name, row.sla_hours, row.scope, row.is_dispatch) != (
            spec.name,
            spec.sla_hours,
            spec.scope,
            spec.is_dispatch,
        )
        if changed:
            row.name, row.sla_hours, row.scope = spec.name, spec.sla_hours, spec.scope
            row.is_dispatch = spec.is_dispatch
            uow.session.add(row)
            updated += 1
    await uow.commit()
    return added, updated


async def list_departments(*, uow: UnitOfWork) -> list[DepartmentView]:
    """Every department, dispatch first."""
    rows = await uow.session.exec(select(Department))
    views = [DepartmentView.of(r) for r in rows.all()]
    return sorted(views, key=lambda d: (not d.is_dispatch, d.code))


async def bind_department(
    *, uow: UnitOfWork, code: str, chat_id: int, is_forum: bool
) -> DepartmentView:
    """Bind a department (or dispatch) to its Telegram group; a group serves one department."""
    row = await uow.session.get(Department, code)
    if row is None:
        codes = (await uow.session.exec(select(Department.code))).all()
        raise UnknownDepartment(code, sorted(codes))
    others = await uow.session.exec(
        select(Department).where(Department.chat_id == chat_id, Department.code != code)
    )
    for other in others.all():
        other.chat_id = None
        uow.session.add(other)
    row.chat_id, row.is_forum = chat_id, is_forum
    uow.session.add(row)
    await uow.commit()
    return DepartmentView.of(row)


async def department_for_chat(*, uow: UnitOfWork, chat_id: int) -> DepartmentView | None:
    """The department whose staff group this chat is."""
    row = (await uow.session.exec(select(Department).where(Department.chat_id == chat_id))).first()
    return DepartmentView.of(row) if row else None
