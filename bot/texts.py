"""Every Chinese text a resident sees, in one place."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from delivery.texts import local_time
from storage.models import EventKind
from storage.views import EventView, TicketView
from storage.vocabulary import closure_name, rating_name, status_name

SERVICE = "民意直通车"

START = (
    "您好，这里是{district}「民意直通车」👋\n\n"
    "有什么急难愁盼，直接把问题发给我就行：环境卫生、物业电梯、停水停电、噪音扰民、"
    "拖欠工资……我们会按内容分派给负责的部门，并把每一步进展告诉您，直到办结。\n\n"
    "怎么开始：直接用文字描述问题（什么事、在哪里、持续多久），之后可补充位置、照片和电话。\n\n"
    "常用命令：\n"
    "/my 我的诉求\n"
    "/status 编号 查看办理进度\n"
    "/cancel 取消正在填写的诉求\n"
    "/help 使用说明\n\n"
    "关于您的信息：我们只把诉求内容、位置和照片交给承办部门；电话只有在您同意时才会提供给"
    "工作人员；不会公开您的 Telegram 账号。办结满一定期限后，个人信息会被匿名化处理。"
)

HELP = (
    "使用说明：\n"
    "1. 直接发送文字描述问题，按提示补充位置、照片、电话（都可以跳过）。\n"
    "2. 确认后获得诉求编号，承办部门和办理时限会同时告诉您。\n"
    "3. 部门答复、提问、办结时，您都会收到消息；办结后请为办理结果评价。\n\n"
    "/my 查看我的诉求 · /status 编号 查看进度 · /cancel 取消填写"
)

ASK_PLACE = (
    "收到！问题发生在哪里？\n"
    "可以点下方「发送当前位置」，或直接输入地址（如：荷韵花园3栋2单元门口）。"
    "不方便提供就点「跳过」。"
)
SEND_LOCATION = "📍 发送当前位置"
SKIP = "跳过"
DONE = "完成"
ASK_PHOTOS = "如有现场照片，可以直接发送（最多 {limit} 张）；发完或不需要时点「完成」。"
PHOTO_SAVED = "已收到第 {count} 张照片。还可以继续发，或点「完成」。"
TOO_MANY_PHOTOS = "照片最多 {limit} 张，已收到的会一并提交。请点「完成」继续。"
ASK_PHONE = (
    "是否留下联系电话？\n"
    "只有您点「分享手机号」同意后，承办部门工作人员才能看到，用于上门核实或回访；"
    "不留电话也可以正常办理。"
)
SHARE_PHONE = "📱 分享手机号（同意提供给承办部门）"
NO_PHONE = "不留电话"
NOT_YOUR_PHONE = "请分享您本人的手机号，或点「不留电话」。"

SUMMARY = (
    "请核对您的诉求：\n\n"
    "📝 {text}\n"
    "📍 {place}\n"
    "🖼 照片 {photos} 张\n"
    "📞 {phone}\n\n"
    "{routing}\n\n"
    "确认无误请点「确认提交」。"
)
ROUTING_CONFIDENT = "拟分派至：{department}"
ROUTING_UNSURE = "将由区民意调度中心人工分派到负责部门。"
NO_PLACE = "未提供位置"
PLACE_PIN = "已发送定位"
PHONE_SHARED = "已同意提供给承办部门"
PHONE_NONE = "未留电话"
CONFIRM = "✅ 确认提交"
EDIT = "✏️ 修改内容"
CANCEL = "取消"
EDIT_PROMPT = "好的，请重新描述您的问题："
SUBMITTED = "✅ 已提交，正在为您登记……"
CANCELLED = "已取消，本次填写的内容没有提交。有需要随时再发消息给我。"
NOTHING_TO_CANCEL = "当前没有正在填写的诉求。直接发送文字即可开始反映问题。"

TOO_SHORT = "描述有点短，请再说得具体一些：什么问题、在哪里、持续多久？"
TOO_LONG = "内容太长了（最多 {limit} 字）。请精简一下，或分几次补充。"
RATE_LIMITED = "您在 1 小时内已提交 {limit} 条诉求，请稍后再提交。紧急情况请拨打 12345 或 110。"
UNSUPPORTED = "暂时只能处理文字、位置和照片。请用文字描述问题；语音、贴纸、视频和文件我还看不懂 🙏"
CONTACT_UNEXPECTED = "谢谢！电话只在填写诉求时、经您同意后才会使用。请先用文字描述问题。"
UNKNOWN_COMMAND = "没有这个命令。可用命令：/my 我的诉求 · /status 编号 · /cancel · /help"
STAFF_ONLY = "抱歉，这个命令仅供工作人员在部门工作群中使用。"
BUTTON_EXPIRED = "这个按钮已失效，请以最新消息为准。"
ERROR = "抱歉，系统刚才开了个小差，您的内容没有丢失。请稍后再试，或发送 /help。"
FLOOD = "您发送得太快了，请稍等几秒再发。"

MY_EMPTY = "您还没有提交过诉求。直接发送文字描述问题即可。"
MY_HEADER = "您的诉求（最近 {count} 条）："
MY_LINE = "{number} · {status} · {snippet}"
STATUS_USAGE = "请在命令后附上诉求编号，例如：/status TB-20261124-0001"
NOT_FOUND = "没有找到编号为 {number} 的诉求。请核对编号，或用 /my 查看您的诉求。"
TIMELINE_LIMIT = 3800
TIMELINE_EARLIER = "· ……（更早的 {count} 条记录从略）"
STATUS_HEADER = (
    "诉求 {number}\n状态：{status}\n承办：{department}\n{due}\n\n内容：{text}\n\n办理记录："
)
DUE_LINE = "办理时限：{due}"
ADD_INFO = "📎 补充材料"
ADD_INFO_PROMPT = "请发送要补充给 {number} 的文字或照片："
INFO_ADDED = "已把补充内容转给承办部门（{number}）。"
INFO_CLOSED = "诉求 {number} 已办结，不能再补充。如有新问题，请直接发送文字重新反映。"

REASON_PROMPT = "很抱歉让您不满意。请简单说说原因，我们会转回承办部门重新办理："
RATING_THANKS = "感谢评价！"


EVENT_NAMES: dict[str, str] = {
    EventKind.RECEIVED: "已受理",
    EventKind.ROUTED: "交办至 {department}",
    EventKind.SENT_TO_DISPATCH: "转区民意调度中心人工分派",
    EventKind.DISPATCHED: "调度中心分派至 {department}",
    EventKind.CLAIMED: "承办人已认领",
    EventKind.REPLIED: "部门答复",
    EventKind.ASKED: "部门向您提问",
    EventKind.RESIDENT_INFO: "您补充了材料",
    EventKind.REASSIGNED: "转办至 {department}",
    EventKind.RESOLVED: "办结（{code}）",
    EventKind.RATED: "您的评价：{rating}",
    EventKind.REOPENED: "重新办理",
    EventKind.CLOSED: "已归档",
}


def snippet(text: str, limit: int = 24) -> str:
    """The start of a long text."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def my_tickets(tickets: list[TicketView]) -> str:
    """The /my list."""
    if not tickets:
        return MY_EMPTY
    lines = [MY_HEADER.format(count=len(tickets))]
    lines += [
        MY_LINE.format(
            number=t.number, status=status_name(t.status, staff=False), snippet=snippet(t.text)
        )
        for t in tickets
    ]
    return "\n".join(lines)


