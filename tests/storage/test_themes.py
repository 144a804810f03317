"""The monthly theme on SQLite and PostgreSQL: set by supervisors only, kept per month, and
the month's requests counted per theme."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from storage.collect import Record, record_ticket
from storage.errors import PermissionDenied
from storage.models import Channel, Role
from storage.themes import current_theme, set_theme, theme_counts
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY


async def test_a_supervisor_sets_the_months_theme_and_requests_are_counted_by_it(
    uow: UnitOfWork,
) -> None:
    boss = await f.member(uow, Role.SUPERVISOR, "督查室")
    zhou = await f.collector(uow)
    async with uow:
        with pytest.raises(PermissionDenied):
            await set_theme(uow=uow, actor=zhou, day=date(2026, 11, 24), name="打击养老诈骗")
    async with uow:
        await set_theme(uow=uow, actor=boss, day=date(2026, 11, 24), name="打击养老诈骗")
    async with uow:
        assert await current_theme(uow=uow, day=date(2026, 11, 1)) == "打击养老诈骗"
        assert await current_theme(uow=uow, day=date(2026, 12, 1)) is None
    scam = Record(Channel.TALK, "有人上门推销保健品骗老人钱", theme="打击养老诈骗")
    for answer in ("已讲解防骗知识", None):
        async with uow:
            await record_ticket(
                uow=uow, collector=zhou, record=scam, prediction=f.prediction("civil"),
                policy=POLICY, answer_on_spot=answer, now=NOW,
            )  # fmt: skip
    async with uow:
        await record_ticket(
            uow=uow, collector=zhou, record=Record(Channel.VISIT, "路灯坏了好几天"),
            prediction=f.prediction("urban"), policy=POLICY, now=NOW,
        )  # fmt: skip
    async with uow:
        counts = await theme_counts(uow=uow, since=NOW, until=NOW + timedelta(days=1))
    assert counts == [("打击养老诈骗", 2, 1)]
