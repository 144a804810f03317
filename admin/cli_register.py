"""`minyi import register FILE` and `minyi export register`: a team's paper register (诉求台账)
brought in as historical tickets, and written back out in the same shape (xlsx or CSV).

Adds `register` to the export group of admin.cli_reports and holds the import group.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from admin import cli_common as operator_cli
from admin import cli_help_texts as help_texts
from admin import cli_texts
from admin.cli_reports import DAY_FORMATS, ExportFormat, _Sheet, cell_text, export_app
from admin.digest import day_bounds
from classifiers.dataset import read_table
from classifiers.errors import TrainingDataError
from storage.collect import register_lines
from storage.district import read_district
from storage.registers import (
    HEADERS,
    STAGE_WORDS,
    BadRow,
    Columns,
    import_register,
    local_day,
    parse_rows,
)
from storage.teams import find_team, read_teams
from storage.tickets import Policy
from storage.unit_of_work import UnitOfWork
from storage.vocabulary import ANONYMOUS, channel_name

__all__ = ["export_app", "import_app"]

import_app = typer.Typer(help=help_texts.IMPORT, no_args_is_help=True)


def _bad_row(bad: BadRow) -> str:
    reasons = "；".join(
        cli_texts.REGISTER_PROBLEMS[problem].format(value=value) for problem, value in bad.problems
    )
    return cli_texts.REGISTER_BAD_ROW.format(row=bad.row, reasons=reasons)


@import_app.command("register", help=help_texts.IMPORT_REGISTER)
def import_register_command(
    file: Annotated[Path, typer.Argument(help=help_texts.REGISTER_FILE)],
    team: Annotated[str, typer.Option("--team", help=help_texts.REGISTER_TEAM)],
    day_column: Annotated[str, typer.Option("--date-column", help=help_texts.COLUMN)] = "走访日期",
    community_column: Annotated[
        str, typer.Option("--community-column", help=help_texts.COLUMN)
    ] = "社区",
    person_column: Annotated[str, typer.Option("--person-column", help=help_texts.COLUMN)] = "群众",
    text_column: Annotated[str, typer.Option("--text-column", help=help_texts.COLUMN)] = "诉求内容",
    channel_column: Annotated[
        str, typer.Option("--channel-column", help=help_texts.COLUMN)
    ] = "渠道",
    department_column: Annotated[
        str, typer.Option("--department-column", help=help_texts.COLUMN)
    ] = "承办部门",
    outcome_column: Annotated[
        str, typer.Option("--outcome-column", help=help_texts.COLUMN)
    ] = "办理情况",
    written_off_column: Annotated[
        str, typer.Option("--written-off-column", help=help_texts.COLUMN)
    ] = "是否销号",
) -> None:
    """Import a team's register: each good row becomes a ticket with its history; bad rows are
    listed with their row numbers and left out whole. A file is imported once."""
    settings = operator_cli.settings_or_exit()
    try:
        found = find_team(read_teams(settings.teams_file), team)
        table = read_table(file)
    except TrainingDataError as error:
        raise operator_cli.fail(cli_texts.REGISTER_UNREADABLE.format(detail=error)) from None
    except Exception as error:
        raise operator_cli.fail(operator_cli.describe(error)) from None
    columns = Columns(
        day=day_column,
        community=community_column,
        person=person_column,
        text=text_column,
        channel=channel_column,
        department=department_column,
        outcome=outcome_column,
        written_off=written_off_column,
    )
    missing = [c for c in columns.required() if c not in table.columns]
    if missing:
        raise operator_cli.fail(
            cli_texts.REGISTER_MISSING_COLUMNS.format(
                missing="、".join(missing), columns="、".join(table.columns)
            )
        )
    district = read_district(settings.departments_file)
    names = {d.name: d.code for d in district.departments} | {
        d.code: d.code for d in district.departments
    }
    entries, bad = parse_rows(table.rows, columns, names)
    for line in bad:
        typer.echo(_bad_row(line), err=True)
    policy = Policy(timezone=settings.tz)
    imported = operator_cli.run_with_uow(
        settings,
        lambda uow: import_register(
            uow=uow,
            team=found.name,
            entries=entries,
            source_sha256=table.sha256,
            policy=policy,
            dispatch_code=district.dispatch.code,
        ),
    )
    if imported is None:
        raise operator_cli.fail(cli_texts.REGISTER_ALREADY.format(file=file))
    typer.echo(
        cli_texts.REGISTER_IMPORTED.format(
            count=imported, team=found.name, bad=len(bad), encoding=table.encoding
        )
    )


async def write_register(
    *,
    uow: UnitOfWork,
    team: str,
    community: str,
    since: date,
    until: date,
    tz: ZoneInfo,
    names: dict[str, str],
    fmt: ExportFormat,
    path: Path,
) -> int:
    """Write a team's register of the days `since`..`until` in the paper register's shape."""
    start, end = day_bounds(first=since, last=until, tz=tz)
    lines = await register_lines(uow=uow, team=team, since=start, until=end)
    sheet = _Sheet(path, fmt)
    try:
        sheet.append(list(HEADERS))
        for index, line in enumerate(lines, start=1):
            written_off = line.stage in (line.stage.ON_THE_SPOT, line.stage.WRITTEN_OFF)
            cells: list[Any] = [
                index,
                local_day(line.created_at, tz).isoformat(),
                community,
                cell_text(line.person_name or ANONYMOUS),
                cell_text(line.text),
                channel_name(line.channel),
                names.get(line.department_code or "", "") if line.department_code else "",
                STAGE_WORDS[line.stage],
                cli_texts.YES if written_off else cli_texts.NO,
            ]
            sheet.append(cells)
    finally:
        sheet.close()
    return len(lines)


@export_app.command("register", help=help_texts.EXPORT_REGISTER)
def export_register(
    team: Annotated[str, typer.Option("--team", help=help_texts.REGISTER_TEAM)],
    since: Annotated[
        datetime, typer.Option("--from", formats=DAY_FORMATS, help=help_texts.DAY_FROM)
    ],
    until: Annotated[datetime, typer.Option("--to", formats=DAY_FORMATS, help=help_texts.DAY_TO)],
    out: Annotated[Path, typer.Option("--out", help=help_texts.REGISTER_OUT)],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help=help_texts.REGISTER_FORMAT)
    ] = ExportFormat.XLSX,
) -> None:
    """Write a team's register (诉求台账) in the paper register's columns."""
    settings = operator_cli.settings_or_exit()
    if until < since:
        raise operator_cli.fail(cli_texts.REGISTER_BAD_RANGE)
    try:
        found = find_team(read_teams(settings.teams_file), team)
    except Exception as error:
        raise operator_cli.fail(operator_cli.describe(error)) from None
    district = read_district(settings.departments_file)
    names = {d.code: d.name for d in district.all()}
    count = operator_cli.run_with_uow(
        settings,
        lambda uow: write_register(
            uow=uow,
            team=found.name,
            community=found.community,
            since=since.date(),
            until=until.date(),
            tz=settings.tz,
            names=names,
            fmt=fmt,
            path=out,
        ),
    )
    typer.echo(cli_texts.REGISTER_EXPORTED.format(count=count, path=out))
