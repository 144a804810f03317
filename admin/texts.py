"""Every Chinese text staff, dispatchers and supervisors see, in one place."""

from __future__ import annotations

from typing import Any

from storage.models import EventKind

# --- staff actions in department groups and dispatch (admin.staff, admin.dispatch) ------------

EVENT_LINES: dict[str, str] = {
    EventKind.RECEIVED: "群众提交",
    EventKind.ROUTED: "交办至 {department}",
    EventKind.SENT_TO_DISPATCH: "转调度中心",
    EventKind.DISPATCHED: "调度分派至 {department}",
    EventKind.CLAIMED: "认领",
    EventKind.REPLIED: "答复群众：{text}",
    EventKind.NOTE: "内部备注：{text}",
    EventKind.ASKED: "向群众提问：{text}",
    EventKind.RESIDENT_INFO: "群众补充：{text}",
    EventKind.REASSIGNED: "转办至 {department}{reason}",
    EventKind.RESOLVED: "办结（{code}）：{answer}",
    EventKind.RATED: "群众评价：{rating}{reason}",
    EventKind.REOPENED: "重新办理{reason}",
    EventKind.CLOSED: "归档",
    EventKind.ESCALATED: "督办",
    EventKind.DELIVERY_FAILED: "消息未送达",
    EventKind.REMINDED: "到期提醒",
    EventKind.OVERDUE: "已超期",
    EventKind.UNANSWERED: "群众逾期未答复提问，恢复计时",
    EventKind.ANONYMISED: "个人信息已匿名化",
    EventKind.ACCEPT_REMINDED: "超时未签收，已提醒",
    EventKind.ACCEPT_ESCALATED: "提醒后仍未签收，已报调度中心",
    EventKind.SENT_BACK: "退单{reason}",
    EventKind.SEND_BACK_APPROVED: "调度中心同意退单",
    EventKind.SEND_BACK_REJECTED: "调度中心驳回退单{reason}",
    EventKind.EXTENSION_REQUESTED: "申请延期 {days} 个工作日{reason}",
    EventKind.EXTENSION_APPROVED: "批准延期 {days} 个工作日",
    EventKind.EXTENSION_DENIED: "不批准延期 {days} 个工作日",
    EventKind.COHANDLER_ADDED: "增加协办部门 {cohandler}",
    EventKind.COHANDLER_NOTED: "{cohandler} 协办意见：{text}",
}
HISTORY_HEADER = "\n\n办理记录："
HISTORY_LINE = "{at} {who}：{what}"
WHO_RESIDENT = "群众"
WHO_SYSTEM = "系统"
WHO_STAFF = "工作人员"
TICKET_TITLE = "📄 诉求 {number}\n"
TICKET_STATUS = "\n状态：{status}{overdue}"
OVERDUE_MARK = " ⏰已超期"

NOT_STAFF = "抱歉，此操作仅限区民意直通车的工作人员。"
NOT_YOUR_TICKET = "您不是该诉求承办部门的工作人员，无法操作。"
NOT_DISPATCHER = "只有调度员、督办人员或管理员可以分派诉求。"
NOT_ADMIN = "只有管理员可以绑定部门工作群。"
BUTTON_STALE = "按钮已失效：诉求已变化或按钮不属于本群，请以最新消息为准。"
TICKET_UNKNOWN = "没有找到编号为 {number} 的诉求。"
WRONG_STATE = "诉求 {number} 当前状态为「{status}」，不能{action}。"
UNKNOWN_DEPARTMENT = "没有这个部门：{code}。可用的部门代码：{codes}"
INVALID_INPUT = "内容有误：{detail}"
INVALID_DETAILS = {
    "empty text": "内容不能为空",
    "the resident needs an answer": "请写明给群众的答复内容",
    "a duplicate needs the number of the original ticket": "请写明原诉求编号",
    "a ticket cannot duplicate itself": "不能与自身重复",
    "the ticket is already with that department": "诉求已在该部门",
    "choose a department, not dispatch itself": "请选择具体承办部门",
    "a send-back needs a reason": "退单须写明理由",
    "a template needs a title and a text": "模板须有标题和内容（用 | 分隔）",
    "template too long": "模板标题最多 32 字，内容最多 3000 字",
    "a template with that title exists": "本部门已有同名模板",
    "only a resolved ticket with an answer can be promoted": (
        "只有已办结且有答复的诉求可以收入知识库"
    ),
    "this answer is already in the knowledge base": "这条答复已在知识库中",
    "a co-handler is another department": "协办部门应是主办部门以外的部门",
    "that department co-handles the ticket already": "该部门已在协办",
    "an extension needs a reason": "申请延期须写明理由",
    "an extension is at least one working day": "延期至少 1 个工作日",
    "a refusal needs a reason": "驳回退单须写明理由",
    "to keep it with the department, refuse the send-back with a reason": (
        "同意退单须改派其他部门；如不同意，请用 /refuse 编号 理由 驳回"
    ),
}

