"""Confidence policy: which predictions are routed automatically and how often they are wrong."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "RoutingOutcome",
    "choose_threshold",
    "routing_outcome",
]


@dataclass(frozen=True, slots=True)
class RoutingOutcome:
    """At a threshold: the share routed automatically and the error rate among those."""

    threshold: float
    auto_routed: int
    total: int
    errors: int

    @property
    def auto_routed_share(self) -> float:
        """Return the fraction of all items at or above the threshold."""
        return self.auto_routed / self.total if self.total else 0.0

    @property
    def error_rate(self) -> float:
        """Return the fraction of auto-routed items whose predicted department is wrong."""
        return self.errors / self.auto_routed if self.auto_routed else 0.0


def routing_outcome(
    confidences: Sequence[float], correct: Sequence[bool], threshold: float
) -> RoutingOutcome:
    """Report, at `threshold`, how many items are auto-routed and how many of those are wrong."""
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    routed = conf >= threshold
    return RoutingOutcome(
        threshold=threshold,
        auto_routed=int(routed.sum()),
        total=int(conf.size),
        errors=int((routed & ~ok).sum()),
    )


def choose_threshold(
    confidences: Sequence[float],
    correct: Sequence[bool],
    *,
    max_error_rate: float = 0.05,
    step: float = 0.01,
) -> RoutingOutcome:
    """Pick the lowest threshold (on a `step` grid) whose auto-routed error rate ≤ the target.

    Use out-of-fold confidences, never those of the training rows themselves.
    """
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0:
        return RoutingOutcome(threshold=1.0, auto_routed=0, total=0, errors=0)
    order = np.argsort(-conf, kind="stable")
    sorted_conf = conf[order]
    cumulative_errors = np.cumsum(~ok[order])
    best = RoutingOutcome(threshold=1.0, auto_routed=0, total=int(conf.size), errors=0)
    for k in range(math.ceil(1.0 / step), -1, -1):
        threshold = round(k * step, 6)
        routed = int(np.searchsorted(-sorted_conf, -threshold, side="right"))
        if routed == 0:
            continue
        errors = int(cumulative_errors[routed - 1])
        if errors / routed > max_error_rate:
            break
        best = RoutingOutcome(threshold, routed, int(conf.size), errors)
    return best
