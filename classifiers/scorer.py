"""The routing model's arithmetic in plain arrays: what the bot loads and runs.

A trained pipeline (see `pipeline`) is TF-IDF blocks → one linear model → a calibration. The
`LinearScorer` holds exactly those numbers — each block's vocabulary, IDF and slice of the
weights, the intercepts and the calibration — and computes the same probabilities as
`Pipeline.predict_proba` (checked by the tests), several times faster for one message and
without importing scikit-learn, which halves a serving process's memory.

It saves to a `.npz` file read with `allow_pickle=False`: only arrays, never code. SciPy is
imported only to score batches, so the bot, which scores one message at a time, never loads it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.features import (
    char_ngram_counts,
    first_line,
    first_lines,
    normalize_texts,
    word_ngram_counts,
)
from classifiers.segmentation import tokenize

__all__ = [
    "Block",
    "LinearScorer",
    "ScorerFormatError",
    "calibrate",
    "calibration_parameters",
]

FloatArray = np.ndarray[Any, np.dtype[np.floating[Any]]]
Float64Array = np.ndarray[Any, np.dtype[np.float64]]
_CHUNK = 256  # texts counted at once; bounds the memory of term counts
_FORMAT = 1


def calibration_parameters(member: Any) -> dict[str, list[float]]:
    """The numbers of a fitted scikit-learn `_CalibratedClassifier`'s calibration."""
    if member.method == "temperature":
        return {"beta": [float(member.calibrators[0].beta_)]}
    if member.method == "sigmoid":
        return {
            "a": [float(c.a_) for c in member.calibrators],
            "b": [float(c.b_) for c in member.calibrators],
        }
    raise ScorerFormatError(f"calibration {member.method!r} cannot be compiled")


def calibrate(
    decision: Float64Array, method: str, parameters: dict[str, list[float]]
) -> Float64Array:
    """Class probabilities from decision values: temperature softmax or normalised Platt."""
    if method == "temperature":
        logits = decision if decision.shape[1] > 1 else np.hstack([-decision, decision])
        scaled = parameters["beta"][0] * logits
        scaled -= scaled.max(axis=1, keepdims=True)
        exp = np.exp(scaled)
        softmax: Float64Array = exp / exp.sum(axis=1, keepdims=True)
        return softmax
    a = np.asarray(parameters["a"])
    b = np.asarray(parameters["b"])
    raw: Float64Array = 1.0 / (1.0 + np.exp(a * decision + b))
    if raw.shape[1] == 1:
        return np.column_stack([1.0 - raw[:, 0], raw[:, 0]])
    total = raw.sum(axis=1, keepdims=True)
    uniform = np.full_like(raw, 1.0 / raw.shape[1])
    result: Float64Array = np.divide(raw, total, out=uniform, where=total != 0)
    return result


class ScorerFormatError(ValueError):
    """A scorer file is not one this program wrote or understands."""


@dataclass(frozen=True, slots=True)
class Block:
    """One TF-IDF block of the feature union and its slice of the linear model.

    `analyzer` is "char" (character n-grams) or "word" (jieba words, space-joined n-grams);
    `source_part` is "text" or "title" (the first line of the normalised message).
    """

    analyzer: str
    source_part: str
    ngram_range: tuple[int, int]
    sublinear: bool
    vocabulary: dict[str, int]
    idf: Float64Array
    coef_t: FloatArray  # (terms, classes), the union's transformer weight folded in

    def source(self, text: str) -> str:
        """The part of a normalised text this block reads: all of it, or its first line."""
        return first_line(text) if self.source_part == "title" else text

    def count(self, source: str) -> Counter[str]:
        """Count this block's terms in its part of a text."""
        if self.analyzer == "char":
            return char_ngram_counts(source, self.ngram_range)
        return word_ngram_counts(tokenize(source), self.ngram_range)

    def decision(self, counted: Sequence[Counter[str]]) -> Float64Array:
        """Return this block's contribution to the decision function for counted texts."""
        # Iterators over all the texts' terms at once keep the per-term work in C.
        terms = chain.from_iterable(counted)
        cols = np.fromiter(map(self.vocabulary.get, terms, repeat(-1)), dtype=np.int64)
        counts = chain.from_iterable(map(Counter.values, counted))
        lengths = np.fromiter(map(len, counted), dtype=np.int64, count=len(counted))
        known = cols >= 0
        cols = cols[known]
        data = np.fromiter(counts, dtype=np.float64, count=len(known))[known]
        if self.sublinear:
            data = np.log(data) + 1.0
        data *= self.idf[cols]
        n = len(counted)
        if n == 1:  # one message: skip building a sparse matrix
            norm = float(np.sqrt(data @ data)) or 1.0
            single: Float64Array = (data @ self.coef_t[cols]).reshape(1, -1) / norm
            return single
        from scipy.sparse import csr_matrix  # batches only: the bot scores one message at a time

        rows = np.repeat(np.arange(n), lengths)[known]
        per_row = np.bincount(rows, minlength=n)
        indptr = np.concatenate(([0], np.cumsum(per_row)))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        matrix = csr_matrix((data, cols, indptr), shape=(n, len(self.vocabulary)))
        result: Float64Array = np.asarray(matrix @ self.coef_t, dtype=np.float64)
        return result / norms[:, np.newaxis]


