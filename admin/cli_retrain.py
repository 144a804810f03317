"""`minyi model retrain`: fold the stored corrections into the base data and compare."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from admin.cli_model import app as model_app
from classifiers.dataset import LabelledTexts, TextColumns, read_labelled_texts
from classifiers.errors import ClassifierError

if TYPE_CHECKING:
    from classifiers.evaluation import Evaluation


def _line(name: str, evaluation: Evaluation | None) -> str:
    if evaluation is None:
        return f"{name}: —"
    return f"{name}: accuracy {evaluation.accuracy:.4f} · macro-F1 {evaluation.macro_f1:.4f}"


@model_app.command("retrain")
def retrain(
    base_data: Annotated[Path, typer.Option("--base-data", help="原训练数据 CSV/XLSX")],
    out: Annotated[Path, typer.Option("--out", help="新模型目录 output directory")],
    model: Annotated[
        Path | None, typer.Option("--model", help="当前模型 (默认 MINYI_MODEL)")
    ] = None,
    text_column: Annotated[str, typer.Option("--text-column")] = "text",
    label_column: Annotated[str, typer.Option("--label-column")] = "label",
) -> None:
    """Add dispatcher and staff corrections to the base data, retrain, print before/after."""
    # The database and the training stack load here, not with the `minyi model` commands.
    from admin.cli_common import fail, run_with_uow, settings_or_exit
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
    typer.echo(f"原数据 base: {len(base.texts)} 条；人工纠正 corrections: {len(pairs)} 条")
    try:
        result = compare(base=base, corrections=corrections, current=current)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"\n留出评估 held-out: {result.held_out} 条（其中纠正 {result.held_out_corrections} 条）"
    )
    typer.echo(_line("当前模型 before", result.before))
    typer.echo(_line("新模型   after ", result.after))
    if result.held_out_corrections:
        typer.echo(_line("纠正样本上 before", result.before_on_corrections))
        typer.echo(_line("纠正样本上 after ", result.after_on_corrections))
    final = train_model(combine(base, corrections), cv_folds=5)
    save_model(final.model, out)
    typer.echo(f"\n新模型已保存 saved to {out}；确认更好后把 MINYI_MODEL 指向它并重启。")
