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
    "1. 直接用文字把问题说清楚：什么事、在哪里、多久了。说不清地点也没关系，我会问您。\n"
    "2. 我把内容整理好请您核对，可以再补充文字、照片、电话；回复「确认」就提交。\n"
    "3. 提交后告诉您编号、承办部门和办理时限；部门答复、提问、办结时您都会收到消息，"
    "办结后请评价（直接回复「满意」「不满意」也可以）。\n"
    "4. 已提交的诉求要补充或想问进度，直接发消息给我，我会问您补充到哪一件。\n\n"
    "遇到着火、有人受伤、打架等紧急情况，请直接拨打 119、120、110 或 122。\n\n"
    "/my 查看我的诉求 · /status 编号 查看进度 · /cancel 取消填写"
)

ASK_PLACE = (
    "收到！问题发生在哪里？\n"
    "可以直接输入地址（如：荷韵花园3栋2单元门口），或点下方「发送当前位置」。"
    "不方便提供就回复「跳过」。"
)
ASK_PLACE_AGAIN = (
    "已把这段话补充到问题描述里。还想知道问题发生在哪里：请输入地址或发送位置，"
    "不方便就回复「跳过」。"
)
SEND_LOCATION = "📍 发送当前位置"
SKIP = "跳过"
DONE = "好了"
ASK_WHAT = (
    "您好，请具体说说是什么事：什么问题、在哪里、多久了。"
    "比如：荷韵花园3号楼门口的路灯坏了一个星期。"
)
ASK_WHAT_AGAIN = "还没听明白是什么事。请用一两句话说说遇到了什么问题、在哪里，我来转给负责的部门。"
SAME_AGAIN = "这段内容已经收到了，不用重复发送。"
ASK_PHOTOS = "请直接发送现场照片（最多 {limit} 张），发完回复「好了」或点「好了」。"
PHOTO_SAVED = "已收到第 {count} 张照片。还可以继续发，发完回复「好了」。"
PHOTOS_HINT = "现在是在收照片：请发送照片；发完或不需要了，回复「好了」回到核对。"
TOO_MANY_PHOTOS = "照片最多 {limit} 张，已收到的会一并提交。请回复「好了」继续。"
ASK_PHONE = (
    "留个联系电话吗？只有您同意后，承办部门工作人员才能看到，用于上门核实或回访。\n"
    "可以点「分享手机号」，或直接输入电话号码；不留电话也能正常办理，回复「不用」即可。"
)
PHONE_HINT = "请点「分享手机号」，或直接输入电话号码；不想留电话就回复「不用」。"
CONFIRM_PHONE = "要把电话 {phone} 提供给承办部门，用于核实和回访吗？"
PHONE_YES = "同意提供"
PHONE_NO = "不留了"
SHARE_PHONE = "📱 分享手机号（同意提供给承办部门）"
NO_PHONE = "不留电话"
NOT_YOUR_PHONE = "请分享您本人的手机号，或直接输入电话号码；不留就回复「不用」。"

SUMMARY = (
    "请核对您的诉求：\n\n"
    "📝 {text}\n"
    "📍 {place}\n"
    "🖼 照片 {photos} 张\n"
    "📞 {phone}\n\n"
    "{routing}\n\n"
    "没问题请点「确认提交」或回复「确认」。还要补充，直接发文字或照片就行。"
)
SUMMARY_ADDED = "已补充到诉求里。"
SUMMARY_SUBMITTED = "\n\n✅ 已提交，编号和承办部门马上发给您。"
CONFIRM_HINT = (
    "没有要补充的话，请点「✅ 确认提交」或回复「确认」；"
    "要重写就回复「修改」，不提交了回复「取消」。"
)
ROUTING_CONFIDENT = "拟分派至：{department}"
ROUTING_UNSURE = "将由区民意调度中心人工分派到负责部门。"
NO_PLACE = "未提供位置（可点「📍 位置」补充）"
PLACE_PIN = "已发送定位"
PLACE_PIN_TOO = "（已发送定位）"
PHONE_SHARED = "已同意提供给承办部门"
PHONE_NONE = "未留电话"
CONFIRM = "✅ 确认提交"
ADD_PLACE = "📍 位置"
ADD_PHOTOS = "🖼 照片"
ADD_PHONE = "📞 电话"
EDIT = "✏️ 修改内容"
CANCEL = "取消"
EDIT_PROMPT = "好的，请重新描述您的问题："
SUBMITTED = "✅ 已提交，正在为您登记……"
CANCELLED = "已取消，本次填写的内容没有提交。有需要随时再发消息给我。"
NOTHING_TO_CANCEL = "当前没有正在填写的诉求。直接发送文字即可开始反映问题。"

