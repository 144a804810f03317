"""热点诉求: the keywords that stand out in a batch of resident texts (jieba TF-IDF)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from classifiers.segmentation import initialize, normalize

__all__ = ["Keyword", "hot_keywords", "stop_words_path"]


_lock = threading.Lock()
_extractor: Any = None


def stop_words_path() -> Path:
    """The stop-word list shipped with the package (one word a line, # comments)."""
    return Path(str(resources.files("classifiers").joinpath("stopwords.txt")))


def _stop_words() -> frozenset[str]:
    lines = stop_words_path().read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _tfidf() -> Any:
    """jieba's TF-IDF extractor with the district dictionary and our stop words, built once."""
    global _extractor
    with _lock:
        if _extractor is None:
            initialize()
            with warnings.catch_warnings():
                # jieba reads its IDF table with open(...).read() and never closes the file.
                warnings.simplefilter("ignore", ResourceWarning)
                import jieba.analyse

                extractor = jieba.analyse.TFIDF()
            extractor.stop_words = extractor.stop_words | _stop_words()
            _extractor = extractor
        return _extractor


@dataclass(frozen=True, slots=True)
class Keyword:
    """One hot keyword: its TF-IDF weight, how many texts mention it, and which ones."""

    word: str
    weight: float
    count: int
    examples: tuple[int, ...]


def hot_keywords(texts: Sequence[str], *, top: int = 5, examples: int = 3) -> list[Keyword]:
    """The `top` keywords of `texts`; examples are indices of texts that mention each word."""
    cleaned = [normalize(text) for text in texts]
    if not any(cleaned):
        return []
    tags = _tfidf().extract_tags("\n".join(cleaned), topK=top * 3, withWeight=True)
    result: list[Keyword] = []
    for word, weight in tags:
        if word.isdigit() or word.isascii():
            continue
        mentions = [i for i, text in enumerate(cleaned) if word in text]
        if not mentions:
            continue
        result.append(Keyword(str(word), float(weight), len(mentions), tuple(mentions[:examples])))
    # A theme many residents raise beats one loud message; weight breaks the ties.
    result.sort(key=lambda k: (-k.count, -k.weight))
    return result[:top]
