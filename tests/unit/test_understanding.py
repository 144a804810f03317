"""The intake's reading of what people type (bot.understanding), on the cases the issue
found and on two labelled sets written by people who had not seen the rules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from benchmarks.understanding import measure
from bot.understanding import (
    Intent,
    SmallTalk,
    emergency,
    intent,
    is_follow_up,
    is_repeat,
    is_vague,
    phone_number,
    place_in,
    small_talk,
    typed_rating,
)
from storage.models import Rating
from storage.places import read_places

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("有人晕倒在路边了，没气了", "120"),
        ("我家着火了快来人", "119"),
        ("楼道里全是烟呛得不行", "119"),
        ("闻到一股煤气味，好像哪里漏了", "119"),
        ("电梯里困了个人，叫了半天没人来", "119"),
        ("他手里有刀在楼下喊", "110"),
        ("小区门口撞人了", "122"),
        ("俺家老头叫不醒了", "120"),
    ],
)
def test_emergencies_get_the_number_to_call(text: str, number: str) -> None:
    found = emergency(text)
    assert found is not None
    assert found.number == number


@pytest.mark.parametrize(
    "text", ["路灯坏了一个多月", "电梯坏了好几天了", "家里停水两天了", "车打不着火，停在小区门口"]
)
def test_ordinary_reports_are_no_emergency(text: str) -> None:
    assert emergency(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "麻烦帮我看看这个情况",
        "我想问一下我们这边的事情到底归谁管",
        "我要投诉",
        "有个问题想反映一下",
    ],
)
def test_content_free_texts_are_vague(text: str) -> None:
    assert is_vague(text)
    assert small_talk(text) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", SmallTalk.GREETING),
        ("在吗？", SmallTalk.GREETING),
        ("谢谢你们！", SmallTalk.THANKS),
        ("测试", SmallTalk.TEST),
        ("你是机器人吗", SmallTalk.ABOUT_BOT),
        ("👍👍", SmallTalk.THANKS),
    ],
)
def test_small_talk_is_no_request(text: str, kind: SmallTalk) -> None:
    assert small_talk(text) == kind


def test_a_greeting_with_a_problem_is_a_report() -> None:
    assert small_talk("你好，我家停水了") is None
    assert not is_vague("你好，我家停水了")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("没有", Intent.SKIP),
        ("不用了", Intent.SKIP),
        ("跳过", Intent.SKIP),
        ("完成", Intent.SKIP),
        ("算了", Intent.SKIP),
        ("好的，确认提交", Intent.CONFIRM),
        ("确认", Intent.CONFIRM),
        ("修改一下", Intent.EDIT),
        ("不报了", Intent.CANCEL),
        ("北门那条路的路灯", None),
    ],
)
def test_short_answers(text: str, expected: Intent | None) -> None:
    order = (Intent.CANCEL, Intent.EDIT, Intent.SKIP, Intent.CONFIRM)
    assert intent(text, allowed=order) == expected


def test_typed_phone_numbers_and_ratings() -> None:
    assert phone_number("我的电话138 1234 5678") == "13812345678"
    assert phone_number("座机0537-2345678") == "0537-2345678"
    assert phone_number("3号楼2单元") is None
    assert typed_rating("满意") == (Rating.SATISFIED, "")
    assert typed_rating("很满意，谢谢你们") == (Rating.SATISFIED, "很满意，谢谢你们")
    assert typed_rating("不满意，灯还是不亮") == (Rating.UNSATISFIED, "不满意，灯还是不亮")
    assert typed_rating("基本满意") == (Rating.BASICALLY, "")
    assert typed_rating("北门路灯又坏了") is None


def test_follow_ups_and_repeats() -> None:
    assert is_follow_up("什么时候来修？")
    assert is_follow_up("对了，还有3单元的也不亮")
    assert not is_follow_up("小区门口的垃圾没人清")
    told = "荷韵花园东门的路灯坏了一个多月，晚上特别黑，老人出门很不安全"
    assert is_repeat(told, told)
    assert is_repeat(told + "。", told)
    assert not is_repeat("东门", told)


def test_places_named_in_the_text() -> None:
    places = read_places()
    assert place_in("南风花园3号楼的电梯坏了", places) == "南风花园3号楼"
    assert place_in("荷韵花园北门的路灯坏了", places) == "荷韵花园北门"
    assert place_in("金宇路与荷花路路口红绿灯不亮", places) == "金宇路，荷花路路口"
    assert place_in("菜市场门口有人占道经营", places) == "菜市场门口"
    assert place_in("家里停水两天了", places) is None
    assert place_in("道路破损严重", places) is None


@pytest.mark.parametrize("name", ["intake_messages.toml", "intake_heldout.toml"])
def test_the_rules_on_sets_written_without_seeing_them(name: str) -> None:
    messages = tomllib.loads((DATA / name).read_text(encoding="utf-8"))["message"]
    figures = measure(messages, read_places())
    assert figures["messages"] >= 100
    assert figures["emergency_recall"] >= 0.95, figures["missed_emergencies"]
    assert figures["emergency_right_number"] >= 0.95
    assert figures["false_emergencies_among_reports"] <= 2
    assert figures["small_talk_recognised"] >= 0.85
    assert figures["small_talk_false_among_reports"] == 0
    assert figures["vague_sent_to_dispatch"] >= 0.9
    assert figures["reports_wrongly_vague"] == 0
    assert figures["place_as_labelled"] >= 0.95
