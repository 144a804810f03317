"""Per-department standard answers (答复口径): kept here, offered to staff as buttons, inserted
as an editable draft. Nothing here sends anything: a template reaches a resident only through
the clerk's confirmed 办结 (storage.tickets.resolve_ticket)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.errors import InvalidInput
from storage.models import ClosureCode, ReplyTemplate
from storage.rows import department_row
from storage.unit_of_work import UnitOfWork

MAX_TITLE_CHARS = 32
MAX_TEXT_CHARS = 3000  # leaves room in one Telegram message for the 办结 wording around it


@dataclass(frozen=True, slots=True)
class TemplateView:
    """A standard answer as the outside sees it."""

    id: int
    department_code: str
    title: str
    text: str
    closure_code: ClosureCode | None

    @classmethod
    def of(cls, row: ReplyTemplate) -> TemplateView:
        """The view of a row."""
        assert row.id is not None
        code = ClosureCode(row.closure_code) if row.closure_code else None
        return cls(row.id, row.department_code, row.title, row.text, code)


async def add_template(
    *,
    uow: UnitOfWork,
    department_code: str,
    title: str,
    text: str,
    closure_code: ClosureCode | None = None,
    actor_user_id: int | None = None,
) -> TemplateView:
    """Add a department's standard answer (titles are unique within a department)."""
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise InvalidInput("a template needs a title and a text")
    if len(title) > MAX_TITLE_CHARS or len(text) > MAX_TEXT_CHARS:
        raise InvalidInput("template too long")
    if closure_code == ClosureCode.NOT_OURS or closure_code == ClosureCode.DUPLICATE:
        raise InvalidInput("a template answers the resident: 已解决, 已答复 or 无法联系")
    department = await department_row(uow, department_code)
    row = ReplyTemplate(
        department_code=department.code,
        title=title,
        text=text,
        closure_code=closure_code.value if closure_code else None,
        actor_user_id=actor_user_id,
    )
    uow.session.add(row)
    try:
        await uow.flush()
    except IntegrityError:
        raise InvalidInput("a template with that title exists") from None
    view = TemplateView.of(row)
    await uow.commit()
    return view


async def list_templates(
    *, uow: UnitOfWork, department_code: str | None = None
) -> list[TemplateView]:
    """A department's standard answers (every department's with None), by title."""
    query = select(ReplyTemplate).order_by(
        col(ReplyTemplate.department_code), col(ReplyTemplate.title)
    )
    if department_code is not None:
        query = query.where(ReplyTemplate.department_code == department_code)
    return [TemplateView.of(row) for row in (await uow.session.exec(query)).all()]


async def get_template(*, uow: UnitOfWork, template_id: int) -> TemplateView | None:
    """One standard answer, or None if it was removed."""
    row = await uow.session.get(ReplyTemplate, template_id)
    return TemplateView.of(row) if row is not None else None


async def remove_template(
    *, uow: UnitOfWork, template_id: int, department_code: str | None = None
) -> bool:
    """Remove a standard answer (only from `department_code`, when given); whether it existed."""
    row = await uow.session.get(ReplyTemplate, template_id)
    if row is None or (department_code is not None and row.department_code != department_code):
        return False
    await uow.session.delete(row)
    await uow.commit()
    return True
