"""`minyi export tickets` and `minyi anonymise` show their progress in a terminal (on stderr,
never in what they print), on both databases; outside a terminal they draw nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.models import Rating
from storage.retention import anonymise_closed
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.command_line import Minyi
from tests.factories import NOW
from tests.storage.test_retention import closed_ticket


async def test_anonymise_reports_each_batch(uow: UnitOfWork) -> None:
    for name in ("王女士", "李女士", "张先生"):
        await closed_ticket(uow, f.resident(name), rating=Rating.SATISFIED)
    heard: list[tuple[int, int]] = []
    async with uow:
        done = await anonymise_closed(
            uow=uow,
            closed_before=NOW + timedelta(days=1),
            apply=True,
            batch_size=2,
            progress=lambda n, total: heard.append((n, total)),
        )
    assert done.tickets == 3
    assert heard == [(2, 3), (3, 3)]


async def test_export_and_anonymise_draw_progress_in_a_terminal(
    uow: UnitOfWork, db_url: str, minyi: Minyi, monkeypatch: pytest.MonkeyPatch
) -> None:
    await closed_ticket(uow, f.resident(), rating=Rating.SATISFIED)
    monkeypatch.setenv("DATABASE_URL", db_url)
    day = NOW.date().isoformat()
    export = ("export", "tickets", "--from", day, "--to", day, "--out", "t.csv")
    plain = await asyncio.to_thread(minyi, *export)
    assert plain.code == 0, plain.err
    assert plain.err == ""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    exported = await asyncio.to_thread(minyi, *export)
    assert exported.code == 0, exported.err
    assert "已导出 1 条诉求" in exported.out
    assert "导出诉求" in exported.err
    applied = await asyncio.to_thread(
        minyi,
        "anonymise",
        "--closed-before",
        (NOW + timedelta(days=1)).date().isoformat(),
        "--apply",
    )
    assert applied.code == 0, applied.err
    assert "已匿名化 1 件诉求" in applied.out
    assert "统计并匿名化" in applied.err
    assert "1/1" in applied.err
