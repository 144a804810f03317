"""The routing model: a scikit-learn Pipeline of TF-IDF features and a calibrated linear SVM."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from itertools import repeat
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import LinearSVC

from classifiers.features import (
    CompactTfidfVectorizer,
    char_ngram_counts,
    first_line,
    first_lines,
    normalize_texts,
    word_ngram_counts,
)
from classifiers.metadata import ModelMetadata
from classifiers.segmentation import tokenize

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

    char_ngrams: tuple[int, int] = (1, 2)
    word_ngrams: tuple[int, int] = (1, 2)
    min_df: int = 2
    max_features: int | None = 100_000
    title_ngrams: tuple[int, int] = (1, 2)
    title_weight: float | None = 1.0
    c: float = 1.5
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
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def build_pipeline(config: ModelConfig, *, calibration_folds: int | None = None) -> Pipeline:
    """Build the untrained pipeline: normalise, char and word TF-IDF, calibrated LinearSVC."""
    chars = CompactTfidfVectorizer(
        analyzer="char",
        lowercase=False,
        ngram_range=config.char_ngrams,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    words = CompactTfidfVectorizer(
        analyzer="word",
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        ngram_range=config.word_ngrams,
        min_df=config.min_df,
        max_features=config.max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    branches: list[tuple[str, Any]] = [("chars", chars), ("words", words)]
    weights: dict[str, float] | None = None
    if config.title_weight:
        title = CompactTfidfVectorizer(
            analyzer="char",
            lowercase=False,
            ngram_range=config.title_ngrams,
            min_df=config.min_df,
            max_features=config.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        branches.append(
            (
                "title",
                Pipeline([("first_line", FunctionTransformer(first_lines)), ("chars", title)]),
            )
        )
        weights = {"chars": 1.0, "words": 1.0, "title": config.title_weight}
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
            ("normalize", FunctionTransformer(normalize_texts)),
            ("features", FeatureUnion(branches, transformer_weights=weights)),
            ("classifier", calibrated),
        ]
    )


Float64Array = np.ndarray[Any, np.dtype[np.float64]]
_CHUNK = 256


def _counter(vectorizer: Any) -> Callable[[str], Counter[str]]:
    """Return a term counter equivalent to the vectorizer's analyzer, fast where we can."""
    plain = (
        vectorizer.preprocessor is None
        and not vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.stop_words is None
    )
    ngram_range: tuple[int, int] = tuple(vectorizer.ngram_range)
    if plain and vectorizer.analyzer == "char":
        return lambda text: char_ngram_counts(text, ngram_range)
    if plain and vectorizer.analyzer == "word" and vectorizer.tokenizer is tokenize:
        return lambda text: word_ngram_counts(tokenize(text), ngram_range)
    analyze = vectorizer.build_analyzer()
    return lambda text: Counter(analyze(text))


class _Block:
    """One fitted TF-IDF vectorizer of the union and its slice of the linear model."""

    def __init__(self, branch: Any, coef_t: Float64Array, weight: float) -> None:
        vectorizer = branch
        select: Any = None
        if isinstance(branch, Pipeline):
            first, vectorizer = branch.steps[0][1], branch.steps[-1][1]
            if len(branch.steps) != 2 or first.func is not first_lines:
                raise ValueError("the fast scorer only knows the first-line title branch")
            select = first_line
        if vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("the fast scorer needs l2-normalised TF-IDF features")
        self.select = select
        self.count = _counter(vectorizer)
        # Blocks with the same analysis share term counts of the same text within a call.
        self.analysis = (
            vectorizer.analyzer,
            vectorizer.ngram_range,
            vectorizer.lowercase,
            vectorizer.preprocessor,
            vectorizer.tokenizer,
        )
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.sublinear = bool(vectorizer.sublinear_tf)
        self.coef_t = coef_t * weight if weight != 1.0 else coef_t

    def terms(self, text: str, memo: dict[tuple[Any, str], Counter[str]]) -> Counter[str]:
        """Return the term counts of one normalised text (shared through `memo`)."""
        source = self.select(text) if self.select is not None else text
        key = (self.analysis, source)
        terms = memo.get(key)
        if terms is None:
            terms = memo[key] = self.count(source)
        return terms

    def decision(self, counted: Sequence[Counter[str]]) -> Float64Array:
        """Return this block's contribution to the decision function for counted texts."""
        lookup = self.vocabulary.get
        columns: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        for terms in counted:  # map() keeps the per-term work in C
            columns.extend(map(lookup, terms.keys(), repeat(-1)))
            counts.extend(terms.values())
            lengths.append(len(terms))
        cols = np.array(columns, dtype=np.int64)
        known = cols >= 0
        cols = cols[known]
        data = np.array(counts, dtype=np.float64)[known]
        if self.sublinear:
            data = np.log(data) + 1.0
        data *= self.idf[cols]
        n = len(counted)
        if n == 1:  # one message: skip building a sparse matrix
            norm = float(np.sqrt(data @ data)) or 1.0
            single: Float64Array = (data @ self.coef_t[cols]).reshape(1, -1) / norm
            return single
        rows = np.repeat(np.arange(n), lengths)[known]
        per_row = np.bincount(rows, minlength=n)
        indptr = np.concatenate(([0], np.cumsum(per_row)))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        matrix = csr_matrix((data, cols, indptr), shape=(n, len(self.vocabulary)))
        result: Float64Array = np.asarray(matrix @ self.coef_t) / norms[:, np.newaxis]
        return result


