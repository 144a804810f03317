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
        "删除某日之前已关闭诉求中居民的个人信息（默认只演练，加 --apply 才执行）。",
    ),
    "check": Entry(
        "bot.cli",
        "check",
        "逐项检查 `minyi run` 需要的一切，每项一行（✓ / ⚠ / ✗）；有 ✗ 时退出码为 1。",
    ),
    "run": Entry(
        "bot.cli",
        "run",
        "连接 Telegram（或 TELEGRAM_API_BASE_URL）运行机器人：先检查并迁移数据库，再开始接收消息。",
    ),
    "demo": Entry("sandbox.cli", "demo", "不要 token、不联网，把整个流程演示一遍并打印对话。"),
    "sandbox": Entry(
        "sandbox.cli",
        "sandbox",
        "在终端里试用机器人，不要 token：以居民身份输入，输入 :help 查看可扮演的角色。",
    ),
    "db": Entry("admin.cli", "db_app", "数据库：初始化 init / 迁移 upgrade"),
    "departments": Entry(
        "admin.cli", "departments_app", "部门：载入 load / 绑定工作群 bind / 列表 list"
    ),
    "members": Entry(
        "admin.cli",
        "members_app",
        "人员与角色：添加 add / 移除 remove / 改角色 set-role / 列表 list / 变动记录 history",
    ),
    # admin.cli_retrain adds `model retrain` to admin.cli_model's group.
    "model": Entry(
        "admin.cli_retrain",
        "model_app",
        "分类模型：训练 train / 评估 evaluate / 批量预测 predict / 重新训练 retrain",
    ),
    # admin.cli_register adds `export register` to admin.cli_reports' group.
    "export": Entry(
        "admin.cli_register",
        "export_app",
        "导出：诉求明细 tickets / 日报 digest / 诉求台账 register",
    ),
    "templates": Entry(
        "admin.cli_templates", "templates_app", "答复模板：列表 list / 添加 add / 删除 remove"
    ),
    "knowledge": Entry(
        "admin.cli_knowledge", "knowledge_app", "知识库：导入 import / 导出 export / 列表 list"
    ),
    "import": Entry("admin.cli_register", "import_app", "导入：诉求台账 register"),
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


app = typer.Typer(cls=Commands, help="民意直通车运维命令", no_args_is_help=True)


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="出错时显示完整的 traceback（排查问题用）")
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
