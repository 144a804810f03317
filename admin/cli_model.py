"""`minyi model …`: train, evaluate and batch-predict with the routing model."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from admin import cli_model_texts as texts
from classifiers.dataset import TextColumns
from classifiers.errors import ClassifierError

if TYPE_CHECKING:
    from classifiers.dataset import LabelledTexts
    from classifiers.model import RoutingModel

# scikit-learn, SciPy, matplotlib and the database layer are imported by the commands that use
# them, not here: `minyi --help` and `minyi model --help` load this module.
app = typer.Typer(help=texts.GROUP_HELP, no_args_is_help=True)

TextColumn = Annotated[str, typer.Option("--text-column", help=texts.OPT_TEXT)]
TitleColumn = Annotated[str | None, typer.Option("--title-column", help=texts.OPT_TITLE)]
BodyColumn = Annotated[str | None, typer.Option("--body-column", help=texts.OPT_BODY)]
LabelColumn = Annotated[str, typer.Option("--label-column", help=texts.OPT_LABEL)]
ModelDir = Annotated[Path, typer.Option("--model", help=texts.OPT_MODEL)]


def _fail(message: str) -> typer.Exit:
    from admin.cli_common import fail

    return fail(message)


def _warn(message: str) -> None:
    typer.secho(texts.WARN.format(message=message), fg=typer.colors.YELLOW)


def _columns(text: str, title: str | None, body: str | None, label: str) -> TextColumns:
    return TextColumns(text=text, title=title, body=body, label=label)


def _load(directory: Path) -> RoutingModel:
    from classifiers.artifact import load_model
    from classifiers.segmentation import initialize

    initialize()
    return load_model(directory)


def default_jobs() -> int:
    """Folds fitted at once by default: one per processor, at most four."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def district_labels(data: LabelledTexts, *, map_names: bool) -> LabelledTexts:
    """The data with its labels checked against the district's departments: refused (one line
    with the fix) when a label is not a code, names mapped to codes when asked, warnings for
    departments without examples and for tiny labels."""
    from admin.cli_common import describe, settings_or_exit
    from classifiers.labels import check_labels, relabel
    from storage.district import read_district
    from storage.errors import DomainError

    settings = settings_or_exit()
    try:
        district = read_district(settings.departments_file)
    except DomainError as error:
        raise _fail(describe(error)) from None
    # Only a department's full name maps to its code: a part of a name (城乡建设 in
    # 住房和城乡建设局) is another taxonomy's label, not this department.
    codes = {d.name: d.code for d in district.departments}
    check = check_labels(data.label_counts(), district.codes, codes.get)
    pairs = "、".join(
        texts.LABEL_PAIR.format(name=name, code=code) for name, code in check.named.items()
    )
    if check.unknown:
        raise _fail(
            texts.LABELS_UNKNOWN.format(
                labels="、".join(check.unknown), codes="、".join(district.codes)
            )
        )
    if check.named and not map_names:
        raise _fail(texts.LABELS_NAMED.format(pairs=pairs))
    if check.named:
        data = relabel(data, check.named)
        typer.echo(texts.LABELS_MAPPED.format(pairs=pairs))
    if check.missing:
        _warn(
            texts.MISSING_DEPARTMENTS.format(
                count=len(check.missing), codes="、".join(check.missing)
            )
        )
    return data


