"""When `/healthz` says a worker is healthy (bot/health.py)."""

from __future__ import annotations

import pytest

from bot.health import Health
from storage.workers import DEAD_AFTER

STALE = DEAD_AFTER.total_seconds() + 0.1


@pytest.mark.parametrize(
    ("database", "age", "ok"),
    [
        (True, 0.0, True),
        (True, DEAD_AFTER.total_seconds(), True),
        (True, STALE, False),  # the others already take its claims
        (True, None, False),  # never beat: not registered
        (False, 0.0, False),
    ],
)
def test_healthy_only_with_the_database_and_a_fresh_beat(
    database: bool, age: float | None, ok: bool
) -> None:
    health = Health(worker="w1", database=database, heartbeat_age=age, backlog=None)
    assert health.ok is ok
