"""One resident's flood is cut off, warned once, and forgiven after the window."""

from __future__ import annotations

from bot.residents import FloodGuard


def test_a_flood_is_dropped_warned_once_and_forgiven() -> None:
    guard = FloodGuard(limit=3, window=10.0)
    allowed = [guard.allow(1, now=t) for t in (0.0, 0.1, 0.2, 0.3, 0.4)]
    assert allowed == [True, True, True, False, False]
    assert not guard.allow(1, now=0.5)
    assert guard.allow(2, now=0.5)  # other residents are not affected
    assert guard.allow(1, now=20.0)  # the window has passed


def test_only_the_first_drop_is_warned() -> None:
    guard = FloodGuard(limit=2, window=10.0)
    warnings = []
    for t in (0.0, 0.1, 0.2, 0.3):
        if not guard.allow(7, now=t):
            warnings.append(guard.warned_once(7))
    assert warnings == [True, False]
