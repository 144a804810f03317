"""The metric ratios on plain figures: the denominators are the ones design.md names."""

from __future__ import annotations

import pytest

from storage.metrics import METRICS, DepartmentFigures, MetricKey, Unit, ratio
from storage.vocabulary import METRIC_DEFINITIONS, METRIC_NAMES


def test_ratio_of_nothing_is_none() -> None:
    assert ratio(0, 0) is None
    assert ratio(1, 4) == pytest.approx(0.25)


def test_rates_use_their_own_denominators() -> None:
    row = DepartmentFigures(
        code="urban",
        name="城市管理局",
        received=10,
        duplicates=2,
        received_resolved=5,
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
    assert row.resolution_rate == pytest.approx(5 / 8)  # duplicates are not requests of their own
    assert row.closure_ratio == pytest.approx(6 / 8)
    assert row.on_time_rate == pytest.approx(3 / 6)
    assert row.satisfaction_rate == pytest.approx(3 / 4)  # 未评价 is not in the denominator
    assert row.reassign_rate == pytest.approx(1 / 9)
    assert row.reopen_rate == pytest.approx(2 / 8)
    assert not row.is_quiet
    assert DepartmentFigures(code="x", name="x").is_quiet


def test_a_period_that_resolves_its_backlog_reads_100_percent_at_most() -> None:
    # 4 received, all resolved, plus 6 older ones resolved in the same period.
    row = DepartmentFigures(
        code="urban", name="城市管理局", received=4, received_resolved=4, resolved=10
    )
    assert row.resolution_rate == pytest.approx(1.0)
    assert row.closure_ratio == pytest.approx(2.5)  # the flow, under its own name


def test_no_data_is_none_for_every_figure() -> None:
    quiet = DepartmentFigures(code="urban", name="城市管理局")
    assert {key: quiet.value(key) for key in METRICS} == dict.fromkeys(METRICS)


def test_every_figure_has_one_definition_a_name_and_an_explanation() -> None:
    assert set(METRICS) == set(MetricKey)
    assert all(METRICS[key].key == key for key in METRICS)
    assert set(METRIC_NAMES) == set(METRIC_DEFINITIONS) == set(MetricKey)
    assert len(set(METRIC_NAMES.values())) == len(METRIC_NAMES)
    # Only the flow figures may pass 100 %; the others are shares of a whole.
    ratios = {key for key, metric in METRICS.items() if metric.unit == Unit.RATIO}
    assert ratios == {MetricKey.CLOSURE_RATIO, MetricKey.REOPEN_RATE}
    assert "不会超过100%" in METRIC_DEFINITIONS[MetricKey.RESOLUTION_RATE]
    assert "可以超过100%" in METRIC_DEFINITIONS[MetricKey.CLOSURE_RATIO]
