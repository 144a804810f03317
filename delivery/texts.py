"""Every Chinese text of the notices the outbox delivers, to residents and to staff."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# --- to the resident ------------------------------------------------------------------------

ROUTED = (
    "📮 您的诉求已受理\n编号：{number}\n承办部门：{department}\n办理时限：{due} 前\n\n"
    "办理进展会第一时间通知您，也可以随时发送 /status {number} 查看。"
)
ROUTED_AGAIN = "🔁 您的诉求 {number} 已转由 {department} 办理，办理时限：{due} 前。"
PENDING_DISPATCH = (
    "📮 您的诉求已受理，编号：{number}\n正在由区民意调度中心确认承办部门，分派后会马上告诉您。"
)
CLAIMED = "👷 {department} 已安排专人办理您的诉求 {number}。"
REPLY = "💬 {department} 就诉求 {number} 答复：\n\n{text}"
QUESTION = "❓ {department} 就诉求 {number} 想向您了解：\n\n{text}\n\n直接回复文字或照片即可。"
RESOLVED = (
    "✅ 您的诉求 {number} 已办结（{code}）。\n\n{department}答复：{answer}\n\n"
    "请对办理结果进行评价："
)
RESOLVED_DUPLICATE = (
    "✅ 您的诉求 {number} 与已在办理的诉求 {original} 相同，已合并办理。"
    "后续进展请查看 /status {original}。\n\n请对本次处理进行评价："
)
REOPENED = "🔁 已收到您的意见，诉求 {number} 已转回 {department} 重新办理。"
CLOSED = "📁 诉求 {number} 已办结归档。感谢您的参与！"
CLOSED_UNRATED = "📁 诉求 {number} 评价期已过，已办结归档。如问题仍未解决，欢迎重新反映。"
LINKED = (
    "🔗 您已关注诉求 {number}（民情书记代为登记），当前状态：{status}。\n"
    "办理进展和办结后的评价都会在这里通知您，也可以随时发送 /status {number} 查看。"
)

# --- to the collector who recorded the ticket (首问跟办) ---------------------------------------

VISIT_REMINDER = (
    "📅 明天（{day}）是民意“5”来听走访日，{team}请按计划到结对社区入户走访。"
    "听到的诉求用 /record 代录，走访结束后用 /visit 登记走访情况。"
)
FOLLOW_UP_HEAD = "📋 首问跟办 {number}："
FOLLOW_UP_STEPS = {
    "routed": "已交办 {department}。",
    "pending_dispatch": "正在由区民意调度中心确认承办部门。",
    "claimed": "{department} 已安排专人办理。",
    "reply": "{department} 答复：{text}",
    "question": "{department} 想向群众了解：{text}（问过群众后点下面的按钮代为回复）",
    "resolved": "{department} 已办结（{code}）：{text}",
    "reopened": "已转回 {department} 重新办理。",
    "closed": "已办结归档（{rating}）。",
    "linked": "群众已扫码关注，后续进展和评价由群众本人接收。",
    "extension_approved": "{department} 的延期申请已获批准，办理时限顺延。",
}
RELAY = "✍️ 代群众回复"
FOLLOW_UP_ON_THE_SPOT = "现场解答，已办结并销号。答复：{text}"
FOLLOW_UP_ASK = "\n\n群众尚未扫码关注，请当面或电话回访后记录结果："
FOLLOW_UP_LINKED = "\n（群众已关注，由群众本人评价）"
FOLLOW_UP_BUTTONS = {
    "s": "满意",
    "b": "基本满意",
    "u": "不满意",
    "n": "联系不上",
}

# --- ticket cards and notices in department groups and on the dispatch desk -----------------

CARD = (
    "🆕 新诉求 {number}\n承办：{department}　时限：{due}\n群众：{resident}{phone}\n{place}\n{text}"
)
CARD_RESIDENT = "群众"
CARD_PHONE = "　电话：{phone}"
CARD_PLACE = "地点：{place}\n"
CARD_PIN = "定位：{lat:.5f}, {lon:.5f}\n"
CARD_PHOTOS = "\n🖼 附照片 {count} 张"
CARD_RECORDED = "\n📋 {team}代录（{channel}），办理进展同步告知该民情书记"
CARD_CONFIDENCE = "\n（系统分派，置信度 {confidence:.0%}）"
CARD_DISPATCHED = "\n（区民意调度中心人工分派）"
CARD_REASSIGNED = "\n（他部门转办，理由：{reason}）"
CARD_UNBOUND = "⚠️ {department} 尚未绑定工作群，此单暂由调度中心代收。\n\n"
CLAIM = "认领"
MOVE = "转办"
RESOLVE = "办结"
TOPIC_NAME = "{number} {status}"
TOPIC_MOVED = "已转出"
TOPIC_DUPLICATE = "重复话题·请勿使用"  # a second topic made for a ticket by mistake, closed

DISPATCH_CARD = "🧭 待分派 {number}\n{reason}\n\n{text}\n{place}\n请选择承办部门："
DISPATCH_REASON = {
    "low_confidence": "系统无法确定承办部门",
    "not_ours": "原承办部门认为非本部门职责",
    "reassigned": "转回调度中心",
    "emergency": "🚨 紧急：群众的消息疑似紧急情况，已提示其拨打急救/报警电话，请立即电话联系核实",
}
DISPATCH_URGENT = "🚨🚨 紧急 {number}\n"
EMERGENCY_KINDS = {
    "gas": "燃气泄漏",
    "fire": "火情",
    "trapped": "有人被困",
    "collapse": "坍塌",
    "traffic": "交通事故",
    "suicide": "有人轻生",
    "violence": "暴力或治安事件",
    "missing": "有人走失",
    "medical": "有人急病或受伤",
}
EMERGENCY_NOTE = "疑似{kind}，已提示群众拨打 {number}"
DISPATCH_NOTE = "原承办部门说明：{note}"
RESIDENT_BLOCKED = "⚠️ {number}：群众已屏蔽机器人，答复无法送达，请电话联系或按「无法联系」办结。"
RESIDENT_UNREACHABLE = "⚠️ {number}：给群众的消息发送失败，请电话联系或按「无法联系」办结。"
DEPARTMENT_UNREACHABLE = (
    "⚠️ 无法向 {department} 工作群发送消息（{error}）。诉求 {number} 需要人工跟进，"
    "请检查该群是否仍绑定、机器人是否仍是管理员。"
)
UNKNOWN_GROUP = "原工作群"
RESIDENT_INFO = "📎 群众补充 {number}：\n{text}"
RESIDENT_ANSWER = "💬 群众回复 {number}：\n{text}"
RESIDENT_PHOTOS = "（附照片 {count} 张）"
RESIDENT_VOICES = "（附语音 {count} 条，见下方）"
CARD_VOICES = "\n🎙 附语音 {count} 条（见下方，请收听）"
REWORK = "🔁 {number} 群众评价不满意，已重新交办（第 {count} 次）。原因：{reason}"
REMINDER = "⏳ 提醒：{number} 还剩约 {hours:.1f} 个工作小时到期（{due}），请抓紧办理。"
OVERDUE = "⏰ 催办：{number} 已超过办理时限（{due}），请尽快办结并答复群众。"
UNANSWERED = (
    "⌛ {number}：向群众提出的问题已约 {hours:.0f} 个工作小时未获答复，办理计时恢复，"
    "新的办理时限为 {due}。可电话联系群众，或依据现有情况办结。"
)

# --- to supervisors -------------------------------------------------------------------------

ESCALATION = "🚨 督办：{number}（{department}）{why}。{reason}"
ESCALATION_WHY = {
    "unsatisfied": "群众多次不满意",
    "overdue": "已超期",
}

# --- 签收 (acceptance) ----------------------------------------------------------------------

ACCEPT_REMINDER = "📥 签收提醒：{number} 应在 {due} 前签收，至今无人认领，请立即点「认领」签收。"
ACCEPT_ESCALATION = (
    "📥 超时未签收：{number} 于 {routed} 交办 {department}，签收时限 {due} 已过且提醒后仍无人认领。"
    "请联系该部门，或用 /reassign {number} 部门 改派。"
)

# --- 退单 (send back) -----------------------------------------------------------------------

SEND_BACK_CARD = (
    "↩️ 退单待审 {number}\n{department} 申请退单，理由：{reason}\n\n{text}{place}\n\n"
    "同意退单请选择新的承办部门；不同意请发送 /refuse {number} 驳回理由（退回原部门，时限不变）。"
)
SEND_BACK_APPROVED = "↩️ 退单已同意：{number} 已由调度中心改派 {department}。"
SEND_BACK_REFUSED = "↩️ 退单未获同意：{number} 请继续办理，办理时限不变。调度中心意见：{reason}"

# --- 延期 (extension) -----------------------------------------------------------------------

EXTENSION_REQUEST = (
    "🗓 延期申请 {number}（{department}）\n申请延期 {days} 个工作日，现办理时限 {due}。\n"
    "理由：{reason}{count}"
)
EXTENSION_COUNT = "\n（此前已延期 {count} 次）"
EXTENSION_APPROVE = "批准延期"
EXTENSION_DENY = "不批准"
EXTENSION_APPROVED = (
    "🗓 您的诉求 {number} 情况较复杂，经批准，{department} 的办理时限延长至 {due}。"
    "我们会继续跟进，办结后第一时间告诉您。"
)
EXTENSION_GRANTED = "🗓 {number} 延期 {days} 个工作日已获批准，新的办理时限为 {due}。"
EXTENSION_REFUSED = "🗓 {number} 延期 {days} 个工作日未获批准，请在原时限 {due} 前办结。"

# --- 协办 (co-handling) -----------------------------------------------------------------------

COHANDLER_CARD = (
    "🤝 协办 {number}：{lead} 主办，请 {department} 协助。\n{note}{text}{place}\n\n"
    "在本话题发送的消息会作为协办意见转给主办部门（「#备注」开头的作为备注）；"
    "答复群众和办结由主办部门负责。"
)
COHANDLER_CARD_NOTE = "主办部门说明：{note}\n"
COHANDLER_NOTE = "🤝 {department}（协办）{what} {number}：\n{text}"
COHANDLER_WHAT = {True: "部分答复", False: "备注"}

NO_VALUE = "—"


def local_time(moment: datetime | None, tz: ZoneInfo) -> str:
    """A timestamp as people read it: 11月27日 17:30."""
    if moment is None:
        return NO_VALUE
    local = moment.astimezone(tz)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