class LinearScorer:
    """Class probabilities of raw texts from TF-IDF blocks, a linear model and a calibration.

    `calibration` is "temperature" (softmax of `beta` times the decision) or "sigmoid" (one-vs-rest
    Platt scaling with per-class `a`, `b`, normalised).
    """

    def __init__(
        self,
        classes: Sequence[str],
        blocks: Sequence[Block],
        intercept: Float64Array,
        calibration: str,
        parameters: dict[str, list[float]],
    ) -> None:
        if calibration not in ("temperature", "sigmoid"):
            raise ScorerFormatError(f"unknown calibration {calibration!r}")
        self.classes: tuple[str, ...] = tuple(classes)
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.calibration = calibration
        self.parameters = {k: [float(x) for x in v] for k, v in parameters.items()}

    # -- arithmetic ---------------------------------------------------------------------------

    def probabilities(self, texts: Sequence[str]) -> Float64Array:
        """Return calibrated class probabilities (rows: texts, columns: `classes`)."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        if len(texts) > _CHUNK:
            parts = [self._chunk(texts[i : i + _CHUNK]) for i in range(0, len(texts), _CHUNK)]
            return np.vstack(parts)
        return self._chunk(texts)

    def _chunk(self, texts: Sequence[str]) -> Float64Array:
        counted: list[list[Counter[str]]] = [[] for _ in self.blocks]
        for text in normalize_texts(texts):
            # Blocks reading the same string the same way share its counts (a one-line message
            # is its own title).
            memo: dict[tuple[str, tuple[int, int], str], Counter[str]] = {}
            for block, sink in zip(self.blocks, counted, strict=True):
                source = block.source(text)
                key = (block.analyzer, block.ngram_range, source)
                terms = memo.get(key)
                if terms is None:
                    terms = memo[key] = block.count(source)
                sink.append(terms)
        decision: Float64Array = np.zeros((len(texts), self.intercept.shape[0]))
        for block, texts_terms in zip(self.blocks, counted, strict=True):
            decision += block.decision(texts_terms)
        return self._calibrate(decision + self.intercept)

    def _calibrate(self, decision: Float64Array) -> Float64Array:
        return calibrate(decision, self.calibration, self.parameters)

    # -- from a fitted pipeline ---------------------------------------------------------------

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearScorer:
        """Compile a fitted pipeline built by `pipeline.build_pipeline` (duck-typed)."""
        union = pipeline.named_steps["features"]
        weights = union.transformer_weights or {}
        calibrated = pipeline.named_steps["classifier"]
        (member,) = calibrated.calibrated_classifiers_
        estimator = member.estimator
        coef_t = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64)).T  # binary ridge: 1-D
        blocks: list[Block] = []
        offset = 0
        for name, branch in union.transformer_list:
            source = "text"
            vectorizer = branch
            if hasattr(branch, "steps"):
                first = branch.steps[0][1]
                if len(branch.steps) != 2 or getattr(first, "func", None) is not first_lines:
                    raise ScorerFormatError("only the first-line title branch can be compiled")
                source, vectorizer = "title", branch.steps[-1][1]
            blocks.append(_compile_block(vectorizer, source, coef_t, offset, weights.get(name)))
            offset += len(vectorizer.vocabulary_)
        parameters = calibration_parameters(member)
        classes = [str(c) for c in calibrated.classes_]
        intercept = np.atleast_1d(np.asarray(estimator.intercept_, dtype=np.float64))
        return cls(classes, blocks, intercept, member.method, parameters)

    # -- file format --------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the scorer as an uncompressed .npz of plain arrays (fast to load)."""
        header = {
            "format": _FORMAT,
            "classes": list(self.classes),
            "calibration": self.calibration,
            "parameters": self.parameters,
            "blocks": [
                {
                    "analyzer": b.analyzer,
                    "source": b.source_part,
                    "ngram_range": list(b.ngram_range),
                    "sublinear": b.sublinear,
                    "terms": len(b.vocabulary),
                }
                for b in self.blocks
            ],
        }
        arrays: dict[str, np.ndarray[Any, Any]] = {
            "header": _bytes(json.dumps(header, ensure_ascii=False)),
            "intercept": self.intercept,
        }
        for i, block in enumerate(self.blocks):
            terms = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
            if any("\0" in term for term in terms):
                raise ScorerFormatError("a vocabulary term contains NUL; normalise texts first")
            arrays[f"terms_{i}"] = _bytes("\0".join(terms))
            arrays[f"idf_{i}"] = block.idf
            arrays[f"coef_{i}"] = block.coef_t
        with path.open("wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path) -> LinearScorer:
        """Read a file written by `save`; never unpickles anything."""
        try:
            with np.load(path, allow_pickle=False) as archive:
                header = json.loads(archive["header"].tobytes().decode("utf-8"))
                if header.get("format") != _FORMAT:
                    raise ScorerFormatError(f"scorer format {header.get('format')} is unknown")
                strings: dict[str, str] = {}  # one str object per term across blocks
                blocks = [
                    _load_block(spec, archive, i, strings.setdefault)
                    for i, spec in enumerate(header["blocks"])
                ]
                intercept = np.asarray(archive["intercept"], dtype=np.float64)
        except (OSError, KeyError, ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, ScorerFormatError):
                raise
            raise ScorerFormatError(f"{path}: unreadable scorer file ({exc})") from exc
        return cls(
            header["classes"], blocks, intercept, header["calibration"], header["parameters"]
        )


def _bytes(text: str) -> np.ndarray[Any, np.dtype[np.uint8]]:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _compile_block(
    vectorizer: Any, source: str, coef_t: Float64Array, offset: int, weight: float | None
) -> Block:
    if vectorizer.norm != "l2" or not vectorizer.use_idf:
        raise ScorerFormatError("only l2-normalised TF-IDF blocks can be compiled")
    plain = (
        vectorizer.preprocessor is None
        and not vectorizer.lowercase
        and vectorizer.strip_accents is None
        and vectorizer.stop_words is None
    )
    word = vectorizer.analyzer == "word" and vectorizer.tokenizer is tokenize
    if not plain or not (vectorizer.analyzer == "char" or word):
        raise ScorerFormatError("only plain char or jieba-word TF-IDF blocks can be compiled")
    size = len(vectorizer.vocabulary_)
    coef = coef_t[offset : offset + size] * (1.0 if weight is None else float(weight))
    return Block(
        analyzer=str(vectorizer.analyzer),
        source_part=source,
        ngram_range=(int(vectorizer.ngram_range[0]), int(vectorizer.ngram_range[1])),
        sublinear=bool(vectorizer.sublinear_tf),
        vocabulary=vectorizer.vocabulary_,
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef_t=np.ascontiguousarray(coef, dtype=np.float32),
    )


def _load_block(
    spec: dict[str, Any], archive: Any, i: int, intern: Callable[[str, str], str]
) -> Block:
    size = int(spec["terms"])
    text = archive[f"terms_{i}"].tobytes().decode("utf-8")
    terms = [intern(t, t) for t in text.split("\0")] if size else []
    if len(terms) != size:
        raise ScorerFormatError(f"block {i} holds {len(terms)} terms, expected {size}")
    idf = np.asarray(archive[f"idf_{i}"], dtype=np.float64)
    coef = np.ascontiguousarray(archive[f"coef_{i}"])
    if idf.shape != (size,) or coef.shape[0] != size:
        raise ScorerFormatError(f"block {i}: array shapes do not match its {size} terms")
    low, high = spec["ngram_range"]
    if spec["analyzer"] not in ("char", "word") or spec["source"] not in ("text", "title"):
        raise ScorerFormatError(f"block {i}: unknown analyzer or source")
    return Block(
        analyzer=spec["analyzer"],
        source_part=spec["source"],
        ngram_range=(int(low), int(high)),
        sublinear=bool(spec["sublinear"]),
        vocabulary=dict(zip(terms, range(size), strict=True)),
        idf=idf,
        coef_t=coef,
    )
