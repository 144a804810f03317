"""rjieba segments exactly as jieba, the reference, or the project segments with jieba.

rjieba (jieba-rs) is the same algorithm; these tests are what allows it to serve and train:
identical token lists on the shipped corpus and on the cases where the two could part (near
ties of probability, characters only jieba-rs reads as Han), and identical predictions of the
default model.
"""

from __future__ import annotations

import csv
import logging
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import rjieba

from classifiers import segmentation
from classifiers.artifact import default_model_path, load_model
from classifiers.segmentation import (
    JiebaSegmenter,
    RjiebaSegmenter,
    Segmenter,
    default_userdict_path,
    new_segmenter,
    normalize,
)

CORPUS = Path(segmentation.__file__).with_name("corpus")


def corpus_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts.extend(row["text"] for row in csv.DictReader(handle))
    return texts


@pytest.fixture(scope="module")
def reference() -> Segmenter:
    """jieba with the district dictionary."""
    return new_segmenter(default_userdict_path(), fast=False)


@pytest.fixture(scope="module")
def fast() -> Segmenter:
    """rjieba with jieba's dictionary and the district dictionary."""
    segmenter = new_segmenter(default_userdict_path())
    assert isinstance(segmenter, RjiebaSegmenter)
    return segmenter


def differing(reference: Segmenter, fast: Segmenter, texts: list[str]) -> list[str]:
    return [text for text in texts if fast.cut(text) != reference.cut(text)]


def test_the_same_tokens_on_the_shipped_corpus(reference: Segmenter, fast: Segmenter) -> None:
    texts = corpus_texts()
    assert len(texts) > 3000
    assert differing(reference, fast, texts) == []
    assert differing(reference, fast, [normalize(text) for text in texts]) == []


@pytest.mark.parametrize(
    "text",
    [
        "太欺负人了",  # splits only if the total ignores the district dictionary's re-weighting
        "咚咚咚地踢墙",  # a tie broken by the last bit: jieba's total counts B超 twice
        "嗡嗡嗡的声音吵得",
        "负负负䶵\n欺",  # U+4DB5 (CJK extension A) ends jieba's run of Han, not jieba-rs's
        "地灯物停0踢踢踢㐀0-",
        "小小小鿖\nY鿿X𠀀负物2",
        "我家在太白湖新区荷韵花园，网格员说维修基金用不了，打了12345",
        "B超 T恤 iPhone 12345 a.b_c-d%e&f#g+h\r\n",
    ],
)
def test_the_same_tokens_where_the_two_could_part(
    reference: Segmenter, fast: Segmenter, text: str
) -> None:
    assert fast.cut(text) == reference.cut(text)


def test_the_same_tokens_on_random_mixtures(reference: Segmenter, fast: Segmenter) -> None:
    alphabet = [
        *"欺负人咚地踢墙路灯坏了小区物业停水停电太白湖新区荷韵花园",
        *"ab12._-+#&%\uff21\uff22 \u3000\n\t，。！？㐀䶵鿕鿖鿪鿿𠀀豈〇々ー·・XYZ0\uff19\x1c\x85",
        "\r\n",
    ]
    pick = random.Random(17)
    texts = ["".join(pick.choices(alphabet, k=pick.randint(1, 14))) for _ in range(20_000)]
    assert differing(reference, fast, texts) == []


def test_what_jieba_rs_reads_as_han_beyond_jieba_is_cut_out_first() -> None:
    # A word 甲+c is found only if jieba-rs keeps c in the run of Han that starts at 甲.
    probe = rjieba.Jieba.empty()
    characters = [chr(c) for c in range(0x21, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    for character in characters:
        probe.add_word("甲" + character, 10, None)
    jieba_han = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]")
    beyond = [
        c for c in characters if probe.cut("甲" + c, False) == ["甲" + c] and not jieba_han.match(c)
    ]
    split_out = [c for c in characters if segmentation._JIEBA_RS_ONLY_HAN.fullmatch(c)]
    assert beyond == split_out


def test_the_district_dictionary_loads_into_rjieba(reference: Segmenter, fast: Segmenter) -> None:
    lines = default_userdict_path().read_text(encoding="utf-8").split("\n")
    words = [line.split()[0] for line in lines if line.strip()]
    assert len(words) > 100
    for word in words:
        assert fast.cut(word) == reference.cut(word) == [word]


def test_a_second_user_dictionary_loads_as_in_jieba(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    lines = ["欺负人 5 i", "停车 90000 v", "网格化管理 900 n", "停车 120000 v"]
    extra.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reference = JiebaSegmenter()
    fast = RjiebaSegmenter()
    for segmenter in (reference, fast):
        segmenter.add_userdict(default_userdict_path())
        segmenter.add_userdict(extra)
    texts = [*corpus_texts()[:600], "太欺负人了", "咚咚咚地踢墙", "社区推行网格化管理，停车难"]
    assert differing(reference, fast, texts) == []


def test_the_default_model_predicts_the_same(
    reference: Segmenter, fast: Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(default_model_path())
    texts = corpus_texts()
    texts += [text[:20] for text in texts]
    monkeypatch.setattr(segmentation, "_segmenter", reference)
    expected = model.probabilities(texts)
    monkeypatch.setattr(segmentation, "_segmenter", fast)
    served = model.probabilities(texts)
    assert np.array_equal(served, expected)
    assert list(served.argmax(axis=1)) == list(expected.argmax(axis=1))


def test_initialize_segments_with_rjieba_when_it_is_installed() -> None:
    segmentation.initialize()
    assert segmentation.segmenter_name() == "rjieba"


def test_without_rjieba_jieba_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rjieba", None)  # `import rjieba` now fails
    segmenter = new_segmenter(default_userdict_path())
    assert isinstance(segmenter, JiebaSegmenter)
    assert segmenter.cut("太白湖新区停水了") == ["太白湖新区", "停水", "了"]


def test_a_word_without_frequency_leaves_it_to_jieba(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("荷韵花园 800 ns\n网格化管理\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        segmenter = new_segmenter(userdict)
    assert isinstance(segmenter, JiebaSegmenter)
    assert "needs a frequency" in caplog.text
    assert "网格化管理" in segmenter.cut("社区推行网格化管理")
