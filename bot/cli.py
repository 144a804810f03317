"""`minyi check` and `minyi run`: the preflight, then the bot against Telegram (the `minyi`
command is assembled in minyi/cli.py)."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlparse

import typer

from admin import cli_help_texts as help_texts
from admin import cli_texts as texts
from admin.cli_common import EDGE, fail, say_error, settings_or_exit
from bot.app import POLLING_KEY, HealthPort, build_application
from bot.logs import configure_logging
from bot.preflight import Finding, Level, Preflight


class TelegramErrorsInOneLine(logging.Filter):
    """python-telegram-bot logs a network failure with its traceback (at start-up, while
    polling); the operator gets the error in the same line instead, the traceback with --debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Fold the exception into the message of a record from python-telegram-bot."""
        if record.exc_info and record.name.startswith("telegram") and not EDGE.debug:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(error).__name__}: {error})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def _print(finding: Finding) -> None:
    colour = {Level.OK: typer.colors.GREEN, Level.WARN: typer.colors.YELLOW}.get(finding.level)
    typer.secho(
        finding.line, fg=colour or (typer.colors.RED if finding.level == Level.FAIL else None)
    )


def _print_for_run(finding: Finding) -> None:
    """`run` says what it checked on stdout; the failure that stops it is its one line on stderr."""
    if finding.level == Level.FAIL:
        typer.secho(finding.line, err=True, fg=typer.colors.RED)
    else:
        _print(finding)


def _can_listen(listen: str, port: int) -> bool:
    """Whether the port is free to serve on (checked before start-up, for a one-line error)."""
    try:
        with socket.create_server((listen, port)):
            return True
    except OSError:
        return False


def check() -> None:
    """逐项检查 `minyi run` 需要的一切，每项一行（✓ / ⚠ / ✗）；有 ✗ 时退出码为 1。"""
    settings = settings_or_exit()
    report = Preflight(settings, for_run=False, emit=_print).run()
    failures, warnings = report.count(Level.FAIL), report.count(Level.WARN)
    if failures:
        say_error(texts.CHECK_FAILED.format(count=failures))
        raise typer.Exit(code=1)
    if warnings:
        typer.echo(texts.CHECK_PASSED_WARNINGS.format(count=warnings))
    else:
        typer.echo(texts.CHECK_PASSED)


def run(
    webhook_url: str = typer.Option("", help=help_texts.WEBHOOK_URL),
    listen: str = typer.Option("0.0.0.0", help=help_texts.LISTEN),
    port: int = typer.Option(8443, help=help_texts.PORT),
    secret: str = typer.Option("", envvar="MINYI_WEBHOOK_SECRET", help=help_texts.SECRET),
    health_port: int = typer.Option(0, help=help_texts.HEALTH_PORT),
) -> None:
    """连接 Telegram（或 TELEGRAM_API_BASE_URL）运行机器人：先检查并迁移数据库，再开始接收消息。"""
    settings = settings_or_exit()
    if webhook_url and not secret:
        raise fail("MINYI_WEBHOOK_SECRET: webhook 模式需要一个密钥 (webhook mode needs a secret)")
    if health_port and not _can_listen(listen, health_port):
        raise fail(texts.HEALTH_PORT_BUSY.format(port=health_port))
    report = Preflight(settings, for_run=True, emit=_print_for_run).run()
    if report.failed:
        raise typer.Exit(code=1)
    if report.count(Level.WARN):
        typer.echo(texts.RUN_WARNINGS.format(count=report.count(Level.WARN)))
    configure_logging().addFilter(TelegramErrorsInOneLine())
    health = HealthPort(port=health_port, listen=listen) if health_port else None
    application = build_application(settings, health=health)
    if webhook_url:
        application.run_webhook(
            listen=listen,
            port=port,
            url_path=urlparse(webhook_url).path.lstrip("/"),
            webhook_url=webhook_url,
            secret_token=secret,
        )
    else:
        application.bot_data[POLLING_KEY] = True
        application.run_polling()
