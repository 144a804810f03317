"""Typed notices: every kind survives the outbox as the same type, renders in Chinese, and a
row that is no known notice is refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from delivery.render import Names, render
from storage.models import ClosureCode, Rating, Status
from storage.notices import (
    NOTICE_TYPES,
    AcceptEscalation,
    AcceptReminder,
    CardVia,
    Claimed,
    Closed,
    CohandlerCard,
    CohandlerNote,
    DepartmentUnreachable,
    Digest,
    DigestChart,
    DispatchCard,
    DispatchReason,
    Escalation,
    EscalationWhy,
    ExtensionApproved,
    ExtensionDecided,
    ExtensionRequest,
    FollowUp,
    Linked,
    Notice,
    NoticeKind,
    Overdue,
    PendingDispatch,
    Photos,
    Question,
    Reminder,
    Reopened,
    Reply,
    ResidentInfo,
    ResidentUnreachable,
    Resolved,
    Rework,
    Routed,
    SendBackCard,
    SendBackDecided,
    StaffCard,
    TicketCard,
    Unanswered,
    UnknownNotice,
    VisitReminder,
    Voices,
    anonymised,
    decode,
    encode,
    ticket_number,
)
from storage.redaction import mask_personal_numbers
from storage.routing import Candidate

DUE = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
NAMES = Names(
    {"urban": "城市管理局", "housing": "住建局", "dispatch": "区民意调度中心"},
    {"urban": "城市管理局", "housing": "住建局"},
)
CARD = StaffCard(
    number="TB-20261124-0001",
    text="荷韵花园门口路灯坏了，电话13912345678",
    status=Status.ROUTED,
    department_code="urban",
    resident_name="王女士",
    address="荷韵花园3栋",
    photos=("photo-1", "photo-2"),
    phone="13800000000",
    confidence=0.91,
    due_at=DUE,
    voices=("voice-9",),
)
N = "TB-20261124-0001"
EXAMPLES: tuple[Notice, ...] = (
    Routed(N, "urban", DUE),
    Routed(N, "housing", DUE, again=True),
    PendingDispatch(N),
    Claimed(N, "urban"),
    Reply(N, "urban", "已安排维修"),
    Question(N, "urban", "请问是几号楼？"),
    Photos(N, ("photo-3",)),
    Voices(N, ("voice-1",)),
    Resolved(N, "urban", ClosureCode.FIXED, "路灯已更换"),
    Resolved(N, "urban", ClosureCode.DUPLICATE, "", duplicate_of="TB-20261123-0009"),
    Reopened(N, "urban"),
    Closed(N, Rating.SATISFIED),
    Closed(N, Rating.UNRATED),
    TicketCard(CARD),
    TicketCard(CARD, CardVia.REASSIGNED, "属于电梯维保", unbound_department_code="housing"),
    DispatchCard(CARD, (Candidate("urban", 0.42), Candidate("housing", 0.3)), note="非我局"),
    DispatchCard(CARD, reason=DispatchReason.NOT_OURS),
    ResidentInfo(N, "就在东门口", ("photo-4",), answer=True),
    Rework(N, "灯还是不亮", 1),
    Reminder(N, DUE, 2.5),
    Overdue(N, DUE),
    Unanswered(N, 24.0, DUE),
    ResidentUnreachable(N, blocked=True),
    DepartmentUnreachable(N, "housing", "Forbidden: bot was kicked"),
    DepartmentUnreachable(None, None, "Forbidden"),
    Escalation(N, "urban", EscalationWhy.UNSATISFIED, "多次不满意"),
    Digest("📊 民意直通车日报"),
    DigestChart(date(2026, 11, 24), b"\x89PNG\r\n"),
    Linked(N, Status.IN_PROGRESS),
    FollowUp(N, NoticeKind.RESOLVED, False, "urban", "路灯已更换", code=ClosureCode.FIXED),
    FollowUp(N, NoticeKind.CLOSED, True, rating=Rating.NOT_REACHED),
    FollowUp(N, NoticeKind.CLOSED, False, text="已当面解释", code=ClosureCode.ON_THE_SPOT),
    AcceptReminder(N, DUE),
    AcceptEscalation(N, "urban", DUE, DUE),
    SendBackCard(CARD, "属高速公路管理范围"),
    SendBackDecided(N, approved=True, department_code="housing"),
    SendBackDecided(N, approved=False, reason="在小区红线外，属城管维护"),
    ExtensionRequest(N, "urban", 5, "需协调供电公司", DUE, 0),
    ExtensionRequest(N, "urban", 3, "材料未齐", DUE, 1),
    ExtensionApproved(N, "urban", DUE),
    ExtensionDecided(N, approved=True, days=5, due_at=DUE),
    ExtensionDecided(N, approved=False, days=5, due_at=DUE),
    VisitReminder(date(2026, 12, 15), "市直第一民情书记队"),
    CohandlerCard(CARD, "housing", "请核实电梯维保单位"),
    CohandlerCard(CARD, "housing"),
    CohandlerNote(N, "housing", "维保单位是某某公司，已通知", partial=True),
    CohandlerNote(N, "housing", "电话已登记", partial=False),
)


def test_the_examples_cover_every_kind() -> None:
    assert {type(n) for n in EXAMPLES} == set(NOTICE_TYPES)
    assert {n.kind for n in EXAMPLES} == set(NoticeKind)


@pytest.mark.parametrize("notice", EXAMPLES, ids=lambda n: n.kind)
def test_a_notice_comes_back_from_the_outbox_as_the_same_value(notice: Notice) -> None:
    stored = json.loads(json.dumps(encode(notice), ensure_ascii=False))
    back = decode(notice.kind, stored)
    assert back == notice
    assert type(back) is type(notice)


@pytest.mark.parametrize("notice", EXAMPLES, ids=lambda n: n.kind)
def test_every_notice_renders_in_chinese_without_leftovers(notice: Notice) -> None:
    rendered = render(notice, tz=TZ, names=NAMES)
    shown = rendered.text
    assert shown or rendered.photos or rendered.voices or rendered.upload
    for leftover in ("{", "}", "None", "urban", "housing", "_"):
        assert leftover not in shown
    if isinstance(notice, Routed | Reminder | Overdue | Unanswered):
        assert "11月27日 17:30" in shown  # deadlines in the district's time, from a datetime


def test_a_card_names_departments_from_one_source_and_shows_the_phone_with_consent() -> None:
    text = render(TicketCard(CARD), tz=TZ, names=NAMES).text
    assert "城市管理局" in text
    assert "13800000000" in text
    assert "置信度 91%" in text


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("mystery", {"text": "居民原话"}),
        ("", {}),
        ("reply", {"number": "TB-1"}),  # the kind is known, the payload does not fit it
        ("routed", {"number": "TB-1", "department_code": "urban", "due_at": "tomorrow"}),
        ("ticket_card", {"number": "TB-1", "text": "居民原话"}),
    ],
)
def test_a_row_that_is_no_known_notice_is_refused_without_its_words(
    kind: str, payload: dict[str, object]
) -> None:
    with pytest.raises(UnknownNotice) as refused:
        decode(kind, payload)
    assert "居民原话" not in str(refused.value)
    assert refused.value.kind == kind


def test_anonymised_notices_keep_no_personal_data() -> None:
    for notice in EXAMPLES:
        kept = json.dumps(encode(anonymised(notice, mask_personal_numbers)), ensure_ascii=False)
        for personal in ("13912345678", "13800000000", "荷韵花园3栋", "王女士", "就在东门口"):
            assert personal not in kept
        assert ticket_number(anonymised(notice, mask_personal_numbers)) == ticket_number(notice)
