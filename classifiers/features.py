"""Text features without scikit-learn: normalisation, titles, and n-gram counting.

The training pipeline (`pipeline`) and the serving scorer (`scorer`) both count terms here,
so the bot never needs to import scikit-learn.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence

from classifiers.segmentation import normalize

__all__ = [
    "char_ngram_counts",
    "first_line",
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
        if n == 1:
            counts.update(text)
        elif n == 2:  # the common case, without building tuples
            counts.update(map(operator.add, text, text[1:]))
        else:
            counts.update(_ngrams(text, n, "".join))
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


def __getattr__(name: str) -> object:
    """Models saved before scorer.npz name the vectorizer here; it now lives in `pipeline`."""
    if name == "CompactTfidfVectorizer":
        from classifiers.pipeline import CompactTfidfVectorizer

        return CompactTfidfVectorizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
