"""Assessing a trained model on labelled data, and plain-text reports for the CLI."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from classifiers.confidence import RoutingOutcome, routing_outcome
from classifiers.dataset import LabelledTexts, Table
from classifiers.evaluation import Evaluation, evaluate
from classifiers.metadata import ModelMetadata
from classifiers.model import Prediction, RoutingModel

__all__ = [
    "Assessment",
    "assess",
    "format_counts",
    "format_evaluation",
    "format_outcome",
    "trained_on",
    "write_predictions",
]

# The columns `minyi model predict` adds, named as `minyi export tickets` names them.
PREDICTED = "系统预测部门"
CONFIDENCE = "预测置信度"
RUNNERS_UP = "备选部门"


@dataclass(frozen=True, slots=True)
class Assessment:
    """A model's scores on labelled data and its routing outcome at a threshold."""

    evaluation: Evaluation
    outcome: RoutingOutcome
    predictions: tuple[Prediction, ...]


def assess(model: RoutingModel, data: LabelledTexts, *, threshold: float) -> Assessment:
    """Predict every labelled text and score the predictions and the threshold."""
    predictions = model.predict_batch(data.texts)
    predicted = [p.code for p in predictions]
    labels = sorted(set(model.labels) | set(data.labels))
    evaluation = evaluate(list(data.labels), predicted, labels)
    correct = [p == t for p, t in zip(predicted, data.labels, strict=True)]
    outcome = routing_outcome([p.confidence for p in predictions], correct, threshold)
    return Assessment(evaluation, outcome, tuple(predictions))


def trained_on(metadata: ModelMetadata, data: LabelledTexts) -> bool:
    """Whether labelled data is the model's own training data (by the hashes metadata.json
    records: the file's, or the rows' after reading)."""
    files = {source.get("sha256") for source in metadata.training_sources}
    if data.file_sha256 and data.file_sha256 in files:
        return True
    return bool(metadata.training_data_sha256) and data.sha256() == metadata.training_data_sha256


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_counts(counts: Mapping[str, int]) -> str:
    """Render label counts, one per line."""
    width = max((_width(k) for k in counts), default=0) + 2
    return "\n".join(f"  {_pad(label, width)}{n:>6}" for label, n in counts.items())


def format_evaluation(evaluation: Evaluation) -> str:
    """Render accuracy, macro-F1, the per-label table and the confusion matrix (in Chinese)."""
    width = max([_width(s.label) for s in evaluation.per_label] + [8]) + 2
    lines = [
        f"样本数：{evaluation.n_samples}",
        f"准确率：{evaluation.accuracy:.4f}",
        f"宏平均 F1 (macro-F1)：{evaluation.macro_f1:.4f}",
        "",
        f"  {_pad('部门代码', width)}{_pad('精确率', 10)}{_pad('召回率', 10)}{_pad('F1', 8)}样本数",
    ]
    for s in evaluation.per_label:
        lines.append(
            f"  {_pad(s.label, width)}{s.precision:<10.4f}{s.recall:<10.4f}{s.f1:<8.4f}{s.support}"
        )
    cell = max([len(str(v)) for row in evaluation.confusion for v in row] + [3]) + 2
    lines += ["", "混淆矩阵（行：实际部门，列：预测部门，按上表序号）"]
    codes = [str(i) for i in range(len(evaluation.labels))]
    lines.append(f"  {_pad('', width + 4)}" + "".join(f"{c:>{cell}}" for c in codes))
    for i, (label, row) in enumerate(zip(evaluation.labels, evaluation.confusion, strict=True)):
        prefix = f"  {_pad(label, width)}{i:>4}"
        lines.append(prefix + "".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)


def format_outcome(outcome: RoutingOutcome) -> str:
    """Render the auto-routed share and the error rate among auto-routed items at a threshold."""
    return (
        f"阈值 {outcome.threshold:.2f}：自动交办 {outcome.auto_routed}/{outcome.total}"
        f"（{outcome.auto_routed_share:.1%}），其中分错 {outcome.errors}"
        f"（{outcome.error_rate:.1%}）；转调度中心 {outcome.total - outcome.auto_routed}"
    )


def _runner_up(prediction: Prediction) -> str:
    return ";".join(f"{code}:{p:.3f}" for code, p in prediction.runner_up)


def write_predictions(path: Path, table: Table, predictions: Sequence[Prediction]) -> Path:
    """Write the input rows plus the predicted department, its confidence and the runners-up
    (UTF-8 with BOM)."""
    added = (PREDICTED, CONFIDENCE, RUNNERS_UP)
    columns = [c for c in table.columns if c not in added] + list(added)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The BOM lets Excel open the Chinese text correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row, prediction in zip(table.rows, predictions, strict=True):
            writer.writerow(
                {
                    **row,
                    PREDICTED: prediction.code,
                    CONFIDENCE: f"{prediction.confidence:.4f}",
                    RUNNERS_UP: _runner_up(prediction),
                }
            )
    return path
