"""The trainable scikit-learn Pipeline: normalise, TF-IDF blocks, a calibrated linear model.

Training, cross-validation and `model.skops` use this; serving uses its compiled arithmetic
(`scorer.LinearScorer`), which needs no scikit-learn.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from classifiers.features import first_lines, normalize_texts
from classifiers.segmentation import tokenize

__all__ = [
    "CompactTfidfVectorizer",
    "ModelConfig",
    "build_linear",
    "build_pipeline",
    "feature_specs",
    "feature_union",
]


class CompactTfidfVectorizer(TfidfVectorizer):  # type: ignore[misc]
    """TfidfVectorizer that saves its vocabulary as two arrays instead of a large dict.

    skops writes a dict entry by entry, which makes a 500,000-term vocabulary take
    hundreds of megabytes and seconds to load; one byte array takes a few megabytes.
    """

    def __getstate__(self) -> dict[str, Any]:
        """Return the state with `vocabulary_` packed as NUL-separated UTF-8 bytes."""
        state: dict[str, Any] = dict(super().__getstate__())  # may be the live __dict__
        vocabulary: dict[str, int] | None = state.pop("vocabulary_", None)
        if vocabulary is not None:
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            if any("\0" in term for term in terms):
                raise ValueError("a vocabulary term contains NUL; normalise texts first")
            packed = "\0".join(terms).encode("utf-8")
            state["vocabulary_packed_"] = np.frombuffer(packed, dtype=np.uint8).copy()
            state["vocabulary_size_"] = len(terms)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild `vocabulary_` from the packed bytes."""
        state = dict(state)
        packed = state.pop("vocabulary_packed_", None)
        size = state.pop("vocabulary_size_", None)
        if packed is not None and size is not None:
            text = np.asarray(packed, dtype=np.uint8).tobytes().decode("utf-8")
            terms = text.split("\0") if size else []
            if len(terms) != size:
                raise ValueError(f"vocabulary holds {len(terms)} terms, expected {size}")
            state["vocabulary_"] = dict(zip(terms, range(size), strict=True))
        super().__setstate__(state)


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Hyper-parameters of the routing pipeline (chosen by cross-validation, see docs)."""

    char_ngrams: tuple[int, int] = (1, 2)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 2
    max_features: int | None = 100_000
    title_ngrams: tuple[int, int] = (1, 2)
    title_weight: float | None = 1.0
    classifier: str = "ridge"  # "ridge" (RidgeClassifier) or "svm" (LinearSVC)
    alpha: float = 0.5  # ridge regularisation
    c: float = 1.5  # LinearSVC only
    class_weight: str | None = "balanced"
    calibration: str = "temperature"
    calibration_folds: int = 5
    random_state: int = 0
    runner_ups: int = 2

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready data."""
        data = asdict(self)
        data["char_ngrams"] = list(self.char_ngrams)
        data["word_ngrams"] = list(self.word_ngrams)
        data["title_ngrams"] = list(self.title_ngrams)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild a configuration saved by `to_dict`."""
        values = dict(data)
        values["char_ngrams"] = tuple(values.get("char_ngrams", (1, 2)))
        values["word_ngrams"] = tuple(values.get("word_ngrams", (1, 2)))
        values["title_ngrams"] = tuple(values.get("title_ngrams", (1, 2)))
        values.setdefault("classifier", "svm")  # saved before ridge became the default
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def _tfidf(
    config: ModelConfig, ngram_range: tuple[int, int], **analysis: Any
) -> CompactTfidfVectorizer:
    """One TF-IDF block: sublinear counts, l2-normalised, float32, the config's size limits."""
    return CompactTfidfVectorizer(
        lowercase=False,
        ngram_range=ngram_range,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
        **analysis,
    )


def feature_specs(config: ModelConfig) -> list[tuple[str, str, str, CompactTfidfVectorizer]]:
    """The feature union's blocks: (name, analyzer, part of the text read, unfitted vectorizer)."""
    blocks = [
        ("chars", "char", "text", _tfidf(config, config.char_ngrams, analyzer="char")),
        (
            "words",
            "word",
            "text",
            _tfidf(
                config, config.word_ngrams, analyzer="word", tokenizer=tokenize, token_pattern=None
            ),
        ),
    ]
    if config.title_weight:
        blocks.append(
            ("title", "char", "title", _tfidf(config, config.title_ngrams, analyzer="char"))
        )
    return blocks


def feature_union(
    config: ModelConfig, vectorizers: dict[str, CompactTfidfVectorizer] | None = None
) -> FeatureUnion:
    """The union of the TF-IDF blocks (unfitted, or made of the given fitted vectorizers)."""
    branches: list[tuple[str, Any]] = []
    for name, _, part, vectorizer in feature_specs(config):
        chosen = (vectorizers or {}).get(name, vectorizer)
        if part == "title":
            first = FunctionTransformer(first_lines)
            branches.append((name, Pipeline([("first_line", first), ("chars", chosen)])))
        else:
            branches.append((name, chosen))
    weights = None
    if config.title_weight:
        weights = {"chars": 1.0, "words": 1.0, "title": config.title_weight}
    return FeatureUnion(branches, transformer_weights=weights)


def build_linear(config: ModelConfig) -> RidgeClassifier | LinearSVC:
    """The untrained linear model of a configuration."""
    if config.classifier == "ridge":
        return RidgeClassifier(
            alpha=config.alpha, class_weight=config.class_weight, solver="sparse_cg"
        )
    if config.classifier == "svm":
        return LinearSVC(C=config.c, class_weight=config.class_weight)
    raise ValueError(f"unknown classifier {config.classifier!r}; use 'ridge' or 'svm'")


def build_pipeline(config: ModelConfig, *, calibration_folds: int | None = None) -> Pipeline:
    """Build the untrained pipeline: normalise, char and word TF-IDF, calibrated ridge or SVM."""
    folds = calibration_folds or config.calibration_folds
    calibrated = CalibratedClassifierCV(
        build_linear(config),
        method=config.calibration,
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.random_state),
        ensemble=False,
    )
    return Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_texts)),
            ("features", feature_union(config)),
            ("classifier", calibrated),
        ]
    )
