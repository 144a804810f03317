"""Matching a resident's question against a knowledge base of question → answer entries.

The same text features as the router (normalised text, jieba words and character bigrams),
weighted by TF-IDF over the base's questions and compared by cosine similarity. Pure: the
entries come in as (id, question) pairs; storage/ keeps them. The threshold is policy, kept
by the caller, and conservative: a wrong answer is worse than none.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from classifiers.features import char_ngram_counts
from classifiers.segmentation import normalize, tokenize

__all__ = ["DEFAULT_THRESHOLD", "KnowledgeMatch", "KnowledgeMatcher", "terms"]

DEFAULT_THRESHOLD = 0.5  # conservative: see docs/benchmarks.md (knowledge base)
# How a question is asked, not what about: left out, so that two questions match on their
# subject ("什么时候" alone must not make 公交 a question about 医保).
QUESTION_WORDS = re.compile(
    "请问|什么时候|什么|怎么样|怎么|怎样|如何|哪里|哪儿|哪些|哪个|在哪|多少|"
    "能不能|可不可以|可以|是否|需要|需不需要|要不要|吗|呢|吧"
)


def terms(text: str) -> Counter[str]:
    """The text's terms: words, word pairs and character bigrams (the router's features)."""
    flat = QUESTION_WORDS.sub(" ", normalize(text).replace("\n", " "))
    words = tokenize(flat)
    counts: Counter[str] = Counter(f"w:{w}" for w in words)
    counts.update(f"p:{a}{b}" for a, b in itertools.pairwise(words))
    counts.update(
        f"c:{gram}" for gram, n in char_ngram_counts(flat, (2, 2)).items() for _ in range(n)
    )
    return counts


@dataclass(frozen=True, slots=True)
class KnowledgeMatch:
    """The best entry for a text and how similar its question is (0..1)."""

    entry_id: int
    score: float


class KnowledgeMatcher:
    """TF-IDF vectors of the base's questions; `best` finds the nearest."""

    def __init__(self, entries: Sequence[tuple[int, str]]) -> None:
        counted = [(entry_id, terms(question)) for entry_id, question in entries]
        documents = Counter(term for _, counts in counted for term in counts)
        total = len(counted)
        self.idf_ = {t: math.log((1 + total) / (1 + n)) + 1 for t, n in documents.items()}
        self.vectors_ = [(entry_id, self._vector(counts)) for entry_id, counts in counted]

    def _vector(self, counts: Counter[str]) -> dict[str, float]:
        weights = {t: (1 + math.log(n)) * self.idf_[t] for t, n in counts.items() if t in self.idf_}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()} if norm else {}

    def best(self, text: str) -> KnowledgeMatch | None:
        """The entry whose question is most similar to `text`, or None for an empty base."""
        vector = self._vector(terms(text))
        found: KnowledgeMatch | None = None
        for entry_id, entry in self.vectors_:
            score = sum(w * entry.get(t, 0.0) for t, w in vector.items())
            if found is None or score > found.score:
                found = KnowledgeMatch(entry_id, round(score, 4))
        return found

    def answer(self, text: str, *, threshold: float = DEFAULT_THRESHOLD) -> KnowledgeMatch | None:
        """The best entry if it is at least `threshold` similar, else None."""
        found = self.best(text)
        return found if found is not None and found.score >= threshold else None
