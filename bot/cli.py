"""`minyi run`: the bot against Telegram (the `minyi` command is assembled in minyi/cli.py)."""

from __future__ import annotations

from urllib.parse import urlparse

import typer

from admin.cli_common import fail, settings_or_exit
from admin.settings import SettingsError
from bot.app import build_application
from bot.logs import configure_logging
from storage import database


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
