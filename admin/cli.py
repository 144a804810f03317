"""The operator's `minyi` commands: database, departments, members."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from admin import cli_help_texts as help_texts
from admin import cli_texts as texts
from admin.arguments import department_code
from admin.cli_common import EDGE, describe, fail, run_with_uow, settings_or_exit
from admin.cli_knowledge import knowledge_app
from admin.cli_model import app as model_app
from admin.cli_register import import_app
from admin.cli_reports import anonymise, export_app
from admin.cli_retrain import retrain as _retrain  # noqa: F401  (registers `model retrain`)
from admin.cli_templates import templates_app
from admin.settings import Settings
from storage import database
from storage.district import bind_department, list_departments, load_departments, read_district
from storage.errors import DomainError, InvalidInput, TeamRequired
from storage.knowledge import import_entries, list_entries, read_base
from storage.members import (
    access_history,
    add_member,
    list_members,
    parse_user_id,
    remove_member,
    set_role,
)
from storage.models import Role
from storage.teams import find_team, read_teams
from storage.unit_of_work import UnitOfWork
from storage.views import MemberView

app = typer.Typer(help=help_texts.ROOT, no_args_is_help=True)
db_app = typer.Typer(help=help_texts.DB, no_args_is_help=True)
departments_app = typer.Typer(help=help_texts.DEPARTMENTS, no_args_is_help=True)
members_app = typer.Typer(help=help_texts.MEMBERS, no_args_is_help=True)


@app.callback()
def options(
    debug: Annotated[bool, typer.Option("--debug", help=help_texts.DEBUG)] = False,
) -> None:
    """民意直通车 — 运维命令 (operator commands)."""
    EDGE.debug = debug


app.add_typer(db_app, name="db")
app.add_typer(departments_app, name="departments")
app.add_typer(members_app, name="members")
app.add_typer(model_app, name="model")
app.add_typer(export_app, name="export")
app.add_typer(templates_app, name="templates")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(import_app, name="import")  # admin.cli_register also adds `export register`
app.command("anonymise")(anonymise)


def init_database(settings: Settings) -> tuple[int, int]:
    """Migrate the schema and load the configured departments; returns (added, updated). An
    empty knowledge base gets the default district's entries."""
    district = read_district(settings.departments_file)
    database.upgrade(settings.database_url)
    loaded = run_with_uow(settings, lambda uow: load_departments(uow=uow, district=district))
    run_with_uow(settings, seed_knowledge)
    return loaded


async def seed_knowledge(uow: UnitOfWork) -> int:
    """The default knowledge base, into an empty one only (an operator's own base stays)."""
    if await list_entries(uow=uow):
        return 0
    return await import_entries(uow=uow, pairs=read_base())


@db_app.command("init", help=help_texts.DB_INIT)
def db_init() -> None:
    """Create or migrate the database and load the departments."""
    settings = settings_or_exit()
    try:
        added, updated = init_database(settings)
    except DomainError as error:
        raise fail(describe(error)) from None
    typer.echo(f"数据库已就绪；部门新增 {added} 个，更新 {updated} 个。")


@db_app.command("upgrade", help=help_texts.DB_UPGRADE)
def db_upgrade(
    revision: Annotated[str, typer.Option(help=help_texts.REVISION)] = "head",
) -> None:
    """Apply migrations up to a revision (default: the newest)."""
    settings = settings_or_exit()
    database.upgrade(settings.database_url, revision)
    typer.echo(f"数据库已迁移到 {revision}。")


@departments_app.command("load", help=help_texts.DEPARTMENTS_LOAD)
def departments_load(
    file: Annotated[Path | None, typer.Argument(help=help_texts.DEPARTMENTS_FILE)] = None,
) -> None:
    """Load or update departments from a TOML file (idempotent)."""
    settings = settings_or_exit()
    try:
        district = read_district(file or settings.departments_file)
    except DomainError as error:
        raise fail(describe(error)) from None
    added, updated = run_with_uow(
        settings, lambda uow: load_departments(uow=uow, district=district)
    )
    typer.echo(
        f"{district.name}: 部门新增 {added} 个，更新 {updated} 个，共 {len(district.all())} 个。"
    )


@departments_app.command(
    "bind", help=help_texts.DEPARTMENTS_BIND, context_settings={"ignore_unknown_options": True}
)
def departments_bind(
    code: Annotated[str, typer.Argument(help=help_texts.DEPARTMENT_CODE)],
    chat_id: Annotated[str, typer.Argument(help=help_texts.CHAT_ID)],
    forum: Annotated[bool, typer.Option(help=help_texts.FORUM)] = False,
) -> None:
    """Bind a department to its staff group."""
    settings = settings_or_exit()
    try:
        chat = int(chat_id)
    except ValueError:
        raise fail(texts.CHAT_ID_INVALID.format(raw=chat_id[:40])) from None
    if chat >= 0:
        raise fail(texts.CHAT_ID_POSITIVE)
    department = _department(settings, code, dispatch=True) or code
    view = run_with_uow(
        settings,
        lambda uow: bind_department(uow=uow, code=department, chat_id=chat, is_forum=forum),
    )
    typer.echo(f"{view.name} ({view.code}) 已绑定群组 {chat}{'（话题模式）' if forum else ''}。")


@departments_app.command("list", help=help_texts.DEPARTMENTS_LIST)
def departments_list() -> None:
    """List departments and their groups."""
    settings = settings_or_exit()
    rows = run_with_uow(settings, lambda uow: list_departments(uow=uow))
    for row in rows:
        bound = str(row.chat_id) if row.chat_id else "未绑定"
        typer.echo(f"{row.code:12} {row.name:12} SLA {row.sla_hours:>3}h  群组 {bound}")