class _LinearScorer:
    """The fitted pipeline's arithmetic, without scikit-learn's per-call overhead.

    Gives the same probabilities as `pipeline.predict_proba` (checked by the tests), several
    times faster for one message.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        weights = union.transformer_weights or {}
        calibrated = pipeline.named_steps["classifier"]
        (member,) = calibrated.calibrated_classifiers_
        if member.method not in ("sigmoid", "temperature"):
            raise ValueError("the fast scorer supports sigmoid and temperature calibration")
        self.method: str = member.method
        estimator = member.estimator
        coef_t = np.ascontiguousarray(estimator.coef_.T, dtype=np.float64)
        # Share one copy of the weights with the estimator (same values, transposed view).
        estimator.coef_ = coef_t.T
        self.blocks: list[_Block] = []
        offset = 0
        for name, branch in union.transformer_list:
            vectorizer = branch.steps[-1][1] if isinstance(branch, Pipeline) else branch
            size = len(vectorizer.vocabulary_)
            weight = float(weights.get(name, 1.0))
            self.blocks.append(_Block(branch, coef_t[offset : offset + size], weight))
            offset += size
        self.intercept: Float64Array = np.asarray(estimator.intercept_, dtype=np.float64)
        if self.method == "temperature":
            self.beta = float(member.calibrators[0].beta_)
        else:
            self.a: Float64Array = np.array([c.a_ for c in member.calibrators], dtype=np.float64)
            self.b: Float64Array = np.array([c.b_ for c in member.calibrators], dtype=np.float64)
        self.n_classes = len(calibrated.classes_)

    def _calibrate(self, decision: Float64Array) -> Float64Array:
        if self.method == "temperature":
            logits = decision if decision.shape[1] > 1 else np.hstack([-decision, decision])
            scaled = self.beta * logits
            scaled -= scaled.max(axis=1, keepdims=True)
            exp = np.exp(scaled)
            softmax: Float64Array = exp / exp.sum(axis=1, keepdims=True)
            return softmax
        raw: Float64Array = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        if self.n_classes == 2:
            return np.column_stack([1.0 - raw[:, 0], raw[:, 0]])
        total = raw.sum(axis=1, keepdims=True)
        uniform = np.full_like(raw, 1.0 / self.n_classes)
        result: Float64Array = np.divide(raw, total, out=uniform, where=total != 0)
        return result

    def probabilities(self, texts: Sequence[str]) -> Float64Array:
        """Return calibrated class probabilities for raw texts."""
        if len(texts) > _CHUNK:  # bounds the memory of term counts held at once
            parts = [self._chunk(texts[i : i + _CHUNK]) for i in range(0, len(texts), _CHUNK)]
            return np.vstack(parts)
        return self._chunk(texts)

    def _chunk(self, texts: Sequence[str]) -> Float64Array:
        normalized = normalize_texts(texts)
        counted: list[list[Counter[str]]] = [[] for _ in self.blocks]
        for text in normalized:
            memo: dict[tuple[Any, str], Counter[str]] = {}  # one text at a time
            for block, sink in zip(self.blocks, counted, strict=True):
                sink.append(block.terms(text, memo))
        decision = sum(
            block.decision(terms) for block, terms in zip(self.blocks, counted, strict=True)
        )
        return self._calibrate(np.asarray(decision) + self.intercept)


class RoutingModel:
    """A trained pipeline with its metadata; predicts department codes with confidences."""

    def __init__(self, pipeline: Pipeline, metadata: ModelMetadata) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        self.classes_: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)
        self._runner_ups = int(metadata.config.get("runner_ups", 2))
        self._scorer = _LinearScorer(pipeline)

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the department codes the model can predict."""
        return self.classes_

    def probabilities(self, texts: Sequence[str]) -> Float64Array:
        """Return the class-probability matrix (rows: texts, columns: `labels`)."""
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return self._scorer.probabilities(texts)

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
