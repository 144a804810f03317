"""`minyi export tickets|digest` and `minyi anonymise`: reports and retention for operators.

Mount into the `minyi` app with::

    app.add_typer(export_app, name="export")
    app.command("anonymise")(anonymise)
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from admin import cli_common as operator_cli
from admin import cli_help_texts as help_texts
from admin import cli_model_texts as model_texts
from admin import texts
from admin.charts import render_digest_chart
from admin.cli_progress import counter, progress_display
from admin.digest import build_digest, day_bounds, render_digest_text
from storage.conversations import purge_conversations
from storage.exports import TicketRow, ticket_rows
from storage.retention import RetentionReport, anonymise_closed
from storage.unit_of_work import UnitOfWork
from storage.vocabulary import channel_name, closure_name, rating_name, status_name

__all__ = ["ExportFormat", "anonymise", "export_app", "export_row", "write_tickets"]

export_app = typer.Typer(help=help_texts.EXPORT, no_args_is_help=True)

DAY_FORMATS = ["%Y-%m-%d"]


class ExportFormat(StrEnum):
    """File formats of a ticket export."""

    CSV = "csv"
    XLSX = "xlsx"


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0) if value else None


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return texts.YES if value else texts.NO


def _hours(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: Any) -> Any:
    """Text a resident wrote must never run as a spreadsheet formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_row(row: TicketRow, tz: ZoneInfo) -> list[Any]:
    """One ticket as export cells in the order of texts.EXPORT_HEADERS (local naive times)."""
    cells: dict[str, Any] = {
        "number": row.number,
        "created_at": _local(row.created_at, tz),
        "status": status_name(row.status, staff=True),
        "department_code": row.department_code,
        "department": row.department,
        "predicted": row.predicted,
        "confidence": row.confidence,
        "text": cell_text(row.text),
        "address": cell_text(row.address),
        "latitude": row.latitude,
        "longitude": row.longitude,
        "photos": row.photos,
        "phone": row.phone,
        "routed_at": _local(row.routed_at, tz),
        "first_reply_at": _local(row.first_reply_at, tz),
        "due_at": _local(row.due_at, tz),
        "resolved_at": _local(row.resolved_at, tz),
        "closed_at": _local(row.closed_at, tz),
        "closure": closure_name(row.closure) if row.closure else None,
        "answer": cell_text(row.answer),
        "rating": rating_name(row.rating) if row.rating else None,
        "reopen_count": row.reopen_count,
        "reassign_count": row.reassign_count,
        "duplicate_of": row.duplicate_of,
        "on_time": _yes_no(row.on_time),
        "overdue": _yes_no(row.overdue),
        "response_hours": _hours(row.response_hours),
        "handling_hours": _hours(row.handling_hours),
        "anonymised_at": _local(row.anonymised_at, tz),
        "channel": channel_name(row.channel),
        "team": row.team,
        "person_name": cell_text(row.person_name),
        "written_off_at": _local(row.written_off_at, tz),
        "accept_due_at": _local(row.accept_due_at, tz),
        "accepted_at": _local(row.accepted_at, tz),
        "accepted_in_time": _yes_no(row.accepted_in_time),
        "extension_count": row.extension_count,
    }
    return [cells[key] for key in texts.EXPORT_HEADERS]


class _Sheet:
    """A CSV (UTF-8 with BOM, for Excel) or XLSX (write-only) file taking rows one by one."""

    def __init__(self, path: Path, fmt: ExportFormat) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path, self._fmt = path, fmt
        self._handle: Any = None
        self._book: Any = None
        if fmt == ExportFormat.CSV:
            self._handle = path.open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(self._handle)
            self._append: Callable[[Sequence[Any]], Any] = writer.writerow
        else:
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            sheet = self._book.create_sheet(texts.EXPORT_SHEET)
            self._append = sheet.append

    def append(self, cells: Sequence[Any]) -> None:
        """Write one row."""
        if self._fmt == ExportFormat.CSV:
            cells = [
                "" if c is None else c.isoformat(" ") if isinstance(c, datetime) else c
                for c in cells
            ]
        self._append(list(cells))

    def close(self) -> None:
        """Finish the file."""
        if self._handle is not None:
            self._handle.close()
        if self._book is not None:
            self._book.save(self._path)


