"""The knowledge base: import once, promote a staff answer, and direct answers settled once by
their own resident (解决了 counts as 直接答复, apart from every department's 办结)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.errors import InvalidInput, PermissionDenied
from storage.knowledge import (
    base_version,
    direct_answers,
    import_entries,
    list_entries,
    phrasings,
    promote_answer,
    read_base,
    record_direct_answer,
    settle_direct_answer,
)
from storage.models import ClosureCode, DirectAnswer
from storage.retention import anonymise_closed
from storage.tickets import resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW


async def test_import_promote_and_settle(uow: UnitOfWork) -> None:
    pairs = read_base()
    async with uow:
        assert await import_entries(uow=uow, pairs=pairs) == len(pairs)
    async with uow:
        assert await import_entries(uow=uow, pairs=pairs) == 0  # known questions are skipped
        before = await base_version(uow=uow)

    clerk = await f.staff(uow, "urban")
    ticket = await f.ticket(uow, text="请问小区门口的临时摊位需要办什么手续？")
    with pytest.raises(InvalidInput):  # not answered yet
        async with uow:
            await promote_answer(uow=uow, actor=clerk, number=ticket.number)
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.ANSWERED,
            answer="临时摊位需向城管部门申请临时占道许可。",
            now=NOW,
        )
    other = await f.staff(uow, "housing")
    with pytest.raises(PermissionDenied):
        async with uow:
            await promote_answer(uow=uow, actor=other, number=ticket.number)
    async with uow:
        promoted = await promote_answer(uow=uow, actor=clerk, number=ticket.number)
    assert (promoted.question, promoted.source) == (ticket.text, "promoted")
    with pytest.raises(InvalidInput):  # once
        async with uow:
            await promote_answer(uow=uow, actor=clerk, number=ticket.number)
    async with uow:
        assert await base_version(uow=uow) != before
        assert len(await list_entries(uow=uow)) == len(pairs) + 1

    resident, stranger = f.resident(), f.resident()
    async with uow:
        first, answer = await record_direct_answer(
            uow=uow,
            resident_user_id=resident.user_id,
            entry_id=promoted.id,
            text="摆摊要办什么？",
            score=0.7,
            now=NOW,
        )
    assert answer == promoted.answer
    async with uow:
        second, _ = await record_direct_answer(
            uow=uow, resident_user_id=resident.user_id, entry_id=1, text="居住证？", score=0.6
        )
    with pytest.raises(PermissionDenied):  # someone else's button
        async with uow:
            await settle_direct_answer(
                uow=uow, answer_id=first, resident_user_id=stranger.user_id, solved=True
            )
    async with uow:
        words = await settle_direct_answer(
            uow=uow, answer_id=first, resident_user_id=resident.user_id, solved=True, now=NOW
        )
    assert words == "摆摊要办什么？"
    with pytest.raises(InvalidInput):  # pressed again
        async with uow:
            await settle_direct_answer(
                uow=uow, answer_id=first, resident_user_id=resident.user_id, solved=False
            )
    async with uow:
        await settle_direct_answer(
            uow=uow, answer_id=second, resident_user_id=resident.user_id, solved=False, now=NOW
        )
    async with uow:
        solved = await direct_answers(
            uow=uow, since=NOW - timedelta(hours=1), until=NOW + timedelta(hours=1)
        )
    assert solved == 1  # 转人工 is not a 直接答复


async def test_retention_empties_old_questions_and_promotion_masks_numbers(uow: UnitOfWork) -> None:
    async with uow:
        await import_entries(uow=uow, pairs=read_base())
    clerk = await f.staff(uow, "urban")
    ticket = await f.ticket(uow, text="我电话13800001111，请问摆摊要办什么手续？")
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.ANSWERED,
            answer="向城管申请临时占道许可。",
            now=NOW,
        )
    async with uow:
        promoted = await promote_answer(uow=uow, actor=clerk, number=ticket.number)
    assert "13800001111" not in promoted.question
    resident = f.resident()
    async with uow:
        answer_id, _ = await record_direct_answer(
            uow=uow,
            resident_user_id=resident.user_id,
            entry_id=promoted.id,
            text="我住3栋，电话13900002222，摆摊要办什么？",
            score=0.8,
            now=NOW,
        )
    async with uow:
        await anonymise_closed(uow=uow, closed_before=NOW + timedelta(days=1), apply=True)
    async with uow:
        row = await uow.session.get(DirectAnswer, answer_id)
    assert row is not None
    assert row.text == ""


async def test_an_entry_keeps_its_further_phrasings(uow: UnitOfWork) -> None:
    question = "社保卡丢了怎么补办？\n社保卡坏了去哪换？"
    async with uow:
        assert await import_entries(uow=uow, pairs=[(question, "到人社窗口补办。")]) == 1
    async with uow:
        (entry,) = await list_entries(uow=uow)
    assert phrasings(entry.question) == ["社保卡丢了怎么补办？", "社保卡坏了去哪换？"]
