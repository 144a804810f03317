"""The routing model: a scikit-learn Pipeline of TF-IDF features and a calibrated linear SVM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifiers.metadata import ModelMetadata
from classifiers.segmentation import normalize, tokenize

__all__ = [
    "ModelConfig",
    "Prediction",
    "RoutingModel",
    "build_pipeline",
]


@dataclass(frozen=True, slots=True)
class Prediction:
    """The department a text is routed to, how sure the model is, and the next candidates."""

    code: str
    confidence: float
    runner_up: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Hyper-parameters of the routing pipeline (chosen by cross-validation, see docs)."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 2
    max_features: int | None = 300_000
    c: float = 0.5
    class_weight: str | None = None
    calibration: str = "sigmoid"
    calibration_folds: int = 5
    random_state: int = 0
    runner_ups: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready data."""
        data = asdict(self)
        data["char_ngrams"] = list(self.char_ngrams)
        data["word_ngrams"] = list(self.word_ngrams)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild a configuration saved by `to_dict`."""
        values = dict(data)
        values["char_ngrams"] = tuple(values.get("char_ngrams", (1, 3)))
        values["word_ngrams"] = tuple(values.get("word_ngrams", (1, 2)))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def build_pipeline(config: ModelConfig, *, calibration_folds: int | None = None) -> Pipeline:
    """Build the untrained pipeline: char and word TF-IDF, calibrated LinearSVC."""
    chars = TfidfVectorizer(
        analyzer="char",
        preprocessor=normalize,
        ngram_range=config.char_ngrams,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    words = TfidfVectorizer(
        analyzer="word",
        preprocessor=normalize,
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=config.word_ngrams,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    folds = calibration_folds or config.calibration_folds
    svm = LinearSVC(C=config.c, class_weight=config.class_weight)
    calibrated = CalibratedClassifierCV(
        svm,
        method=config.calibration,
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.random_state),
        ensemble=False,
    )
    return Pipeline(
        [
            ("features", FeatureUnion([("chars", chars), ("words", words)])),
            ("classifier", calibrated),
        ]
    )


class RoutingModel:
    """A trained pipeline with its metadata; predicts department codes with confidences."""

    def __init__(self, pipeline: Pipeline, metadata: ModelMetadata) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        self.classes_: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self._runner_ups = int(metadata.config.get("runner_ups", 2))

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the department codes the model can predict."""
        return self.classes_

    def probabilities(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Return the class-probability matrix (rows: texts, columns: `labels`)."""
        if not texts:
            return np.zeros((0, len(self.classes_)))
        proba: np.ndarray[Any, np.dtype[np.float64]] = self.pipeline.predict_proba(list(texts))
        return proba

    def predict(self, text: str) -> Prediction:
        """Predict the department of one text."""
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]:
        """Predict the departments of many texts at once (much faster per text)."""
        proba = self.probabilities(texts)
        keep = min(self._runner_ups + 1, len(self.classes_))
        order = np.argsort(-proba, axis=1, kind="stable")[:, :keep]
        predictions = []
        for row, ranks in zip(proba, order, strict=True):
            ranked = [(self.classes_[i], float(row[i])) for i in ranks]
            predictions.append(Prediction(ranked[0][0], ranked[0][1], tuple(ranked[1:])))
        return predictions
