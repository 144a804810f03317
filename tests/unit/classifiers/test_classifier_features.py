"""The fast term counters agree with scikit-learn's analyzers."""

from __future__ import annotations

from collections import Counter

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.features import char_ngram_counts, word_ngram_counts
from classifiers.segmentation import tokenize

TEXTS = ["", "a", "停水", "荷韵花园 路灯坏了\n  三天  了", "12345热线打了 没人接 !!"]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 4)])
@pytest.mark.parametrize("text", TEXTS)
def test_char_counts_match_sklearn(text: str, ngram_range: tuple[int, int]) -> None:
    analyze = TfidfVectorizer(analyzer="char", lowercase=False, ngram_range=ngram_range)
    assert char_ngram_counts(text, ngram_range) == Counter(analyze.build_analyzer()(text))


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 3)])
@pytest.mark.parametrize("text", TEXTS)
def test_word_counts_match_sklearn(text: str, ngram_range: tuple[int, int]) -> None:
    analyze = TfidfVectorizer(
        tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=ngram_range
    ).build_analyzer()
    assert word_ngram_counts(tokenize(text), ngram_range) == Counter(analyze(text))
