"""The `minyi` console script: admin's commands plus `run` (bot) and `demo`/`sandbox` (tools).

A command's module is imported when that command runs, not when `minyi` starts: the bot, the
database layer, the emulator and the training stack take seconds to import, and `minyi run`
should not carry the others. `minyi --help` lists the commands from `COMMANDS` (one line each,
as pip's command table does); tests/cli/test_commands.py checks it against the commands.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a command of `minyi` is defined, and the line `minyi --help` shows for it."""

    module: str
    attribute: str  # a command function, or a typer.Typer holding a group of commands
    summary: str


# In the order `minyi --help` lists them: the commands, then the groups.
COMMANDS: dict[str, Entry] = {
    "anonymise": Entry(
        "admin.cli_reports",
        "anonymise",
        "Remove residents' personal data from tickets closed before a day (dry run by default).",
    ),
    "check": Entry(
        "bot.cli",
        "check",
        "Check everything `minyi run` needs, one line each (✓ / ⚠ / ✗); exit 1 on any ✗.",
    ),
    "run": Entry(
        "bot.cli",
        "run",
        "Run the bot against Telegram (or TELEGRAM_API_BASE_URL): check and migrate, then poll.",
    ),
    "demo": Entry(
        "sandbox.cli",
        "demo",
        "Play the whole product once, with no token and no network, and print the conversation.",
    ),
    "sandbox": Entry(
        "sandbox.cli",
        "sandbox",
        "Try the bot in the terminal, no token needed: type as a resident, `:help` for roles.",
    ),
    "db": Entry("admin.cli", "db_app", "数据库: init / upgrade"),
    "departments": Entry("admin.cli", "departments_app", "部门: load / bind / list"),
    "members": Entry(
        "admin.cli", "members_app", "人员与角色: add / remove / set-role / list / history"
    ),
    # admin.cli_retrain adds `model retrain` to admin.cli_model's group.
    "model": Entry("admin.cli_retrain", "model_app", "分类模型: train / evaluate / predict"),
    "templates": Entry("admin.cli_templates", "templates_app", "答复模板: list / add / remove"),
    "knowledge": Entry("admin.cli_knowledge", "knowledge_app", "知识库: import / export / list"),
    # admin.cli_register adds `export register` to admin.cli_reports' group.
    "export": Entry("admin.cli_register", "export_app", "导出: tickets / digest / register"),
    "import": Entry("admin.cli_register", "import_app", "导入: register"),
}


def load_command(name: str) -> Any:
    """Import the command `name` and build it as Typer builds a command of a parent app."""
    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    holder = typer.Typer()
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


class _Listed(TyperCommand):
    """A command as `minyi --help` lists it, before its module is imported."""


class Commands(TyperGroup):
    """The root group: lists every command, imports one only when it is resolved to run."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name=name, help=entry.summary))

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """Swap the listing's placeholder for the real command before it is looked up."""
        if args and args[0] in COMMANDS and isinstance(self.commands[args[0]], _Listed):
            self.commands[args[0]] = load_command(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=Commands, help="民意直通车 — 运维命令 (operator commands)", no_args_is_help=True
)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="出错时显示完整 traceback (show tracebacks)")
    ] = False,
) -> None:
    """民意直通车 — 运维命令 (operator commands)."""
    from admin.cli_common import EDGE  # a command runs: its edge is loaded anyway

    EDGE.debug = debug


def main(args: Sequence[str] | None = None) -> None:
    """Entry point of the `minyi` command: every failure is one line on stderr."""
    # RetryAfter.retry_after as a timedelta (PTB 22's announced default), without its warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    argv = list(sys.argv[1:] if args is None else args)
    if not argv or argv[0] in ("--help", "-h"):  # the listing imports no command
        app(args=argv, prog_name="minyi")
        return
    from admin.cli_common import invoke

    sys.exit(invoke(app, argv))
