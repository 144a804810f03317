"""Staff, dispatch and supervisor handlers in their Telegram groups."""

from __future__ import annotations

from telegram.ext import Application


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Register every staff-side handler."""
