"""The routing model as the bot uses it: department codes with confidences and runner-ups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from classifiers.metadata import ModelMetadata
from classifiers.scorer import Float64Array, LinearScorer

__all__ = [
    "Classifier",
    "Prediction",
    "RoutingModel",
]


@dataclass(frozen=True, slots=True)
class Prediction:
    """The department a text is routed to, how sure the model is, and the next candidates."""

    code: str
    confidence: float
    runner_up: tuple[tuple[str, float], ...] = ()


class Classifier(Protocol):
    """Anything that predicts a department for a text (the real model, or a test fake)."""

    def predict(self, text: str) -> Prediction:
        """The most likely department, its probability and the runners-up."""
        ...


class RoutingModel:
    """A compiled scorer with its metadata; predicts department codes with confidences.

    `pipeline` is the fitted scikit-learn Pipeline when the model was just trained or loaded
    with `load_model(..., pipeline=True)`; serving never needs it.
    """

    def __init__(
        self, scorer: LinearScorer, metadata: ModelMetadata, pipeline: Any | None = None
    ) -> None:
        self.scorer = scorer
        self.metadata = metadata
        self.pipeline = pipeline
        self.classes_: tuple[str, ...] = scorer.classes
        self._runner_ups = int(metadata.config.get("runner_ups", 2))

    @classmethod
    def from_pipeline(cls, pipeline: Any, metadata: ModelMetadata) -> RoutingModel:
        """Wrap a fitted pipeline, compiling its scorer."""
        return cls(LinearScorer.from_pipeline(pipeline), metadata, pipeline)

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the department codes the model can predict."""
        return self.classes_

    def probabilities(self, texts: Sequence[str]) -> Float64Array:
        """Return the class-probability matrix (rows: texts, columns: `labels`)."""
        return self.scorer.probabilities(texts)

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
