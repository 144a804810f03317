"""`minyi model retrain`: fold the stored corrections into the base data and compare."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from admin import cli_model_texts as texts
from admin.cli_model import app as model_app
from classifiers.dataset import LabelledTexts, TextColumns, read_labelled_texts
from classifiers.errors import ClassifierError

if TYPE_CHECKING:
    from classifiers.evaluation import Evaluation


def _line(name: str, evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return texts.RETRAIN_NONE.format(name=name)
    return texts.RETRAIN_LINE.format(
        name=name, accuracy=evaluation.accuracy, macro_f1=evaluation.macro_f1
    )


@model_app.command("retrain", help=texts.RETRAIN_HELP)
def retrain(
    base_data: Annotated[Path, typer.Option("--base-data", help=texts.OPT_BASE_DATA)],
    out: Annotated[Path, typer.Option("--out", help=texts.OPT_OUT_MODEL)],
    model: Annotated[Path | None, typer.Option("--model", help=texts.OPT_CURRENT_MODEL)] = None,
    text_column: Annotated[str, typer.Option("--text-column", help=texts.OPT_TEXT)] = "text",
    label_column: Annotated[str, typer.Option("--label-column", help=texts.OPT_LABEL)] = "label",
) -> None:
    """Add dispatcher and staff corrections to the base data, retrain, print before/after."""
    # The database and the training stack load here, not with the `minyi model` commands.
    from admin.cli_common import fail, run_with_uow, settings_or_exit
    from admin.cli_model import default_jobs
    from admin.cli_progress import training_progress
    from classifiers.artifact import load_model, save_model
    from classifiers.retraining import combine, compare
    from classifiers.segmentation import initialize
    from classifiers.training import train_model
    from storage.examples import correction_examples

    settings = settings_or_exit()
    pairs = run_with_uow(settings, lambda uow: correction_examples(uow=uow))
    try:
        base = read_labelled_texts(base_data, TextColumns(text=text_column, label=label_column))
        initialize()
        current = load_model(model or settings.model_dir)
    except ClassifierError as error:
        raise fail(str(error)) from None
    corrections = LabelledTexts(tuple(t for t, _ in pairs), tuple(label for _, label in pairs))
    typer.echo(texts.RETRAIN_COUNTS.format(base=len(base.texts), corrections=len(pairs)))
    try:
        result = compare(base=base, corrections=corrections, current=current)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(
        "\n"
        + texts.RETRAIN_HELD_OUT.format(
            held_out=result.held_out, corrections=result.held_out_corrections
        )
    )
    typer.echo(_line(texts.RETRAIN_BEFORE, result.before))
    typer.echo(_line(texts.RETRAIN_AFTER, result.after))
    if result.held_out_corrections:
        typer.echo(_line(texts.RETRAIN_BEFORE_CORRECTIONS, result.before_on_corrections))
        typer.echo(_line(texts.RETRAIN_AFTER_CORRECTIONS, result.after_on_corrections))
    with training_progress() as progress:
        final = train_model(
            combine(base, corrections), cv_folds=5, jobs=default_jobs(), progress=progress
        )
    save_model(final.model, out)
    typer.echo("\n" + texts.RETRAIN_SAVED.format(path=out))
