"""Text features: normalisation step and a TF-IDF vectorizer whose vocabulary saves compactly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.segmentation import normalize

__all__ = [
    "CompactTfidfVectorizer",
    "first_lines",
    "normalize_texts",
]


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
    hundreds of megabytes and seconds to load; two NumPy arrays take a few megabytes.
    """

    def __getstate__(self) -> dict[str, Any]:
        """Return the state with `vocabulary_` packed into UTF-8 bytes and term lengths."""
        state: dict[str, Any] = dict(super().__getstate__())  # may be the live __dict__
        vocabulary: dict[str, int] | None = state.pop("vocabulary_", None)
        if vocabulary is not None:
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            encoded = [term.encode("utf-8") for term in terms]
            state["vocabulary_bytes_"] = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
            state["vocabulary_lengths_"] = np.array([len(e) for e in encoded], dtype=np.int32)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild `vocabulary_` from the packed arrays."""
        state = dict(state)
        packed = state.pop("vocabulary_bytes_", None)
        lengths = state.pop("vocabulary_lengths_", None)
        if packed is not None and lengths is not None:
            data = np.asarray(packed, dtype=np.uint8).tobytes()
            ends = np.cumsum(np.asarray(lengths, dtype=np.int64)).tolist()
            starts = [0, *ends[:-1]]
            state["vocabulary_"] = {
                data[start:end].decode("utf-8"): index
                for index, (start, end) in enumerate(zip(starts, ends, strict=True))
            }
        super().__setstate__(state)
