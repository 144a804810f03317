"""The knowledge base's matcher and the question gate: pure, no database."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.understanding import is_question
from classifiers.knowledge import DEFAULT_THRESHOLD, KnowledgeMatcher, subject, terms
from storage.knowledge import DEFAULT_BASE, EntryView, dump_base, phrasings, read_base

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


def test_a_shared_way_of_asking_is_not_a_shared_subject() -> None:
    pairs = read_base()
    ids = {question: number for number, (question, _) in enumerate(pairs, 1)}
    found = KnowledgeMatcher([(ids[q], q) for q, _ in pairs], answers={ids[q]: a for q, a in pairs})
    assert not any(t == "w:材料" for t in subject(terms("结婚登记需要带什么材料？")))
    for text in ("燃气开户需要带什么材料？", "路边的井盖丢了，谁来管？", "临时身份证在哪里办？"):
        got = found.best(text)
        assert got is None or got.entry_id != ids["结婚登记需要带什么材料？"]
        assert got is None or got.entry_id != ids["老年优待证在哪里办？"]
        assert got is None or got.entry_id != ids["社保卡丢了怎么补办？"]
    assert found.best("护照需要带什么材料？") is None  # nothing in the base is about 护照


def test_several_phrasings_answer_as_one_entry() -> None:
    found = KnowledgeMatcher(
        [
            (1, "社保卡丢了怎么补办？"),
            (1, "社保卡坏了去哪里换新的？"),
            (2, "身份证丢了在哪里补办？"),
        ]
    )
    match = found.best("社保卡坏了 咋换")
    assert match is not None
    assert match.entry_id == 1
    assert [m.entry_id for m in found.scores("社保卡坏了 咋换")] == [1]  # once, at its best


def test_the_best_entry_must_stand_above_the_second() -> None:
    twins = [(1, "居住证怎么办理？"), (2, "居住证怎么办理？")]
    assert KnowledgeMatcher(twins).best("居住证怎么办？") is None
    match = KnowledgeMatcher(twins, margin=0).best("居住证怎么办？")
    assert match is not None
    assert match.entry_id == 1


def test_the_answer_text_counts_for_what_an_entry_is_about() -> None:
    entries = [(1, "新房的产权证书怎么办理？"), (2, "新房燃气怎么开户？")]
    answers = {
        1: "携带购房合同、完税证明到不动产登记中心申请不动产权证书。",
        2: "携带房产证明到燃气公司营业厅开户。",
    }
    text = "新房完税证明去哪交？"  # 完税证明 is only in entry 1's answer
    assert KnowledgeMatcher(entries).scores(text)[0].entry_id == 2
    assert KnowledgeMatcher(entries, answers=answers).scores(text)[0].entry_id == 1


def test_further_phrasings_in_the_base_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "base.toml"
    path.write_text(
        '[[entry]]\nquestion = "社保卡丢了怎么补办？"\nquestions = ["社保卡坏了去哪换？"]\n'
        'answer = "到人社窗口补办。"\n\n'
        '[[entry]]\nquestion = "残疾证怎么办理？"\nanswer = "到残联。"\n',
        encoding="utf-8",
    )
    pairs = read_base(path)
    assert [phrasings(q) for q, _ in pairs] == [
        ["社保卡丢了怎么补办？", "社保卡坏了去哪换？"],
        ["残疾证怎么办理？"],
    ]
    path.write_text(dump_base([EntryView(i, q, a, "file") for i, (q, a) in enumerate(pairs, 1)]))
    assert read_base(path) == pairs


def test_where_to_ask_leaves_nothing_of_itself_behind() -> None:
    assert subject(terms("身份证丢了在哪里补办？")) == {"w:身份证"}
    assert subject(terms("狗证去哪里办？")) == subject(terms("狗证在哪儿办？"))
