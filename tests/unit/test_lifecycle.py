"""The ticket state machine, pair by pair, against a matrix written out here on its own."""

from __future__ import annotations

import itertools

import pytest

from storage import lifecycle
from storage.errors import IllegalTransition
from storage.lifecycle import Action, Party, Step, allowed, require
from storage.models import EventKind, Status
from storage.notices import NoticeKind

# Where each action leads from each status: "=" the status stays, "-" not allowed.
MATRIX = """
action          received  pending   routed    working   resolved  reopened  closed  sentback
ROUTE           routed    -         -         -         -         -         -  -
HOLD            pending   -         -         -         -         -         -  -
DISPATCH        routed    routed    -         -         -         -         -  -
CLAIM           -         -         working   -         -         working   -  -
TAKE_OVER       -         -         -         =         -         -         -  -
REPLY           -         -         working   working   -         working   -  -
ASK             -         -         working   working   -         working   -  -
NOTE            =         =         =         =         =         =         =  =
REASSIGN        -         routed    =         routed    -         routed    -  -
RETURN          -         -         pending   pending   -         pending   -  -
NOT_OURS        -         -         pending   pending   -         pending   -  -
RESOLVE         -         -         resolved  resolved  -         resolved  -  -
ADD_INFO        =         =         =         =         =         =         -  =
RATE            -         -         -         -         closed    -         -  -
REJECT          -         -         -         -         reopened  -         -  -
REJECT_FINAL    -         -         -         -         closed    -         -  -
CLOSE_UNRATED   -         -         -         -         closed    -         -  -
REMIND          -         -         =         =         -         =         -  -
MARK_OVERDUE    -         -         =         =         -         =         -  -
ESCALATE        -         -         =         =         -         =         -  -
RESUME_CLOCK    -         -         =         =         -         =         -  -
ANSWER_ON_SPOT  closed    -         -         -         -         -         -  -
LINK            =         =         =         =         =         =         =  =
FOLLOW_UP       -         -         -         -         closed    -         -  -
FOLLOW_UP_REJECT -        -         -         -         reopened  -         -  -
FOLLOW_UP_FINAL -         -         -         -         closed    -         -  -
NOT_REACHED     -         -         -         -         closed    -         -  -
WRITE_OFF       -         -         -         -         -         -         =  -
ACCEPT_REMIND   -         -         =         -         -         -         -  -
ACCEPT_ESCALATE -         -         =         -         -         -         -  -
SEND_BACK       -         -         sentback  sentback  -         -         -  -
APPROVE_SEND_BACK -       -         -         -         -         -         -  routed
REFUSE_SEND_BACK -        -         -         -         -         -         -  routed
REQUEST_EXTENSION -       -         =         =         -         =         -  -
APPROVE_EXTENSION -       -         =         =         -         =         -  -
DENY_EXTENSION  -         -         =         =         -         =         -  -
ADD_COHANDLER   -         -         =         =         -         =         -  -
COHANDLER_NOTE  -         -         =         =         -         =         -  -
"""
SHORT = {
    "pending": Status.PENDING_DISPATCH,
    "working": Status.IN_PROGRESS,
    "sentback": Status.SENT_BACK,
}

WHO = {
    Action.ROUTE: {Party.SYSTEM},
    Action.HOLD: {Party.SYSTEM},
    Action.DISPATCH: {Party.DISPATCHER},
    Action.CLAIM: {Party.STAFF},
    Action.TAKE_OVER: {Party.STAFF},
    Action.REPLY: {Party.STAFF},
    Action.ASK: {Party.STAFF},
    Action.NOTE: {Party.STAFF},
    Action.REASSIGN: {Party.STAFF},
    Action.RETURN: {Party.STAFF},
    Action.NOT_OURS: {Party.STAFF},
    Action.RESOLVE: {Party.STAFF},
    Action.ADD_INFO: {Party.RESIDENT},
    Action.RATE: {Party.RESIDENT},
    Action.REJECT: {Party.RESIDENT},
    Action.REJECT_FINAL: {Party.RESIDENT},
    Action.CLOSE_UNRATED: {Party.SYSTEM},
    Action.REMIND: {Party.SYSTEM},
    Action.MARK_OVERDUE: {Party.SYSTEM},
    Action.ESCALATE: {Party.SYSTEM},
    Action.RESUME_CLOCK: {Party.SYSTEM},
    Action.ANSWER_ON_SPOT: {Party.COLLECTOR},
    Action.LINK: {Party.RESIDENT},
    Action.FOLLOW_UP: {Party.COLLECTOR},
    Action.FOLLOW_UP_REJECT: {Party.COLLECTOR},
    Action.FOLLOW_UP_FINAL: {Party.COLLECTOR},
    Action.NOT_REACHED: {Party.COLLECTOR},
    Action.WRITE_OFF: {Party.COLLECTOR},
    Action.ACCEPT_REMIND: {Party.SYSTEM},
    Action.ACCEPT_ESCALATE: {Party.SYSTEM},
    Action.SEND_BACK: {Party.STAFF},
    Action.APPROVE_SEND_BACK: {Party.DISPATCHER},
    Action.REFUSE_SEND_BACK: {Party.DISPATCHER},
    Action.REQUEST_EXTENSION: {Party.STAFF},
    Action.APPROVE_EXTENSION: {Party.SUPERVISOR},
    Action.DENY_EXTENSION: {Party.SUPERVISOR},
    Action.ADD_COHANDLER: {Party.STAFF},
    Action.COHANDLER_NOTE: {Party.COHANDLER},
}