@app.command(help=texts.TRAIN_HELP)
def train(
    data: Annotated[Path, typer.Option("--data", help=texts.OPT_DATA)],
    out: Annotated[Path, typer.Option("--out", help=texts.OPT_OUT_MODEL)],
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
    label_column: LabelColumn = "label",
    folds: Annotated[int, typer.Option(help=texts.OPT_FOLDS)] = 5,
    max_error_rate: Annotated[float, typer.Option(help=texts.OPT_MAX_ERROR)] = 0.05,
    jobs: Annotated[int | None, typer.Option(help=texts.OPT_JOBS)] = None,
    map_names: Annotated[bool, typer.Option("--map-names", help=texts.OPT_MAP_NAMES)] = False,
    any_labels: Annotated[bool, typer.Option("--any-labels", help=texts.OPT_ANY_LABELS)] = False,
) -> None:
    """Train a model from a CSV/XLSX export and save it with its metrics."""
    from admin.cli_progress import training_progress
    from classifiers.artifact import save_model
    from classifiers.dataset import read_labelled_texts
    from classifiers.labels import TINY_LABEL, routes_too_little
    from classifiers.report import format_counts, format_evaluation, format_outcome
    from classifiers.training import MIN_EXAMPLES_PER_LABEL, train_model

    workers = jobs or default_jobs()
    try:
        dataset = read_labelled_texts(
            data, _columns(text_column, title_column, body_column, label_column)
        )
    except ClassifierError as error:
        raise _fail(str(error)) from None
    typer.echo(texts.READ.format(rows=len(dataset.texts), path=data))
    if dataset.skipped_rows:
        typer.echo(texts.SKIPPED.format(count=dataset.skipped_rows))
    typer.echo(texts.COUNTS + "\n" + format_counts(dataset.label_counts()))
    if not any_labels:
        dataset = district_labels(dataset, map_names=map_names)
    tiny = {
        k: v for k, v in dataset.label_counts().items() if MIN_EXAMPLES_PER_LABEL <= v < TINY_LABEL
    }
    if tiny:
        labels = "、".join(f"{k}（{v} 条）" for k, v in tiny.items())
        _warn(texts.TINY_LABELS.format(tiny=TINY_LABEL, labels=labels))
    typer.echo(texts.TRAINING.format(folds=folds, jobs=workers) if folds else texts.TRAINING_NO_CV)
    begin = time.perf_counter()
    try:
        with training_progress() as progress:
            result = train_model(
                dataset,
                cv_folds=folds,
                max_error_rate=max_error_rate,
                sources=({"file": data.name, "sha256": dataset.file_sha256},),
                jobs=workers,
                progress=progress,
            )
        save_model(result.model, out)
    except ClassifierError as error:
        raise _fail(str(error)) from None
    seconds = time.perf_counter() - begin
    if result.dropped_labels:
        dropped = "、".join(f"{k}（{v} 条）" for k, v in result.dropped_labels.items())
        _warn(texts.DROPPED.format(labels=dropped))
    if result.cross_validation is not None:
        typer.echo("\n" + texts.CROSS_VALIDATION)
        typer.echo(format_evaluation(result.cross_validation.evaluation))
    if result.threshold is not None:
        typer.echo(
            "\n"
            + texts.THRESHOLD.format(
                max_error=max_error_rate, outcome=format_outcome(result.threshold)
            )
        )
        if routes_too_little(result.threshold):
            _warn(
                texts.ROUTES_NOTHING.format(
                    value=result.threshold.threshold, share=result.threshold.auto_routed_share
                )
            )
    else:
        _warn(texts.NO_THRESHOLD)
    typer.echo(
        "\n" + texts.SAVED.format(path=out) + "；" + texts.TRAIN_SECONDS.format(seconds=seconds)
    )


@app.command(help=texts.EVALUATE_HELP)
def evaluate(
    model: ModelDir,
    data: Annotated[Path, typer.Option("--data", help=texts.OPT_EVAL_DATA)],
    png: Annotated[Path | None, typer.Option("--png", help=texts.OPT_PNG)] = None,
    threshold: Annotated[float | None, typer.Option(help=texts.OPT_THRESHOLD)] = None,
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
    label_column: LabelColumn = "label",
) -> None:
    """Score a model on labelled data; print the metrics and the routing outcome."""
    from classifiers.dataset import read_labelled_texts
    from classifiers.report import assess, format_evaluation, format_outcome, trained_on

    try:
        routing_model = _load(model)
        dataset = read_labelled_texts(
            data, _columns(text_column, title_column, body_column, label_column), min_labels=1
        )
    except ClassifierError as error:
        raise _fail(str(error)) from None
    if trained_on(routing_model.metadata, dataset):
        _warn(texts.TRAINING_DATA)
    if threshold is None:
        threshold = routing_model.metadata.threshold_suggestion or 0.5
    assessment = assess(routing_model, dataset, threshold=threshold)
    if dataset.skipped_rows:
        typer.echo(texts.SKIPPED.format(count=dataset.skipped_rows))
    typer.echo(format_evaluation(assessment.evaluation))
    typer.echo("\n" + format_outcome(assessment.outcome))
    if png is not None:
        from classifiers.charts import render_confusion_matrix

        render_confusion_matrix(assessment.evaluation, png)
        typer.echo(texts.CHART_WRITTEN.format(path=png))


@app.command(help=texts.PREDICT_HELP)
def predict(
    model: ModelDir,
    input_file: Annotated[Path, typer.Option("--input", help=texts.OPT_INPUT)],
    out: Annotated[Path, typer.Option("--out", help=texts.OPT_OUT_CSV)],
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
) -> None:
    """Write the input rows plus the predicted department, its confidence and the runners-up."""
    from classifiers.dataset import extract_texts, read_table
    from classifiers.report import write_predictions as write_predictions_csv

    try:
        routing_model = _load(model)
        table = read_table(input_file)
        columns = _columns(text_column, title_column, body_column, "label")
        rows = extract_texts(table, columns, source=str(input_file))
    except ClassifierError as error:
        raise _fail(str(error)) from None
    predictions = routing_model.predict_batch(rows)
    write_predictions_csv(out, table, predictions)
    typer.echo(texts.PREDICTED.format(count=len(predictions), path=out))
