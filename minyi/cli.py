"""The `minyi` console script: admin's commands plus `run` (bot) and `demo`/`sandbox` (tools)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from admin.cli import app
from admin.cli_common import invoke
from bot.cli import check, run
from sandbox.cli import demo, sandbox

app.command("check")(check)
app.command("run")(run)
app.command("demo")(demo)
app.command("sandbox")(sandbox)


def main(args: Sequence[str] | None = None) -> None:
    """Entry point of the `minyi` command: every failure is one line on stderr."""
    # RetryAfter.retry_after as a timedelta (PTB 22's announced default), without its warning.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    sys.exit(invoke(app, args))
