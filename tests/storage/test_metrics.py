"""Metric definitions on hand-built ticket histories, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage.members import Actor
from storage.metrics import Figures, figures
from storage.models import ClosureCode, Rating
from storage.tickets import (
    close_unrated,
    rate_ticket,
    reassign_ticket,
    reply_to_resident,
    resolve_ticket,
)
from storage.unit_of_work import UnitOfWork
from storage.views import TicketView
from tests import factories as f
from tests.factories import NOW, POLICY

SINCE = NOW - timedelta(hours=1)
UNTIL = NOW + timedelta(hours=200)
LATER = NOW + timedelta(hours=200)


def h(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


async def resolve(
    uow: UnitOfWork,
    clerk: Actor,
    ticket: TicketView,
    at: datetime,
    code: ClosureCode = ClosureCode.FIXED,
    duplicate_of: str | None = None,
) -> None:
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=code,
            answer="已处理",
            duplicate_of=duplicate_of,
            now=at,
        )


async def rate(
    uow: UnitOfWork, user_id: int, ticket: TicketView, rating: Rating, at: datetime
) -> None:
    async with uow:
        await rate_ticket(
            uow=uow,
            resident_user_id=user_id,
            number=ticket.number,
            rating=rating,
            policy=POLICY,
            now=at,
        )


async def history(uow: UnitOfWork) -> None:
    """The scenario every test below reads (see the expected figures in each test)."""
    urban = await f.staff(uow, "urban")
    housing = await f.staff(uow, "housing")
    # A: replied after 1 h, fixed after 2 h, 满意.
    who_a = f.resident()
    a = await f.ticket(uow, who_a)
    async with uow:
        await reply_to_resident(uow=uow, actor=urban, number=a.number, text="收到", now=h(1))
    await resolve(uow, urban, a, h(2))
    await rate(uow, who_a.user_id, a, Rating.SATISFIED, h(3))
    # B: answered late, 不满意 → reopened, fixed again in time, 基本满意.
    who_b = f.resident()
    b = await f.ticket(uow, who_b)
    await resolve(uow, urban, b, h(100), ClosureCode.ANSWERED)
    await rate(uow, who_b.user_id, b, Rating.UNSATISFIED, h(100.5))
    await resolve(uow, urban, b, h(101))
    await rate(uow, who_b.user_id, b, Rating.BASICALLY, h(102))
    # C: misrouted, reassigned to housing after 1 h, fixed there, never rated (未评价).
    c = await f.ticket(uow)
    async with uow:
        await reassign_ticket(
            uow=uow,
            actor=urban,
            number=c.number,
            department_code="housing",
            policy=POLICY,
            now=h(1),
        )
    await resolve(uow, housing, c, h(3))
    async with uow:
        assert await close_unrated(uow=uow, resolved_before=h(100), now=h(150)) == [c.number]
    # D: a duplicate of A.
    d = await f.ticket(uow)
    await resolve(uow, urban, d, h(1), ClosureCode.DUPLICATE, duplicate_of=a.number)
    # E: 非本部门职责 → back to dispatch, still waiting there.
    e = await f.ticket(uow)
    await resolve(uow, urban, e, h(1), ClosureCode.NOT_OURS)
    # F: never touched; overdue at LATER (due after 72 h).
    await f.ticket(uow)
    # G: fixed late (80 h > 72 h), not rated yet.
    g = await f.ticket(uow)
    await resolve(uow, urban, g, h(80))
    # H: received before the period, fixed inside it, in time.
    old = await f.ticket(uow, now=NOW - timedelta(hours=48))
    await resolve(uow, urban, old, h(5))


@pytest.fixture
async def period(uow: UnitOfWork) -> Figures:
    await history(uow)
    async with uow:
        return await figures(uow=uow, since=SINCE, until=UNTIL, now=LATER)


async def test_received_resolved_and_closure_codes(period: Figures) -> None:
    urban = period.department("urban")
    # Grouped by current department: C moved to housing, E back to dispatch.
    assert (urban.received, urban.duplicates) == (5, 1)  # A B D F G
    assert urban.resolved == 4  # A B G H: duplicates and not-ours are not 办结
    assert urban.closures == {"fixed": 4, "duplicate": 1, "not_ours": 1}
    # 办结率: of A B F G (D is a duplicate), A B G are resolved by the report; H came earlier.
    assert urban.received_resolved == 3
    assert urban.resolution_rate == pytest.approx(3 / 4)
    assert urban.closure_ratio == pytest.approx(4 / 4)  # the flow counts H too
    assert (urban.resolved_on_time, urban.on_time_rate) == (3, pytest.approx(3 / 4))  # G late
    housing = period.department("housing")
    assert (housing.received, housing.resolved, housing.closures) == (1, 1, {"fixed": 1})
    assert period.total.received == 7
    assert period.total.resolved == 5
    assert period.total.closures == {"fixed": 5, "duplicate": 1, "not_ours": 1}


async def test_satisfaction_counts_each_tickets_final_rating_once(period: Figures) -> None:
    urban = period.department("urban")
    # A 满意; B 不满意 (reopened, counted apart) then 基本满意: two tickets, two final verdicts.
    assert (urban.rated, urban.satisfied, urban.reopened) == (2, 2, 1)
    assert urban.satisfaction_rate == pytest.approx(2 / 2)
    housing = period.department("housing")
    assert (housing.rated, housing.unrated, housing.satisfaction_rate) == (0, 1, None)
    assert period.total.satisfaction_rate == pytest.approx(2 / 2)
    assert period.total.rated <= period.total.resolved  # never more verdicts than tickets


async def test_a_final_unsatisfied_verdict_counts_against_satisfaction(uow: UnitOfWork) -> None:
    urban = await f.staff(uow, "urban")
    who = f.resident()
    ticket = await f.ticket(uow, who)
    for reopen in range(POLICY.max_reopens + 1):  # the last 不满意 closes the ticket (督办)
        await resolve(uow, urban, ticket, h(2 * reopen + 1))
        await rate(uow, who.user_id, ticket, Rating.UNSATISFIED, h(2 * reopen + 2))
    async with uow:
        result = await figures(uow=uow, since=SINCE, until=UNTIL, now=LATER)
    row = result.department("urban")
    assert (row.rated, row.satisfied, row.reopened) == (1, 0, POLICY.max_reopens)
    assert row.satisfaction_rate == pytest.approx(0.0)


async def test_resolution_rate_stays_within_100_percent_when_older_tickets_close(
    uow: UnitOfWork,
) -> None:
    urban = await f.staff(uow, "urban")
    older = [await f.ticket(uow, now=NOW - timedelta(days=d)) for d in (2, 3, 4)]
    new = await f.ticket(uow)
    for i, ticket in enumerate([*older, new]):
        await resolve(uow, urban, ticket, h(i + 1))
    async with uow:
        result = await figures(uow=uow, since=SINCE, until=h(24), now=h(24))
    row = result.department("urban")
    assert (row.received, row.received_resolved, row.resolved) == (1, 1, 4)
    assert row.resolution_rate == pytest.approx(1.0)  # of the one received, one resolved
    assert row.closure_ratio == pytest.approx(4.0)  # the flow, shown under its own name
    for figure in (row, result.total):
        assert figure.resolution_rate is not None
        assert figure.resolution_rate <= 1.0


async def test_resolution_rate_counts_what_is_resolved_by_the_report(uow: UnitOfWork) -> None:
    urban = await f.staff(uow, "urban")
    ticket = await f.ticket(uow)
    await resolve(uow, urban, ticket, h(30))  # after the day, before the report
    async with uow:
        at_day_end = await figures(uow=uow, since=SINCE, until=h(14), now=h(14))
        next_morning = await figures(uow=uow, since=SINCE, until=h(14), now=h(31))
    assert at_day_end.total.resolution_rate == pytest.approx(0.0)
    assert next_morning.total.resolution_rate == pytest.approx(1.0)
    assert next_morning.total.resolved == 0  # not resolved within the period: not in the flow


async def test_reassign_and_reopen_rates(period: Figures) -> None:
    urban = period.department("urban")
    assert (urban.routed, urban.reassigned) == (5, 0)
    dispatch = period.department("dispatch")
    assert (dispatch.routed, dispatch.reassigned) == (1, 1)  # E, after urban said not ours
    assert (urban.resolutions, urban.reopened) == (6, 1)  # A B B D G H resolved; B reopened
    assert urban.reopen_rate == pytest.approx(1 / 6)
    assert (period.total.routed, period.total.reassigned) == (7, 2)
    assert period.total.reassign_rate == pytest.approx(2 / 7)


async def test_open_overdue_and_medians(period: Figures) -> None:
    urban = period.department("urban")
    assert (urban.open, urban.overdue) == (1, 1)  # F
    assert (period.department("dispatch").open, period.department("dispatch").overdue) == (1, 0)
    # Handling: A 2, B 101, G 80, H 53 → 66.5; housing C 2; total [2, 2, 53, 80, 101] → 53.
    assert urban.median_handling_hours == pytest.approx(66.5)
    assert period.department("housing").median_handling_hours == pytest.approx(2)
    assert period.total.median_handling_hours == pytest.approx(53)
    # Response: A 1, B 100, D 1, G 80, H 53 → 53; with C 2 → [1, 1, 2, 53, 80, 100] → 27.5.
    assert urban.median_response_hours == pytest.approx(53)
    assert period.total.median_response_hours == pytest.approx(27.5)


async def test_one_department_and_an_empty_period(uow: UnitOfWork) -> None:
    await history(uow)
    async with uow:
        housing = await figures(
            uow=uow, since=SINCE, until=UNTIL, department_code="housing", now=LATER
        )
        empty = await figures(uow=uow, since=h(-100), until=h(-50), now=LATER)
    assert [d.code for d in housing.departments] == ["housing"]
    assert housing.total.received == 1
    assert housing.total.median_handling_hours == pytest.approx(2)
    assert empty.total.received == empty.total.resolved == 0
    assert empty.total.resolution_rate is None
    assert empty.total.median_handling_hours is None
    assert empty.total.open == 2  # open is a snapshot, not a period figure
