"""Evaluation of predictions: accuracy, macro-F1, per-label scores and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Evaluation",
    "LabelScore",
    "evaluate",
]


@dataclass(frozen=True, slots=True)
class LabelScore:
    """Precision, recall, F1 and support of one label."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How well predicted labels match the true ones."""

    labels: tuple[str, ...]
    accuracy: float
    macro_f1: float
    per_label: tuple[LabelScore, ...]
    confusion: tuple[tuple[int, ...], ...]

    @property
    def n_samples(self) -> int:
        """Return the number of evaluated items."""
        return sum(sum(row) for row in self.confusion)

    def f1_by_label(self) -> dict[str, float]:
        """Return each label's F1."""
        return {score.label: score.f1 for score in self.per_label}


def evaluate(
    true: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None
) -> Evaluation:
    """Compare predictions with true labels; rows/columns of the matrix follow `labels`."""
    # Here, not at import: `minyi model predict` reaches this module and never scores.
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} true labels but {len(predicted)} predictions")
    if labels is None:
        labels = sorted(set(true) | set(predicted))
    names = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        true, predicted, labels=names, zero_division=0
    )
    # Macro-F1 over the labels present in the truth, so an unused model label does not count.
    present = [i for i, count in enumerate(support) if count > 0]
    macro = float(sum(f1[i] for i in present) / len(present)) if present else 0.0
    matrix = confusion_matrix(true, predicted, labels=names)
    return Evaluation(
        labels=tuple(names),
        accuracy=float(accuracy_score(true, predicted)) if len(true) else 0.0,
        macro_f1=macro,
        per_label=tuple(
            LabelScore(name, float(p), float(r), float(f), int(s))
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        ),
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
    )
