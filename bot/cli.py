"""The `minyi` console script: the operator's commands plus running the bot."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import typer

from admin.cli import app
from admin.cli_common import fail, settings_or_exit
from admin.settings import SettingsError
from bot.app import build_application
from bot.logs import configure_logging
from sandbox.demo import play
from sandbox.terminal import INTERRUPTED, run_sandbox
from storage import database


@app.command("run")
def run(
    webhook_url: str = typer.Option(
        "", help="serve a webhook at this public URL instead of polling"
    ),
    listen: str = typer.Option("0.0.0.0", help="webhook listen address"),
    port: int = typer.Option(8443, help="webhook port"),
    secret: str = typer.Option("", envvar="MINYI_WEBHOOK_SECRET", help="webhook secret token"),
) -> None:
    """Run the bot against Telegram (or TELEGRAM_API_BASE_URL): migrate, then poll."""
    settings = settings_or_exit()
    try:
        settings.require_token()
    except SettingsError as error:
        raise fail(str(error)) from None
    configure_logging()
    database.upgrade(settings.database_url)
    application = build_application(settings)
    if webhook_url:
        if not secret:
            raise fail("MINYI_WEBHOOK_SECRET: webhook mode needs a secret token")
        application.run_webhook(
            listen=listen,
            port=port,
            url_path=urlparse(webhook_url).path.lstrip("/"),
            webhook_url=webhook_url,
            secret_token=secret,
        )
    else:
        application.run_polling()


@app.command("demo")
def demo(
    workdir: Annotated[Path, typer.Option(help="where the demo database and chart go")] = Path(
        "data/demo"
    ),
) -> None:
    """Play the whole product once, with no token and no network, and print the conversation."""
    configure_logging(logging.WARNING)
    chart = asyncio.run(play(workdir=workdir))
    typer.echo(f"完成。日报图表：{chart}")


@app.command("sandbox")
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


def main() -> None:
    """Entry point of the `minyi` command."""
    # RetryAfter.retry_after as a timedelta (PTB 22's announced default), without its warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    app()
