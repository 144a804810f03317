"""The campaign's own channel on SQLite and PostgreSQL: 代录, 现场解答, 转办 with the collector
following, single-use start links, the collector's 回访, 销号 and team registers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage.collect import (
    Record,
    Stage,
    link_resident,
    record_follow_up,
    record_ticket,
    start_link,
    team_register,
    write_off,
)
from storage.errors import IllegalTransition, PermissionDenied, TeamRequired
from storage.exports import ticket_rows
from storage.members import add_member, set_role
from storage.metrics import channel_figures, figures
from storage.models import (
    Audience,
    Channel,
    ClosureCode,
    EventKind,
    OutboxMessage,
    Rating,
    Role,
    Status,
    Ticket,
    TicketEvent,
)
from storage.notices import FollowUp, NoticeKind, TicketCard, decode
from storage.queries import get_ticket
from storage.tickets import rate_ticket, resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY

HEARD = Record(
    channel=Channel.VISIT,
    text="楼下路灯坏了半个月，老人晚上出门不方便",
    person_name="张大爷",
    address="荷韵花园3号楼2单元",
    phone="13800002222",
)


async def rows(uow: UnitOfWork, number: str) -> list[OutboxMessage]:
    """The outbox rows of one ticket, in order."""
    async with uow:
        found = await uow.session.exec(
            select(OutboxMessage)
            .join(Ticket, col(Ticket.id) == col(OutboxMessage.ticket_id))
            .where(Ticket.number == number)
            .order_by(col(OutboxMessage.id))
        )
        return list(found.all())


async def test_answered_on_the_spot_is_closed_at_once_as_direct_never_a_department_closure(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    async with uow:
        recorded = await record_ticket(
            uow=uow,
            collector=zhou,
            record=HEARD,
            prediction=f.prediction("urban"),
            policy=POLICY,
            answer_on_spot="已告知路灯报修电话，物业当天修复",
            now=NOW,
        )
    ticket = recorded.ticket
    assert ticket.status == Status.CLOSED
    assert ticket.closure_code == ClosureCode.ON_THE_SPOT
    assert ticket.resolved_at is None  # never a department's 办结
    assert ticket.department_code is None
    queued = await rows(uow, ticket.number)  # the resident was answered at the door
    assert [(r.audience, r.kind, r.chat_id) for r in queued] == [
        (Audience.COLLECTOR, NoticeKind.FOLLOW_UP, zhou.user_id)
    ]
    async with uow:
        lines = await team_register(uow=uow, viewer=zhou, since=NOW, until=NOW + timedelta(1))
        kinds = (
            await uow.session.exec(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
            )
        ).all()
        period = await figures(uow=uow, since=NOW, until=NOW + timedelta(days=1), now=NOW)
    assert [line.stage for line in lines] == [Stage.ON_THE_SPOT]
    assert list(kinds) == [EventKind.RECEIVED, EventKind.ANSWERED_ON_SPOT, EventKind.CLOSED]
    assert period.total.resolved == 0


async def test_sent_on_goes_to_the_department_and_every_step_reaches_the_collector(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        recorded = await record_ticket(
            uow=uow, collector=zhou, record=HEARD, prediction=f.prediction("urban"), policy=POLICY
        )
    number = recorded.ticket.number
    assert recorded.ticket.status == Status.ROUTED
    assert recorded.ticket.phone is None  # no consent stated: the phone is not even kept
    queued = await rows(uow, number)
    assert [(r.audience, r.kind) for r in queued] == [
        (Audience.DISPATCH, NoticeKind.TICKET_CARD),  # standing in for the unbound group
        (Audience.COLLECTOR, NoticeKind.FOLLOW_UP),
    ]
    card = decode(queued[0].kind, queued[0].payload)
    assert isinstance(card, TicketCard)
    assert card.card.resident_name == "张大爷"
    assert card.card.phone is None
    assert "13800002222" not in str(queued[0].payload)
    assert queued[1].chat_id == zhou.user_id
    async with uow:
        await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="已更换灯泡"
        )
    resolved = decode((await rows(uow, number))[-1].kind, (await rows(uow, number))[-1].payload)
    assert isinstance(resolved, FollowUp)
    assert (resolved.step, resolved.linked, resolved.text) == (
        NoticeKind.RESOLVED,
        False,
        "已更换灯泡",
    )
    async with uow:
        closed = await record_follow_up(
            uow=uow, collector=zhou, number=number, rating=Rating.SATISFIED, policy=POLICY
        )
        lines = await team_register(
            uow=uow, viewer=zhou, since=NOW - timedelta(days=1), until=NOW + timedelta(days=30)
        )
    assert (closed.status, closed.rating) == (Status.CLOSED, Rating.SATISFIED)
    assert [line.stage for line in lines] == [Stage.WRITTEN_OFF]


async def test_phone_reaches_staff_only_with_the_residents_stated_consent(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    consenting = Record(
        Channel.PHONE, "电梯坏了三天没人修", phone="13800003333", phone_consent=True
    )
    async with uow:
        recorded = await record_ticket(
            uow=uow,
            collector=zhou,
            record=consenting,
            prediction=f.prediction("housing"),
            policy=POLICY,
        )
    card = decode(
        (await rows(uow, recorded.ticket.number))[0].kind,
        (await rows(uow, recorded.ticket.number))[0].payload,
    )
    assert isinstance(card, TicketCard)
    assert card.card.phone == "13800003333"
    assert card.card.resident_name == ""  # 匿名


async def test_a_start_code_links_one_resident_once_and_a_forged_one_links_nothing(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    async with uow:
        recorded = await record_ticket(
            uow=uow, collector=zhou, record=HEARD, prediction=f.prediction("urban"), policy=POLICY
        )
    code = recorded.start_code
    assert start_link("minyi_bot", code) == f"https://t.me/minyi_bot?start={code}"
    wang, mallory = f.resident("张大爷"), f.resident("路人")
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    async with uow:
        assert await link_resident(uow=uow, code=forged, resident=mallory) is None
    async with uow:
        assert await link_resident(uow=uow, code="x", resident=mallory) is None
    async with uow:
        linked = await link_resident(uow=uow, code=code, resident=wang)
    assert linked is not None
    assert linked.number == recorded.ticket.number
    async with uow:
        assert await link_resident(uow=uow, code=code, resident=mallory) is None  # reused
    async with uow:
        ticket = (
            await uow.session.exec(select(Ticket).where(Ticket.number == linked.number))
        ).one()
    assert ticket.link_code_hash is None
    queued = await rows(uow, linked.number)
    assert [(r.audience, r.kind, r.chat_id) for r in queued[-2:]] == [
        (Audience.COLLECTOR, NoticeKind.FOLLOW_UP, zhou.user_id),
        (Audience.RESIDENT, NoticeKind.LINKED, wang.chat_id),
    ]
    assert mallory.chat_id not in {r.chat_id for r in queued}
    async with uow:  # the resident follows it now: the collector's 回访 is not theirs to give
        with pytest.raises(IllegalTransition):
            await record_follow_up(
                uow=uow,
                collector=zhou,
                number=linked.number,
                rating=Rating.SATISFIED,
                policy=POLICY,
            )


async def test_a_collector_cannot_see_another_teams_register_a_supervisor_can(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow, team="市直第一民情书记队")
    qian = await f.collector(uow, team="市直第二民情书记队", name="钱书记")
    boss = await f.member(uow, Role.SUPERVISOR, "区委督查室")
    clerk = await f.staff(uow, "urban")
    async with uow:
        recorded = await record_ticket(
            uow=uow, collector=zhou, record=HEARD, prediction=f.prediction("urban"), policy=POLICY
        )
    since, until = NOW - timedelta(days=1), NOW + timedelta(days=30)
    async with uow:
        with pytest.raises(PermissionDenied):
            await team_register(
                uow=uow, viewer=qian, since=since, until=until, team="市直第一民情书记队"
            )
    async with uow:
        assert await team_register(uow=uow, viewer=qian, since=since, until=until) == []
        seen = await team_register(
            uow=uow, viewer=boss, since=since, until=until, team="市直第一民情书记队"
        )
    assert [line.number for line in seen] == [recorded.ticket.number]
    async with uow:
        with pytest.raises(PermissionDenied):  # not theirs to follow up either
            await record_follow_up(
                uow=uow,
                collector=qian,
                number=recorded.ticket.number,
                rating=Rating.SATISFIED,
                policy=POLICY,
            )
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=recorded.ticket.number,
            code=ClosureCode.FIXED,
            answer="已修复",
        )
    async with uow:
        await record_follow_up(
            uow=uow,
            collector=zhou,
            number=recorded.ticket.number,
            rating=Rating.NOT_REACHED,
            policy=POLICY,
        )
    async with uow:
        with pytest.raises(PermissionDenied):
            await write_off(uow=uow, viewer=qian, number=recorded.ticket.number)
    async with uow:
        lines = await team_register(uow=uow, viewer=zhou, since=since, until=until)
    assert [line.stage for line in lines] == [Stage.TO_WRITE_OFF]  # 联系不上: not told yet
    async with uow:
        await write_off(uow=uow, viewer=zhou, number=recorded.ticket.number)
        ticket = await get_ticket(uow=uow, number=recorded.ticket.number)
        lines = await team_register(uow=uow, viewer=zhou, since=since, until=until)
    assert ticket.rating == Rating.NOT_REACHED
    assert [line.stage for line in lines] == [Stage.WRITTEN_OFF]


async def test_channel_figures_rebuild_collected_direct_sent_on_and_closed(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    clerk = await f.staff(uow, "urban")
    bot = await f.ticket(uow)  # 居民自报, routed to urban
    async with uow:
        await record_ticket(
            uow=uow,
            collector=zhou,
            record=HEARD,
            prediction=f.prediction("urban"),
            policy=POLICY,
            answer_on_spot="已当场答复",
            now=NOW,
        )
        await record_ticket(
            uow=uow,
            collector=zhou,
            record=HEARD,
            prediction=f.prediction("urban"),
            policy=POLICY,
            answer_on_spot="已当场答复",
            now=NOW,
        )
    async with uow:
        sent = await record_ticket(
            uow=uow,
            collector=zhou,
            record=HEARD,
            prediction=f.prediction("urban"),
            policy=POLICY,
            now=NOW,
        )
    async with uow:
        await record_ticket(
            uow=uow,
            collector=zhou,
            record=Record(Channel.PHONE, "电梯坏了"),
            prediction=f.prediction("urban"),
            policy=POLICY,
            now=NOW,
        )
    for number in (bot.number, sent.ticket.number):
        async with uow:
            await resolve_ticket(
                uow=uow,
                actor=clerk,
                number=number,
                code=ClosureCode.FIXED,
                answer="已修复",
                now=NOW + timedelta(hours=1),
            )
    async with uow:
        await record_follow_up(
            uow=uow,
            collector=zhou,
            number=sent.ticket.number,
            rating=Rating.BASICALLY,
            policy=POLICY,
            now=NOW + timedelta(hours=2),
        )
    async with uow:
        rows = await channel_figures(uow=uow, since=NOW, until=NOW + timedelta(days=1))
        departments = await figures(uow=uow, since=NOW, until=NOW + timedelta(days=1), now=NOW)
    by = {r.channel: r for r in rows}
    assert [r.channel for r in rows] == ["bot", "visit", "phone", "*"]
    visit, total = by["visit"], by["*"]
    assert (visit.collected, visit.direct, visit.sent_on, visit.resolved) == (3, 2, 1, 1)
    assert (visit.written_off, visit.positive, visit.rated) == (3, 1, 1)
    assert visit.resolution_rate == 1.0
    assert (by["phone"].collected, by["phone"].resolution_rate) == (1, 0.0)
    assert (total.collected, total.direct, total.sent_on, total.resolved) == (5, 2, 3, 2)
    assert total.closed_rate == 4 / 5
    assert total.direct_share == 2 / 5
    assert total.write_off_rate == 3 / 4  # of what collectors recorded
    assert by["bot"].write_off_rate is None
    assert departments.total.received == 3  # 直办 is never a department's


async def test_exports_carry_the_channel_the_team_and_the_write_off(uow: UnitOfWork) -> None:
    zhou = await f.collector(uow)
    async with uow:
        recorded = await record_ticket(
            uow=uow, collector=zhou, record=HEARD, prediction=f.prediction("urban"),
            policy=POLICY, answer_on_spot="已当场答复", now=NOW,
        )  # fmt: skip
    async with uow:
        rows = [r async for r in ticket_rows(uow=uow, since=NOW, until=NOW + timedelta(days=1))]
    (row,) = rows
    assert row.number == recorded.ticket.number
    assert (row.channel, row.team, row.person_name) == ("visit", "市直第一民情书记队", "张大爷")
    assert row.written_off_at == NOW
    assert row.phone is None


async def test_channel_satisfaction_counts_each_tickets_final_rating_as_the_department_figures_do(
    uow: UnitOfWork,
) -> None:
    clerk = await f.staff(uow, "urban")
    who = f.resident()
    ticket = await f.ticket(uow, who)
    for rating in (Rating.UNSATISFIED, Rating.SATISFIED):
        async with uow:
            await resolve_ticket(
                uow=uow, actor=clerk, number=ticket.number, code=ClosureCode.FIXED,
                answer="已修复", now=NOW + timedelta(hours=1),
            )  # fmt: skip
        async with uow:
            await rate_ticket(
                uow=uow, resident_user_id=who.user_id, number=ticket.number, rating=rating,
                policy=POLICY, now=NOW + timedelta(hours=2),
            )  # fmt: skip
    async with uow:
        rows = await channel_figures(uow=uow, since=NOW, until=NOW + timedelta(days=1))
        departments = await figures(
            uow=uow, since=NOW, until=NOW + timedelta(days=1), now=NOW + timedelta(hours=3)
        )
    # The 不满意 that reopened the ticket is not its final verdict: one ticket, one rating.
    assert (rows[-1].positive, rows[-1].rated) == (1, 1)
    assert rows[-1].satisfaction_rate == departments.total.satisfaction_rate == 1.0


async def test_the_collectors_follow_up_counts_in_the_departments_satisfaction(
    uow: UnitOfWork,
) -> None:
    zhou = await f.collector(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        recorded = await record_ticket(
            uow=uow, collector=zhou, record=HEARD, prediction=f.prediction("urban"),
            policy=POLICY, now=NOW,
        )  # fmt: skip
    async with uow:
        await resolve_ticket(
            uow=uow, actor=clerk, number=recorded.ticket.number, code=ClosureCode.FIXED,
            answer="已修复", now=NOW + timedelta(hours=1),
        )  # fmt: skip
    async with uow:
        await record_follow_up(
            uow=uow, collector=zhou, number=recorded.ticket.number, rating=Rating.BASICALLY,
            policy=POLICY, now=NOW + timedelta(hours=2),
        )  # fmt: skip
    async with uow:
        departments = await figures(
            uow=uow, since=NOW, until=NOW + timedelta(days=1), now=NOW + timedelta(hours=3)
        )
    assert departments.department("urban").rated == 1
    assert departments.department("urban").satisfaction_rate == 1.0


async def test_a_collector_has_a_team(uow: UnitOfWork) -> None:
    boss = await f.member(uow, Role.SUPERVISOR)
    async with uow:
        with pytest.raises(TeamRequired):
            await add_member(uow=uow, user_id=boss.user_id + 1, role=Role.COLLECTOR)
    async with uow:
        with pytest.raises(TeamRequired):  # no team to keep: add them as a collector instead
            await set_role(uow=uow, user_id=boss.user_id, role=Role.COLLECTOR)
