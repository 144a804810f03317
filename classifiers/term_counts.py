"""Every text's terms counted once, then fitted on any subset of rows as TF-IDF would be.

Training fits the TF-IDF blocks once per cross-validation fold and once more on all the data.
Fitting a `TfidfVectorizer` re-reads and re-segments every text each time, which was most of
the training time. Here each block's terms are counted once for all rows (with the serving
scorer's counters, which list exactly the terms scikit-learn's analyzers list), and a fit on a
subset of rows selects the same vocabulary `CountVectorizer` would (same `min_df`, same
`max_features` cut, same tie order) and fits scikit-learn's own `TfidfTransformer` on it. The
block it builds for the final model is an ordinary fitted `CompactTfidfVectorizer`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer

from classifiers.features import char_ngram_counts, first_line, word_ngram_counts
from classifiers.pipeline import CompactTfidfVectorizer
from classifiers.segmentation import tokenize

__all__ = [
    "BlockCounts",
    "BlockFit",
    "BlockSpec",
    "count_blocks",
]

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """One TF-IDF block of the feature union: its name, what it reads and its vectorizer."""

    name: str
    analyzer: str  # "char" or "word"
    source_part: str  # "text" or "title"
    vectorizer: CompactTfidfVectorizer  # unfitted; its parameters are the block's
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class BlockFit:
    """A block fitted on some rows: the vectorizer and the selected columns of the counts."""

    vectorizer: CompactTfidfVectorizer
    columns: np.ndarray[Any, np.dtype[np.intp]]

    def transform(self, counts: BlockCounts, rows: np.ndarray[Any, Any] | None) -> Any:
        """TF-IDF of the given rows (all rows when None), as the fitted vectorizer gives."""
        matrix = counts.matrix if rows is None else counts.matrix[rows]
        return self.vectorizer._tfidf.transform(matrix[:, self.columns], copy=False)


@dataclass(frozen=True, slots=True)
class BlockCounts:
    """Term counts of every row for one block, columns in alphabetical order of the terms."""

    spec: BlockSpec
    terms: tuple[str, ...]
    matrix: Any  # scipy.sparse CSR, float32 counts, shape (rows, terms)

    def fit(self, rows: np.ndarray[Any, Any] | None) -> BlockFit:
        """Fit the block on some rows (all when None) exactly as `TfidfVectorizer.fit` would."""
        template = self.spec.vectorizer
        counts = self.matrix if rows is None else self.matrix[rows]
        n_docs = counts.shape[0]
        dfs = np.bincount(counts.indices, minlength=counts.shape[1])
        low = template.min_df if isinstance(template.min_df, int) else template.min_df * n_docs
        high = template.max_df if isinstance(template.max_df, int) else template.max_df * n_docs
        mask = (dfs >= max(low, 1)) & (dfs <= high)  # unseen terms are not in a fold's vocabulary
        limit = template.max_features
        if limit is not None and mask.sum() > limit:
            # CountVectorizer._limit_features, with the terms in the same (sorted) order.
            tfs = np.asarray(counts.sum(axis=0)).ravel()
            mask_inds = (-tfs[mask]).argsort()[:limit]
            new_mask = np.zeros(len(dfs), dtype=bool)
            new_mask[np.where(mask)[0][mask_inds]] = True
            mask = new_mask
        columns = np.flatnonzero(mask)
        if len(columns) == 0 and rows is not None:  # a tiny fold: keep what it has
            columns = np.flatnonzero(dfs)
        if len(columns) == 0:
            raise ValueError("After pruning, no terms remain. Try a lower min_df.")
        vectorizer: CompactTfidfVectorizer = _unfitted_copy(template)
        vectorizer.vocabulary_ = {self.terms[c]: i for i, c in enumerate(columns)}
        vectorizer.fixed_vocabulary_ = False
        transformer = TfidfTransformer(
            norm=template.norm,
            use_idf=template.use_idf,
            smooth_idf=template.smooth_idf,
            sublinear_tf=template.sublinear_tf,
        )
        transformer.fit(counts[:, columns])
        vectorizer._tfidf = transformer
        return BlockFit(vectorizer, columns)


def _unfitted_copy(template: CompactTfidfVectorizer) -> CompactTfidfVectorizer:
    from sklearn.base import clone

    copy: CompactTfidfVectorizer = clone(template)
    return copy


def _block_terms(spec: BlockSpec, text: str) -> Counter[str]:
    source = first_line(text) if spec.source_part == "title" else text
    ngrams: tuple[int, int] = spec.vectorizer.ngram_range
    if spec.analyzer == "char":
        return char_ngram_counts(source, ngrams)
    return word_ngram_counts(tokenize(source), ngrams)


def _matrix(counted: Sequence[Counter[str]], dtype: Any) -> tuple[tuple[str, ...], Any]:
    """A CSR count matrix of counted rows, its columns in sorted order of the terms."""
    vocabulary: defaultdict[str, int] = defaultdict()
    vocabulary.default_factory = vocabulary.__len__
    lengths = np.fromiter(map(len, counted), dtype=np.int64, count=len(counted))
    columns = np.fromiter(map(vocabulary.__getitem__, chain.from_iterable(counted)), dtype=np.int64)
    values = np.fromiter(chain.from_iterable(map(Counter.values, counted)), dtype=np.float64)
    terms = sorted(vocabulary)
    order = np.empty(len(terms), dtype=np.int64)
    order[[vocabulary[t] for t in terms]] = np.arange(len(terms))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    matrix = sparse.csr_matrix(
        (values.astype(dtype), order[columns], indptr), shape=(len(counted), len(terms))
    )
    matrix.sort_indices()
    return tuple(terms), matrix


def count_blocks(
    normalized: Sequence[str], specs: Sequence[BlockSpec], *, progress: Progress | None = None
) -> list[BlockCounts]:
    """Count every block's terms in every (normalised) text once.

    Blocks that read the same part of a text the same way share its counts (a one-line
    message is its own title), as the serving scorer does. `progress` hears each text done.
    """
    counted: list[list[Counter[str]]] = [[] for _ in specs]
    for text in normalized:
        memo: dict[tuple[str, tuple[int, int], str], Counter[str]] = {}
        for spec, sink in zip(specs, counted, strict=True):
            source = first_line(text) if spec.source_part == "title" else text
            key = (spec.analyzer, spec.vectorizer.ngram_range, source)
            terms = memo.get(key)
            if terms is None:
                terms = memo[key] = _block_terms(spec, text)
            sink.append(terms)
        if progress is not None:
            progress(1)
    blocks = []
    for spec, rows in zip(specs, counted, strict=True):
        names, matrix = _matrix(rows, spec.vectorizer.dtype)
        blocks.append(BlockCounts(spec, names, matrix))
    return blocks
