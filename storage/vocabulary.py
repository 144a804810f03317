"""The one place the Chinese names of statuses, closure codes, ratings and actions live.

Residents, staff, exports and the digest all read these names, so a ticket is called the same
thing wherever it is seen; only a routed ticket has two names (see STATUS_NAMES). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from storage.lifecycle import Action
from storage.metrics import MetricKey
from storage.models import Channel, ClosureCode, Rating, Status


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
        ClosureCode.ON_THE_SPOT: "现场解答",
    }
)

RATING_NAMES: Mapping[Rating, str] = MappingProxyType(
    {
        Rating.SATISFIED: "满意",
        Rating.BASICALLY: "基本满意",
        Rating.UNSATISFIED: "不满意",
        Rating.UNRATED: "未评价",
        Rating.NOT_REACHED: "联系不上",
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
        Action.ANSWER_ON_SPOT: "现场解答",
        Action.LINK: "扫码关注",
        Action.FOLLOW_UP: "回访",
        Action.FOLLOW_UP_REJECT: "回访不满意重新办理",
        Action.FOLLOW_UP_FINAL: "回访不满意转督办",
        Action.NOT_REACHED: "回访联系不上",
        Action.WRITE_OFF: "销号",
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

CHANNEL_NAMES: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.BOT: "居民自报",
        Channel.VISIT: "入户走访",
        Channel.PHONE: "电话",
        Channel.TALK: "座谈",
        Channel.DESK: "接待点",
        Channel.OTHER: "其他",
    }
)
ANONYMOUS = "匿名"  # a resident who gave no name to the collector

# The figures of the digest, /stats and the chart: what each is called and how it is counted
# (storage/metrics.py computes them; docs/metrics.md prints these definitions).
METRIC_NAMES: Mapping[MetricKey, str] = MappingProxyType(
    {
        MetricKey.RESOLUTION_RATE: "办结率",
        MetricKey.CLOSURE_RATIO: "结收比",
        MetricKey.ON_TIME_RATE: "按时办结率",
        MetricKey.SATISFACTION_RATE: "满意率",
        MetricKey.REASSIGN_RATE: "转办率",
        MetricKey.REOPEN_RATE: "重开率",
        MetricKey.RESPONSE_HOURS: "响应时长",
        MetricKey.HANDLING_HOURS: "办理时长",
        MetricKey.ACCEPTANCE_RATE: "签收及时率",
        MetricKey.SEND_BACK_RATE: "退单率",
    }
)
METRIC_DEFINITIONS: Mapping[MetricKey, str] = MappingProxyType(
    {
        MetricKey.RESOLUTION_RATE: (
            "统计期内受理的诉求（不含重复诉求）中，截至报告时已办结（已解决、已答复、无法联系；"
            "重新办理中的不算）的比例，不会超过100%"
        ),
        MetricKey.CLOSURE_RATIO: (
            "统计期内办结件数 ÷ 同期受理件数（不含重复诉求）；办结件含此前受理、本期办结的诉求，"
            "所以可以超过100%，反映办理进度，不是办结率"
        ),
        MetricKey.ON_TIME_RATE: "统计期内办结的诉求中，在办理时限（工作时间）内办结的比例",
        MetricKey.SATISFACTION_RATE: (
            "统计期内归档的诉求中，按每件诉求的最终评价计，满意和基本满意所占比例；"
            "未评价不计入，因不满意而重新办理的评价另列（不满意重办）"
        ),
        MetricKey.REASSIGN_RATE: "统计期内受理并交办的诉求中，被转办过至少一次的比例",
        MetricKey.REOPEN_RATE: "统计期内因群众不满意而重新办理的次数 ÷ 同期办结次数",
        MetricKey.RESPONSE_HOURS: "从交办到工作人员首次答复的时长，取统计期内首次答复的中位数",
        MetricKey.HANDLING_HOURS: "从交办到办结的时长（自然时间），取统计期内办结诉求的中位数",
        MetricKey.ACCEPTANCE_RATE: (
            "统计期内到期的签收时限中，部门按时认领（签收）的比例；到期仍未签收的算超时"
        ),
        MetricKey.SEND_BACK_RATE: "统计期内部门退单次数 ÷ 同期交办给该部门的次数",
    }
)
HOTSPOTS_NAME = "热点诉求"
HOTSPOTS_DEFINITION = (
    "当日受理诉求中最突出的主题词，每个部门最多三个；去掉套话和虚词（如“说不清楚”“电话”），"
    "且至少在两件诉求中出现"
)


def metric_name(key: MetricKey) -> str:
    """The figure's name, as the digest, /stats and the chart show it."""
    return METRIC_NAMES[key]


def definitions_table() -> str:
    """The figures' names and definitions as the Markdown table docs/metrics.md prints."""
    rows = [(METRIC_NAMES[key], METRIC_DEFINITIONS[key]) for key in MetricKey]
    rows.append((HOTSPOTS_NAME, HOTSPOTS_DEFINITION))
    return "\n".join(
        ["| 指标 | 口径 |", "|---|---|", *(f"| {name} | {text} |" for name, text in rows)]
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


def channel_name(channel: Channel | str) -> str:
    """The channel's name; an unknown value as it is."""
    try:
        return CHANNEL_NAMES[Channel(channel)]
    except ValueError:
        return str(channel)


if __name__ == "__main__":
    print(definitions_table())
