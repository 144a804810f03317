"""Every Chinese text staff, dispatchers and supervisors see, in one place."""

from __future__ import annotations

from typing import Any

# --- ticket cards and notices in department groups -------------------------------------------

CARD = (
    "🆕 新诉求 {number}\n承办：{department}　时限：{due}\n群众：{resident}{phone}\n{place}\n{text}"
)
CARD_PHONE = "　电话：{phone}"
CARD_PLACE = "地点：{place}\n"
CARD_PIN = "定位：{lat:.5f}, {lon:.5f}\n"
CARD_PHOTOS = "\n🖼 附照片 {count} 张"
CARD_CONFIDENCE = "\n（系统分派，置信度 {confidence:.0%}）"
CARD_UNBOUND = "⚠️ {department} 尚未绑定工作群，此单暂由调度中心代收。\n\n"
TOPIC_NAME = "{number} {status}"

DISPATCH_CARD = "🧭 待分派 {number}\n{reason}\n\n{text}\n{place}\n请选择承办部门："
DISPATCH_REASON = {
    "low_confidence": "系统无法确定承办部门",
    "not_ours": "原承办部门认为非本部门职责",
    "reassigned": "转回调度中心",
}
DEPARTMENT_UNREACHABLE = (
    "⚠️ 无法向 {department} 工作群发送消息（{error}）。诉求 {number} 需要人工跟进，"
    "请检查该群是否仍绑定、机器人是否仍是管理员。"
)

RESIDENT_INFO = "📎 群众补充 {number}：\n{text}"
RESIDENT_ANSWER = "💬 群众回复 {number}：\n{text}"
RESIDENT_PHOTOS = "（附照片 {count} 张）"
REOPENED = "🔁 {number} 群众评价不满意，已重新交办（第 {count} 次）。原因：{reason}"
RATED = "⭐ {number} 群众评价：{rating}"
ESCALATION = "🚨 督办：{number}（{department}）{why}。{reason}"
ESCALATION_WHY = {
    "unsatisfied": "群众多次不满意",
    "overdue": "已超期",
}


def fmt(template: str, **values: Any) -> str:
    """Fill a template; missing optional values read as empty."""
    return template.format(**values)
