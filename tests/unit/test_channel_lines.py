"""The digest's and /stats' breakdown by channel, from the one definition in storage.metrics."""

from __future__ import annotations

from admin.digest import channel_lines
from storage.metrics import TOTAL, ChannelFigures


def test_the_campaigns_figures_can_be_rebuilt_with_the_share_answered_at_the_door() -> None:
    visit = ChannelFigures(
        "visit", collected=93, direct=79, resolved=13, written_off=90, recorded=93
    )
    bot = ChannelFigures("bot", collected=7, resolved=7, positive=5, rated=6)
    total = ChannelFigures(
        TOTAL, collected=100, direct=79, resolved=20, written_off=90, recorded=93
    )
    lines = channel_lines([bot, visit, total])
    assert lines[1] == "【按渠道（本期收集的诉求）】"
    assert lines[3] == (
        "▪ 入户走访：收集 93，直办 79（84.9%），转办 14（办结率 92.9%）；"
        "总办结率 98.9%，销号率 96.8%，满意率 —"
    )
    assert lines[2] == (
        "▪ 居民自报：收集 7，直办 0（0.0%），转办 7（办结率 100.0%）；"
        "总办结率 100.0%，销号率 —，满意率 83.3%"
    )
    assert lines[4].startswith("▪ 合计：收集 100，直办 79（79.0%）")
    assert "总办结率 99.0%" in lines[4]


def test_nothing_collected_shows_no_section() -> None:
    assert channel_lines([ChannelFigures(TOTAL)]) == []
    assert channel_lines([]) == []
