"""`minyi templates list|add|remove`: departments' standard answers (答复口径) for operators."""

from __future__ import annotations

from typing import Annotated

import typer

from admin import cli_help_texts as help_texts
from admin import cli_texts as texts
from admin.arguments import closure_code, department_code
from admin.cli_common import fail, run_with_uow, settings_or_exit
from storage.district import read_district
from storage.models import ClosureCode
from storage.templates import add_template, list_templates, remove_template
from storage.vocabulary import closure_name

__all__ = ["templates_app"]

templates_app = typer.Typer(help=help_texts.TEMPLATES, no_args_is_help=True)


def _code(word: str) -> str:
    """A department code from its code or Chinese name (an unknown word is refused later)."""
    district = read_district(settings_or_exit().departments_file)
    return department_code(word, {d.code: d.name for d in district.departments}) or word.strip()


@templates_app.command("list", help=help_texts.TEMPLATES_LIST)
def templates_list(
    department: Annotated[str | None, typer.Argument(help="部门代码或名称")] = None,
) -> None:
    """List the standard answers (of one department)."""
    settings = settings_or_exit()
    code = _code(department) if department else None
    rows = run_with_uow(settings, lambda uow: list_templates(uow=uow, department_code=code))
    if not rows:
        typer.echo(texts.TEMPLATES_NONE)
    for row in rows:
        closure = texts.TEMPLATE_CODE.format(code=closure_name(row.closure_code))
        typer.echo(
            texts.TEMPLATE_LINE.format(
                id=row.id,
                department=row.department_code,
                title=row.title,
                code=closure if row.closure_code else "",
                text=" ".join(row.text.split())[:60],
            )
        )


@templates_app.command("add", help=help_texts.TEMPLATES_ADD)
def templates_add(
    department: Annotated[str, typer.Argument(help="部门代码或名称")],
    title: Annotated[str, typer.Argument(help="标题（按钮上显示）")],
    text: Annotated[str, typer.Argument(help="答复内容")],
    code: Annotated[
        str | None, typer.Option("--code", help="办结类型：已解决 / 已答复 / 无法联系")
    ] = None,
) -> None:
    """Add a standard answer to a department."""
    settings = settings_or_exit()
    closure: ClosureCode | None = None
    if code is not None:
        closure = closure_code(code)
        if closure is None or closure in (ClosureCode.NOT_OURS, ClosureCode.DUPLICATE):
            raise fail(texts.TEMPLATE_BAD_CODE.format(code=code[:20]))
    code_ = _code(department)
    existing = run_with_uow(settings, lambda uow: list_templates(uow=uow, department_code=code_))
    if any(t.title == title.strip() for t in existing):
        raise fail(texts.TEMPLATE_EXISTS.format(title=title.strip(), department=code_))
    view = run_with_uow(
        settings,
        lambda uow: add_template(
            uow=uow,
            department_code=code_,
            title=title,
            text=text,
            closure_code=closure,
        ),
    )
    typer.echo(
        texts.TEMPLATE_ADDED.format(id=view.id, title=view.title, department=view.department_code)
    )


@templates_app.command("remove", help=help_texts.TEMPLATES_REMOVE)
def templates_remove(template_id: Annotated[int, typer.Argument(help="模板编号")]) -> None:
    """Remove a standard answer."""
    settings = settings_or_exit()
    removed = run_with_uow(settings, lambda uow: remove_template(uow=uow, template_id=template_id))
    if not removed:
        raise fail(texts.TEMPLATE_MISSING.format(id=template_id))
    typer.echo(texts.TEMPLATE_REMOVED.format(id=template_id))
