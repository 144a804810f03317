"""The ticket lifecycle on SQLite and PostgreSQL: states, events, outbox rows, permissions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from storage.database import create_engine, session_factory
from storage.errors import (
    AlreadyClaimed,
    IllegalTransition,
    InvalidInput,
    PermissionDenied,
    RateLimited,
    TicketNotFound,
    UnknownDepartment,
)
from storage.members import Actor, actor_for
from storage.models import (
    ClosureCode,
    Department,
    EventKind,
    LabelledExample,
    OutboxMessage,
    Rating,
    Role,
    Status,
    TicketEvent,
)
from storage.notices import decode, ticket_number
from storage.queries import get_ticket, resident_ticket, resident_tickets
from storage.tickets import (
    Draft,
    Policy,
    add_note,
    add_resident_info,
    ask_resident,
    claim_ticket,
    close_unrated,
    dispatch_ticket,
    open_ticket,
    rate_ticket,
    reassign_ticket,
    reply_to_resident,
    resolve_ticket,
)
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY


async def outbox(uow: UnitOfWork, number: str | None = None) -> list[tuple[str, str]]:
    """(audience, kind) of queued messages, in order."""
    async with uow:
        rows = await uow.session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [
            (r.audience, r.kind)
            for r in rows.all()
            if number is None or ticket_number(decode(r.kind, r.payload)) == number
        ]


async def events(uow: UnitOfWork, ticket_id: int) -> list[str]:
    """Kinds of a ticket's events, in order."""
    async with uow:
        rows = await uow.session.exec(
            select(TicketEvent.kind)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(col(TicketEvent.id))
        )
        return list(rows.all())


