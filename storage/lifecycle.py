"""The ticket state machine as data: status x action -> next status, who acts, what is said.

`TRANSITIONS` is the one table. The lifecycle functions (storage.tickets, storage.deadlines)
ask it whether an action is allowed, and the diagram in docs/architecture.md is generated
from it (`python -m storage.lifecycle`). Pure: no database, no Telegram.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from storage.errors import IllegalTransition
from storage.models import EventKind, Status
from storage.notices import NoticeKind

__all__ = [
    "EVENTS_OUTSIDE_LIFECYCLE",
    "NOTICES_OUTSIDE_LIFECYCLE",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "WORKABLE_STATUSES",
    "Action",
    "Party",
    "Step",
    "actions_from",
    "allowed",
    "diagram",
    "is_open",
    "is_workable",
    "parties",
    "require",
    "sources",
]


class Action(StrEnum):
    """Everything that can happen to a ticket after it is received."""

    ROUTE = "route"  # the classifier is confident: straight to a department
    HOLD = "hold"  # the classifier is unsure: to the dispatch desk
    DISPATCH = "dispatch"
    CLAIM = "claim"  # an unclaimed ticket: the first to claim it gets it
    TAKE_OVER = "take_over"  # a colleague takes a claimed ticket over, on purpose
    REPLY = "reply"
    ASK = "ask"
    NOTE = "note"
    REASSIGN = "reassign"  # 转办 to another department
    RETURN = "return"  # 转办 to the dispatch desk
    NOT_OURS = "not_ours"  # 非本部门职责: not a closure, back to the dispatch desk
    RESOLVE = "resolve"
    ADD_INFO = "add information"
    RATE = "rate"  # satisfied or basically satisfied
    REJECT = "reject"  # unsatisfied, with reopens left
    REJECT_FINAL = "reject_final"  # unsatisfied, no reopens left: closed, supervisors step in
    CLOSE_UNRATED = "close_unrated"
    REMIND = "remind"
    MARK_OVERDUE = "mark_overdue"  # 催办
    ESCALATE = "escalate"  # 督办, a working day late
    RESUME_CLOCK = "resume_clock"  # a question left unanswered too long
    # the campaign's own channel: collectors (民情书记 / 网格员), storage/collect.py
    ANSWER_ON_SPOT = "answer_on_spot"  # 现场解答: recorded and closed at once, counted as 直办
    LINK = "link"  # the resident opened the collector's start link: they follow it from now
    FOLLOW_UP = "follow_up"  # the collector's 回访: satisfied or basically satisfied
    FOLLOW_UP_REJECT = "follow_up_reject"  # the collector's 回访: unsatisfied, reopens left
    FOLLOW_UP_FINAL = "follow_up_final"  # the collector's 回访: unsatisfied, none left
    NOT_REACHED = "not_reached"  # the collector's 回访: 联系不上
    WRITE_OFF = "write_off"  # 销号: closed and the resident has been told
    # 签收: a routed ticket is accepted by its department's claim within a deadline
    ACCEPT_REMIND = "accept_remind"  # not accepted in time: the department is reminded
    ACCEPT_ESCALATE = "accept_escalate"  # still not accepted: the dispatch desk is told
    # 退单: the department sends a ticket back within a window; the dispatch desk decides
    SEND_BACK = "send_back"
    APPROVE_SEND_BACK = "approve_send_back"  # and re-dispatch: a training example
    REFUSE_SEND_BACK = "refuse_send_back"  # back to the same department, the clock running
    # 延期: the department asks for N more working days; supervisors approve or deny
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    # 协办: the lead department (or dispatch) adds co-handlers; they note, only the lead resolves
    ADD_COHANDLER = "add_cohandler"
    COHANDLER_NOTE = "cohandler_note"


class Party(StrEnum):
    """Who may take an action."""

    RESIDENT = "resident"  # the ticket's own resident
    STAFF = "staff"  # staff of the ticket's current department (overseers too)
    DISPATCHER = "dispatcher"  # dispatchers, supervisors, admins (oversee every department)
    SYSTEM = "system"  # the bot itself: routing, sweeps, timeouts
    COLLECTOR = "collector"  # the collector who recorded the ticket (首问跟办)
    SUPERVISOR = "supervisor"  # supervisors and admins (督查): approve extensions
    COHANDLER = "cohandler"  # staff of a department co-handling the ticket (协办), not the lead


@dataclass(frozen=True, slots=True)
class Step:
    """One allowed (status, action) pair and what it does."""

    action: Action
    source: Status
    target: Status  # == source when the status stays
    who: frozenset[Party]
    notices: tuple[NoticeKind, ...]  # every notice kind this step may queue
    events: tuple[EventKind, ...]  # the events it records, in order

    @property
    def moves(self) -> bool:
        """Whether the step changes the ticket's status."""
        return self.target != self.source


