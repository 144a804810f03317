"""The `minyi` console script: operator commands plus running the bot."""

from __future__ import annotations

from admin.cli import app


def main() -> None:
    """Entry point of the `minyi` command."""
    app()
