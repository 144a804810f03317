"""Routing policy: the model proposes, the confidence threshold decides (dispatch below it)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from classifiers.model import Prediction


@dataclass(frozen=True, slots=True)
class Candidate:
    """One department the classifier proposes, with its probability."""

    code: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a text goes: a department code, or None for the dispatch centre."""

    route_to: str | None
    candidates: tuple[Candidate, ...]

    @property
    def confident(self) -> bool:
        """Whether the ticket goes straight to a department."""
        return self.route_to is not None


def decide(prediction: Prediction | None, *, threshold: float, known: Collection[str]) -> Decision:
    """Route when the model is confident enough and knows the department; else dispatch."""
    if prediction is None:
        return Decision(None, ())
    candidates = (
        Candidate(prediction.code, prediction.confidence),
        *(Candidate(code, p) for code, p in prediction.runner_up),
    )
    candidates = tuple(c for c in candidates if c.code in known)
    confident = prediction.confidence >= threshold and prediction.code in known
    return Decision(prediction.code if confident else None, candidates)
