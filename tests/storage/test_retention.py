"""Retention: `anonymise` removes personal data from old closed tickets, keeps the statistics."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlmodel import col, select
from typer.testing import CliRunner

from admin.cli_reports import anonymise
from storage import database
from storage.district import load_departments, read_district
from storage.metrics import figures
from storage.models import ClosureCode, OutboxMessage, Rating, Resident, Ticket, TicketEvent
from storage.retention import anonymise_closed
from storage.tickets import Draft, open_ticket, rate_ticket, resolve_ticket
from storage.unit_of_work import UnitOfWork
from tests import factories as f
from tests.factories import NOW, POLICY

LATER = NOW + timedelta(days=30)


async def closed_ticket(uow: UnitOfWork, who: f.ResidentRef, *, rating: Rating) -> str:
    """A ticket with phone, address and photos, fixed and rated (with a reason) by `who`."""
    clerk = await f.staff(uow, "urban")
    async with uow:
        ticket = await open_ticket(
            uow=uow,
            resident=who,
            draft=Draft(
                text="荷韵花园门口路灯坏了，我电话13912345678，身份证37080219800101123X",
                address="荷韵花园3栋",
                latitude=35.4,
                longitude=116.6,
                photo_file_ids=("photo-1",),
                phone="13800000000",
                phone_consent=True,
            ),
            prediction=f.prediction("urban"),
            policy=POLICY,
            now=NOW,
        )
    async with uow:
        await resolve_ticket(
            uow=uow,
            actor=clerk,
            number=ticket.number,
            code=ClosureCode.FIXED,
            answer="已修复，已电话13912345678告知",
            now=NOW + timedelta(hours=2),
        )
    async with uow:
        await rate_ticket(
            uow=uow,
            resident_user_id=who.user_id,
            number=ticket.number,
            rating=rating,
            reason="我家住3栋，修得很快",
            policy=POLICY,
            now=NOW + timedelta(hours=3),
        )
    return ticket.number


async def test_dry_run_counts_and_apply_keeps_statistics(uow: UnitOfWork) -> None:
    gone, stays = f.resident("张先生"), f.resident("李女士")
    number = await closed_ticket(uow, gone, rating=Rating.SATISFIED)
    await closed_ticket(uow, stays, rating=Rating.BASICALLY)
    await f.ticket(uow, stays)  # still open: 李女士 keeps her name
    period = {"since": NOW - timedelta(days=1), "until": NOW + timedelta(days=1), "now": LATER}
    async with uow:
        before = await figures(uow=uow, **period)
        plan = await anonymise_closed(uow=uow, closed_before=NOW + timedelta(days=1))
    assert (plan.tickets, plan.phones, plan.places, plan.photos) == (2, 2, 2, 2)
    assert (plan.events, plan.residents, plan.applied) == (2, 1, False)
    async with uow:
        again = await anonymise_closed(uow=uow, closed_before=NOW + timedelta(days=1))
    assert again.tickets == 2  # a dry run changed nothing

    async with uow:
        done = await anonymise_closed(
            uow=uow, closed_before=NOW + timedelta(days=1), apply=True, now=LATER, batch_size=1
        )
    assert (done.tickets, done.applied) == (2, True)
    async with uow:
        ticket = (await uow.session.exec(select(Ticket).where(Ticket.number == number))).one()
        names = {
            r.user_id: r.display_name for r in (await uow.session.exec(select(Resident))).all()
        }
        events = (
            await uow.session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(col(TicketEvent.id))
            )
        ).all()
        payloads = [
            m.payload
            for m in (
                await uow.session.exec(
                    select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
                )
            ).all()
        ]
        after = await figures(uow=uow, **period)
        nothing_left = await anonymise_closed(uow=uow, closed_before=NOW + timedelta(days=1))
    assert (ticket.phone, ticket.address, ticket.latitude, ticket.photo_file_ids) == (
        None,
        None,
        None,
        [],
    )
    # the request's words stay for statistics; numbers typed into it do not
    assert ticket.text == "荷韵花园门口路灯坏了，我电话[电话]，身份证[身份证号]"
    assert (ticket.status, ticket.closure_code, ticket.rating) == ("closed", "fixed", "satisfied")
    assert names[gone.user_id] == ""
    assert names[stays.user_id] == "李女士"
    resolved = next(e for e in events if e.kind == "resolved")
    assert resolved.detail["answer"] == "已修复，已电话[电话]告知"  # staff texts lose numbers too
    rated = next(e for e in events if e.kind == "rated")
    assert rated.detail == {"rating": "satisfied", "anonymised": True}
    assert events[-1].kind == "anonymised"
    assert not any(
        number in str(p)
        for p in payloads
        for number in ("13800000000", "13912345678", "荷韵花园3栋")
    )
    assert after == before  # every metric is unchanged
    assert nothing_left.tickets == 0


def test_cli_dry_run_then_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'retention.sqlite3'}"
    database.upgrade(url)

    async def prepare() -> None:
        engine = database.create_engine(url)
        uow = UnitOfWork(database.session_factory(engine))
        async with uow:
            await load_departments(uow=uow, district=read_district())
        await closed_ticket(uow, f.resident(), rating=Rating.SATISFIED)
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    app = typer.Typer()
    app.command()(anonymise)
    dry_run = runner.invoke(app, ["--closed-before", "2026-12-01"])
    assert dry_run.exit_code == 0, dry_run.output
    assert "尚未匿名化的诉求 1 件" in dry_run.output
    assert "演练模式" in dry_run.output
    applied = runner.invoke(app, ["--closed-before", "2026-12-01", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "已匿名化 1 件诉求" in applied.output
    after = runner.invoke(app, ["--closed-before", "2026-12-01"])
    assert "尚未匿名化的诉求 0 件" in after.output
