"""The command line's edge: errors described in one line, never with the token."""

from __future__ import annotations

import io
import logging
import sys

from telegram.error import BadRequest, InvalidToken, NetworkError, TimedOut

from admin.cli_common import describe
from admin.settings import redact
from bot.cli import TelegramErrorsInOneLine
from bot.logs import FORMAT, RedactingFormatter

TOKEN = "123456789:AAAAbbbbCCCCddddEEEEffffGGGG"


def test_a_token_is_masked_wherever_it_appears() -> None:
    text = f"POST https://api.telegram.org/bot{TOKEN}/getMe failed"
    assert redact(text) == "POST https://api.telegram.org/bot[token]/getMe failed"


def test_telegram_failures_are_named_by_what_to_do() -> None:
    rejected = describe(InvalidToken(f"The token `{TOKEN}` was rejected by the server."))
    assert "Telegram 拒绝了 TELEGRAM_BOT_TOKEN" in rejected
    assert TOKEN not in rejected
    assert "连不上 Telegram" in describe(NetworkError("httpx.ConnectError: refused"))
    assert "连不上 Telegram" in describe(TimedOut())
    assert "Telegram 拒绝了请求" in describe(BadRequest("Chat not found"))


def test_an_unexpected_error_points_at_debug() -> None:
    line = describe(RuntimeError("boom\nsecond line"))
    assert line.startswith("意外错误 RuntimeError: boom")
    assert "--debug" in line
    assert "\n" not in line


def test_python_telegram_bot_logs_a_failure_in_one_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(FORMAT))
    handler.addFilter(TelegramErrorsInOneLine())
    logger = logging.getLogger("telegram.ext.Updater.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise NetworkError(f"httpx.ConnectError at /bot{TOKEN}/getUpdates")
    except NetworkError:
        logger.exception("Failed run number %s", 3, exc_info=sys.exc_info())
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert len(logged.strip().splitlines()) == 1
    assert "Failed run number 3 (NetworkError: httpx.ConnectError at /bot[token]/" in logged
    assert "Traceback" not in logged