SMALL_TALK = {
    "greeting": (
        "您好！我是{district}「民意直通车」。有什么问题直接用文字告诉我：什么事、在哪里，"
        "我会转给负责的部门办理。"
    ),
    "thanks": "不客气！还有问题随时发消息给我。",
    "test": "收到，服务正常 👍 有问题直接用文字告诉我：什么事、在哪里。",
    "about_bot": (
        "这里是{district}「民意直通车」：您把遇到的问题用文字发给我（什么事、在哪里），"
        "我会整理好请您核对，然后转给负责的部门，办理的每一步都会告诉您。发送 /help 查看说明。"
    ),
}

EMERGENCY = (
    "🚨 情况紧急，请马上拨打 {number}（{service}）！{advice}\n\n"
    "我们也已把您的消息作为紧急情况转给区民意调度中心{ticket}。打完电话有需要再告诉我。"
)
EMERGENCY_TICKET = "（编号 {number}）"
EMERGENCY_SERVICES = {"119": "消防救援", "120": "医疗急救", "110": "报警", "122": "交通事故报警"}
EMERGENCY_ADVICE = {
    "gas": "不要开关电器、不要点火，打开门窗，人先离开，到外面再打电话。",
    "fire": "先带家人离开，别坐电梯，用湿毛巾捂住口鼻，到安全地方再打电话。",
    "trapped": "电梯里的人按警铃、别扒门；说清楚小区、楼号和电梯位置。",
    "collapse": "先离开危险区域，别靠近，说清楚地点和有没有人被困。",
    "traffic": "先开双闪、人站到路边安全处；有人受伤同时拨打 120。",
    "suicide": "请尽量陪着他、别让他一个人，说清楚具体位置。",
    "violence": "先保护好自己，离开危险的地方，说清楚地点和对方特征。",
    "missing": "说清楚走失人的样子、穿着和最后出现的地点，越早报警越好。",
    "medical": "说清楚地址和病人情况，别挂电话，按急救人员的指导做。",
}

FOLLOW_UP_OFFER = "这条消息是补充到诉求 {number}（{snippet}），还是一个新问题？"
FOLLOW_UP_ADD = "📎 补充到 {number}"
FOLLOW_UP_NEW = "🆕 这是新问题"
INFO_ADDED_PROGRESS = "已把补充内容转给承办部门（{number}）。随时发送 /status {number} 查看进度。"

TOO_SHORT = "描述有点短，请再说得具体一些：什么问题、在哪里、持续多久？"
TOO_LONG = "内容太长了（最多 {limit} 字）。请精简一下再发。"
RATE_LIMITED = "您在 1 小时内已提交 {limit} 条诉求，请稍后再提交。紧急情况请拨打 12345 或 110。"
UNSUPPORTED = (
    "暂时只能处理文字、语音、位置和照片。贴纸、视频和文件我还看不懂，请用文字或语音说说问题 🙏"
)
VOICE_REPORT = "（群众发来语音，请收听）"
VOICE_FILED = (
    "🎙 收到您的语音。语音要由工作人员收听，已转给区民意调度中心，编号马上发给您。"
    "方便的话也可以再用文字说说在哪里、什么事。"
)
VOICE_ADDED = "🎙 收到语音，会和诉求一起交给工作人员收听。"
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


# --- collectors (民情书记 / 网格员) in their private chat ----------------------------------------

