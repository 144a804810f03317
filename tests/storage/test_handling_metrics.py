"""签收及时率, 退单率 and 延期 in the one definition of the figures (digest, /stats, exports)."""

from __future__ import annotations

from datetime import timedelta

from admin.digest import Stats, render_stats_text
from storage.exports import ticket_rows
from storage.metrics import figures
from storage.models import Role
from storage.tickets import (
    claim_ticket,
    decide_extension,
    dispatch_ticket,
    request_extension,
    send_back_ticket,
)
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY

ACCEPT = timedelta(hours=POLICY.accept_hours)


async def test_acceptance_send_back_and_extensions_per_department(uow: UnitOfWork) -> None:
    clerk = await f.staff(uow, "urban")
    desk = await f.member(uow, Role.DISPATCHER)
    chief = await f.member(uow, Role.SUPERVISOR, "督查室")
    prompt, late, never, sent = [await f.ticket(uow) for _ in range(4)]
    async with uow:
        await claim_ticket(uow=uow, actor=clerk, number=prompt.number, now=NOW + timedelta(hours=1))
    async with uow:
        await claim_ticket(uow=uow, actor=clerk, number=late.number, now=NOW + ACCEPT * 2)
    async with uow:
        await send_back_ticket(
            uow=uow, actor=clerk, number=sent.number, reason="不归", policy=POLICY, now=NOW
        )
    async with uow:  # approved: re-dispatched to housing (a routing there)
        await dispatch_ticket(
            uow=uow,
            actor=desk,
            number=sent.number,
            department_code="housing",
            policy=POLICY,
            now=NOW + timedelta(hours=1),
        )
    for days, approve in ((3, False), (3, True)):
        async with uow:
            await request_extension(
                uow=uow,
                actor=clerk,
                number=prompt.number,
                days=days,
                reason="施工",
                policy=POLICY,
                now=NOW + timedelta(hours=2),
            )
        async with uow:
            await decide_extension(
                uow=uow,
                actor=chief,
                number=prompt.number,
                days=days,
                approve=approve,
                policy=POLICY,
                now=NOW + timedelta(hours=3),
            )

    since, until = NOW - timedelta(days=1), NOW + timedelta(days=5)
    async with uow:
        result = await figures(uow=uow, since=since, until=until, now=NOW + timedelta(days=4))
    urban, housing = result.department("urban"), result.department("housing")
    # urban: prompt in time; late and never late (sent went to housing: its deadline is theirs)
    assert (urban.accept_due, urban.accepted_in_time) == (3, 1)
    assert urban.acceptance_rate is not None
    assert round(urban.acceptance_rate, 3) == 0.333
    assert (urban.routings, urban.sent_back, urban.send_back_rate) == (4, 1, 0.25)
    assert (urban.extensions, urban.extension_requests) == (1, 2)
    assert (housing.routings, housing.sent_back, housing.accept_due) == (1, 0, 1)
    assert (result.total.sent_back, result.total.routings, result.total.extensions) == (1, 5, 1)

    text = render_stats_text(
        Stats(first=since.date(), last=until.date(), department_code=None, figures=result)
    )
    # the whole district: 1 of 4 deadlines met, 1 退单 in 5 routings
    assert "签收及时率 25.0%" in text
    assert "退单率 20.0%（退单 1 件）" in text
    assert "延期 1 次（申请 2 次）" in text

    async with uow:
        rows = {
            row.number: row async for row in ticket_rows(uow=uow, since=since, until=until, now=NOW)
        }
    assert [rows[t.number].accepted_in_time for t in (prompt, late, never)] == [True, False, False]
    assert rows[prompt.number].extension_count == 1
