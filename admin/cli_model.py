"""`minyi model …`: train, evaluate and batch-predict with the routing model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from classifiers.dataset import TextColumns
from classifiers.errors import ClassifierError

if TYPE_CHECKING:
    from classifiers.model import RoutingModel

# scikit-learn, SciPy and matplotlib are imported by the commands that use them, not here:
# `minyi run` and `minyi --help` load this module too.
app = typer.Typer(help="分类模型: train / evaluate / predict", no_args_is_help=True)

TextColumn = Annotated[str, typer.Option("--text-column", help="正文列 text column")]
TitleColumn = Annotated[
    str | None, typer.Option("--title-column", help="标题列 (与 --body-column 拼接)")
]
BodyColumn = Annotated[str | None, typer.Option("--body-column", help="内容列 body column")]
LabelColumn = Annotated[str, typer.Option("--label-column", help="标签列 label column")]
ModelDir = Annotated[Path, typer.Option("--model", help="模型目录 model directory")]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"错误: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


def _columns(text: str, title: str | None, body: str | None, label: str) -> TextColumns:
    return TextColumns(text=text, title=title, body=body, label=label)


def _load(directory: Path) -> RoutingModel:
    from classifiers.artifact import load_model
    from classifiers.segmentation import initialize

    initialize()
    return load_model(directory)


@app.command()
def train(
    data: Annotated[Path, typer.Option("--data", help="训练数据 CSV/XLSX")],
    out: Annotated[Path, typer.Option("--out", help="输出模型目录 output directory")],
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
    label_column: LabelColumn = "label",
    folds: Annotated[int, typer.Option(help="交叉验证折数 (0 = 不做)")] = 5,
    max_error_rate: Annotated[float, typer.Option(help="建议阈值的最大误分率")] = 0.05,
) -> None:
    """Train a model from a CSV/XLSX export and save it with its metrics."""
    from classifiers.artifact import save_model
    from classifiers.dataset import read_labelled_texts
    from classifiers.report import format_counts, format_evaluation, format_outcome
    from classifiers.training import train_model

    try:
        dataset = read_labelled_texts(
            data, _columns(text_column, title_column, body_column, label_column)
        )
        typer.echo(f"读取 read {len(dataset.texts)} 条 rows from {data}")
        if dataset.skipped_rows:
            typer.echo(f"跳过 skipped {dataset.skipped_rows} 条 (正文或标签为空 empty text/label)")
        typer.echo("各标签样本数 examples per label:\n" + format_counts(dataset.label_counts()))
        typer.echo(f"训练中 training ({folds}-fold cross-validation)…")
        result = train_model(
            dataset,
            cv_folds=folds,
            max_error_rate=max_error_rate,
            sources=({"file": data.name, "sha256": dataset.file_sha256},),
        )
        save_model(result.model, out)
    except ClassifierError as error:
        raise _fail(str(error)) from None
    if result.dropped_labels:
        dropped = ", ".join(f"{k} ({v})" for k, v in result.dropped_labels.items())
        typer.secho(f"样本过少、未参与训练 set aside (too few examples): {dropped}", fg="yellow")
    if result.cross_validation is not None:
        typer.echo("\n交叉验证 cross-validation:")
        typer.echo(format_evaluation(result.cross_validation.evaluation))
    if result.threshold is not None:
        typer.echo(
            f"\n建议阈值 suggested threshold (误分率 ≤ {max_error_rate:.0%}): "
            + format_outcome(result.threshold)
        )
    typer.echo(f"\n模型已保存 saved to {out}")


@app.command()
def evaluate(
    model: ModelDir,
    data: Annotated[Path, typer.Option("--data", help="带标签的评估数据 CSV/XLSX")],
    png: Annotated[Path | None, typer.Option("--png", help="混淆矩阵图片 PNG")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="分派阈值 (默认: 模型建议值 / 0.5)")
    ] = None,
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
    label_column: LabelColumn = "label",
) -> None:
    """Score a model on labelled data; print the metrics and the routing outcome."""
    from classifiers.dataset import read_labelled_texts
    from classifiers.report import assess, format_evaluation, format_outcome

    try:
        routing_model = _load(model)
        dataset = read_labelled_texts(
            data, _columns(text_column, title_column, body_column, label_column), min_labels=1
        )
    except ClassifierError as error:
        raise _fail(str(error)) from None
    if threshold is None:
        threshold = routing_model.metadata.threshold_suggestion or 0.5
    assessment = assess(routing_model, dataset, threshold=threshold)
    if dataset.skipped_rows:
        typer.echo(f"跳过 skipped {dataset.skipped_rows} 条 (正文或标签为空 empty text/label)")
    typer.echo(format_evaluation(assessment.evaluation))
    typer.echo("\n" + format_outcome(assessment.outcome))
    if png is not None:
        from classifiers.charts import render_confusion_matrix

        render_confusion_matrix(assessment.evaluation, png)
        typer.echo(f"混淆矩阵图 confusion matrix written to {png}")


@app.command()
def predict(
    model: ModelDir,
    input_file: Annotated[Path, typer.Option("--input", help="待分类数据 CSV/XLSX")],
    out: Annotated[Path, typer.Option("--out", help="输出 CSV")],
    text_column: TextColumn = "text",
    title_column: TitleColumn = None,
    body_column: BodyColumn = None,
) -> None:
    """Write the input rows plus predicted, confidence and runner_up columns."""
    from classifiers.dataset import extract_texts, read_table
    from classifiers.report import write_predictions as write_predictions_csv

    try:
        routing_model = _load(model)
        table = read_table(input_file)
        columns = _columns(text_column, title_column, body_column, "label")
        texts = extract_texts(table, columns, source=str(input_file))
    except ClassifierError as error:
        raise _fail(str(error)) from None
    predictions = routing_model.predict_batch(texts)
    write_predictions_csv(out, table, predictions)
    typer.echo(f"已写入 wrote {len(predictions)} 条 predictions to {out}")
