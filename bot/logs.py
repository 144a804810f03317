"""Logging for the bot: our own events at INFO, HTTP libraries quiet, secrets redacted."""

from __future__ import annotations

import logging
import re
from typing import TextIO

from storage.redaction import MOBILE

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "httpcore", "telegram.ext.ExtBot", "apscheduler")
# Bot tokens (123456:ABC…) and mainland mobile numbers, wherever they might slip into a message.
TOKEN = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    """Mask bot tokens and phone numbers in a text."""
    return MOBILE.sub("[phone]", TOKEN.sub("[token]", text))


class RedactingFormatter(logging.Formatter):
    """Formats a record (message, arguments, traceback) and masks secrets in the result."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, redacted."""
        return redact(super().format(record))


def configure_logging(level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """One redacting handler on the root logger; HTTP libraries at WARNING."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
