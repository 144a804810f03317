"""协办: the lead department or dispatch adds co-handlers; a co-handler's notes reach the lead;
only the lead resolves; 协办 is counted for the helping department, apart from 主办."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage.errors import InvalidInput, PermissionDenied
from storage.metrics import figures
from storage.models import ClosureCode, OutboxMessage, Role
from storage.tickets import add_cohandler, cohandler_note, resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW


async def test_cohandlers_note_and_only_the_lead_resolves(uow: UnitOfWork) -> None:
    lead = await f.staff(uow, "urban")
    helper = await f.staff(uow, "housing")
    desk = await f.member(uow, Role.DISPATCHER)
    ticket = await f.ticket(uow)
    with pytest.raises(PermissionDenied):  # a department not on the ticket cannot add one
        async with uow:
            await add_cohandler(
                uow=uow, actor=helper, number=ticket.number, department_code="housing"
            )
    async with uow:
        await add_cohandler(
            uow=uow, actor=lead, number=ticket.number, department_code="housing", now=NOW
        )
    async with uow:  # dispatch may add one too
        await add_cohandler(
            uow=uow, actor=desk, number=ticket.number, department_code="environment", now=NOW
        )
    for code in ("housing", "urban", "dispatch"):
        with pytest.raises(InvalidInput):  # twice, the lead itself, dispatch
            async with uow:
                await add_cohandler(uow=uow, actor=lead, number=ticket.number, department_code=code)
    async with uow:
        said = await cohandler_note(
            uow=uow, actor=helper, number=ticket.number, text="维保单位已通知", partial=True
        )
    assert said == "housing"
    with pytest.raises(PermissionDenied):  # the lead's own staff are no co-handlers
        async with uow:
            await cohandler_note(uow=uow, actor=lead, number=ticket.number, text="x", partial=False)
    with pytest.raises(PermissionDenied):  # only the lead resolves
        async with uow:
            await resolve_ticket(
                uow=uow, actor=helper, number=ticket.number, code=ClosureCode.FIXED, answer="好了"
            )
    async with uow:
        rows = (await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    assert [r.kind for r in rows if r.kind.startswith("cohandler")] == [
        "cohandler_card",
        "cohandler_card",
        "cohandler_note",
    ]
    async with uow:
        await resolve_ticket(
            uow=uow, actor=lead, number=ticket.number, code=ClosureCode.FIXED, answer="已修好"
        )
    async with uow:
        result = await figures(
            uow=uow, since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1)
        )
    assert result.department("housing").cohandled == 1
    assert result.department("environment").cohandled == 1
    assert (result.department("urban").cohandled, result.department("urban").routings) == (0, 1)
