"""The operator's `minyi` commands: database, departments, members."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, TypeVar

import typer

from admin.cli_common import fail, run_with_uow, settings_or_exit
from admin.cli_model import app as model_app
from admin.cli_reports import anonymise, export_app
from admin.cli_retrain import retrain as _retrain  # noqa: F401  (registers `model retrain`)
from admin.settings import Settings
from storage import database
from storage.district import bind_department, list_departments, load_departments, read_district
from storage.errors import DomainError
from storage.members import add_member, list_members, parse_user_id
from storage.models import Role

T = TypeVar("T")

app = typer.Typer(help="民意直通车 — 运维命令 (operator commands)", no_args_is_help=True)
db_app = typer.Typer(help="数据库: init / upgrade", no_args_is_help=True)
departments_app = typer.Typer(help="部门: load / bind / list", no_args_is_help=True)
members_app = typer.Typer(help="人员与角色: add / list", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(departments_app, name="departments")
app.add_typer(members_app, name="members")
app.add_typer(model_app, name="model")
app.add_typer(export_app, name="export")
app.command("anonymise")(anonymise)


def init_database(settings: Settings) -> tuple[int, int]:
    """Migrate the schema and load the configured departments; returns (added, updated)."""
    district = read_district(settings.departments_file)
    database.upgrade(settings.database_url)
    return run_with_uow(settings, lambda uow: load_departments(uow=uow, district=district))


@db_app.command("init")
def db_init() -> None:
    """Create or migrate the database and load the departments."""
    settings = settings_or_exit()
    try:
        added, updated = init_database(settings)
    except DomainError as error:
        raise fail(str(error)) from None
    typer.echo(f"数据库已就绪；部门新增 {added} 个，更新 {updated} 个。")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to a revision (default: the newest)."""
    settings = settings_or_exit()
    database.upgrade(settings.database_url, revision)
    typer.echo(f"数据库已迁移到 {revision}。")


@departments_app.command("load")
def departments_load(
    file: Annotated[Path | None, typer.Argument(help="departments.toml")] = None,
) -> None:
    """Load or update departments from a TOML file (idempotent)."""
    settings = settings_or_exit()
    try:
        district = read_district(file or settings.departments_file)
    except DomainError as error:
        raise fail(str(error)) from None
    added, updated = run_with_uow(
        settings, lambda uow: load_departments(uow=uow, district=district)
    )
    typer.echo(
        f"{district.name}: 部门新增 {added} 个，更新 {updated} 个，共 {len(district.all())} 个。"
    )


@departments_app.command("bind", context_settings={"ignore_unknown_options": True})
def departments_bind(
    code: str,
    chat_id: Annotated[str, typer.Argument(help="the staff group's chat id, e.g. -1001234567890")],
    forum: Annotated[bool, typer.Option(help="the group has Topics turned on")] = False,
) -> None:
    """Bind a department to its staff group."""
    settings = settings_or_exit()
    try:
        chat = int(chat_id)
    except ValueError:
        raise fail(f"不是有效的群组 ID: {chat_id!r}") from None
    if chat >= 0:
        raise fail("群组 ID 是负数（如 -1001234567890）")
    view = run_with_uow(
        settings,
        lambda uow: bind_department(uow=uow, code=code, chat_id=chat, is_forum=forum),
    )
    typer.echo(f"{view.name} ({view.code}) 已绑定群组 {chat}{'（话题模式）' if forum else ''}。")


@departments_app.command("list")
def departments_list() -> None:
    """List departments and their groups."""
    settings = settings_or_exit()
    rows = run_with_uow(settings, lambda uow: list_departments(uow=uow))
    for row in rows:
        bound = str(row.chat_id) if row.chat_id else "未绑定"
        typer.echo(f"{row.code:12} {row.name:12} SLA {row.sla_hours:>3}h  群组 {bound}")


@members_app.command("add")
def members_add(
    user_id: str,
    role: Annotated[Role, typer.Option(help="staff / dispatcher / supervisor / admin")],
    department: Annotated[str | None, typer.Option(help="department code (staff)")] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
) -> None:
    """Grant a role to a Telegram user."""
    settings = settings_or_exit()
    try:
        uid = parse_user_id(user_id)
    except DomainError as error:
        raise fail(str(error)) from None
    member, created = run_with_uow(
        settings,
        lambda uow: add_member(
            uow=uow, user_id=uid, role=role, department_code=department, display_name=name
        ),
    )
    where = f" @ {member.department_code}" if member.department_code else ""
    typer.echo(f"{'已添加' if created else '已存在'}: {member.user_id} {member.role}{where}")


@members_app.command("list")
def members_list() -> None:
    """List every role grant."""
    settings = settings_or_exit()
    rows = run_with_uow(settings, lambda uow: list_members(uow=uow))
    if not rows:
        typer.echo("还没有人员。用 `minyi members add USER_ID --role ROLE` 添加。")
    for m in rows:
        typer.echo(f"{m.user_id:>15}  {m.role:11} {m.department_code or '-':12} {m.display_name}")