NEED_TICKET = "请在诉求话题内（或回复诉求卡片）使用，或写明编号，例如：{example}"
USAGE = {
    "claim": "/claim TB-20261124-0001",
    "reply": "/reply 您反映的路灯已安排维修，预计明天修好。",
    "ask": "/ask 请问具体是几号楼门口？",
    "note": "/note 已电话联系物业",
    "reassign": "/reassign housing 属于电梯维保，请住建局处理",
    "resolve": "/resolve 已解决 路灯已更换，请您查看。",
    "ticket": "/ticket TB-20261124-0001",
    "dispatch": "/dispatch TB-20261124-0001 urban",
    "bind": "/bind urban",
    "sendback": "/sendback 该路段属于高速公路管理范围，不属本部门职责",
    "refuse": "/refuse TB-20261124-0001 该路灯在小区红线外，属城管维护",
    "extend": "/extend 5 需协调供电公司停电施工，预计下周完成",
    "cohandle": "/cohandle 住房和城乡建设局 请核实该楼电梯维保单位",
}
USAGE_PREFIX = "用法："
RESOLVE_CODES = "办结类型：已解决、已答复、非本部门职责、重复（需写原编号）、无法联系。"

CLAIMED = "✅ {who} 已认领 {number}"
TAKEN_OVER = "✅ {who} 已接手 {number}"
ALREADY_CLAIMED = "{number} 已由 {who} 认领。如需接手，请在诉求话题内发送 /claim 接手"
ALREADY_YOURS = "{number} 已由您认领，无需重复认领。"
RELAYED = "✅ 已转达群众（{number}）"
PHOTO_REPLY = "请查看承办部门发来的现场照片。"
ASKED = "❓ 已向群众提问，答案会发到这里（{number}）"
NOTED = "📝 已记为内部备注，群众看不到（{number}）"
REASSIGNED = "➡️ {number} 已转办至 {department}"
SENT_BACK = "↩️ {number} 已退单至区民意调度中心，等待审核（审核期间办理时限照常计算）。"
SEND_BACK_TOO_LATE = (
    "{number} 已超过退单时限（交办后 {days:g} 个工作日内可退单），不能退单。"
    "请继续办理；确需调整承办部门，请联系调度中心。"
)
SEND_BACK_REFUSED = "↩️ {number} 退单已驳回，退回原承办部门继续办理（{who}）。"
EXTENSION_REQUESTED = (
    "🗓 {number} 已申请延期 {days} 个工作日，等待督查人员审批（审批前原时限不变）。"
)
EXTENSION_TOO_LONG = "{number} 每次最多申请延期 {limit} 个工作日，请缩短天数后重新申请。"
EXTENSION_TOO_MANY = "{number} 已延期 {limit} 次，不能再申请延期；请抓紧办结，或联系督查室。"
EXTENSION_PENDING = "{number} 已有一个延期申请在等待审批，请等审批结果。"
EXTENSION_DECIDED = "{verdict}（{who}）"
EXTENSION_VERDICT = {True: "✅ 已批准延期", False: "❌ 未批准延期"}
NOT_EXTENSION_APPROVER = "只有督查人员或管理员可以审批延期。"
RESOLVED = "🏁 {number} 已办结（{code}），已请群众评价"
RETURNED_TO_DISPATCH = "↩️ {number} 非本部门职责，已退回调度中心重新分派"
DISPATCHED = "🧭 {number} 已分派至 {department}（{who}）"
DUPLICATE_TOPIC = (
    "⚠️ 这是 {number} 重复创建的话题，这条消息没有处理，本话题即将关闭。"
    "请到本群 {number} 的另一个话题中办理。"
)
NOT_RELAYED = "⚠️ 诉求 {number} 当前状态为「{status}」，这条消息没有转给群众。"

