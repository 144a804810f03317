"""`minyi demo` and `minyi sandbox`: the tools' commands (registered in minyi/cli.py)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from admin import cli_help_texts as help_texts
from bot.logs import configure_logging
from sandbox.demo import play
from sandbox.terminal import INTERRUPTED, run_sandbox


def demo(
    workdir: Annotated[Path, typer.Option(help=help_texts.DEMO_WORKDIR)] = Path("data/demo"),
) -> None:
    """不要 token、不联网，把整个流程演示一遍并打印对话。"""
    configure_logging(logging.WARNING)
    chart = asyncio.run(play(workdir=workdir))
    typer.echo(f"完成。日报图表：{chart}")


def sandbox(
    workdir: Annotated[Path, typer.Option(help=help_texts.SANDBOX_WORKDIR)] = Path("data/sandbox"),
) -> None:
    """在终端里试用机器人，不要 token：以居民身份输入，输入 :help 查看可扮演的角色。"""
    configure_logging(logging.ERROR)
    try:
        asyncio.run(run_sandbox(workdir=workdir))
    except KeyboardInterrupt:
        typer.echo(f"\n{INTERRUPTED}")
