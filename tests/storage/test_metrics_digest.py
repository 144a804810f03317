"""The digest and /stats builders against a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from admin.digest import build_digest, build_stats, render_digest_text, render_stats_text
from storage.errors import UnknownDepartment
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW
from tests.storage.test_metrics import LATER, history

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)  # NOW is 10:00 that day in Shanghai


async def test_digest_of_a_day_with_hot_topics(uow: UnitOfWork) -> None:
    await history(uow)
    lamp = await f.ticket(uow, text="小区路灯不亮，晚上出行很危险")
    await f.ticket(uow, text="荷韵花园路灯又坏了", now=NOW - timedelta(days=3))  # not that day
    async with uow:
        digest = await build_digest(uow=uow, day=DAY, tz=SHANGHAI, now=LATER)
    assert digest.day_figures.total.received == 8
    assert digest.month_figures.total.received == 10
    words = {spot.word: spot for spot in digest.hotspots["urban"]}
    assert "路灯" in words
    assert lamp.number in words["路灯"].examples
    text = render_digest_text(digest)
    assert "城市管理局" in text
    assert "路灯（" in text
    assert "区民意调度中心：待分派 1 件，本月退回调度 1 件" in text


async def test_digest_of_an_empty_day(uow: UnitOfWork) -> None:
    async with uow:
        digest = await build_digest(uow=uow, day=DAY, tz=SHANGHAI, now=LATER)
    assert digest.hotspots == {}
    text = render_digest_text(digest)
    assert "当日无新增诉求" in text
    assert "办结率 —" in text  # no data, not 0%
    assert "满意率 —" in text
    assert "0.0%" not in text


async def test_stats_for_a_month_and_one_department(uow: UnitOfWork) -> None:
    await history(uow)
    async with uow:
        stats = await build_stats(
            uow=uow,
            since=date(2026, 11, 1),
            until=date(2026, 11, 30),
            tz=SHANGHAI,
            department_code="housing",
            now=LATER,
        )
        with pytest.raises(UnknownDepartment):
            await build_stats(uow=uow, since=DAY, until=DAY, tz=SHANGHAI, department_code="nowhere")
    assert stats.figures.total.resolved == 1
    assert "住房和城乡建设局" in render_stats_text(stats)


async def test_a_days_resolution_rate_never_passes_100_percent(uow: UnitOfWork) -> None:
    await history(uow)  # H, received two days earlier, is resolved that day
    async with uow:
        digest = await build_digest(uow=uow, day=DAY, tz=SHANGHAI, now=LATER)
    for row in (*digest.day_figures.departments, digest.day_figures.total):
        assert row.resolution_rate is None or row.resolution_rate <= 1.0
    urban = digest.day_figures.department("urban")
    assert urban.closure_ratio is not None
    text = render_digest_text(digest)
    assert "结收比" in text
    assert "办结率 —/" not in text