PICK_DEPARTMENT = "转办 {number}：请选择接收部门"
PICK_CLOSURE = "办结 {number}：请选择办结类型"
ASK_ANSWER = "办结 {number}（{code}）：请直接发送给群众的答复内容；发送 /cancel 取消。"
ASK_ORIGINAL = "办结 {number}（重复）：请发送原诉求编号；发送 /cancel 取消。"
REPLY_TO_THIS = "\n（本群未开启话题：请「回复」本条消息发送。）"
ANSWER_BY_REPLY = (
    "⚠️ 这条消息没有作为 {number} 的办结答复发出。请「回复」办结提示消息发送答复，"
    "或发送 /cancel 取消办结。"
)
BAD_ORIGINAL = "请发送原诉求编号，例如 TB-20261124-0001；发送 /cancel 取消。"
PENDING_CANCELLED = "已取消办结。"
NOTHING_PENDING = "当前没有待完成的操作。"

LIST_HEADER = "{department} 在办诉求 {count} 件（最早的在前）："
LIST_EMPTY = "{department} 目前没有在办诉求。"
LIST_LINE = "{mark}{number} · {status} · 时限 {due} · {snippet}"
OVERDUE_HEADER = "超期诉求 {count} 件："
OVERDUE_EMPTY = "没有超期诉求 👍"
OVERDUE_LINE = "⏰ {number} · {department} · 时限 {due} · {snippet}"
NOT_A_DEPARTMENT_GROUP = "本群尚未绑定部门。管理员可发送 /bind 部门代码 绑定。"

BOUND = "本群已绑定为「{department}」工作群{forum}。"
BOUND_FORUM = "（每件诉求一个话题）"
BOUND_PLAIN = "（诉求以卡片发送，回复卡片即可办理）"


def fmt(template: str, **values: Any) -> str:
    """Fill a template; missing optional values read as empty."""
    return template.format(**values)


# --- digest, /stats and exports (supervisors) ---------------------------------------------------

NO_VALUE = "—"
WEEKDAYS = "一二三四五六日"

DIGEST_TITLE = "📊 民意直通车日报 · {day}（周{weekday}{partial}）"
DIGEST_PARTIAL = "，截至 {time}"
DIGEST_DAY = "【当日】"
DIGEST_MONTH = "【本月累计 {first}—{last}】"
DIGEST_EMPTY_DAY = "当日无新增诉求，也无办结。"
DIGEST_DEPARTMENTS = "【各部门】当日 / 本月"
DIGEST_HOTSPOTS = "【当日热点诉求】"
CHANNELS_TITLE = "【按渠道（本期收集的诉求）】"
CHANNELS_TOTAL = "合计"
THEMES_TITLE = "【每月主题（本月）】"
THEME_LINE = "▪ {theme}：收集诉求 {count} 件，其中现场解答 {direct} 件"
VISITS_TITLE = "【走访（本月，每月5日、15日、25日）】"
VISIT_LINE = "▪ {team}：已走访 {made}/{scheduled} 次，入户 {households} 户，收集诉求 {requests} 件"
CHANNEL_LINE = (
    "▪ {name}：收集 {collected}，直办 {direct}（{direct_share}），转办 {sent_on}"
    "（办结率 {resolution}）；总办结率 {closed}，销号率 {written_off}，满意率 {satisfaction}"
)
DIGEST_NO_HOTSPOTS = "暂无热点诉求。"
DIGEST_TRUNCATED = "……（其余 {count} 个部门见图表或 /stats）"

