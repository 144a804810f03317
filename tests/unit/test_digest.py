"""The digest and /stats texts and chart, from hand-built figures (no database)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from admin.charts import CHART_RATES, chart_notes, chart_titles, render_digest_chart
from admin.digest import (
    TELEGRAM_LIMIT,
    Digest,
    Hotspot,
    Stats,
    parse_stats_args,
    render_digest_text,
    render_stats_text,
)
from storage.errors import InvalidInput
from storage.metrics import METRICS, DepartmentFigures, Figures, Unit
from storage.vocabulary import METRIC_DEFINITIONS, METRIC_NAMES

DAY = date(2026, 11, 24)
AT = datetime(2026, 11, 25, tzinfo=UTC)


def period(*rows: DepartmentFigures) -> Figures:
    """Figures whose total is the first department's (enough for rendering)."""
    total = replace(rows[0], code="*", name="")
    return Figures(since=AT, until=AT, now=AT, departments=rows, total=total)


def busy(code: str, name: str) -> DepartmentFigures:
    return DepartmentFigures(
        code=code,
        name=name,
        received=12,
        received_resolved=8,
        resolved=9,
        resolved_on_time=8,
        closures={"fixed": 7, "answered": 2, "duplicate": 1},
        rated=6,
        satisfied=5,
        routed=12,
        reassigned=1,
        resolutions=10,
        reopened=1,
        open=30,
        overdue=2,
        median_response_hours=1.5,
        median_handling_hours=50.0,
    )


def empty_digest() -> Digest:
    quiet = period(DepartmentFigures(code="urban", name="城市管理局"))
    return Digest(day=DAY, day_figures=quiet, month_figures=quiet, hotspots={})


def test_an_empty_day_reads_naturally() -> None:
    text = render_digest_text(empty_digest())
    assert "2026年11月24日（周二）" in text
    assert "当日无新增诉求" in text
    assert "暂无热点诉求" in text
    assert "None" not in text
    assert "城市管理局" not in text  # quiet departments are left out


def test_a_busy_day_shows_rates_departments_and_hotspots() -> None:
    urban = busy("urban", "城市管理局")
    figures = period(urban)
    spots = {"urban": (Hotspot("路灯", 4, ("TB-20261124-0001", "TB-20261124-0007")),)}
    text = render_digest_text(
        Digest(day=DAY, day_figures=figures, month_figures=figures, hotspots=spots)
    )
    assert "▪ 城市管理局：收到 12/12，办结 9/9" in text
    assert "按时办结率 88.9%" in text
    assert "办结率 66.7%（受理 12 件中已办结 8 件）" in text
    assert "结收比 75.0%" in text
    assert "满意率 83.3%（最终评价 6 件，未评价 0 件，不满意重办 1 件）" in text
    assert "办理时长中位 2.1 天" in text
    assert "已解决 7 · 已答复 2 · 重复诉求 1" in text
    assert "路灯（4件，如 TB-20261124-0001、TB-20261124-0007）" in text


def test_a_huge_digest_fits_one_telegram_message() -> None:
    rows = tuple(busy(f"d{i}", f"第{i}个很长名字的政府职能部门") for i in range(60))
    figures = period(*rows)
    spots = {
        r.code: tuple(Hotspot(f"关键词{j}", 9, ("TB-20261124-0001",) * 2) for j in range(3))
        for r in rows
    }
    text = render_digest_text(
        Digest(day=DAY, day_figures=figures, month_figures=figures, hotspots=spots)
    )
    assert len(text) <= TELEGRAM_LIMIT
    assert "其余" in text


def test_stats_text_for_one_department() -> None:
    urban = busy("urban", "城市管理局")
    stats = Stats(
        first=date(2026, 11, 1),
        last=date(2026, 11, 30),
        department_code="urban",
        figures=period(urban),
    )
    text = render_stats_text(stats)
    assert text.startswith("📈 统计 2026-11-01 至 2026-11-30 · 城市管理局")
    assert "转办率 8.3%" in text


def test_stats_arguments() -> None:
    assert parse_stats_args(["2026-11-01", "2026-11-30"]) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        None,
    )
    assert parse_stats_args(["2026-11-01", "2026-11-30", "urban"])[2] == "urban"
    for bad in ([], ["2026-11-01"], ["2026-13-01", "2026-11-30"], ["2026-11-30", "2026-11-01"]):
        with pytest.raises(InvalidInput):
            parse_stats_args(bad)


@pytest.mark.parametrize("busy_day", [True, False])
def test_chart_is_a_png(tmp_path: Path, busy_day: bool) -> None:
    digest = empty_digest()
    if busy_day:
        figures = period(busy("urban", "城市管理局"), busy("housing", "住房和城乡建设局"))
        digest = Digest(day=DAY, day_figures=figures, month_figures=figures, hotspots={})
    path = tmp_path / "digest.png"
    render_digest_chart(digest, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    buffer = io.BytesIO()
    render_digest_chart(digest, buffer)  # what a handler sends without touching the disk
    assert buffer.getvalue()[:4] == b"\x89PNG"


def test_no_data_reads_as_a_dash_never_as_zero_percent() -> None:
    rated_nothing = DepartmentFigures(code="urban", name="城市管理局", received=3, routed=3, open=3)
    stats = Stats(first=DAY, last=DAY, department_code=None, figures=period(rated_nothing))
    text = render_stats_text(stats)
    assert "满意率 —（最终评价 0 件" in text
    assert "按时办结率 —" in text
    assert "办结率 0.0%（受理 3 件中已办结 0 件）" in text  # a real zero stays a zero
    assert "满意率 0.0%" not in text


def test_an_on_demand_digest_of_today_is_titled_as_of_now() -> None:
    urban = busy("urban", "城市管理局")
    since, until = datetime(2026, 11, 23, 16, tzinfo=UTC), datetime(2026, 11, 24, 16, tzinfo=UTC)
    today = Figures(
        since=since,
        until=until,
        now=datetime(2026, 11, 24, 2, 5, tzinfo=UTC),
        departments=(urban,),
        total=replace(urban, code="*", name=""),
    )
    digest = Digest(day=DAY, day_figures=today, month_figures=today, hotspots={})
    assert "（周二，截至 02:05）" in render_digest_text(digest)
    title, day_title, month_title = chart_titles(digest)
    assert title == "民意直通车 · 2026年11月24日（截至 02:05）"
    assert day_title == "11月24日收到与办结（件）"
    assert month_title == "本月累计 11月1日—11月24日 各项比率（%）"
    for text in (title, day_title, month_title):
        assert "昨日" not in text


def test_a_finished_day_has_no_as_of_time() -> None:
    digest = empty_digest()  # now == until: the day is over
    assert "截至" not in render_digest_text(digest)
    assert "截至" not in chart_titles(digest)[0]


def test_the_chart_prints_the_definitions_of_its_rates() -> None:
    notes = chart_notes()
    for key in CHART_RATES:
        assert any(
            note.startswith(f"{METRIC_NAMES[key]}：{METRIC_DEFINITIONS[key]}") for note in notes
        )
        assert METRICS[key].unit == Unit.SHARE  # the axis ends at 100 %
    assert any("—" in note for note in notes)
