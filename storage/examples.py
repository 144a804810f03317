"""Labelled examples from human corrections (dispatcher assignments, staff reassignments)."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import LabelledExample
from storage.unit_of_work import UnitOfWork


async def correction_examples(*, uow: UnitOfWork) -> list[tuple[str, str]]:
    """(text, label) of every correction, the latest label winning for a repeated text."""
    rows = await uow.session.exec(
        select(LabelledExample.text, LabelledExample.label).order_by(col(LabelledExample.id))
    )
    latest: dict[str, str] = {}
    for text, label in rows.all():
        latest[text] = label
    return list(latest.items())