# Short names, so that each row of the table below reads as one row.
A, S, N, E, P = Action, Status, NoticeKind, EventKind, Party
SAME = None  # the status stays
WORKABLE = (S.ROUTED, S.IN_PROGRESS, S.REOPENED)  # where a department works on a ticket
EVERY = tuple(S)

_Row = tuple[
    Action,
    Iterable[Status],
    Status | None,
    Party | Iterable[Party],
    Iterable[NoticeKind],
    Iterable[EventKind],
]


def _expand(*rows: _Row) -> tuple[Step, ...]:
    """One Step per source of each row, in the table's order."""
    return tuple(
        Step(
            action=action,
            source=source,
            target=source if target is None else target,
            who=frozenset([who] if isinstance(who, Party) else who),
            notices=tuple(notices),
            events=tuple(events),
        )
        for action, sources_, target, who, notices, events in rows
        for source in sources_
    )


# fmt: off
TRANSITIONS: tuple[Step, ...] = _expand(
    # action           from                                      to              who
    #                  notices it may queue                      events it records, in order
    (A.ROUTE,          [S.RECEIVED],                             S.ROUTED,       P.SYSTEM,
                       [N.TICKET_CARD, N.ROUTED],                [E.ROUTED]),
    (A.HOLD,           [S.RECEIVED],                             S.PENDING_DISPATCH, P.SYSTEM,
                       [N.DISPATCH_CARD, N.PENDING_DISPATCH],    [E.SENT_TO_DISPATCH]),
    (A.DISPATCH,       [S.RECEIVED, S.PENDING_DISPATCH],         S.ROUTED,       P.DISPATCHER,
                       [N.TICKET_CARD, N.ROUTED],                [E.DISPATCHED]),
    (A.CLAIM,          [S.ROUTED, S.REOPENED],                   S.IN_PROGRESS,  P.STAFF,
                       [N.CLAIMED],                              [E.CLAIMED]),
    (A.TAKE_OVER,      [S.IN_PROGRESS],                          SAME,           P.STAFF,
                       [],                                       [E.CLAIMED]),
    (A.REPLY,          WORKABLE,                                 S.IN_PROGRESS,  P.STAFF,
                       [N.REPLY, N.PHOTOS],                      [E.REPLIED]),
    (A.ASK,            WORKABLE,                                 S.IN_PROGRESS,  P.STAFF,
                       [N.QUESTION],                             [E.ASKED]),
    (A.NOTE,           EVERY,                                    SAME,           P.STAFF,
                       [],                                       [E.NOTE]),
    (A.REASSIGN,       [*WORKABLE, S.PENDING_DISPATCH],          S.ROUTED,       P.STAFF,
                       [N.TICKET_CARD, N.ROUTED],                [E.REASSIGNED]),
    (A.RETURN,         WORKABLE,                                 S.PENDING_DISPATCH, P.STAFF,
                       [N.DISPATCH_CARD, N.PENDING_DISPATCH],    [E.SENT_TO_DISPATCH]),
    (A.NOT_OURS,       WORKABLE,                                 S.PENDING_DISPATCH, P.STAFF,
                       [N.DISPATCH_CARD, N.PENDING_DISPATCH],    [E.SENT_TO_DISPATCH]),
    (A.RESOLVE,        WORKABLE,                                 S.RESOLVED,     P.STAFF,
                       [N.RESOLVED],                             [E.RESOLVED]),
    (A.ADD_INFO,       [S.RECEIVED, S.PENDING_DISPATCH, *WORKABLE, S.RESOLVED, S.SENT_BACK],
                       SAME,                                     P.RESIDENT,
                       [N.RESIDENT_INFO, N.VOICES],                        [E.RESIDENT_INFO]),
    (A.RATE,           [S.RESOLVED],                             S.CLOSED,       P.RESIDENT,
                       [N.CLOSED],                               [E.RATED, E.CLOSED]),
    (A.REJECT,         [S.RESOLVED],                             S.REOPENED,     P.RESIDENT,
                       [N.REWORK, N.REOPENED],                   [E.RATED, E.REOPENED]),
    (A.REJECT_FINAL,   [S.RESOLVED],                             S.CLOSED,       P.RESIDENT,
                       [N.ESCALATION, N.CLOSED],                 [E.RATED, E.CLOSED, E.ESCALATED]),
    (A.CLOSE_UNRATED,  [S.RESOLVED],                             S.CLOSED,       P.SYSTEM,
                       [N.CLOSED],                               [E.CLOSED]),
    (A.REMIND,         WORKABLE,                                 SAME,           P.SYSTEM,
                       [N.REMINDER],                             [E.REMINDED]),
    (A.MARK_OVERDUE,   WORKABLE,                                 SAME,           P.SYSTEM,
                       [N.OVERDUE],                              [E.OVERDUE]),
    (A.ESCALATE,       WORKABLE,                                 SAME,           P.SYSTEM,
                       [N.ESCALATION],                           [E.ESCALATED]),
    (A.RESUME_CLOCK,   WORKABLE,                                 SAME,           P.SYSTEM,
                       [N.UNANSWERED],                           [E.UNANSWERED]),
    # collectors (民情书记 / 网格员): 代录, 现场解答, start links, 回访 in person, 销号
    (A.ANSWER_ON_SPOT, [S.RECEIVED],                             S.CLOSED,       P.COLLECTOR,
                       [N.FOLLOW_UP],                            [E.ANSWERED_ON_SPOT, E.CLOSED]),
    (A.LINK,           EVERY,                                    SAME,           P.RESIDENT,
                       [N.LINKED],                               [E.LINKED]),
    (A.FOLLOW_UP,      [S.RESOLVED],                             S.CLOSED,       P.COLLECTOR,
                       [N.CLOSED],                               [E.FOLLOWED_UP, E.CLOSED]),
    (A.FOLLOW_UP_REJECT, [S.RESOLVED],                           S.REOPENED,     P.COLLECTOR,
                       [N.REWORK, N.REOPENED],                   [E.FOLLOWED_UP, E.REOPENED]),
    (A.FOLLOW_UP_FINAL, [S.RESOLVED],                            S.CLOSED,       P.COLLECTOR,
                       [N.ESCALATION, N.CLOSED],
                       [E.FOLLOWED_UP, E.CLOSED, E.ESCALATED]),
    (A.NOT_REACHED,    [S.RESOLVED],                             S.CLOSED,       P.COLLECTOR,
                       [N.CLOSED],                               [E.FOLLOWED_UP, E.CLOSED]),
    (A.WRITE_OFF,      [S.CLOSED],                               SAME,           P.COLLECTOR,
                       [],                                       [E.WRITTEN_OFF]),
    # 签收 (acceptance): CLAIM accepts; the sweep reminds, then tells the dispatch desk
    (A.ACCEPT_REMIND,  [S.ROUTED],                               SAME,           P.SYSTEM,
                       [N.ACCEPT_REMINDER],                      [E.ACCEPT_REMINDED]),
    (A.ACCEPT_ESCALATE, [S.ROUTED],                              SAME,           P.SYSTEM,
                       [N.ACCEPT_ESCALATION],                    [E.ACCEPT_ESCALATED]),
    # 退单 (send back): not a 转办; the dispatch desk approves (re-dispatching) or refuses
    (A.SEND_BACK,      [S.ROUTED, S.IN_PROGRESS],                S.SENT_BACK,    P.STAFF,
                       [N.SEND_BACK_CARD],                       [E.SENT_BACK]),
    (A.APPROVE_SEND_BACK, [S.SENT_BACK],                         S.ROUTED,       P.DISPATCHER,
                       [N.SEND_BACK_DECIDED, N.TICKET_CARD, N.ROUTED],
                       [E.SEND_BACK_APPROVED, E.DISPATCHED]),
    (A.REFUSE_SEND_BACK, [S.SENT_BACK],                          S.ROUTED,       P.DISPATCHER,
                       [N.SEND_BACK_DECIDED],                    [E.SEND_BACK_REJECTED]),
    # 延期 (extension): the status stays; an approval moves the due date
    (A.REQUEST_EXTENSION, WORKABLE,                              SAME,           P.STAFF,
                       [N.EXTENSION_REQUEST],                    [E.EXTENSION_REQUESTED]),
    (A.APPROVE_EXTENSION, WORKABLE,                              SAME,           P.SUPERVISOR,
                       [N.EXTENSION_APPROVED, N.EXTENSION_DECIDED], [E.EXTENSION_APPROVED]),
    (A.DENY_EXTENSION, WORKABLE,                                 SAME,           P.SUPERVISOR,
                       [N.EXTENSION_DECIDED],                    [E.EXTENSION_DENIED]),
    # 协办 (co-handling): the status stays; a co-handler never resolves (RESOLVE is STAFF's)
    (A.ADD_COHANDLER,  WORKABLE,                                 SAME,           P.STAFF,
                       [N.COHANDLER_CARD],                       [E.COHANDLER_ADDED]),
    (A.COHANDLER_NOTE, WORKABLE,                                 SAME,           P.COHANDLER,
                       [N.COHANDLER_NOTE],                       [E.COHANDLER_NOTED]),
)
# fmt: on

