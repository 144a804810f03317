"""Training: cross-validate the pipeline, pick a threshold suggestion, fit on all data.

Every text is read and segmented once (`term_counts`); the folds and the final fit reuse the
counts, and the folds' out-of-fold decisions calibrate the final model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from classifiers.confidence import RoutingOutcome, choose_threshold
from classifiers.dataset import LabelledTexts
from classifiers.errors import TooFewLabelsError
from classifiers.evaluation import Evaluation, evaluate
from classifiers.features import normalize_texts
from classifiers.metadata import ModelMetadata
from classifiers.model import RoutingModel
from classifiers.pipeline import (
    ModelConfig,
    build_linear,
    build_pipeline,
    feature_specs,
    feature_union,
)
from classifiers.scorer import calibrate, calibration_parameters
from classifiers.segmentation import initialize
from classifiers.term_counts import BlockCounts, BlockFit, BlockSpec, count_blocks

__all__ = [
    "CrossValidation",
    "Progress",
    "Stage",
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


class Stage(StrEnum):
    """The steps of training a progress display shows."""

    COUNT = "count"  # reading every text's terms once (one tick per text)
    FOLD = "fold"  # one cross-validation fit (one tick per fold)
    FINAL = "final"  # the final fit on all the data (one tick)


Progress = Callable[[Stage, int, int], None]  # (stage, done so far, total)


@dataclass(frozen=True, slots=True)
class _Fitted:
    """The linear model and its feature blocks, fitted on some rows."""

    blocks: tuple[BlockFit, ...]
    linear: Any


def _features(counts: Sequence[BlockCounts], fits: Sequence[BlockFit], rows: Any) -> Any:
    from scipy import sparse

    parts = [
        fit.transform(block, rows) * block.spec.weight
        for block, fit in zip(counts, fits, strict=True)
    ]
    return sparse.hstack(parts).tocsr()


def _fit(config: ModelConfig, counts: Sequence[BlockCounts], rows: Any, labels: Any) -> _Fitted:
    fits = tuple(block.fit(rows) for block in counts)
    linear = build_linear(config).fit(_features(counts, fits, rows), labels)
    return _Fitted(fits, linear)


def _decisions(fitted: _Fitted, counts: Sequence[BlockCounts], rows: Any) -> Any:
    decision = fitted.linear.decision_function(_features(counts, fitted.blocks, rows))
    return decision.reshape(-1, 1) if decision.ndim == 1 else decision


def _calibrator(linear: Any, decisions: Any, labels: Any, method: str) -> Any:
    """Fit scikit-learn's own calibrator on out-of-fold decisions, as CalibratedClassifierCV
    does with its inner folds' decisions (ensemble=False)."""
    from sklearn.calibration import _fit_calibrator
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder().fit(labels)
    if linear is None:  # only the calibration is wanted: a stand-in that answers as the model
        linear = SimpleNamespace(classes_=encoder.classes_, decision_function=np.asarray)
    targets = encoder.transform(labels) if method == "temperature" else np.asarray(labels)
    return _fit_calibrator(linear, decisions, targets, encoder.classes_, method, xp=np)


@dataclass(frozen=True, slots=True)
class _OutOfFold:
    """Each row's decision values from the fold that did not see it."""

    decisions: np.ndarray[Any, np.dtype[np.float64]]
    fold_of: np.ndarray[Any, np.dtype[np.intp]]
    folds: int


