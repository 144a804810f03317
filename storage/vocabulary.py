"""The one place the Chinese names of statuses, closure codes, ratings and actions live.

Residents, staff, exports and the digest all read these names, so a ticket is called the same
thing wherever it is seen; only a routed ticket has two names (see STATUS_NAMES). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from storage.lifecycle import Action
from storage.models import ClosureCode, Rating, Status


@dataclass(frozen=True, slots=True)
class StatusName:
    """A status as residents see it and as staff (and exports, and the digest) see it."""

    resident: str
    staff: str


STATUS_NAMES: Mapping[Status, StatusName] = MappingProxyType(
    {
        Status.RECEIVED: StatusName("已受理", "已受理"),
        Status.PENDING_DISPATCH: StatusName("待分派", "待分派"),
        # On purpose: the resident learns the ticket reached a department; staff see that
        # nobody has claimed it yet.
        Status.ROUTED: StatusName("已交办", "待认领"),
        Status.IN_PROGRESS: StatusName("办理中", "办理中"),
        Status.RESOLVED: StatusName("已办结（待评价）", "已办结（待评价）"),
        Status.REOPENED: StatusName("重新办理", "重新办理"),
        Status.CLOSED: StatusName("已归档", "已归档"),
        # On purpose: residents learn the desk is choosing who handles it; staff see a 退单.
        Status.SENT_BACK: StatusName("重新分派中", "退单待审"),
    }
)

CLOSURE_NAMES: Mapping[ClosureCode, str] = MappingProxyType(
    {
        ClosureCode.FIXED: "已解决",
        ClosureCode.ANSWERED: "已答复",
        ClosureCode.NOT_OURS: "非本部门职责",
        ClosureCode.DUPLICATE: "重复诉求",
        ClosureCode.UNREACHABLE: "无法联系",
    }
)

RATING_NAMES: Mapping[Rating, str] = MappingProxyType(
    {
        Rating.SATISFIED: "满意",
        Rating.BASICALLY: "基本满意",
        Rating.UNSATISFIED: "不满意",
        Rating.UNRATED: "未评价",
    }
)

# What staff read in "诉求 … 当前状态为「X」，不能 Y。"
ACTION_NAMES: Mapping[Action, str] = MappingProxyType(
    {
        Action.ROUTE: "交办",
        Action.HOLD: "转调度中心",
        Action.DISPATCH: "分派",
        Action.CLAIM: "认领",
        Action.TAKE_OVER: "接手",
        Action.REPLY: "答复",
        Action.ASK: "提问",
        Action.NOTE: "备注",
        Action.REASSIGN: "转办",
        Action.RETURN: "退回调度中心",
        Action.NOT_OURS: "退回（非本部门职责）",
        Action.RESOLVE: "办结",
        Action.ADD_INFO: "补充材料",
        Action.RATE: "评价",
        Action.REJECT: "不满意重新办理",
        Action.REJECT_FINAL: "不满意转督办",
        Action.CLOSE_UNRATED: "未评价归档",
        Action.REMIND: "到期提醒",
        Action.MARK_OVERDUE: "超期催办",
        Action.ESCALATE: "督办",
        Action.RESUME_CLOCK: "恢复计时",
        Action.ACCEPT_REMIND: "签收提醒",
        Action.ACCEPT_ESCALATE: "超时未签收报调度",
        Action.SEND_BACK: "退单",
        Action.APPROVE_SEND_BACK: "同意退单",
        Action.REFUSE_SEND_BACK: "驳回退单",
        Action.REQUEST_EXTENSION: "申请延期",
        Action.APPROVE_EXTENSION: "批准延期",
        Action.DENY_EXTENSION: "不批准延期",
        Action.ADD_COHANDLER: "增加协办部门",
        Action.COHANDLER_NOTE: "协办意见",
    }
)


def status_name(status: Status | str, *, staff: bool) -> str:
    """The status's name for staff or for residents; an unknown value is shown as it is."""
    try:
        name = STATUS_NAMES[Status(status)]
    except ValueError:
        return str(status)
    return name.staff if staff else name.resident


def closure_name(code: ClosureCode | str | None) -> str:
    """The closure code's name; "" for none, an unknown value as it is."""
    try:
        return CLOSURE_NAMES[ClosureCode(code)] if code else ""
    except ValueError:
        return str(code)


def rating_name(rating: Rating | str | None) -> str:
    """The rating's name; "" for none, an unknown value as it is."""
    try:
        return RATING_NAMES[Rating(rating)] if rating else ""
    except ValueError:
        return str(rating)


def action_name(action: Action | str) -> str:
    """The action's name (as `IllegalTransition.action` carries it); unknown: as it is."""
    try:
        return ACTION_NAMES[Action(action)]
    except ValueError:
        return str(action)
