"""`minyi demo` and `minyi sandbox`: the tools' commands (registered in minyi/cli.py)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer

from bot.logs import configure_logging
from sandbox.demo import play
from sandbox.terminal import INTERRUPTED, run_sandbox


def demo(
    workdir: Annotated[Path, typer.Option(help="where the demo database and chart go")] = Path(
        "data/demo"
    ),
) -> None:
    """Play the whole product once, with no token and no network, and print the conversation."""
    configure_logging(logging.WARNING)
    chart = asyncio.run(play(workdir=workdir))
    typer.echo(f"完成。日报图表：{chart}")


def sandbox(
    workdir: Annotated[Path, typer.Option(help="where the sandbox database and images go")] = Path(
        "data/sandbox"
    ),
) -> None:
    """Try the bot in the terminal, no token needed: type as a resident, `:help` for roles."""
    configure_logging(logging.ERROR)
    try:
        asyncio.run(run_sandbox(workdir=workdir))
    except KeyboardInterrupt:
        typer.echo(f"\n{INTERRUPTED}")