def _out_of_fold(
    config: ModelConfig,
    counts: Sequence[BlockCounts],
    labels: np.ndarray[Any, Any],
    folds: int,
    jobs: int,
    progress: Progress | None,
    *,
    final: bool = False,
) -> tuple[_OutOfFold, _Fitted | None]:
    """The folds' out-of-fold decisions and, when `final`, the fit on all rows, which needs
    nothing from the folds: with several jobs it runs beside them (started first, the
    biggest)."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.random_state)
    splits = list(splitter.split(np.zeros(len(labels)), labels))
    n_classes = len(set(labels.tolist()))
    decisions = np.zeros((len(labels), 1 if n_classes == 2 else n_classes))
    fold_of = np.zeros(len(labels), dtype=np.intp)
    whole: list[_Fitted] = []
    done = 0

    def one(index: int) -> Stage:
        if index < 0:
            whole.append(_fit(config, counts, None, labels))
            return Stage.FINAL
        train, test = splits[index]
        fitted = _fit(config, counts, train, labels[train])
        decisions[test] = _decisions(fitted, counts, test)
        fold_of[test] = index
        return Stage.FOLD

    def heard(stage: Stage) -> None:
        nonlocal done
        if stage == Stage.FOLD:
            done += 1
        if progress is not None and stage == Stage.FOLD:
            progress(stage, done, folds)
        elif progress is not None:
            progress(stage, 1, 1)

    order = list(range(folds))
    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        # scikit-learn's and SciPy's sparse arithmetic releases the GIL: threads share the counts.
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, i) for i in ([-1] if final else []) + order]
            for future in as_completed(futures):
                heard(future.result())
    else:
        for index in order + ([-1] if final else []):
            heard(one(index))
    return _OutOfFold(decisions, fold_of, folds), (whole[0] if whole else None)


def _cross_fitted_probabilities(
    oof: _OutOfFold, labels: np.ndarray[Any, Any], method: str
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Out-of-fold probabilities, each fold calibrated on the other folds' decisions only."""
    n_classes = len(set(labels.tolist()))
    probabilities = np.zeros((len(labels), n_classes))
    for index in range(oof.folds):
        mine = oof.fold_of == index
        member = _calibrator(None, oof.decisions[~mine], labels[~mine], method)
        probabilities[mine] = calibrate(oof.decisions[mine], method, calibration_parameters(member))
    return probabilities


def _specs(config: ModelConfig) -> list[BlockSpec]:
    weights = {"title": float(config.title_weight or 1.0)}
    return [
        BlockSpec(name, analyzer, part, vectorizer, weights.get(name, 1.0))
        for name, analyzer, part, vectorizer in feature_specs(config)
    ]


def _count(
    texts: Sequence[str], config: ModelConfig, progress: Progress | None
) -> list[BlockCounts]:
    total = len(texts)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None and (done % 500 == 0 or done == total):
            progress(Stage.COUNT, done, total)

    return count_blocks(normalize_texts(texts), _specs(config), progress=tick)


def _assemble(
    config: ModelConfig, fitted: _Fitted, member: Any, calibration_folds: int
) -> Pipeline:
    """The fitted Pipeline `build_pipeline` describes, from parts fitted here."""
    pipeline = build_pipeline(config, calibration_folds=calibration_folds)
    names = [name for name, _, _, _ in feature_specs(config)]
    vectorizers = {name: fit.vectorizer for name, fit in zip(names, fitted.blocks, strict=True)}
    union = feature_union(config, vectorizers)
    for _, branch in union.transformer_list:
        if hasattr(branch, "steps"):
            branch.steps[0][1].fit([""])  # the first-line step holds no state
    pipeline.steps[1] = ("features", union)
    pipeline.steps[0][1].fit([""])
    calibrated = pipeline.named_steps["classifier"]
    calibrated.classes_ = member.classes
    calibrated.calibrated_classifiers_ = [member]
    calibrated.n_features_in_ = fitted.linear.n_features_in_
    return pipeline