SUMMARY = "收到 {received} 件，办结 {resolved} 件"
# One figure of storage.metrics.METRICS: its name from storage.vocabulary, its value.
FIGURE = "{name} {value}"
FIGURE_MEDIAN = "{name}中位 {value}"
FIGURE_SEPARATOR = " · "
RESOLUTION_DETAIL = "（受理 {requests} 件中已办结 {done} 件）"
SATISFACTION_DETAIL = "（最终评价 {rated} 件，未评价 {unrated} 件，不满意重办 {reopened} 件）"
HANDLING = "延期 {extensions} 次（申请 {requests} 次） · 协办 {cohandled} 件"
SEND_BACK_DETAIL = "（退单 {count} 件）"
DIRECT_ANSWERS = " · 直接答复 {count} 件（知识库答复、群众确认解决，不计入办结）"
CLOSURES = "办结方式：{codes}"
BACKLOG = "在办 {open} 件，其中超期 {overdue} 件"
DEPARTMENT_LINE = (
    "▪ {name}：收到 {received_day}/{received_month}，办结 {resolved_day}/{resolved_month}，"
    "办结率 {rate_day}/{rate_month}，满意率 {satisfaction_month}（本月），"
    "在办 {open}（超期 {overdue}）"
)
DISPATCH_LINE = "▪ {name}：待分派 {open} 件，本月退回调度 {returned} 件"
HOTSPOT_LINE = "{name}：{keywords}"
HOTSPOT_KEYWORD = "{word}（{count}件，如 {examples}）"
HOURS = "{hours:.1f} 小时"
DAYS = "{days:.1f} 天"

STATS_TITLE = "📈 统计 {first} 至 {last}{scope}"
STATS_SCOPE = " · {name}"
STATS_USAGE = "用法：/stats 起始日期 结束日期 [部门代码]，如 /stats 2026-11-01 2026-11-30 urban"
STATS_BAD_DATE = "日期格式不对：{value}（应为 年-月-日，如 2026-11-24）"
STATS_BAD_RANGE = "结束日期不能早于起始日期。"
STATS_UNKNOWN_DEPARTMENT = "没有这个部门代码：{code}"
STATS_EMPTY = "这段时间没有收到诉求，也没有办结。"

CHART_TITLE = "民意直通车 · {day}{partial}"
CHART_PARTIAL = "（截至 {time}）"
CHART_DAY = "{day}收到与办结（件）"
CHART_MONTH = "本月累计 {first}—{last} 各项比率（%）"
CHART_NO_VALUE_NOTE = "— 表示无数据（没有可计算的诉求），不是 0%"
CHART_DEFINITION = "{name}：{definition}。"
CHART_RECEIVED = "收到"
CHART_RESOLVED = "办结"
CHART_NO_DATA = "暂无数据"

EXPORT_HEADERS = {
    "number": "编号",
    "created_at": "受理时间",
    "status": "状态",
    "department_code": "承办部门代码",
    "department": "承办部门",
    "predicted": "系统预测部门",
    "confidence": "预测置信度",
    "text": "诉求内容",
    "address": "地址",
    "latitude": "纬度",
    "longitude": "经度",
    "photos": "照片数",
    "phone": "联系电话（经同意）",
    "routed_at": "交办时间",
    "first_reply_at": "首次答复时间",
    "due_at": "办理时限",
    "resolved_at": "办结时间",
    "closed_at": "关闭时间",
    "closure": "办结方式",
    "answer": "答复内容",
    "rating": "评价",
    "reopen_count": "重开次数",
    "reassign_count": "转办次数",
    "duplicate_of": "重复于",
    "on_time": "按时办结",
    "overdue": "当前超期",
    "response_hours": "响应时长（小时）",
    "handling_hours": "办理时长（小时）",
    "anonymised_at": "匿名化时间",
    "channel": "渠道",
    "team": "民情书记队",
    "person_name": "群众",
    "written_off_at": "销号时间",
    "accept_due_at": "签收时限",
    "accepted_at": "签收时间",
    "accepted_in_time": "按时签收",
    "extension_count": "延期次数",
}
YES = "是"
NO = "否"
EXPORT_SHEET = "诉求明细"
EXPORT_DONE = "已导出 {count} 条诉求到 {path}"
EXPORT_DIGEST_DONE = "日报已写入 {text} 和 {chart}"
ANONYMISE_PLAN = (
    "{before} 之前关闭、尚未匿名化的诉求 {tickets} 件：含电话 {phones} 件，"
    "含地址或定位 {places} 件，含照片 {photos} 件；"
    "群众补充、评价原因等记录 {events} 条；可清除姓名的群众 {residents} 人。"
)
ANONYMISE_DRAFTS = "未提交的诉求草稿（最后操作早于该日）：{count} 份，一并删除。"
ANONYMISE_DRY_RUN = "（演练模式，未做任何修改；加 --apply 执行）"
ANONYMISE_DONE = "已匿名化 {tickets} 件诉求，统计数据（状态、时间、办结方式、评价、部门）保留。"