async def test_open_routes_a_confident_ticket(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    assert ticket.status == Status.ROUTED
    assert ticket.number == "TB-20261124-0001"
    assert ticket.department_code == "urban"
    assert ticket.due_at == NOW + timedelta(hours=72)
    assert await events(uow, ticket.id) == [EventKind.RECEIVED, EventKind.ROUTED]
    # The urban group is not bound yet: its card goes to dispatch, never lost.
    assert await outbox(uow) == [("dispatch", "ticket_card"), ("resident", "routed")]


async def test_numbers_count_per_local_day(uow: UnitOfWork) -> None:
    first = await f.ticket(uow)
    second = await f.ticket(uow)
    next_day = await f.ticket(uow, now=NOW + timedelta(hours=16))  # 02:00 next day, Shanghai
    assert (first.number, second.number) == ("TB-20261124-0001", "TB-20261124-0002")
    assert next_day.number == "TB-20261125-0001"


async def test_unsure_ticket_goes_to_dispatch_and_assignment_is_learned(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow, route_to=None)
    assert ticket.status == Status.PENDING_DISPATCH
    dispatcher = await f.member(uow, Role.DISPATCHER)
    async with uow:
        routed = await dispatch_ticket(
            uow=uow,
            actor=dispatcher,
            number=ticket.number,
            department_code="housing",
            policy=POLICY,
            now=NOW,
        )
    assert (routed.status, routed.department_code) == (Status.ROUTED, "housing")
    async with uow:
        example = (await uow.session.exec(select(LabelledExample))).one()
    assert (example.label, example.source, example.text) == ("housing", "dispatch", ticket.text)


async def test_staff_of_other_departments_and_residents_are_refused(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    outsider = await f.staff(uow, "housing")
    async with uow:
        with pytest.raises(PermissionDenied):
            await claim_ticket(uow=uow, actor=outsider, number=ticket.number)
    async with uow:
        resident = await actor_for(uow=uow, user_id=1)
        with pytest.raises(PermissionDenied):
            await reply_to_resident(uow=uow, actor=resident, number=ticket.number, text="好")
    assert await events(uow, ticket.id) == [EventKind.RECEIVED, EventKind.ROUTED]


async def test_full_path_with_question_unsatisfied_reopen_and_close(uow: UnitOfWork) -> None:
    who = f.resident()
    ticket = await f.ticket(uow, who)
    clerk = await f.staff(uow, "urban")
    number = ticket.number
    async with uow:
        assert (await claim_ticket(uow=uow, actor=clerk, number=number)).status == "in_progress"
    async with uow:
        asked = await ask_resident(
            uow=uow, actor=clerk, number=number, text="具体是哪一栋？", now=NOW + timedelta(hours=1)
        )
    assert asked.awaiting_resident
    async with uow:
        info = await add_resident_info(
            uow=uow,
            resident_user_id=who.user_id,
            number=number,
            text="3栋门口",
            policy=POLICY,
            now=NOW + timedelta(hours=5),
        )
    assert not info.awaiting_resident
    assert info.due_at == ticket.due_at + timedelta(hours=4)  # waiting for the answer is paused
    async with uow:
        await reply_to_resident(uow=uow, actor=clerk, number=number, text="已派人核查")
    async with uow:
        await add_note(uow=uow, actor=clerk, number=number, text="内部：灯具需更换")
    async with uow:
        resolved = await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="路灯已修复"
        )
    assert resolved.status == Status.RESOLVED
    async with uow:
        reopened = await rate_ticket(
            uow=uow,
            resident_user_id=who.user_id,
            number=number,
            rating=Rating.UNSATISFIED,
            reason="还是不亮",
            policy=POLICY,
        )
    assert (reopened.status, reopened.reopen_count) == (Status.REOPENED, 1)
    async with uow:
        await resolve_ticket(
            uow=uow, actor=clerk, number=number, code=ClosureCode.FIXED, answer="已更换灯具"
        )
    async with uow:
        closed = await rate_ticket(
            uow=uow,
            resident_user_id=who.user_id,
            number=number,
            rating=Rating.SATISFIED,
            policy=POLICY,
        )
    assert (closed.status, closed.rating) == (Status.CLOSED, Rating.SATISFIED)
    assert await events(uow, ticket.id) == [
        "received",
        "routed",
        "claimed",
        "asked",
        "resident_info",
        "replied",
        "note",
        "resolved",
        "rated",
        "reopened",
        "resolved",
        "rated",
        "closed",
    ]
    resident_kinds = [k for a, k in await outbox(uow, number) if a == "resident"]
    assert resident_kinds == [
        "routed",
        "claimed",
        "question",
        "reply",
        "resolved",
        "reopened",
        "resolved",
        "closed",
    ]


async def test_too_many_unsatisfied_ratings_go_to_supervisors(uow: UnitOfWork) -> None:
    who = f.resident()
    ticket = await f.ticket(uow, who)
    clerk = await f.staff(uow, "urban")
    await f.member(uow, Role.SUPERVISOR, "区长")
    for _ in range(POLICY.max_reopens + 1):
        async with uow:
            await resolve_ticket(
                uow=uow, actor=clerk, number=ticket.number, code=ClosureCode.ANSWERED, answer="说明"
            )
        async with uow:
            last = await rate_ticket(
                uow=uow,
                resident_user_id=who.user_id,
                number=ticket.number,
                rating=Rating.UNSATISFIED,
                policy=POLICY,
            )
    assert (last.status, last.reopen_count) == (Status.CLOSED, POLICY.max_reopens)
    assert ("supervisors", "escalation") in await outbox(uow, ticket.number)


async def test_illegal_transitions_change_nothing(uow: UnitOfWork) -> None:
    who = f.resident()
    ticket = await f.ticket(uow, who)
    clerk = await f.staff(uow, "urban")
    async with uow:
        with pytest.raises(IllegalTransition):
            await rate_ticket(
                uow=uow,
                resident_user_id=who.user_id,
                number=ticket.number,
                rating=Rating.SATISFIED,
                policy=POLICY,
            )
    admin = await f.member(uow, Role.ADMIN)
    async with uow:
        with pytest.raises(IllegalTransition):
            await dispatch_ticket(
                uow=uow,
                actor=admin,
                number=ticket.number,
                department_code="civil",
                policy=POLICY,
            )
    before = await outbox(uow)
    async with uow:
        with pytest.raises(InvalidInput):
            await resolve_ticket(
                uow=uow, actor=clerk, number=ticket.number, code=ClosureCode.FIXED, answer=" "
            )
    async with uow:
        assert (await get_ticket(uow=uow, number=ticket.number)).status == Status.ROUTED
    assert await outbox(uow) == before


async def test_reassign_moves_the_ticket_and_stores_an_example(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow, text="小区电梯又坏了")
    clerk = await f.staff(uow, "urban")
    async with uow:
        moved = await reassign_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            department_code="housing",
            reason="电梯归住建",
            policy=POLICY,
            now=NOW,
        )
    assert (moved.department_code, moved.status) == ("housing", Status.ROUTED)
    async with uow:
        with pytest.raises(PermissionDenied):  # no longer urban's ticket
            await claim_ticket(uow=uow, actor=clerk, number=ticket.number)
    housing = await f.staff(uow, "housing")
    async with uow:
        with pytest.raises(UnknownDepartment):
            await reassign_ticket(
                uow=uow,
                actor=housing,
                number=ticket.number,
                department_code="nowhere",
                policy=POLICY,
            )
    async with uow:
        example = (await uow.session.exec(select(LabelledExample))).one()
    assert (example.label, example.predicted, example.source) == ("housing", "urban", "reassign")