# Notices sent outside the lifecycle: the digest, and delivery trouble (PHOTOS is in the table,
# for an answer's photos, and is also sent with ticket cards). FOLLOW_UP is in the table, for
# 现场解答, and is also the collector's copy of every notice to the resident of a ticket they
# recorded (storage/outbox.py:notify).
NOTICES_OUTSIDE_LIFECYCLE = frozenset(
    {
        N.DIGEST,
        N.DIGEST_CHART,
        N.RESIDENT_UNREACHABLE,
        N.DEPARTMENT_UNREACHABLE,
        N.VISIT_REMINDER,  # to collectors, the day before a visit day
    }
)
# Events recorded outside the table: a ticket's creation (it starts as received), delivery
# trouble and retention.
EVENTS_OUTSIDE_LIFECYCLE = frozenset({E.RECEIVED, E.DELIVERY_FAILED, E.ANONYMISED})


def _index(steps: tuple[Step, ...]) -> dict[tuple[Status, Action], Step]:
    index: dict[tuple[Status, Action], Step] = {}
    for step in steps:
        key = (step.source, step.action)
        if key in index:
            raise ValueError(f"two steps for {step.action} from {step.source}")
        index[key] = step
    return index


_STEPS = _index(TRANSITIONS)


def _status(status: Status | str) -> Status | None:
    try:
        return Status(status)
    except ValueError:
        return None