# Events and notices that say where the ticket is now: a step recording or queueing one must
# end in that status.
EVENT_STATUS = {
    EventKind.ROUTED: Status.ROUTED,
    EventKind.DISPATCHED: Status.ROUTED,
    EventKind.REASSIGNED: Status.ROUTED,
    EventKind.SENT_TO_DISPATCH: Status.PENDING_DISPATCH,
    EventKind.CLAIMED: Status.IN_PROGRESS,
    EventKind.REPLIED: Status.IN_PROGRESS,
    EventKind.ASKED: Status.IN_PROGRESS,
    EventKind.RESOLVED: Status.RESOLVED,
    EventKind.REOPENED: Status.REOPENED,
    EventKind.CLOSED: Status.CLOSED,
    EventKind.SENT_BACK: Status.SENT_BACK,
    EventKind.SEND_BACK_REJECTED: Status.ROUTED,
}
NOTICE_STATUS = {
    NoticeKind.TICKET_CARD: Status.ROUTED,
    NoticeKind.ROUTED: Status.ROUTED,
    NoticeKind.DISPATCH_CARD: Status.PENDING_DISPATCH,
    NoticeKind.PENDING_DISPATCH: Status.PENDING_DISPATCH,
    NoticeKind.CLAIMED: Status.IN_PROGRESS,
    NoticeKind.RESOLVED: Status.RESOLVED,
    NoticeKind.REOPENED: Status.REOPENED,
    NoticeKind.REWORK: Status.REOPENED,
    NoticeKind.CLOSED: Status.CLOSED,
    NoticeKind.SEND_BACK_CARD: Status.SENT_BACK,
}


def expected_matrix() -> dict[tuple[Status, Action], Status]:
    """The allowed pairs of MATRIX with their targets."""
    header, *rows = MATRIX.strip().splitlines()
    columns = [SHORT.get(name) or Status(name) for name in header.split()[1:]]
    assert sorted(columns) == sorted(Status)
    expected: dict[tuple[Status, Action], Status] = {}
    for row in rows:
        name, *cells = row.split()
        assert len(cells) == len(columns), row
        for status, cell in zip(columns, cells, strict=True):
            if cell != "-":
                target = status if cell == "=" else SHORT.get(cell) or Status(cell)
                expected[status, Action[name]] = target
    assert {action for _, action in expected} == set(Action)
    return expected


EXPECTED = expected_matrix()
PAIRS = list(itertools.product(Status, Action))


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=lambda v: str(v.value))
def test_pair(status: Status, action: Action) -> None:
    step = allowed(status, action)
    if (status, action) in EXPECTED:
        assert step is not None
        assert (step.source, step.action, step.target) == (
            status,
            action,
            EXPECTED[status, action],
        )
        assert step.who == WHO[action]
        assert require("TB-1", status, action) is step
        assert allowed(status.value, action) is step
    else:
        assert step is None
        with pytest.raises(IllegalTransition) as raised:
            require("TB-20250101-0001", status, action)
        error = raised.value
        assert (error.number, error.status, error.action) == (
            "TB-20250101-0001",
            status.value,
            action.value,
        )


def test_the_table_holds_exactly_the_allowed_pairs() -> None:
    found = {(step.source, step.action): step.target for step in lifecycle.TRANSITIONS}
    assert len(found) == len(lifecycle.TRANSITIONS)  # one step per pair
    assert found == EXPECTED


def test_unknown_status_allows_nothing() -> None:
    assert allowed("archived", Action.NOTE) is None
    assert lifecycle.actions_from("archived") == ()
    assert not lifecycle.is_open("archived")
    assert not lifecycle.is_workable("archived")
    with pytest.raises(IllegalTransition) as raised:
        require("TB-1", "archived", Action.NOTE)
    assert raised.value.status == "archived"