async def write_tickets(
    *,
    uow: UnitOfWork,
    since: date,
    until: date,
    tz: ZoneInfo,
    fmt: ExportFormat,
    path: Path,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Export the tickets received on the days `since`..`until` to a file; returns the count.

    `progress` hears every hundred rows written (and the last few)."""
    start, end = day_bounds(first=since, last=until, tz=tz)
    sheet = _Sheet(path, fmt)
    count = 0
    try:
        sheet.append(list(texts.EXPORT_HEADERS.values()))
        async for row in ticket_rows(uow=uow, since=start, until=end):
            sheet.append(export_row(row, tz))
            count += 1
            if progress is not None and count % 100 == 0:
                progress(100)
    finally:
        sheet.close()
    if progress is not None and count % 100:
        progress(count % 100)
    return count


@export_app.command("tickets", help=help_texts.EXPORT_TICKETS)
def export_tickets(
    since: Annotated[
        datetime, typer.Option("--from", formats=DAY_FORMATS, help=help_texts.DAY_FROM)
    ],
    until: Annotated[datetime, typer.Option("--to", formats=DAY_FORMATS, help=help_texts.DAY_TO)],
    out: Annotated[Path, typer.Option("--out", help=help_texts.OUT_FILE)],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help=help_texts.FORMAT)
    ] = ExportFormat.CSV,
) -> None:
    """Export one row per ticket received in the period (phone only with consent)."""
    settings = operator_cli.settings_or_exit()
    if until < since:
        raise operator_cli.fail(texts.STATS_BAD_RANGE)
    with counter(model_texts.PROGRESS_EXPORT) as advance:
        count = operator_cli.run_with_uow(
            settings,
            lambda uow: write_tickets(
                uow=uow,
                since=since.date(),
                until=until.date(),
                tz=settings.tz,
                fmt=fmt,
                path=out,
                progress=advance,
            ),
        )
    typer.echo(texts.EXPORT_DONE.format(count=count, path=out))


@export_app.command("digest", help=help_texts.EXPORT_DIGEST)
def export_digest(
    day: Annotated[datetime, typer.Argument(formats=DAY_FORMATS, help=help_texts.DAY)],
    out: Annotated[Path, typer.Option("--out", help=help_texts.OUT_FOLDER)] = Path("."),
) -> None:
    """Write the digest of a day as text and PNG chart."""
    settings = operator_cli.settings_or_exit()
    digest = operator_cli.run_with_uow(
        settings, lambda uow: build_digest(uow=uow, day=day.date(), tz=settings.tz)
    )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{day.date().isoformat()}"
    text_path = out / f"{stem}.txt"
    text_path.write_text(render_digest_text(digest) + "\n", encoding="utf-8")
    chart_path = out / f"{stem}.png"
    render_digest_chart(digest, chart_path)
    typer.echo(texts.EXPORT_DIGEST_DONE.format(text=text_path, chart=chart_path))


def _report(report: RetentionReport, before: date) -> str:
    return texts.ANONYMISE_PLAN.format(
        before=before.isoformat(),
        tickets=report.tickets,
        phones=report.phones,
        places=report.places,
        photos=report.photos,
        events=report.events,
        residents=report.residents,
    )


def anonymise(
    closed_before: Annotated[
        datetime,
        typer.Option("--closed-before", formats=DAY_FORMATS, help=help_texts.CLOSED_BEFORE),
    ],
    apply: Annotated[bool, typer.Option("--apply", help=help_texts.APPLY)] = False,
) -> None:
    """删除某日之前已关闭诉求中居民的个人信息（默认只演练，加 --apply 才执行）。"""
    settings = operator_cli.settings_or_exit()
    before, _ = day_bounds(first=closed_before.date(), last=closed_before.date(), tz=settings.tz)
    with progress_display() as display:
        task = display.add_task(model_texts.PROGRESS_ANONYMISE, total=None)
        report = operator_cli.run_with_uow(
            settings,
            lambda uow: anonymise_closed(
                uow=uow,
                closed_before=before,
                apply=apply,
                progress=lambda done, total: display.update(task, completed=done, total=total),
            ),
        )
    drafts = operator_cli.run_with_uow(
        settings, lambda uow: purge_conversations(uow=uow, idle_before=before, apply=apply)
    )
    typer.echo(_report(report, closed_before.date()))
    typer.echo(texts.ANONYMISE_DRAFTS.format(count=drafts))
    if apply:
        typer.echo(texts.ANONYMISE_DONE.format(tickets=report.tickets))
    else:
        typer.echo(texts.ANONYMISE_DRY_RUN)
