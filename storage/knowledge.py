"""The district's knowledge base (question → answer) and the direct answers given from it.

Matching is the classifier's (classifiers.knowledge); this module keeps the entries, imports
and exports them, promotes a good staff answer, and records what residents said to an
answer: 解决了 is 直接答复 (its own figure, never a department's 办结), 转人工 goes on to the
normal intake with the resident's words.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from storage.columns import utcnow
from storage.errors import InvalidInput, PermissionDenied
from storage.members import Actor
from storage.models import DirectAnswer, KnowledgeEntry, Status
from storage.redaction import mask_personal_numbers
from storage.rows import ticket_row
from storage.unit_of_work import UnitOfWork

DEFAULT_BASE = Path(__file__).with_name("knowledge.toml")
SOLVED = "solved"
HUMAN = "human"


@dataclass(frozen=True, slots=True)
class EntryView:
    """One question and its answer."""

    id: int
    question: str
    answer: str
    source: str


def phrasings(question: str) -> list[str]:
    """An entry's ways of asking its question: one a line, the first shown to people."""
    return [line.strip() for line in question.splitlines() if line.strip()]


def read_base(path: Path = DEFAULT_BASE) -> list[tuple[str, str]]:
    """(question, answer) pairs from a TOML file of [[entry]] tables; an entry's further
    phrasings (`questions = [...]`) follow its `question`, one a line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        pairs = [
            (
                "\n".join(
                    p.strip() for p in [str(e["question"]), *map(str, e.get("questions", []))]
                ).strip(),
                str(e["answer"]).strip(),
            )
            for e in data["entry"]
        ]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise InvalidInput(f"not a knowledge base file: {path} ({error})") from None
    if any(not q or not a for q, a in pairs):
        raise InvalidInput(f"an entry without a question or an answer in {path}")
    return pairs


def dump_base(entries: Sequence[EntryView]) -> str:
    """The entries as a TOML file `read_base` reads back."""
    lines: list[str] = []
    for entry in entries:
        first, *more = phrasings(entry.question) or [entry.question]
        lines += ["[[entry]]", f"question = {_toml_string(first)}"]
        if more:
            lines.append(f"questions = [{', '.join(_toml_string(q) for q in more)}]")
        lines += [f"answer = {_toml_string(entry.answer)}", ""]
    return "\n".join(lines)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


async def import_entries(
    *, uow: UnitOfWork, pairs: Sequence[tuple[str, str]], source: str = "file"
) -> int:
    """Add the entries whose question the base does not have yet; returns how many."""
    known = set((await uow.session.exec(select(KnowledgeEntry.question))).all())
    added = 0
    for question, answer in pairs:
        if question in known:
            continue
        uow.session.add(KnowledgeEntry(question=question, answer=answer, source=source))
        known.add(question)
        added += 1
    await uow.commit()
    return added


async def list_entries(*, uow: UnitOfWork) -> list[EntryView]:
    """Every entry, oldest first."""
    rows = await uow.session.exec(select(KnowledgeEntry).order_by(col(KnowledgeEntry.id)))
    return [EntryView(r.id or 0, r.question, r.answer, r.source) for r in rows.all()]


async def base_version(*, uow: UnitOfWork) -> tuple[int, int]:
    """(entries, newest id): changes whenever an entry is added or removed."""
    count, newest = (
        await uow.session.exec(select(func.count(), func.max(KnowledgeEntry.id)))
    ).one()
    return int(count), int(newest or 0)


async def promote_answer(*, uow: UnitOfWork, actor: Actor, number: str) -> EntryView:
    """One button: a resolved ticket's answer becomes an entry (its text the question)."""
    ticket = await ticket_row(uow, number, lock=False)
    if not actor.may_work_on(ticket.department_code):
        raise PermissionDenied("promote")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or not (ticket.answer or "").strip():
        raise InvalidInput("only a resolved ticket with an answer can be promoted")
    exists = (
        await uow.session.exec(select(KnowledgeEntry).where(KnowledgeEntry.ticket_id == ticket.id))
    ).first()
    if exists is not None:
        raise InvalidInput("this answer is already in the knowledge base")
    row = KnowledgeEntry(  # a resident's words become the district's: no personal numbers
        question=mask_personal_numbers(ticket.text),
        answer=mask_personal_numbers((ticket.answer or "").strip()),
        source="promoted",
        ticket_id=ticket.id,
        actor_user_id=actor.user_id,
    )
    uow.session.add(row)
    await uow.flush()
    view = EntryView(row.id or 0, row.question, row.answer, row.source)
    await uow.commit()
    return view


async def record_direct_answer(
    *,
    uow: UnitOfWork,
    resident_user_id: int,
    entry_id: int,
    text: str,
    score: float,
    now: datetime | None = None,
) -> tuple[int, str]:
    """The bot answers a question from the base: (the answer's id, the entry's answer)."""
    entry = await uow.session.get(KnowledgeEntry, entry_id)
    if entry is None:
        raise InvalidInput("no such knowledge entry")
    row = DirectAnswer(
        entry_id=entry_id,
        resident_user_id=resident_user_id,
        text=text.strip(),
        score=score,
        created_at=now or utcnow(),
    )
    uow.session.add(row)
    await uow.flush()
    assert row.id is not None
    answer_id = row.id
    await uow.commit()
    return answer_id, entry.answer


async def settle_direct_answer(
    *,
    uow: UnitOfWork,
    answer_id: int,
    resident_user_id: int,
    solved: bool,
    now: datetime | None = None,
) -> str:
    """解决了 or 转人工, once, by the resident it was given to; returns their words."""
    row = await uow.session.get(DirectAnswer, answer_id)
    if row is None or row.resident_user_id != resident_user_id:
        raise PermissionDenied("direct answer")
    if row.outcome is not None:
        raise InvalidInput("this answer was settled already")
    row.outcome = SOLVED if solved else HUMAN
    row.decided_at = now or utcnow()
    uow.session.add(row)
    text = row.text
    await uow.commit()
    return text


async def direct_answers(*, uow: UnitOfWork, since: datetime, until: datetime) -> int:
    """直接答复: questions the knowledge base answered and residents marked 解决了 in
    [since, until); counted apart from every department's 办结."""
    count = await uow.session.exec(
        select(func.count())
        .select_from(DirectAnswer)
        .where(
            col(DirectAnswer.decided_at) >= since,
            col(DirectAnswer.decided_at) < until,
            DirectAnswer.outcome == SOLVED,
        )
    )
    return int(count.one())
