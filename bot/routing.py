"""Routing policy: the model proposes, the confidence threshold decides (dispatch below it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from classifiers.model import Prediction
from storage.tickets import Candidate


class Classifier(Protocol):
    """Anything that predicts a department for a text (the real model, or a test fake)."""

    def predict(self, text: str) -> Prediction:
        """The most likely department, its probability and the runners-up."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a text goes: a department code, or None for the dispatch centre."""

    route_to: str | None
    candidates: tuple[Candidate, ...]

    @property
    def confident(self) -> bool:
        """Whether the ticket goes straight to a department."""
        return self.route_to is not None


def decide(prediction: Prediction, *, threshold: float, known: Sequence[str]) -> Decision:
    """Route when the model is confident enough and knows the department; else dispatch."""
    candidates = (
        Candidate(prediction.code, prediction.confidence),
        *(Candidate(code, p) for code, p in prediction.runner_up),
    )
    candidates = tuple(c for c in candidates if c.code in known)
    confident = prediction.confidence >= threshold and prediction.code in known
    return Decision(prediction.code if confident else None, candidates)
