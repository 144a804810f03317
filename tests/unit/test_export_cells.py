"""Residents' text never runs as a spreadsheet formula in an export."""

from __future__ import annotations

import pytest

from admin.cli_reports import cell_text


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_text_is_quoted(text: str) -> None:
    assert cell_text(text) == "'" + text


@pytest.mark.parametrize("value", ["路灯坏了", "3栋2单元", None, 12, "12345打了没用"])
def test_other_values_are_unchanged(value: object) -> None:
    assert cell_text(value) == value