def _cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    config: ModelConfig,
    *,
    folds: int,
    jobs: int,
    progress: Progress | None,
    final: bool = False,
) -> tuple[list[BlockCounts], _OutOfFold, CrossValidation, _Fitted | None]:
    counts = _count(texts, config, progress)
    y = np.asarray(labels, dtype=object)
    oof, fitted = _out_of_fold(config, counts, y, folds, jobs, progress, final=final)
    classes = tuple(sorted(set(labels)))
    probabilities = _cross_fitted_probabilities(oof, y, config.calibration)
    predicted = tuple(classes[i] for i in probabilities.argmax(axis=1))
    validation = CrossValidation(
        folds=folds,
        classes=classes,
        probabilities=probabilities,
        predicted=predicted,
        evaluation=evaluate(list(labels), predicted, classes),
    )
    return counts, oof, validation, fitted


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    config: ModelConfig | None = None,
    *,
    folds: int = 5,
    jobs: int = 1,
    progress: Progress | None = None,
) -> CrossValidation:
    """Return out-of-fold probabilities and scores of the pipeline on labelled texts.

    Each text's terms are counted once; each fold fits the TF-IDF blocks and the linear model
    on its training rows only, and its probabilities come from a calibration fitted on the
    other folds' out-of-fold decisions.
    """
    config = config or ModelConfig()
    initialize()
    outer, _ = _fold_counts(labels, folds)
    return _cross_validate(texts, labels, config, folds=outer, jobs=jobs, progress=progress)[2]


def _drop_rare(data: LabelledTexts, minimum: int) -> tuple[list[str], list[str], dict[str, int]]:
    counts = Counter(data.labels)
    rare = {label: n for label, n in counts.items() if n < minimum}
    keep = [(t, lab) for t, lab in zip(data.texts, data.labels, strict=True) if lab not in rare]
    remaining = sorted({lab for _, lab in keep})
    if len(remaining) < 2:
        aside = "、".join(f"{k} {v} 条" for k, v in rare.items())
        raise TooFewLabelsError(
            f"{data.source or '训练数据'}：去掉样本少于 {minimum} 条的标签（{aside}）后"
            f"只剩 {len(remaining)} 个标签；分派模型至少需要两个部门的样本"
        )
    return [t for t, _ in keep], [lab for _, lab in keep], rare


def train_model(
    data: LabelledTexts,
    config: ModelConfig | None = None,
    *,
    cv_folds: int = 5,
    max_error_rate: float = 0.05,
    sources: Sequence[dict[str, str]] = (),
    jobs: int = 1,
    progress: Progress | None = None,
) -> TrainingResult:
    """Cross-validate, suggest a threshold, then fit the final model on all the data.

    The folds' out-of-fold decisions serve twice: for the metrics and the threshold, and as
    the final model's calibration data (what CalibratedClassifierCV's inner folds computed
    again before). Labels with fewer than three examples are set aside and reported in
    `dropped_labels`. `cv_folds=0` reports no metrics and no threshold suggestion (the
    calibration still uses a few folds). `jobs` fits that many folds at once.
    """
    config = config or ModelConfig()
    initialize()
    texts, labels, dropped = _drop_rare(data, MIN_EXAMPLES_PER_LABEL)
    outer, inner = _fold_counts(labels, cv_folds or 1 << 30)
    folds = outer if cv_folds else min(inner, config.calibration_folds)
    _, oof, cv, fitted = _cross_validate(
        texts, labels, config, folds=folds, jobs=jobs, progress=progress, final=True
    )
    validation = cv if cv_folds else None
    threshold = None
    if validation is not None:
        correct = [p == t for p, t in zip(validation.predicted, labels, strict=True)]
        threshold = choose_threshold(
            validation.confidences.tolist(), correct, max_error_rate=max_error_rate
        )
    if fitted is None:  # final=True always fits it
        raise RuntimeError("the final fit did not run")
    y = np.asarray(labels, dtype=object)
    member = _calibrator(fitted.linear, oof.decisions, y, config.calibration)
    pipeline = _assemble(config, fitted, member, folds)
    counts_by_label = Counter(labels)
    metadata = ModelMetadata(
        labels=tuple(str(c) for c in pipeline.classes_),
        label_counts={label: counts_by_label[label] for label in sorted(counts_by_label)},
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
