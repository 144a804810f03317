"""The knowledge base's matcher and the question gate: pure, no database."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.understanding import is_question
from classifiers.knowledge import DEFAULT_THRESHOLD, KnowledgeMatcher, terms
from storage.knowledge import DEFAULT_BASE, EntryView, dump_base, read_base

DATA = Path(__file__).resolve().parents[1] / "data"


def matcher() -> tuple[KnowledgeMatcher, dict[str, int]]:
    pairs = read_base()
    ids = {question: number for number, (question, _) in enumerate(pairs, 1)}
    return KnowledgeMatcher([(ids[q], q) for q, _ in pairs]), ids


def test_the_default_base_answers_the_development_set_without_a_wrong_answer() -> None:
    found, ids = matcher()
    questions = tomllib.loads((DATA / "knowledge_dev.toml").read_text())["question"]
    answered = [
        (m.entry_id, ids.get(q["expected"]))
        for q in questions
        if is_question(q["text"]) and (m := found.answer(q["text"])) is not None
    ]
    assert answered
    assert all(got == expected for got, expected in answered)


def test_how_a_question_is_asked_is_not_what_it_is_about() -> None:
    assert not any(t.startswith("w:") and "什么" in t for t in terms("医保什么时候交？"))
    found, _ = matcher()
    assert found.answer("公交车什么时候恢复原来的线路？") is None


def test_complaints_told_as_statements_are_not_questions() -> None:
    assert is_question("居住证怎么办理？")
    assert is_question("低保需要什么条件")
    assert not is_question("暖气不热，家里才16度")
    assert not is_question("小区里有人养狗不拴绳")


def test_an_empty_base_answers_nothing_and_the_threshold_is_conservative() -> None:
    assert KnowledgeMatcher([]).best("居住证怎么办理？") is None
    assert DEFAULT_THRESHOLD >= 0.5


def test_the_base_file_round_trips() -> None:
    pairs = read_base(DEFAULT_BASE)
    text = dump_base([EntryView(i, q, a, "file") for i, (q, a) in enumerate(pairs, 1)])
    assert [(e["question"], e["answer"]) for e in tomllib.loads(text)["entry"]] == pairs
