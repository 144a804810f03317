"""Run the `minyi` command line in-process, as the console script does, on a fresh folder
(fixtures `workdir` and `minyi`, registered in tests/conftest.py)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ENVIRONMENT = ("TELEGRAM_", "MINYI_", "DATABASE_")


@dataclass(frozen=True)
class Outcome:
    """What one command printed and how it ended."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        """Non-empty lines on stderr."""
        return [line for line in self.err.splitlines() if line.strip()]


Minyi = Callable[..., Outcome]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no .env and none of the program's variables set."""
    for name in list(os.environ):
        if name.startswith(ENVIRONMENT):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def minyi(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Minyi:
    """`minyi ARGS…` in-process: its exit code, stdout and stderr (callable from a thread)."""

    from admin.cli_common import invoke
    from minyi.cli import app  # the whole command line, imported only where it is used

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            code = invoke(app, list(args))
        finally:  # commands set up logging on a stream that capsys is about to close
            for handler in set(root.handlers) - set(handlers):
                root.removeHandler(handler)
            root.setLevel(level)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run
