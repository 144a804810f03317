"""The `minyi` console script: admin's commands plus `run` (bot) and `demo`/`sandbox` (tools)."""

from __future__ import annotations

import os

from admin.cli import app
from bot.cli import run
from sandbox.cli import demo, sandbox

app.command("run")(run)
app.command("demo")(demo)
app.command("sandbox")(sandbox)


def main() -> None:
    """Entry point of the `minyi` command."""
    # RetryAfter.retry_after as a timedelta (PTB 22's announced default), without its warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    app()
