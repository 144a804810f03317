"""The dispatch threshold policy."""

from __future__ import annotations

import pytest

from classifiers.confidence import choose_threshold, routing_outcome


def test_routing_outcome_counts_share_and_errors() -> None:
    outcome = routing_outcome([0.9, 0.8, 0.6, 0.4], [True, False, True, True], 0.7)
    assert (outcome.auto_routed, outcome.errors, outcome.total) == (2, 1, 4)
    assert outcome.auto_routed_share == pytest.approx(0.5)
    assert outcome.error_rate == pytest.approx(0.5)


def test_threshold_keeps_auto_routed_errors_under_target() -> None:
    confidences = [0.99] * 50 + [0.9] * 40 + [0.7] * 10 + [0.5] * 20
    correct = [True] * 50 + [True] * 38 + [False] * 2 + [True] * 5 + [False] * 5 + [False] * 20
    outcome = choose_threshold(confidences, correct, max_error_rate=0.05)
    assert outcome.threshold == pytest.approx(0.71)
    assert outcome.auto_routed == 90
    assert outcome.error_rate <= 0.05


def test_threshold_when_nothing_is_good_enough() -> None:
    outcome = choose_threshold([0.9, 0.8], [False, False])
    assert outcome.threshold == pytest.approx(1.0)
    assert outcome.auto_routed == 0
    assert choose_threshold([], []).total == 0