def allowed(status: Status | str, action: Action) -> Step | None:
    """The step `action` takes from `status`, or None if it is not allowed (or unknown)."""
    known = _status(status)
    return None if known is None else _STEPS.get((known, action))


def require(number: str, status: Status | str, action: Action) -> Step:
    """The step `action` takes from `status`; `IllegalTransition` if there is none."""
    step = allowed(status, action)
    if step is None:
        raise IllegalTransition(number, str(status), action.value)
    return step


def actions_from(status: Status | str) -> tuple[Action, ...]:
    """The actions allowed from `status`, in the order of `Action`."""
    return tuple(action for action in Action if allowed(status, action) is not None)


def sources(action: Action) -> frozenset[Status]:
    """The statuses from which `action` is allowed."""
    return frozenset(step.source for step in TRANSITIONS if step.action == action)


def parties(action: Action) -> frozenset[Party]:
    """Who may take `action` (the same from every status it is allowed from)."""
    return frozenset(party for step in TRANSITIONS if step.action == action for party in step.who)


def _reaching(goal: Status) -> frozenset[Status]:
    """Every status with a path of one step or more to `goal`."""
    found: set[Status] = set()
    frontier = {goal}
    while frontier:
        frontier = {s.source for s in TRANSITIONS if s.moves and s.target in frontier} - found
        found |= frontier
    return frozenset(found)


# Open: the ticket can still be resolved, i.e. every status with a path to RESOLVED, but RESOLVED.
OPEN_STATUSES: frozenset[Status] = _reaching(S.RESOLVED) - {S.RESOLVED}
# Workable: a department works on the ticket, i.e. its staff may reply to the resident.
WORKABLE_STATUSES: frozenset[Status] = sources(A.REPLY)


def is_open(status: Status | str) -> bool:
    """Whether a ticket in `status` can still be resolved (unknown statuses are not open)."""
    return _status(status) in OPEN_STATUSES


def is_workable(status: Status | str) -> bool:
    """Whether a department works on a ticket in `status`."""
    return _status(status) in WORKABLE_STATUSES


def diagram() -> str:
    """The status changes of `TRANSITIONS` as a Mermaid state diagram (steps that keep the
    status are left out); one edge per pair of statuses, labelled with its actions."""
    edges: dict[tuple[Status, Status], list[str]] = {}
    order = list(S)
    for step in sorted(TRANSITIONS, key=lambda s: (order.index(s.source), order.index(s.target))):
        if step.moves:
            labels = edges.setdefault((step.source, step.target), [])
            if step.action.value not in labels:
                labels.append(step.action.value)
    lines = ["stateDiagram-v2", f"    [*] --> {S.RECEIVED.value}"]
    lines += [f"    {a.value} --> {b.value}: {', '.join(acts)}" for (a, b), acts in edges.items()]
    lines += [
        f"    {status.value} --> [*]"
        for status in S
        if all(not step.moves for step in TRANSITIONS if step.source == status)
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(diagram())
