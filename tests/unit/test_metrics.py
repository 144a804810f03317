"""The metric ratios on plain figures: the denominators are the ones design.md names."""

from __future__ import annotations

import pytest

from storage.metrics import DepartmentFigures, ratio


def test_ratio_of_nothing_is_none() -> None:
    assert ratio(0, 0) is None
    assert ratio(1, 4) == pytest.approx(0.25)


def test_rates_use_their_own_denominators() -> None:
    row = DepartmentFigures(
        code="urban",
        name="城市管理局",
        received=10,
        duplicates=2,
        resolved=6,
        resolved_on_time=3,
        rated=4,
        satisfied=3,
        unrated=5,
        routed=9,
        reassigned=1,
        resolutions=8,
        reopened=2,
    )
    assert row.resolution_rate == pytest.approx(6 / 8)  # duplicates are not requests of their own
    assert row.on_time_rate == pytest.approx(3 / 6)
    assert row.satisfaction_rate == pytest.approx(3 / 4)  # 未评价 is not in the denominator
    assert row.reassign_rate == pytest.approx(1 / 9)
    assert row.reopen_rate == pytest.approx(2 / 8)
    assert not row.is_quiet
    assert DepartmentFigures(code="x", name="x").is_quiet
