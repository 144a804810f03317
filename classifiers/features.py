"""Text features: normalisation step and a TF-IDF vectorizer whose vocabulary saves compactly."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.segmentation import normalize

__all__ = [
    "CompactTfidfVectorizer",
    "char_ngram_counts",
    "first_lines",
    "normalize_texts",
    "word_ngram_counts",
]

_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char analyzer


def _ngrams(items: Sequence[str], n: int, join: Callable[[Iterable[str]], str]) -> Iterator[str]:
    return map(join, zip(*(items[i:] for i in range(n)), strict=False))  # stops at the end


def char_ngram_counts(text: str, ngram_range: tuple[int, int]) -> Counter[str]:
    """Count character n-grams exactly as TfidfVectorizer(analyzer="char") lists them."""
    text = _WHITE_SPACES.sub(" ", text)
    low, high = ngram_range
    counts: Counter[str] = Counter()
    for n in range(low, high + 1):
        counts.update(text if n == 1 else _ngrams(text, n, "".join))
    return counts


def word_ngram_counts(tokens: Sequence[str], ngram_range: tuple[int, int]) -> Counter[str]:
    """Count word n-grams (space-joined) exactly as TfidfVectorizer(analyzer="word") does."""
    low, high = ngram_range
    counts: Counter[str] = Counter()
    for n in range(low, high + 1):
        counts.update(tokens if n == 1 else _ngrams(tokens, n, " ".join))
    return counts


def normalize_texts(texts: Iterable[str]) -> list[str]:
    """Normalise every text (the pipeline's first step, so it runs once per text)."""
    return [normalize(text) for text in texts]


def first_line(text: str) -> str:
    """Return the title of a normalised "title\nbody" message, or the whole one-line text."""
    return text.split("\n", 1)[0]


def first_lines(texts: Iterable[str]) -> list[str]:
    """Return the first line of every normalised text (the title feature's input)."""
    return [first_line(text) for text in texts]


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