def test_actions_from() -> None:
    for status in Status:
        listed = [action for action in Action if (status, action) in EXPECTED]
        assert lifecycle.actions_from(status) == tuple(listed)
        assert lifecycle.actions_from(status.value) == tuple(listed)


def test_derived_sets_are_todays() -> None:
    today_open = {
        Status.RECEIVED,
        Status.PENDING_DISPATCH,
        Status.ROUTED,
        Status.IN_PROGRESS,
        Status.REOPENED,
        Status.SENT_BACK,
    }
    today_workable = {Status.ROUTED, Status.IN_PROGRESS, Status.REOPENED}
    assert today_open == lifecycle.OPEN_STATUSES
    assert today_workable == lifecycle.WORKABLE_STATUSES
    for status in Status:
        assert lifecycle.is_open(status) == (status in lifecycle.OPEN_STATUSES)
        assert lifecycle.is_open(status.value) == (status in lifecycle.OPEN_STATUSES)
        assert lifecycle.is_workable(status.value) == (status in lifecycle.WORKABLE_STATUSES)


@pytest.mark.parametrize("step", lifecycle.TRANSITIONS, ids=lambda s: f"{s.source}-{s.action}")
def test_step_is_consistent(step: Step) -> None:
    assert all(isinstance(kind, NoticeKind) for kind in step.notices)
    assert all(isinstance(kind, EventKind) for kind in step.events)
    assert step.who
    assert all(isinstance(party, Party) for party in step.who)
    assert len(set(step.notices)) == len(step.notices)
    assert len(set(step.events)) == len(step.events)
    assert step.events, "every step is recorded on the ticket"
    assert not set(step.notices) & lifecycle.NOTICES_OUTSIDE_LIFECYCLE
    assert not set(step.events) & lifecycle.EVENTS_OUTSIDE_LIFECYCLE
    said = [EVENT_STATUS[e] for e in step.events if e in EVENT_STATUS]
    said += [NOTICE_STATUS[n] for n in step.notices if n in NOTICE_STATUS]
    assert all(status == step.target for status in said), said
    if step.moves:
        assert any(e in EVENT_STATUS for e in step.events), "a status change is recorded"
        assert step.notices, "a status change is announced"


def test_every_kind_is_in_the_table_or_named_outside() -> None:
    notices = {kind for step in lifecycle.TRANSITIONS for kind in step.notices}
    events = {kind for step in lifecycle.TRANSITIONS for kind in step.events}
    assert notices | lifecycle.NOTICES_OUTSIDE_LIFECYCLE == set(NoticeKind)
    assert events | lifecycle.EVENTS_OUTSIDE_LIFECYCLE == set(EventKind)
    outside = {  # the digest, delivery trouble, and the collectors' visit reminders
        NoticeKind.DIGEST,
        NoticeKind.DIGEST_CHART,
        NoticeKind.RESIDENT_UNREACHABLE,
        NoticeKind.DEPARTMENT_UNREACHABLE,
        NoticeKind.VISIT_REMINDER,
    }
    assert outside == lifecycle.NOTICES_OUTSIDE_LIFECYCLE


def test_every_status_is_reachable_from_received() -> None:
    reached = {Status.RECEIVED}
    frontier = {Status.RECEIVED}
    while frontier:
        frontier = {
            target for (source, _), target in EXPECTED.items() if source in frontier
        } - reached
        reached |= frontier
    assert reached == set(Status)
    assert reached == {step.target for step in lifecycle.TRANSITIONS} | {Status.RECEIVED}


def test_closed_is_terminal_but_for_notes() -> None:
    # and the campaign's bookkeeping: a resident may still open the start link, a collector 销号
    assert lifecycle.actions_from(Status.CLOSED) == (Action.NOTE, Action.LINK, Action.WRITE_OFF)
    step = require("TB-1", Status.CLOSED, Action.NOTE)
    assert step.target == Status.CLOSED
    assert step.notices == ()


def test_sources() -> None:
    for action in Action:
        assert lifecycle.sources(action) == {s for s, a in EXPECTED if a == action}


def test_diagram_draws_every_status_change_once() -> None:
    text = lifecycle.diagram()
    assert text == lifecycle.diagram()
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> received" in lines
    assert "    closed --> [*]" in lines
    drawn: set[tuple[str, str, str]] = set()
    for line in lines[1:]:
        if "[*]" in line:
            continue
        arrow, labels = line.strip().split(": ")
        source, target = arrow.split(" --> ")
        drawn |= {(source, target, label) for label in labels.split(", ")}
    assert drawn == {
        (status.value, target.value, action.value)
        for (status, action), target in EXPECTED.items()
        if status != target
    }
