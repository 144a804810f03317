"""Training: cross-validate the pipeline, pick a threshold suggestion, fit on all data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from classifiers.confidence import RoutingOutcome, choose_threshold
from classifiers.dataset import LabelledTexts
from classifiers.errors import TooFewLabelsError
from classifiers.evaluation import Evaluation, evaluate
from classifiers.metadata import ModelMetadata
from classifiers.model import RoutingModel
from classifiers.pipeline import ModelConfig, build_pipeline
from classifiers.segmentation import initialize

__all__ = [
    "CrossValidation",
    "TrainingResult",
    "cross_validate",
    "train_model",
]

MIN_EXAMPLES_PER_LABEL = 3


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Out-of-fold predictions of a configuration and their evaluation."""

    folds: int
    classes: tuple[str, ...]
    probabilities: np.ndarray[Any, np.dtype[np.float64]]
    predicted: tuple[str, ...]
    evaluation: Evaluation

    @property
    def confidences(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Return the top probability of each out-of-fold prediction."""
        result: np.ndarray[Any, np.dtype[np.float64]] = self.probabilities.max(axis=1)
        return result


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """A trained model, its cross-validation, and the suggested dispatch threshold."""

    model: RoutingModel
    cross_validation: CrossValidation | None
    threshold: RoutingOutcome | None
    dropped_labels: dict[str, int]


def _fold_counts(labels: Sequence[str], folds: int) -> tuple[int, int]:
    """Return (outer folds, calibration folds) that every label can fill."""
    smallest = min(Counter(labels).values())
    outer = max(2, min(folds, smallest))
    inner_smallest = smallest - -(-smallest // outer)  # rows of the rarest label in a fit set
    return outer, max(2, min(5, inner_smallest))


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    config: ModelConfig | None = None,
    *,
    folds: int = 5,
) -> CrossValidation:
    """Return out-of-fold probabilities and scores of the pipeline on labelled texts."""
    config = config or ModelConfig()
    initialize()
    outer, inner = _fold_counts(labels, folds)
    x = np.asarray(texts, dtype=object)
    y = np.asarray(labels, dtype=object)
    classes = tuple(sorted(set(labels)))
    probabilities = np.zeros((len(texts), len(classes)))
    splitter = StratifiedKFold(n_splits=outer, shuffle=True, random_state=config.random_state)
    template = build_pipeline(config, calibration_folds=inner)
    for train_index, test_index in splitter.split(x, y):
        pipeline = clone(template).fit(list(x[train_index]), list(y[train_index]))
        fold_proba = pipeline.predict_proba(list(x[test_index]))
        columns = [classes.index(str(c)) for c in pipeline.classes_]
        probabilities[np.ix_(test_index, columns)] = fold_proba
    predicted = tuple(classes[i] for i in probabilities.argmax(axis=1))
    return CrossValidation(
        folds=outer,
        classes=classes,
        probabilities=probabilities,
        predicted=predicted,
        evaluation=evaluate(list(labels), predicted, classes),
    )


def _drop_rare(data: LabelledTexts, minimum: int) -> tuple[list[str], list[str], dict[str, int]]:
    counts = Counter(data.labels)
    rare = {label: n for label, n in counts.items() if n < minimum}
    keep = [(t, lab) for t, lab in zip(data.texts, data.labels, strict=True) if lab not in rare]
    remaining = sorted({lab for _, lab in keep})
    if len(remaining) < 2:
        raise TooFewLabelsError(
            f"{data.source or 'training data'}: after setting aside labels with fewer than "
            f"{minimum} examples ({', '.join(f'{k}: {v}' for k, v in rare.items())}), "
            f"{len(remaining)} label(s) remain; a routing model needs at least two."
        )
    return [t for t, _ in keep], [lab for _, lab in keep], rare


def train_model(
    data: LabelledTexts,
    config: ModelConfig | None = None,
    *,
    cv_folds: int = 5,
    max_error_rate: float = 0.05,
    sources: Sequence[dict[str, str]] = (),
) -> TrainingResult:
    """Cross-validate, suggest a threshold, then fit the final model on all the data.

    Labels with fewer than three examples are set aside and reported in `dropped_labels`.
    `cv_folds=0` skips cross-validation (no metrics, no threshold suggestion).
    """
    config = config or ModelConfig()
    initialize()
    texts, labels, dropped = _drop_rare(data, MIN_EXAMPLES_PER_LABEL)
    validation = cross_validate(texts, labels, config, folds=cv_folds) if cv_folds else None
    threshold = None
    if validation is not None:
        correct = [p == t for p, t in zip(validation.predicted, labels, strict=True)]
        threshold = choose_threshold(
            validation.confidences.tolist(), correct, max_error_rate=max_error_rate
        )
    _, inner = _fold_counts(labels, 1 << 30)
    pipeline = build_pipeline(config, calibration_folds=min(inner, config.calibration_folds))
    pipeline.fit(list(texts), list(labels))
    counts = Counter(labels)
    metadata = ModelMetadata(
        labels=tuple(str(c) for c in pipeline.classes_),
        label_counts={label: counts[label] for label in sorted(counts)},
        n_samples=len(texts),
        training_data_sha256=LabelledTexts(tuple(texts), tuple(labels)).sha256(),
        cv_folds=validation.folds if validation else 0,
        cv_accuracy=round(validation.evaluation.accuracy, 4) if validation else None,
        cv_macro_f1=round(validation.evaluation.macro_f1, 4) if validation else None,
        cv_per_label_f1=(
            {k: round(v, 4) for k, v in validation.evaluation.f1_by_label().items()}
            if validation
            else {}
        ),
        threshold_suggestion=threshold.threshold if threshold else None,
        threshold_max_error_rate=max_error_rate if threshold else None,
        threshold_auto_routed_share=round(threshold.auto_routed_share, 4) if threshold else None,
        threshold_error_rate=round(threshold.error_rate, 4) if threshold else None,
        skipped_rows=data.skipped_rows,
        dropped_labels=dropped,
        training_sources=tuple(sources),
        config=config.to_dict(),
    )
    model = RoutingModel.from_pipeline(pipeline, metadata)
    return TrainingResult(model, validation, threshold, dropped)