def timeline(
    ticket: TicketView, events: list[EventView], names: dict[str, str], tz: ZoneInfo
) -> str:
    """The /status answer: the ticket and its resident-visible history."""
    department = names.get(ticket.department_code or "", "—")
    due = DUE_LINE.format(due=local_time(ticket.due_at, tz)) if ticket.due_at else ""
    lines = [
        STATUS_HEADER.format(
            number=ticket.number,
            status=status_name(ticket.status, staff=False),
            department=department,
            due=due,
            text=snippet(ticket.text, 200),
        )
    ]
    for event in events:
        template = EVENT_NAMES.get(event.kind)
        if template is None:
            continue
        label = template.format(
            department=names.get(event.department_code or "", ""),
            code=closure_name(event.detail.get("code")),
            rating=rating_name(event.detail.get("rating")),
        )
        said = (
            event.detail.get("text") if event.kind in (EventKind.REPLIED, EventKind.ASKED) else None
        )
        lines.append(
            f"· {local_time(event.at, tz)} {label}" + (f"：{snippet(said, 300)}" if said else "")
        )
    head, events_lines = lines[0], lines[1:]
    while events_lines and len(head) + sum(len(x) + 1 for x in events_lines) > TIMELINE_LIMIT:
        events_lines = events_lines[1:]  # keep the newest steps within Telegram's limit
    dropped = len(lines) - 1 - len(events_lines)
    more = [TIMELINE_EARLIER.format(count=dropped)] if dropped else []
    return "\n".join([head, *more, *events_lines])
