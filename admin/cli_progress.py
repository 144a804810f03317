"""Progress the operator sees while a long command works: rich bars on stderr, in a terminal.

Typer already brings rich. Outside a terminal (a pipe, a log file, cron) nothing is drawn, so
what a command prints stays what scripts read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from admin import cli_model_texts as texts

if TYPE_CHECKING:  # the training stack loads only in the commands that train
    from classifiers.training import Stage

__all__ = ["counter", "progress_display", "training_progress"]


def _progress() -> Progress:
    console = Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_interactive,
    )


@contextmanager
def progress_display() -> Iterator[Progress]:
    """A progress display for the length of a `with` block (drawn only in a terminal)."""
    progress = _progress()
    with progress:
        yield progress


@contextmanager
def training_progress() -> Iterator[Callable[[Stage, int, int], None]]:
    """A callback for `train_model(progress=…)` drawing one bar per stage of training."""
    names = {
        "count": texts.PROGRESS_COUNT,
        "fold": texts.PROGRESS_FOLDS,
        "final": texts.PROGRESS_FINAL,
    }
    following = {"count": "fold", "fold": "final"}
    tasks: dict[str, TaskID] = {}
    with progress_display() as progress:

        def hear(stage: Stage, done: int, total: int) -> None:
            key = str(stage)
            if key not in tasks:
                tasks[key] = progress.add_task(names[key], total=total)
            progress.update(tasks[key], completed=done, total=total)
            after = following.get(key)
            if done >= total and after is not None and after not in tasks:
                tasks[after] = progress.add_task(names[after], total=None)

        yield hear


@contextmanager
def counter(description: str) -> Iterator[Callable[[int], None]]:
    """A running count with no known total (rows written, tickets changed)."""
    with progress_display() as progress:
        task = progress.add_task(description, total=None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        yield advance