C_MENU = (
    "📋 民情书记工作台\n"
    "走访、电话、座谈、接待点听到的诉求，都可以在这里代群众登记：能当场答复的现场解答，"
    "其余转办，办理进展会一直通知您（首问跟办）。"
)
C_MENU_RECORD = "📝 代录诉求"
C_MENU_REGISTER = "📒 诉求台账"
C_NOT_COLLECTOR = "只有民情书记、网格员可以代录诉求。如需开通，请联系管理员。"
C_ASK_CHANNEL = "这条诉求是通过什么渠道听到的？"
C_ASK_PERSON = "请输入群众的称呼（如“张大爷”），群众不愿留名请点“匿名”。"
C_ASK_ADDRESS = "请输入群众的住址或户号（如“荷韵花园3号楼2单元”），没有可跳过。"
C_ASK_REQUEST = "请按群众的原话记录诉求内容，可以附照片。"
C_ASK_PHONE = "群众是否同意把电话留给承办部门？只有群众明确同意才能留。"
C_PHONE_YES = "群众同意留电话"
C_PHONE_NO = "不留电话"
C_ASK_PHONE_NUMBER = "请输入群众同意留下的电话号码。"
C_PHONE_AGAIN = "没有识别到电话号码，请重新输入（手机号或座机号）。"
C_SKIP = "跳过"
C_NONE = "未填写"
C_PHONE_CONSENTED = "已留（群众同意）"
C_PHONE_NONE = "未留"
THEME_OFFER = "🎯 与本月主题「{theme}」有关"
THEME_CHOSEN = "✅ 已标记本月主题「{theme}」（点此取消）"
C_SUMMARY = (
    "📝 请核对代录内容：\n"
    "渠道：{channel}\n群众：{person}\n住址：{address}\n诉求：{text}\n"
    "照片：{photos} 张　电话：{phone}\n本月主题：{theme}\n建议承办：{department}\n\n"
    "能当场答复的请点“现场解答”，需要部门办理的请点“转办”。"
)
C_ON_THE_SPOT = "✅ 现场解答"
C_SEND_ON = "📮 转办：{department}"
C_CHANGE_DEPARTMENT = "改承办部门"
C_CANCEL = "取消"
C_TO_DISPATCH = "区民意调度中心"
C_CHOOSE_DEPARTMENT = "请选择承办部门："
C_ASK_ANSWER = "请输入您当场给群众的答复，提交后此诉求即记为现场解答并销号。"
C_RECORDED_ON_SPOT = (
    "✅ 已登记并现场解答，编号 {number}，已计入直办并销号。\n\n"
    "群众如需查看记录，可打开下面的链接或扫二维码：\n{link}"
)
C_RECORDED_SENT = (
    "📮 已登记并转办，编号 {number}。办理进展会通知您，办结后请您回访。\n\n"
    "请把下面的链接或二维码给群众，群众打开后即可自己接收进展和评价"
    "（链接只能使用一次）：\n{link}"
)
C_QR_CAPTION = "诉求 {number} 的关注二维码：群众用手机扫码，即可自己接收办理进展和评价。"
C_CANCELLED = "已取消本次代录。"
C_TEXT_PLEASE = "请用文字回复，或点上面的按钮。"
C_PHOTO_LATER = "请先完成前面的步骤，记录诉求内容时再发照片。"
C_PHOTO_LIMIT = "最多附 {limit} 张照片。"
C_PHOTO_ADDED = "🖼 已附照片 {count} 张。"
C_FOLLOWED_UP = "已记录回访结果。"
C_LINK_INVALID = "这个链接无效或已经使用过了。如需帮助，请直接联系为您登记的民情书记。"
C_REGISTER_TITLE = "📒 {team} 诉求台账（近 {days} 天）"
C_REGISTER_EMPTY = "\n这段时间还没有登记的诉求。"
C_REGISTER_REFUSED = "您只能查看本队的诉求台账。"
C_REGISTER_LINE = "· {number}　{channel}　{person}：{text}"
C_STAGES = {
    "open": "\n🔧 在办 {count} 件",
    "awaiting_follow_up": "\n📞 待回访 {count} 件",
    "to_write_off": "\n📌 待销号 {count} 件",
    "on_the_spot": "\n✅ 现场解答 {count} 件",
    "written_off": "\n☑️ 已销号 {count} 件",
}
C_WRITE_OFF = "销号 {number}"
C_WRITTEN_OFF = "{number} 已销号。"
# --- the knowledge base (直接答复) ----------------------------------------------------------------

KB_ANSWER = "💡 关于您的问题，可以参考以下答复：\n\n{answer}\n\n这个答复解决您的问题了吗？"
KB_SOLVED_BUTTON = "解决了"
KB_HUMAN_BUTTON = "转人工"
KB_THANKS = "很高兴帮到您！如有其他问题，随时发消息给我。"
KB_TO_HUMAN = "好的，这就为您转人工办理，您刚才的问题已保留。"
KB_NOT_YOURS = "这条答复不是发给您的，按钮对您无效。"
C_VISIT_USAGE = (
    "登记走访的格式：/visit 入户数 诉求数 备注，例如 /visit 35 12 重点走访独居老人；"
    "补登以前的走访在前面加日期：/visit 2026-12-05 35 12"
)
C_VISIT_LOGGED = (
    "🚶 已登记走访：{day}，{team}（{community}），入户 {households} 户，收集诉求 {requests} 件。"
)
C_THEME_ON = "🎯 属于本月主题：{theme}"
C_THEME_OFF = "取消本月主题：{theme}"
C_THEME_IS = "本月主题：{theme}。督查人员可以用 /theme 主题 设置，例如 /theme 打击养老诈骗"
C_THEME_SET = "🎯 已将{month}月主题设为「{theme}」，民情书记代录时可以标记。"
C_THEME_REFUSED = "只有督查人员或管理员可以设置本月主题。"
C_THEME_USAGE = "主题请用简短的一句话，例如 /theme 打击养老诈骗"
C_EMERGENCY = (
    "🚨 这是紧急情况：请马上拨打 {number}（{service}），或请群众立即拨打！{advice}\n\n"
    "登记后点“转办”，会作为紧急情况直接交区民意调度中心。"
)
C_RELAY_PROMPT = "请输入群众对诉求 {number} 的回答（按群众的原话），会转给承办部门。"
C_RELAYED = "✅ 已把群众的回答转给诉求 {number} 的承办部门。"
C_RELAY_FAILED = "诉求 {number} 现在不能代为回复（群众已扫码关注，或诉求已办结）。"