async def test_not_ours_goes_back_to_dispatch_and_is_not_closed(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        back = await resolve_ticket(
            uow=uow, actor=clerk, number=ticket.number, code=ClosureCode.NOT_OURS, answer="非本局"
        )
    assert (back.status, back.resolved_at) == (Status.PENDING_DISPATCH, None)


async def test_duplicate_links_the_original(uow: UnitOfWork) -> None:
    original = await f.ticket(uow)
    copy = await f.ticket(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        resolved = await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=copy.number,
            code=ClosureCode.DUPLICATE,
            answer="",
            duplicate_of=original.number,
        )
    assert resolved.duplicate_of_id == original.id


async def test_someone_elses_ticket_looks_missing(uow: UnitOfWork) -> None:
    owner, stranger = f.resident(), f.resident()
    ticket = await f.ticket(uow, owner)
    await f.ticket(uow, stranger)
    async with uow:
        with pytest.raises(TicketNotFound):
            await resident_ticket(uow=uow, resident_user_id=stranger.user_id, number=ticket.number)
    async with uow:
        with pytest.raises(TicketNotFound):
            await add_resident_info(
                uow=uow,
                resident_user_id=stranger.user_id,
                number=ticket.number,
                text="x",
                policy=POLICY,
            )
    async with uow:
        mine = await resident_tickets(uow=uow, resident_user_id=owner.user_id)
        view, timeline = await resident_ticket(
            uow=uow, resident_user_id=owner.user_id, number=ticket.number.lower()
        )
    assert [t.number for t in mine] == [ticket.number]
    assert [e.kind for e in timeline] == ["received", "routed"]
    assert view.number == ticket.number


async def test_phone_reaches_staff_only_with_consent(uow: UnitOfWork) -> None:
    shared = await f.ticket(uow, phone="13800001111", consent=True)
    private = await f.ticket(uow, phone="13900002222", consent=False)
    assert shared.phone == "13800001111"
    assert private.phone is None
    async with uow:
        payloads = [r.payload for r in (await uow.session.exec(select(OutboxMessage))).all()]
    assert "13900002222" not in repr(payloads)


async def test_unrated_tickets_close_after_the_window(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    clerk = await f.staff(uow, "urban")
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.FIXED,
            answer="好了",
            now=NOW,
        )
    async with uow:
        assert await close_unrated(uow=uow, resolved_before=NOW) == []
    async with uow:
        closed = await close_unrated(uow=uow, resolved_before=NOW + timedelta(days=3))
    assert closed == [ticket.number]
    async with uow:
        view = await get_ticket(uow=uow, number=ticket.number)
    assert (view.status, view.rating) == (Status.CLOSED, Rating.UNRATED)


async def test_bad_input_and_flood_are_refused(uow: UnitOfWork) -> None:
    who = f.resident()
    with pytest.raises(InvalidInput):
        await f.ticket(uow, who, text="   ")
    with pytest.raises(InvalidInput):
        await f.ticket(uow, who, text="长" * 5000)
    for _ in range(POLICY.tickets_per_hour):
        await f.ticket(uow, who)
    with pytest.raises(RateLimited):
        await f.ticket(uow, who)
    async with uow:
        with pytest.raises(TicketNotFound):
            await get_ticket(uow=uow, number="TB-19990101-0001")


async def test_a_prediction_the_district_does_not_know_goes_to_dispatch(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow, route_to="nowhere")
    assert (ticket.status, ticket.department_code) == (Status.PENDING_DISPATCH, "dispatch")


async def test_failed_open_leaves_no_half_ticket(uow: UnitOfWork) -> None:
    async with uow:  # no dispatch desk: an unsure ticket fails after it was written
        await uow.session.exec(delete(Department).where(col(Department.is_dispatch)))
        await uow.commit()
    with pytest.raises(UnknownDepartment):
        await f.ticket(uow, route_to=None)
    async with uow:
        assert (await uow.session.exec(select(func.count()).select_from(TicketEvent))).one() == 0
        assert (await uow.session.exec(select(func.count()).select_from(OutboxMessage))).one() == 0


async def test_concurrent_creation_gives_unique_numbers(engine: AsyncEngine) -> None:
    async def one(i: int) -> str:
        async with UnitOfWork(session_factory(engine)) as own:
            view = await open_ticket(
                uow=own,
                resident=f.resident(),
                draft=Draft(text=f"第{i}个诉求"),
                prediction=f.prediction("urban"),
                policy=Policy(tickets_per_hour=100),
                now=NOW,
            )
            return view.number

    numbers = await asyncio.gather(*(one(i) for i in range(30)))
    assert len(set(numbers)) == 30
    assert sorted(numbers)[-1] == "TB-20261124-0030"


async def test_a_claimed_ticket_is_taken_over_only_on_purpose(uow: UnitOfWork) -> None:
    ticket = await f.ticket(uow)
    first = await f.staff(uow, "urban", "城管小李")
    second = await f.staff(uow, "urban", "城管小赵")
    async with uow:
        await claim_ticket(uow=uow, actor=first, number=ticket.number, now=NOW)
    for actor, own in ((second, False), (first, True)):
        async with uow:
            with pytest.raises(AlreadyClaimed) as raised:
                await claim_ticket(uow=uow, actor=actor, number=ticket.number, now=NOW)
        assert (raised.value.by_name, raised.value.own) == ("城管小李", own)
    async with uow:
        taken = await claim_ticket(
            uow=uow, actor=second, number=ticket.number, take_over=True, now=NOW
        )
    assert (taken.status, taken.assignee_user_id) == (Status.IN_PROGRESS, second.user_id)
    assert await events(uow, ticket.id) == [
        EventKind.RECEIVED,
        EventKind.ROUTED,
        EventKind.CLAIMED,
        EventKind.CLAIMED,
    ]
    # One 「已安排专人办理」 for the resident: taking over is between colleagues.
    assert (await outbox(uow, ticket.number)).count(("resident", "claimed")) == 1


async def test_two_claims_at_once_from_two_workers_one_wins(
    engine: AsyncEngine, db_url: str
) -> None:
    """Two workers (each its own engine, as two processes would have) claim the same tickets
    at the same moment: each ticket has one claimant, one event, one notice; the other is
    told who has it."""
    setup = UnitOfWork(session_factory(engine))
    tickets = [await f.ticket(setup) for _ in range(8)]
    clerks = [await f.staff(setup, "urban", name) for name in ("城管小李", "城管小赵")]
    workers = [create_engine(db_url) for _ in clerks]
    try:

        async def claim(worker: AsyncEngine, clerk: Actor, number: str) -> Actor | str:
            async with UnitOfWork(session_factory(worker)) as own:
                try:
                    await claim_ticket(uow=own, actor=clerk, number=number, now=NOW)
                except AlreadyClaimed as error:
                    return error.by_name
            return clerk

        for ticket in tickets:
            results = await asyncio.gather(
                *(claim(w, c, ticket.number) for w, c in zip(workers, clerks, strict=True))
            )
            winners = [r for r in results if isinstance(r, Actor)]
            assert len(winners) == 1, results
            (told,) = [r for r in results if isinstance(r, str)]
            assert told == winners[0].display_name
            async with setup:
                view = await get_ticket(uow=setup, number=ticket.number)
            assert view.assignee_user_id == winners[0].user_id
            assert (await events(setup, ticket.id)).count(EventKind.CLAIMED) == 1
            assert (await outbox(setup, ticket.number)).count(("resident", "claimed")) == 1
    finally:
        for worker in workers:
            await worker.dispose()
