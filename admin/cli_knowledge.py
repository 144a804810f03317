"""`minyi knowledge import|export|list`: the district's knowledge base (知识库) for operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from admin import cli_help_texts as help_texts
from admin import cli_texts as texts
from admin.cli_common import run_with_uow, settings_or_exit
from storage.knowledge import (
    DEFAULT_BASE,
    dump_base,
    import_entries,
    list_entries,
    phrasings,
    read_base,
)
from storage.unit_of_work import UnitOfWork

__all__ = ["knowledge_app"]

knowledge_app = typer.Typer(help=help_texts.KNOWLEDGE, no_args_is_help=True)


@knowledge_app.command("import", help=help_texts.KNOWLEDGE_IMPORT)
def knowledge_import(
    file: Annotated[
        Path | None, typer.Argument(help="知识库 TOML 文件（默认：自带的默认知识库）")
    ] = None,
) -> None:
    """Add the entries of a file whose questions the base does not have yet."""
    settings = settings_or_exit()
    pairs = read_base(file or DEFAULT_BASE)

    async def work(uow: UnitOfWork) -> tuple[int, int]:
        added = await import_entries(uow=uow, pairs=pairs)
        return added, len(await list_entries(uow=uow))

    added, count = run_with_uow(settings, work)
    typer.echo(texts.KNOWLEDGE_IMPORTED.format(added=added, total=len(pairs), count=count))


@knowledge_app.command("export", help=help_texts.KNOWLEDGE_EXPORT)
def knowledge_export(file: Annotated[Path, typer.Argument(help="写入的 TOML 文件")]) -> None:
    """Write every entry to a file `minyi knowledge import` reads back."""
    settings = settings_or_exit()
    entries = run_with_uow(settings, lambda uow: list_entries(uow=uow))
    file.write_text(dump_base(entries), encoding="utf-8")
    typer.echo(texts.KNOWLEDGE_EXPORTED.format(count=len(entries), path=file))


@knowledge_app.command("list", help=help_texts.KNOWLEDGE_LIST)
def knowledge_list() -> None:
    """List the entries' questions."""
    settings = settings_or_exit()
    entries = run_with_uow(settings, lambda uow: list_entries(uow=uow))
    if not entries:
        typer.echo(texts.KNOWLEDGE_NONE)
    for entry in entries:
        typer.echo(
            texts.KNOWLEDGE_LINE.format(
                id=entry.id, source=entry.source, question=phrasings(entry.question)[0]
            )
        )
