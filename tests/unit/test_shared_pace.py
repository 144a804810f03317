"""FloodLimits' hook to the buckets webhook workers share, with a fake standing in for the
database; and the shared pace falling back to the worker's own limits when the database is
unreachable."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from delivery.pacing import PAUSE_MARGIN, PRIVATE_RATE, FloodLimits
from delivery.shared_pace import SharedPace
from storage import database

OFF = (0.0, 1.0)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


class FakeShared:
    """Records what FloodLimits asks of the shared buckets; a slot is `beyond` seconds too far
    when set."""

    def __init__(self, beyond: float | None = None) -> None:
        self.beyond = beyond
        self.reserved: list[tuple[int | str | None, int, tuple[float, float], float | None]] = []
        self.paused: list[tuple[int | str | None, float, bool]] = []
        self.settled: list[tuple[int | str | None, int]] = []

    async def reserve(
        self,
        chat: int | str | None,
        messages: int,
        *,
        chat_rate: tuple[float, float],
        overall_rate: tuple[float, float],
        patience: float | None,
    ) -> float | None:
        self.reserved.append((chat, messages, chat_rate, patience))
        return self.beyond

    async def pause(
        self,
        chat: int | str | None,
        seconds: float,
        *,
        every_chat: bool,
        chat_rate: tuple[float, float],
        overall_rate: tuple[float, float],
    ) -> None:
        self.paused.append((chat, seconds, every_chat))

    async def settle(
        self, chat: int | str | None, messages: int, *, chat_rate: tuple[float, float], took: float
    ) -> None:
        self.settled.append((chat, messages))


def answer(refusals: list[float] | None = None) -> Any:
    left = list(refusals or [])

    async def call() -> dict[str, Any]:
        if left:
            raise RetryAfter(retry_after=timedelta(seconds=left.pop(0)))
        return {"ok": True}

    return call


async def test_messages_take_a_shared_slot_with_their_chats_rate_and_edits_do_not() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, max_retries=1)
    shared = limits.shared = FakeShared()
    await limits.process_request(answer(), (), {}, "sendMessage", {"chat_id": 7}, None)
    await limits.process_request(
        answer(), (), {}, "sendMediaGroup", {"chat_id": -5, "media": [1, 2, 3]}, None
    )
    await limits.process_request(answer(), (), {}, "editMessageText", {"chat_id": 7}, None)
    assert shared.reserved == [(7, 1, PRIVATE_RATE, None), (-5, 3, OFF, None)]
    assert shared.settled == [(7, 1), (-5, 3)]  # each told when its answer came back


async def test_a_429_is_kept_for_every_worker_and_the_retry_takes_a_new_slot() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF, max_retries=1)
    shared = limits.shared = FakeShared()
    got = await limits.process_request(answer([0.2]), (), {}, "sendMessage", {"chat_id": 7}, None)
    assert got == {"ok": True}
    assert shared.paused == [(7, 0.2 + PAUSE_MARGIN, False)]
    assert [chat for chat, *_ in shared.reserved] == [7, 7]


async def test_the_outbox_is_told_when_its_shared_slot_is_far_and_handlers_wait() -> None:
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF)
    shared = limits.shared = FakeShared(beyond=12.5)
    with pytest.raises(RetryAfter) as refused:
        await limits.process_request(answer(), (), {}, "sendMessage", {"chat_id": 7}, 0)
    assert refused.value.retry_after == timedelta(seconds=13)
    assert shared.reserved[0][3] is not None  # the outbox's patience
    shared.beyond = None
    await limits.process_request(answer(), (), {}, "sendMessage", {"chat_id": 7}, None)
    assert shared.reserved[1][3] is None  # a handler's answer waits as long as it takes


async def test_an_unreachable_database_leaves_the_worker_its_own_limits_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = database.create_engine("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    pace = SharedPace(engine)
    limits = FloodLimits(overall=OFF, group=OFF, private=OFF)
    limits.shared = pace
    try:
        with caplog.at_level(logging.WARNING, logger="delivery.shared_pace"):
            for chat in (7, 8, 9):
                got = await limits.process_request(
                    answer(), (), {}, "sendMessage", {"chat_id": chat}, None
                )
                assert got == {"ok": True}
    finally:
        await pace.close()
    assert pace.outages == 1
    assert pace.reserved == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "paces itself alone" in warnings[0]
