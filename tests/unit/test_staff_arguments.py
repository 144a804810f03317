"""Reading staff commands, and how a ticket's topic looks for each status."""

from __future__ import annotations

import pytest

from admin.arguments import closure_code, command_arguments, department_code, note_text
from delivery.cards import topic_state
from storage.models import ClosureCode, Status

NAMES = {"dispatch": "区民意调度中心", "urban": "城市管理局", "housing": "住房和城乡建设局"}


def test_a_leading_ticket_number_is_taken_and_the_rest_kept_with_line_breaks() -> None:
    args = command_arguments("/resolve@minyi_bot tb-20261124-0007 已解决 路灯已修好\n请查看")
    assert args.number == "TB-20261124-0007"
    assert args.first == "已解决"
    assert args.after_first == "路灯已修好\n请查看"


def test_without_a_number_the_ticket_comes_from_the_topic() -> None:
    args = command_arguments("/reply  您好，已安排维修。")
    assert args.number is None
    assert args.rest == "您好，已安排维修。"
    assert command_arguments("/claim") == type(args)(None, "")


@pytest.mark.parametrize(
    ("word", "code"),
    [
        ("已解决", ClosureCode.FIXED),
        ("fixed", ClosureCode.FIXED),
        ("已答复", ClosureCode.ANSWERED),
        ("ANSWERED", ClosureCode.ANSWERED),
        ("非本部门职责", ClosureCode.NOT_OURS),
        ("not_ours", ClosureCode.NOT_OURS),
        ("重复", ClosureCode.DUPLICATE),
        ("duplicate", ClosureCode.DUPLICATE),
        ("无法联系", ClosureCode.UNREACHABLE),
        ("unreachable", ClosureCode.UNREACHABLE),
        ("好了", None),
        ("", None),
    ],
)
def test_closure_codes_in_chinese_and_english(word: str, code: ClosureCode | None) -> None:
    assert closure_code(word) == code


def test_departments_by_code_full_name_or_an_unambiguous_part() -> None:
    assert department_code("housing", NAMES) == "housing"
    assert department_code("URBAN", NAMES) == "urban"
    assert department_code("城市管理局", NAMES) == "urban"
    assert department_code("住房", NAMES) == "housing"
    assert department_code("局", NAMES) is None  # in two names: ambiguous
    assert department_code("police", NAMES) is None


def test_only_messages_starting_with_the_note_mark_are_internal() -> None:
    assert note_text("#备注 已电话联系物业") == "已电话联系物业"
    assert note_text("#备注：明早复查") == "明早复查"
    assert note_text("已安排维修 #备注") is None


@pytest.mark.parametrize(
    ("status", "current", "name", "closed"),
    [
        (Status.ROUTED, True, "TB-1 待认领", False),
        (Status.IN_PROGRESS, True, "TB-1 办理中", False),
        (Status.RESOLVED, True, "TB-1 已办结（待评价）", True),
        (Status.REOPENED, True, "TB-1 重新办理", False),
        (Status.CLOSED, True, "TB-1 已归档", True),
        (Status.PENDING_DISPATCH, True, "TB-1 待分派", False),
        (Status.IN_PROGRESS, False, "TB-1 已转出", True),
    ],
)
def test_topics_follow_the_ticket(status: Status, current: bool, name: str, closed: bool) -> None:
    assert topic_state("TB-1", status, current=current) == (name, closed)
