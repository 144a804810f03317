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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from classifiers.features import char_ngram_counts
from classifiers.segmentation import normalize, tokenize

__all__ = ["DEFAULT_THRESHOLD", "KnowledgeMatch", "KnowledgeMatcher", "subject", "terms"]

DEFAULT_THRESHOLD = 0.5  # conservative: see docs/benchmarks.md (knowledge base)
# How a question is asked, not what about: left out, so that two questions match on their
# subject ("什么时候" alone must not make 公交 a question about 医保).
# The longer alternatives come first: 在哪里 must not leave 里 behind as a shared subject.
QUESTION_WORDS = re.compile(
    "请问|什么时候|什么|怎么样|怎么|怎样|如何|在哪里|去哪里|在哪儿|去哪儿|哪里|哪儿|哪些|哪个|"
    "在哪|去哪|多少|能不能|可不可以|可以|是否|需不需要|需要|要不要|吗|呢|吧|啥时候|啥|咋|找谁"
)
# What is done or brought, not about what (办理, 材料, 申请, 补办): kept, but weighed little, and
# never the subject two questions must share before one answers the other.
_ACTION_TEXT = (
    "办理 办 补办 补 申请 材料 手续 带 携带 去 到 要 交 缴 领 登记 审批 预约 需 条件 证 证件 "
    "丢 丢了 掉 坏 了 的 我 我们 家 家里 在 有 是 和 一个 个 找 谁 给 能 用 还 就 又 都 这 那 "
    "今年 每年 明年 现在 怎么办 办法"
)
ACTION_WORDS = frozenset(_ACTION_TEXT.split())
ACTION_WEIGHT = 0.2
ANSWER_WEIGHT = 0.1  # an entry's answer names its subject in more words than its question
MARGIN = 0.05  # the best entry must stand this far above the second to answer


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


def _weight(term: str) -> float:
    """How much a term says about the subject: little for the action words and their pairs."""
    kind, body = term[:2], term[2:]
    if kind in ("w:", "c:") and body in ACTION_WORDS:
        return ACTION_WEIGHT
    if kind == "p:" and all(ch in _ACTION_CHARS for ch in body):
        return ACTION_WEIGHT
    return 1.0


_ACTION_CHARS = frozenset("".join(ACTION_WORDS))


def subject(counts: Counter[str]) -> set[str]:
    """The words that say what a text is about (not how it is asked or what is done)."""
    return {t for t in counts if t.startswith("w:") and t[2:] not in ACTION_WORDS}


@dataclass(frozen=True, slots=True)
class KnowledgeMatch:
    """The best entry for a text and how similar its question is (0..1)."""

    entry_id: int
    score: float


class KnowledgeMatcher:
    """TF-IDF vectors of the base's questions (and, weighed less, answers); `best` finds the
    nearest entry that shares a subject word with the text."""

    def __init__(
        self,
        entries: Sequence[tuple[int, str]],
        *,
        answers: Mapping[int, str] | None = None,
        margin: float = MARGIN,
    ) -> None:
        answers = answers or {}
        counted: list[tuple[int, Counter[str]]] = []
        subjects: dict[int, set[str]] = {}
        for entry_id, question in entries:
            counts = terms(question)
            subjects[entry_id] = subjects.get(entry_id, set()) | subject(counts)
            counted.append((entry_id, counts))
        documents = Counter(term for _, counts in counted for term in counts)
        answer_counts = {i: terms(a) for i, a in answers.items()}
        documents.update(t for counts in answer_counts.values() for t in counts)
        total = len(counted) + len(answer_counts)
        self.idf_ = {t: math.log((1 + total) / (1 + n)) + 1 for t, n in documents.items()}
        self.subjects_ = subjects
        self.margin = margin
        self.vectors_ = []
        for entry_id, counts in counted:
            merged = {t: float(n) for t, n in counts.items()}
            for t, n in answer_counts.get(entry_id, Counter()).items():
                merged[t] = merged.get(t, 0.0) + ANSWER_WEIGHT * n
            self.vectors_.append((entry_id, self._vector(merged)))

    def _vector(self, counts: Mapping[str, float]) -> dict[str, float]:
        weights = {
            t: (1 + math.log(n) if n >= 1 else n) * self.idf_[t] * _weight(t)
            for t, n in counts.items()
            if t in self.idf_
        }
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()} if norm else {}

    def scores(self, text: str) -> list[KnowledgeMatch]:
        """Every entry that shares a subject word with `text`, most similar first."""
        counts = terms(text)
        vector = self._vector({t: float(n) for t, n in counts.items()})
        about = subject(counts)
        found: dict[int, float] = {}
        for entry_id, entry in self.vectors_:
            if not about & self.subjects_.get(entry_id, set()):
                continue
            score = sum(w * entry.get(t, 0.0) for t, w in vector.items())
            found[entry_id] = max(score, found.get(entry_id, 0.0))
        ranked = sorted(found.items(), key=lambda pair: (-pair[1], pair[0]))
        return [KnowledgeMatch(entry_id, round(score, 4)) for entry_id, score in ranked]

    def best(self, text: str) -> KnowledgeMatch | None:
        """The most similar entry that shares a subject with `text` and stands `margin` above
        the next, or None."""
        ranked = self.scores(text)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < self.margin:
            return None
        return ranked[0]

    def answer(self, text: str, *, threshold: float = DEFAULT_THRESHOLD) -> KnowledgeMatch | None:
        """The best entry if it is at least `threshold` similar, else None."""
        found = self.best(text)
        return found if found is not None and found.score >= threshold else None