def _user_id(raw: str) -> int:
    try:
        return parse_user_id(raw)
    except InvalidInput:
        raise fail(texts.NOT_A_USER_ID.format(raw=raw.strip()[:40])) from None


def _department(settings: Settings, word: str | None, *, dispatch: bool = False) -> str | None:
    """A department code from its code or name (as in the sandbox and /bind); an unknown word
    is passed on, to be refused with the list of codes."""
    if word is None:
        return None
    try:
        district = read_district(settings.departments_file)
    except DomainError as error:
        raise fail(describe(error)) from None
    specs = district.all() if dispatch else district.departments
    return department_code(word, {d.code: d.name for d in specs}) or word.strip()


def _team(settings: Settings, role: Role, team: str | None, community: str | None) -> str | None:
    """A collector's team, checked against teams.toml (and its community, when given)."""
    if role != Role.COLLECTOR:
        return None
    if not team:
        raise fail(describe(TeamRequired()))
    try:
        return find_team(read_teams(settings.teams_file), team, community).name
    except DomainError as error:
        raise fail(describe(error)) from None


def _who(member: MemberView) -> str:
    where = f" @ {member.department_code}" if member.department_code else ""
    where += f" @ {member.team}" if member.team else ""
    name = f"（{member.display_name}）" if member.display_name else ""
    return f"{member.user_id} {member.role}{where}{name}"


RoleOption = Annotated[Role | None, typer.Option(help=help_texts.ROLE_TO_REMOVE)]
DepartmentOption = Annotated[str | None, typer.Option(help=help_texts.DEPARTMENT)]
UserId = Annotated[str, typer.Argument(help=help_texts.USER_ID)]


@members_app.command("add", help=help_texts.MEMBERS_ADD)
def members_add(
    user_id: UserId,
    role: Annotated[Role, typer.Option(help=help_texts.ROLE)],
    department: DepartmentOption = None,
    name: Annotated[str, typer.Option(help=help_texts.DISPLAY_NAME)] = "",
    team: Annotated[str | None, typer.Option(help=help_texts.TEAM)] = None,
    community: Annotated[str | None, typer.Option(help=help_texts.COMMUNITY)] = None,
) -> None:
    """Grant a role to a Telegram user (staff need a department, collectors a team and its
    community from teams.toml; other roles take neither)."""
    settings = settings_or_exit()
    uid = _user_id(user_id)
    code = _department(settings, department)
    team_name = _team(settings, role, team, community)
    member, created = run_with_uow(
        settings,
        lambda uow: add_member(
            uow=uow,
            user_id=uid,
            role=role,
            department_code=code,
            display_name=name,
            team=team_name,
        ),
    )
    typer.echo((texts.MEMBER_ADDED if created else texts.MEMBER_EXISTS).format(who=_who(member)))


@members_app.command("remove", help=help_texts.MEMBERS_REMOVE)
def members_remove(
    user_id: UserId,
    role: RoleOption = None,
    department: DepartmentOption = None,
) -> None:
    """Take a user's roles away (all of them, or one role / department); effective at once."""
    settings = settings_or_exit()
    uid = _user_id(user_id)
    code = _department(settings, department)
    removed = run_with_uow(
        settings,
        lambda uow: remove_member(uow=uow, user_id=uid, role=role, department_code=code),
    )
    for member in removed:
        typer.echo(texts.MEMBER_REMOVED.format(who=_who(member)))
    typer.echo(texts.MEMBER_EFFECT)


@members_app.command("set-role", help=help_texts.MEMBERS_SET_ROLE)
def members_set_role(
    user_id: UserId,
    role: Annotated[Role, typer.Argument(help=help_texts.ROLE)],
    department: DepartmentOption = None,
) -> None:
    """Make one role a member's only role (their other roles are removed)."""
    settings = settings_or_exit()
    uid = _user_id(user_id)
    code = _department(settings, department)
    kept, removed = run_with_uow(
        settings,
        lambda uow: set_role(uow=uow, user_id=uid, role=role, department_code=code),
    )
    typer.echo(texts.MEMBER_SET.format(user_id=uid, who=_who(kept)))
    for member in removed:
        typer.echo(texts.MEMBER_DROPPED.format(who=_who(member)))
    typer.echo(texts.MEMBER_EFFECT)


@members_app.command("list", help=help_texts.MEMBERS_LIST)
def members_list() -> None:
    """List every role grant."""
    settings = settings_or_exit()
    rows = run_with_uow(settings, lambda uow: list_members(uow=uow))
    if not rows:
        typer.echo(texts.MEMBERS_EMPTY)
    for m in rows:
        typer.echo(f"{m.user_id:>15}  {m.role:11} {m.department_code or '-':12} {m.display_name}")


@members_app.command("history", help=help_texts.MEMBERS_HISTORY)
def members_history(
    user_id: Annotated[str | None, typer.Argument(help=help_texts.ONLY_USER)] = None,
) -> None:
    """The audit trail: every role granted or removed, when, and from where."""
    settings = settings_or_exit()
    uid = _user_id(user_id) if user_id is not None else None
    entries = run_with_uow(settings, lambda uow: access_history(uow=uow, user_id=uid))
    if not entries:
        typer.echo(texts.HISTORY_EMPTY)
    for entry in entries:
        where = f" @ {entry.department_code}" if entry.department_code else ""
        name = f"（{entry.display_name}）" if entry.display_name else ""
        typer.echo(
            texts.HISTORY_LINE.format(
                at=entry.at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
                change=texts.CHANGES[entry.change],
                who=f"{entry.user_id} {entry.role}{where}{name}",
                by=texts.SOURCES[entry.source].format(user_id=entry.actor_user_id),
            )
        )
