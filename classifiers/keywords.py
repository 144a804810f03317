"""热点诉求: the keywords that stand out in a batch of resident texts (TF-IDF on jieba words).

Words come from the project's segmentation (jieba's dictionary with the district's, no HMM);
the inverse document frequencies are jieba.analyse's own table, read once.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from classifiers.segmentation import jieba_dictionary_path, normalize, tokenize

__all__ = ["Keyword", "hot_keywords", "stop_words_path"]

CANDIDATES_PER_KEYWORD = 3
# Amounts and counts (五千多, 五十米, 三个月) are not themes.
QUANTITY = re.compile(
    r"^[零〇一二三四五六七八九十百千万亿两几半]+[多余来]?[个件米元块天年月日号次岁楼层栋户斤里]*$"
)


@dataclass(frozen=True, slots=True)
class _Idf:
    weights: dict[str, float]
    median: float
    stop_words: frozenset[str]


_lock = threading.Lock()
_idf: _Idf | None = None


def stop_words_path() -> Path:
    """The stop-word list shipped with the package (one word a line, # comments)."""
    return Path(str(resources.files("classifiers").joinpath("stopwords.txt")))


def _load() -> _Idf:
    """jieba.analyse's IDF table and our stop words, read once per process."""
    global _idf
    with _lock:
        if _idf is None:
            table = jieba_dictionary_path().parent / "analyse" / "idf.txt"
            weights: dict[str, float] = {}
            for line in table.read_text(encoding="utf-8").splitlines():
                word, _, value = line.strip().partition(" ")
                if value:
                    weights[word] = float(value)
            ordered = sorted(weights.values())
            lines = stop_words_path().read_text(encoding="utf-8").splitlines()
            stop = frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))
            _idf = _Idf(weights, ordered[len(ordered) // 2], stop)
        return _idf


@dataclass(frozen=True, slots=True)
class Keyword:
    """One hot keyword: its TF-IDF weight, how many texts mention it, and which ones."""

    word: str
    weight: float
    count: int
    examples: tuple[int, ...]


def _is_keyword(word: str, stop_words: frozenset[str]) -> bool:
    return (
        len(word) >= 2
        and not word.isascii()
        and word not in stop_words
        and not QUANTITY.match(word)
    )


def hot_keywords(
    texts: Sequence[str], *, top: int = 5, examples: int = 3, min_texts: int = 2
) -> list[Keyword]:
    """The `top` keywords of `texts` that at least `min_texts` of them mention.

    examples are indices of texts that mention each word. A word one resident wrote, however
    often, is not a theme of the period.
    """
    idf = _load()
    cleaned = [normalize(text) for text in texts]
    frequency: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    verdicts: dict[str, bool] = {}  # a day's texts repeat their words: judge each word once
    for text in cleaned:
        words = []
        for word in tokenize(text):
            keep = verdicts.get(word)
            if keep is None:
                keep = verdicts[word] = _is_keyword(word, idf.stop_words)
            if keep:
                words.append(word)
        frequency.update(words)
        spread.update(set(words))
    total = sum(frequency.values())
    if not total:
        return []
    weight = {w: n * idf.weights.get(w, idf.median) / total for w, n in frequency.items()}
    # A text mentions a word even where the segmenter cut it differently (路灯不亮 → 路 灯不亮),
    # so a word segmented in one text may still be raised by several.
    candidates = sorted(weight, key=lambda w: (spread[w] >= min_texts, weight[w]), reverse=True)
    mentions = {
        w: [i for i, text in enumerate(cleaned) if w in text]
        for w in candidates[: top * CANDIDATES_PER_KEYWORD]
    }
    themes = [w for w in mentions if len(mentions[w]) >= min_texts]
    # A theme many residents raise beats one loud message; weight breaks the ties.
    ranked = sorted(themes, key=lambda w: (-len(mentions[w]), -weight[w]))
    return [
        Keyword(w, weight[w], len(mentions[w]), tuple(mentions[w][:examples])) for w in ranked[:top]
    ]
