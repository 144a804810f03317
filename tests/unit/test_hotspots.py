"""热点诉求: themes several residents raise, never filler words or one resident's words."""

from __future__ import annotations

from classifiers.keywords import hot_keywords

TEXTS = [
    "荷韵花园路灯不亮，晚上出行很危险，说不清楚是哪里坏了，打电话也没人接",
    "小区门口路灯坏了好几天，电话打了好几次，说不清楚什么时候修",
    "太白湖新区的路灯晚上不亮，给电话说不清楚",
    "楼下垃圾桶满了没人清运，气味很大，电话联系不上",
    "垃圾桶旁边的垃圾堆了三天了",
    "菜市场噪音扰民，凌晨四点就开始卸货",
]


def test_filler_words_are_never_hot_topics() -> None:
    words = [k.word for k in hot_keywords(TEXTS, top=10)]
    for filler in ("说不清楚", "说不清", "电话", "打电话", "不清楚"):
        assert filler not in words
    assert words[:2] == ["路灯", "垃圾桶"]


def test_a_hot_topic_is_raised_by_at_least_two_tickets() -> None:
    keywords = hot_keywords(TEXTS, top=10)
    assert keywords
    assert all(k.count >= 2 for k in keywords)
    assert "噪音" not in [k.word for k in keywords]  # one resident's theme, not the period's
    lamp = next(k for k in keywords if k.word == "路灯")
    assert (lamp.count, lamp.examples) == (3, (0, 1, 2))


def test_one_ticket_has_no_hot_topics() -> None:
    assert hot_keywords(["菜市场噪音扰民，凌晨四点就开始卸货"]) == []
    assert hot_keywords(["菜市场噪音扰民"], min_texts=1)[0].word in {"菜市场", "噪音", "扰民"}
