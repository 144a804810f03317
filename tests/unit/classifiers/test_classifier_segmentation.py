"""Tokenisation with the district's user dictionary."""

from __future__ import annotations

import pickle

from classifiers.segmentation import initialize, is_initialized, normalize, tokenize


def test_user_dictionary_keeps_place_names_and_civic_terms_whole() -> None:
    initialize()
    tokens = tokenize("我家在太白湖新区荷韵花园，网格员说维修基金用不了，打了12345")
    for word in ("太白湖新区", "荷韵花园", "网格员", "维修基金", "12345"):
        assert word in tokens


def test_punctuation_and_spaces_are_dropped() -> None:
    assert tokenize("停水了！！ 　怎么办？") == ["停水", "了", "怎么办"]


def test_initialize_is_idempotent() -> None:
    initialize()
    initialize()
    assert is_initialized()
    assert tokenize("北王一村") == ["北王一村"]


def test_normalize_folds_full_width_and_case() -> None:
    full_width = "\uff21\uff22\uff23\u3000\uff11\uff12\uff13\uff14\uff15"  # full-width "ABC 12345"
    assert normalize(full_width + "\n\n 物业  费 ") == "abc 12345\n物业 费"


def test_tokenizer_is_picklable_by_name() -> None:
    assert pickle.loads(pickle.dumps(tokenize)) is tokenize


def test_normalize_removes_control_characters() -> None:
    assert normalize("停\x00水\x1b了\r\n路灯") == "停 水 了\n路灯"
