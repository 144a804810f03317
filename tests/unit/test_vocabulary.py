"""One vocabulary: every status, closure code, rating and action has its Chinese name."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from storage import vocabulary
from storage.lifecycle import Action
from storage.models import ClosureCode, Rating, Status
from storage.vocabulary import StatusName, status_name

WORDS = {
    Status.RECEIVED: ("已受理", "已受理"),
    Status.PENDING_DISPATCH: ("待分派", "待分派"),
    Status.ROUTED: ("已交办", "待认领"),
    Status.IN_PROGRESS: ("办理中", "办理中"),
    Status.REOPENED: ("重新办理", "重新办理"),
    Status.RESOLVED: ("已办结（待评价）", "已办结（待评价）"),
    Status.CLOSED: ("已归档", "已归档"),
    Status.SENT_BACK: ("重新分派中", "退单待审"),
}


def distinct_words(names: Iterable[str]) -> None:
    names = list(names)
    assert all(name and name == name.strip() for name in names)
    assert len(set(names)) == len(names)


def test_every_status_has_both_names() -> None:
    assert set(vocabulary.STATUS_NAMES) == set(Status)
    assert {s: (n.resident, n.staff) for s, n in vocabulary.STATUS_NAMES.items()} == WORDS
    distinct_words(n.resident for n in vocabulary.STATUS_NAMES.values())
    distinct_words(n.staff for n in vocabulary.STATUS_NAMES.values())


def test_only_a_routed_or_sent_back_ticket_has_two_names() -> None:
    differ = {s for s, n in vocabulary.STATUS_NAMES.items() if n.resident != n.staff}
    assert differ == {Status.ROUTED, Status.SENT_BACK}


def test_every_closure_rating_and_action_is_named() -> None:
    assert set(vocabulary.CLOSURE_NAMES) == set(ClosureCode)
    assert set(vocabulary.RATING_NAMES) == set(Rating)
    assert set(vocabulary.ACTION_NAMES) == set(Action)
    distinct_words(vocabulary.CLOSURE_NAMES.values())
    distinct_words(vocabulary.RATING_NAMES.values())
    distinct_words(vocabulary.ACTION_NAMES.values())
    assert vocabulary.CLOSURE_NAMES[ClosureCode.DUPLICATE] == "重复诉求"
    assert vocabulary.RATING_NAMES[Rating.UNRATED] == "未评价"


def test_todays_action_words_stay() -> None:
    today = {  # admin/texts.py ACTION_NAMES before the vocabulary
        "claim": "认领",
        "reply": "答复",
        "ask": "提问",
        "note": "备注",
        "reassign": "转办",
        "resolve": "办结",
        "dispatch": "分派",
    }
    assert {a: vocabulary.ACTION_NAMES[Action(a)] for a in today} == today


@pytest.mark.parametrize("status", list(Status))
def test_status_name_takes_enums_and_strings(status: Status) -> None:
    resident, staff = WORDS[status]
    assert status_name(status, staff=False) == status_name(status.value, staff=False) == resident
    assert status_name(status, staff=True) == status_name(status.value, staff=True) == staff


def test_unknown_values_are_shown_as_they_are() -> None:
    assert status_name("archived", staff=True) == "archived"
    assert status_name("", staff=False) == ""
    assert vocabulary.closure_name("lost") == "lost"
    assert vocabulary.closure_name(None) == vocabulary.closure_name("") == ""
    assert vocabulary.closure_name("fixed") == "已解决"
    assert vocabulary.rating_name("great") == "great"
    assert vocabulary.rating_name(None) == ""
    assert vocabulary.rating_name(Rating.BASICALLY) == "基本满意"
    assert vocabulary.action_name("add information") == "补充材料"
    assert vocabulary.action_name("fly") == "fly"


def test_names_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        vocabulary.STATUS_NAMES[Status.CLOSED] = StatusName("x", "y")  # type: ignore[index]
