"""Ticket exports: rows from the store (SQLite and PostgreSQL) and the `minyi export` commands."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from admin import texts
from admin.cli_reports import export_app
from storage import database
from storage.district import load_departments, read_district
from storage.exports import ticket_rows
from storage.models import ClosureCode
from storage.tickets import resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def fill(uow: UnitOfWork) -> tuple[str, str]:
    """Two tickets on 2026-11-24: one with a consented phone, resolved; one without consent."""
    clerk = await f.staff(uow, "urban")
    shown = await f.ticket(uow, phone="13800000000", consent=True)
    await f.ticket(uow, phone="13900000000", consent=False)
    await f.ticket(uow, now=NOW - timedelta(days=5))  # outside the period
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=shown.number,
            code=ClosureCode.FIXED,
            answer="已修复",
            now=NOW + timedelta(hours=3),
        )
    return shown.number, "13800000000"


async def test_rows_carry_durations_names_and_consented_phones_only(uow: UnitOfWork) -> None:
    number, phone = await fill(uow)
    async with uow:
        rows = [
            row
            async for row in ticket_rows(
                uow=uow, since=NOW - timedelta(hours=1), until=NOW + timedelta(days=1)
            )
        ]
    assert len(rows) == 2
    first, second = rows
    assert (first.number, first.department, first.phone) == (number, "城市管理局", phone)
    assert first.handling_hours == pytest.approx(3)
    assert (first.on_time, first.closure) == (True, "fixed")
    assert second.phone is None
    assert second.handling_hours is None


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite store with two tickets, named by DATABASE_URL for the CLI."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    database.upgrade(url)

    async def prepare() -> None:
        engine = database.create_engine(url)
        uow = UnitOfWork(database.session_factory(engine))
        async with uow:
            await load_departments(uow=uow, district=read_district())
        await fill(uow)
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MINYI_TIMEZONE", "Asia/Shanghai")
    return url


def export(*args: str) -> str:
    result = CliRunner().invoke(export_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_opens_in_excel_with_chinese_headers(cli_database: str, tmp_path: Path) -> None:
    out = tmp_path / "tickets.csv"
    output = export("tickets", "--from", "2026-11-24", "--to", "2026-11-24", "--out", str(out))
    assert "已导出 2 条诉求" in output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads it as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(texts.EXPORT_HEADERS.values())
    assert rows[0][:3] == ["编号", "受理时间", "状态"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["承办部门"] == "城市管理局"
    assert record["办结方式"] == "已解决"
    assert record["受理时间"] == "2026-11-24 10:00:00"
    assert record["办理时长（小时）"] == "3.0"
    assert record["联系电话（经同意）"] == "13800000000"
    assert dict(zip(rows[0], rows[2], strict=True))["联系电话（经同意）"] == ""


def test_xlsx_is_readable_by_openpyxl(cli_database: str, tmp_path: Path) -> None:
    out = tmp_path / "tickets.xlsx"
    export(
        "tickets",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    book = load_workbook(out, read_only=True)
    sheet = book[texts.EXPORT_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    assert rows[0][0] == "编号"
    assert len(rows) == 4  # header + three tickets in November
    assert {row[4] for row in rows[1:]} == {"城市管理局"}


def test_digest_export_writes_text_and_chart(cli_database: str, tmp_path: Path) -> None:
    output = export("digest", "2026-11-24", "--out", str(tmp_path / "out"))
    assert "日报已写入" in output
    text = (tmp_path / "out" / "digest-2026-11-24.txt").read_text(encoding="utf-8")
    assert "2026年11月24日" in text
    png = (tmp_path / "out" / "digest-2026-11-24.png").read_bytes()
    assert png.startswith(b"\x89PNG")