# --- supervision: reminders, 催办, digest delivery -----------------------------------------------

NOT_SUPERVISOR = "抱歉，日报和统计仅限督查人员查看。"
DIGEST_BAD_DATE = "日期格式应为 年-月-日，例如 /digest 2026-11-24。"

# --- access: /members for admins (admin.members) ---------------------------------------------

ROLE_NAMES = {
    "staff": "工作人员",
    "dispatcher": "调度员",
    "supervisor": "督查人员",
    "admin": "管理员",
    "collector": "民情书记/网格员",
}
ADMINS_ONLY = "只有管理员可以管理人员。"

# --- 答复模板 (standard answers) -------------------------------------------------------------

TEMPLATES_HEADER = "📋 {name} 的答复模板："
TEMPLATES_LINE = "{id}. {title}：{text}"
TEMPLATES_NONE = "{name} 还没有答复模板。管理员可发送 /templates add 标题|内容 添加。"
TEMPLATES_USAGE = (
    "用法：/templates 查看本部门模板；/templates add 标题|内容 添加；/templates remove 编号 删除"
)
TEMPLATES_ADMINS_ONLY = "只有管理员可以增删答复模板。"
TEMPLATE_ADDED = "📋 已添加答复模板 {id}：{title}"
TEMPLATE_REMOVED = "📋 已删除答复模板 {id}"
TEMPLATE_MISSING = "本部门没有编号为 {id} 的答复模板。"
TEMPLATE_OFFER = "\n\n也可选用下方答复模板（插入为草稿，确认后才发送）："
TEMPLATE_DRAFT = (
    "📝 {number} 答复草稿（{title}）：\n\n{text}\n\n"
    "按「按此答复办结」发送；如需修改，请复制后修改并直接发送全文；发送 /cancel 取消。"
)
USE_DRAFT = "✅ 按此答复办结"
USE_REPLY_DRAFT = "✅ 按此答复群众"
TEMPLATE_REPLY_DRAFT = (
    "📝 {number} 答复草稿（{title}）：\n\n{text}\n\n"
    "按「按此答复群众」发送；如需修改，请复制后修改并直接发送全文。"
)
COHANDLER_ADDED = (
    "🤝 {number} 已请 {department} 协办：对方在其工作群的意见会转到这里；答复和办结仍由本部门负责。"
)
COHANDLER_NOTED = "🤝 已把协办意见转给 {number} 的主办部门。"
PROMOTE = "📚 收入知识库"
PROMOTED = "已收入知识库：群众再问类似问题时，机器人会先用这条答复解答。"
NO_DRAFT = "没有待确认的答复草稿，请重新点「办结」。"
MEMBERS_PRIVATE_ONLY = "人员名单含 Telegram ID，请私聊机器人使用 /members。"
MEMBERS_TITLE = "👥 人员与角色（{count} 人）：点按钮移除某人的全部角色，立即生效。"
MEMBERS_EMPTY = "还没有人员。运维人员在服务器上用 minyi members add 添加。"
MEMBERS_LINE = "• {name} {user_id}：{roles}"
MEMBERS_MORE = "……还有 {count} 人：用 /members remove ID，或在服务器上用 minyi members list 查看"
MEMBERS_ROLE = "{role}"
MEMBERS_ROLE_AT = "{role}（{department}）"
MEMBERS_REMOVE_BUTTON = "移除 {name}"
MEMBERS_CONFIRM = "确认移除 {name} {user_id} 的全部角色（{roles}）？移除后其命令和按钮立即失效。"
MEMBERS_CONFIRM_BUTTON = "确认移除"
MEMBERS_CANCEL_BUTTON = "取消"
MEMBERS_REMOVED = "已移除 {name} {user_id}：{roles}。已记入人员变动记录。"
MEMBERS_GONE = "用户 {user_id} 已没有角色。"
MEMBERS_OWN_ADMIN = (
    "不能在 Telegram 里移除自己的管理员角色；请运维人员在服务器上用 minyi members remove。"
)
MEMBERS_USAGE = "用法：/members 查看名单；/members remove 用户ID [角色] [部门]"
