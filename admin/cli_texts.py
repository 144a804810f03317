"""What the `minyi` command says to the operator: errors, the preflight check, members.

Chinese first; an English gloss in brackets where it helps (a library's own words, a code).
"""

from __future__ import annotations

from admin import texts as staff_texts
from storage.models import ChangeSource, GrantChange

ERROR = "错误: {message}"
DEBUG_HINT = "（加 --debug 查看详情 / rerun with --debug for the traceback）"

# --- mistakes on the command line ---------------------------------------------------------
USAGE_HINT = "；用 `{command} --help` 查看用法"
MISSING_PARAMETER = "缺少参数 {name}"
BAD_PARAMETER = "参数 {name} 的值无效"
NO_SUCH_OPTION = "没有选项 {name}"
NO_SUCH_COMMAND = "没有这个命令"
BAD_USAGE = "用法有误"
ABORTED = "已中止 (aborted)"

# --- the database -------------------------------------------------------------------------
DB_MISSING = "数据库还没有初始化（{where} 不存在）：先运行 `minyi db init`"
DB_NOT_MIGRATED = "数据库还没有初始化（{where} 里没有表）：先运行 `minyi db init`"
DB_BEHIND = "数据库结构是旧版本 {current}，程序需要 {head}：运行 `minyi db upgrade`"
DB_AHEAD = "数据库结构 {current} 比这个程序新（{head}）：升级 minyi 后再运行"
DB_UNREACHABLE = "连不上数据库 {where}：检查 DATABASE_URL 和数据库服务 ({detail})"
DB_SCHEMA_MISMATCH = "数据库结构与程序不符：运行 `minyi db upgrade` ({detail})"
MIGRATION_FAILED = "数据库迁移失败：{detail}"

# --- Telegram -----------------------------------------------------------------------------
TOKEN_REJECTED = (
    "Telegram 拒绝了 TELEGRAM_BOT_TOKEN：到 @BotFather 核对或重新生成 token，"
    "并确认 TELEGRAM_API_BASE_URL={base_url} 是 Bot API 地址 (token rejected)"
)
TELEGRAM_UNREACHABLE = (
    "连不上 Telegram（TELEGRAM_API_BASE_URL={base_url}）：检查网络、防火墙或代理，"
    "或改用可访问的 Bot API 地址 ({detail})"
)
TELEGRAM_REFUSED = "Telegram 拒绝了请求：{detail}"

# --- files, models, everything else -------------------------------------------------------
FILE_PROBLEM = "无法访问 {path}：{reason}"
FILE_REASONS = {
    "No such file or directory": "文件或目录不存在",
    "Permission denied": "没有权限",
    "Is a directory": "这是目录，不是文件",
    "Not a directory": "路径中有一段不是目录",
    "Read-only file system": "文件系统只读",
    "No space left on device": "磁盘已满",
}
MODEL_PROBLEM = "模型或数据有问题：{detail}"
INVALID_INPUT = "输入有误：{detail}"
UNEXPECTED = "意外错误 {kind}: {detail}"

# --- domain errors ------------------------------------------------------------------------
UNKNOWN_DEPARTMENT = "没有这个部门：{code}。可用的部门代码：{codes}"
DEPARTMENT_REQUIRED = "工作人员 (staff) 属于一个部门：加 --department 部门代码或部门名称"
DISTRICT_WIDE_ROLE = "{role}面向全区，不属于某个部门：去掉 --department"
TEAM_REQUIRED = (
    "民情书记/网格员 (collector) 属于一个队：加 --team 队名 --community 社区名（见 teams.toml）"
)
UNKNOWN_TEAM = "teams.toml 里没有与这个社区结对的队「{team}」。可用的队：{teams}"
NO_SUCH_GRANT = "用户 {user_id} 没有这个角色：用 `minyi members list` 查看现有人员"
NOT_A_USER_ID = "不是有效的 Telegram 用户 ID：{raw}（纯数字，可在 @userinfobot 查到）"
CHAT_ID_INVALID = "不是有效的群组 ID：{raw}（群组 ID 是负数，如 -1001234567890）"
CHAT_ID_POSITIVE = "群组 ID 是负数（如 -1001234567890）；正数是个人的用户 ID"

ROLE_NAMES = staff_texts.ROLE_NAMES

# --- members ------------------------------------------------------------------------------
MEMBER_ADDED = "已添加: {who}"
MEMBER_EXISTS = "已存在: {who}"
MEMBER_REMOVED = "已移除: {who}"
MEMBER_SET = "现在只有: {who}"
MEMBER_DROPPED = "  已移除: {who}"
MEMBERS_EMPTY = "还没有人员。用 `minyi members add USER_ID --role ROLE` 添加。"
MEMBER_EFFECT = "立即生效：此人的下一条消息或按钮按角色重新判断。"
HISTORY_EMPTY = "还没有人员变动记录。"
HISTORY_LINE = "{at}  {change}  {who}  {by}"
CHANGES = {GrantChange.GRANTED: "授予", GrantChange.REVOKED: "移除"}
BY_OPERATOR = "命令行"
BY_ADMIN = "Telegram 管理员 {user_id}"
SOURCES = {ChangeSource.COMMAND_LINE: BY_OPERATOR, ChangeSource.TELEGRAM: BY_ADMIN}

# --- the preflight check (`minyi check`, and `minyi run` before it starts) ----------------
CHECK_SETTINGS = "设置：数据库 {database}；模型 {model}；时区 {tz}"
CHECK_TOKEN_MISSING = "TELEGRAM_BOT_TOKEN 未设置：向 @BotFather 申请 token，写入环境变量或 .env"
CHECK_DISTRICT = "部门配置：{district} {count} 个部门 + {dispatch}（{path}）"
CHECK_DISTRICT_BAD = "部门配置有误：{detail}；改正 MINYI_DEPARTMENTS 指向的文件"
CHECK_DATABASE = "数据库：{where}，结构 {revision}（最新）"
CHECK_DEPARTMENTS = "部门已载入数据库：{count} 个"
CHECK_DEPARTMENTS_NONE = "数据库里还没有部门：运行 `minyi db init`"
CHECK_DEPARTMENTS_MISSING = "数据库里缺少部门 {codes}：运行 `minyi departments load`"
CHECK_DEPARTMENTS_CHANGED = (
    "数据库里的部门与配置文件不一致（{codes}）：运行 `minyi departments load`"
)
CHECK_MODEL = "模型：{count} 个标签与部门一致，交叉验证 macro-F1 {f1}（{path}）"
CHECK_MODEL_LABELS = (
    "模型的标签与部门不一致（缺 {missing}；多出 {extra}）：用部门代码标注的数据重新训练"
    "（`minyi model train`），或把 MINYI_MODEL 指向与 departments.toml 相符的模型"
)
CHECK_MODEL_BROKEN = "模型无法加载：{detail}"
CHECK_MODEL_VERSIONS = "模型与已安装的库版本不同，预测可能有偏差：{detail}"
CHECK_THRESHOLD = "分派阈值 {value:.2f}（{source}）：把握低于它的诉求转调度中心人工分派{outcome}"
THRESHOLD_SOURCES = {
    "settings": "MINYI_DISPATCH_THRESHOLD",
    "model": "模型建议",
    "default": "默认值",
}
THRESHOLD_OUTCOME = "；训练时的交叉验证中 {routed:.0%} 自动交办、误分 {error:.1%}"
CHECK_THRESHOLD_HIGH = (
    "分派阈值 {value:.2f} 很高：多数诉求会转调度中心人工分派；"
    "调低 MINYI_DISPATCH_THRESHOLD，或去掉它用模型建议值"
)
CHECK_THRESHOLD_LOW = (
    "分派阈值 {value:.2f} 低于 1/{count}：模型的首选把握不会低于它，没有诉求会转调度中心；"
    "调高 MINYI_DISPATCH_THRESHOLD，或去掉它用模型建议值"
)
CHECK_THRESHOLD_FEW_ROUTED = (
    "按模型建议的阈值 {value:.2f}，交叉验证中只有 {routed:.0%} 的诉求能自动交办："
    "用更多历史数据重新训练（`minyi model train`）"
)
CHECK_TELEGRAM = "Telegram：token 有效，机器人 @{username}（{base_url}）"
CHECK_SKIPPED = "{what}：跳过（先解决上面的 ✗）"
SKIPPED_DATABASE = "数据库"
SKIPPED_MODEL = "模型"
SKIPPED_GROUPS = "工作群"
SKIPPED_PEOPLE = "人员"
SKIPPED_TELEGRAM = "Telegram"

GROUP_OK = "{name} ({code})：群「{title}」{chat_id}{forum}，机器人是管理员{topics}；{people}"
GROUP_FORUM = "，话题模式"
GROUP_TOPIC_RIGHTS = "、可管理话题"
GROUP_STAFF = "工作人员 {count} 人"
GROUP_DISPATCHERS = "调度员 {count} 人"
GROUP_UNBOUND = (
    "{name} ({code}) 未绑定工作群，其工单由调度中心代收：在该部门的群里发 `/bind {code}`，"
    "或运行 `minyi departments bind {code} 群ID --forum`"
)
GROUP_UNBOUND_DISPATCH = (
    "{name} ({code}) 未绑定工作群，转调度的诉求无人接收：在调度群里发 `/bind {code}`，"
    "或运行 `minyi departments bind {code} 群ID`"
)
GROUP_NOT_FOUND = (
    "{name} ({code})：找不到群 {chat_id}：核对群 ID，把机器人 @{bot} 加入该群后重新绑定 ({detail})"
)
GROUP_BOT_OUT = (
    "{name} ({code})：机器人 @{bot} 不在群 {chat_id} 里：把它加回群并设为管理员 ({detail})"
)
GROUP_MIGRATED = (
    "{name} ({code})：群 {chat_id} 已升级为超级群 {new_id}：运行 "
    "`minyi departments bind {code} {new_id}{forum_flag}`"
)
GROUP_NOT_ADMIN = (
    "{name} ({code})：机器人 @{bot} 不是群「{title}」的管理员：在群设置里把它设为管理员（{why}）"
)
WHY_ADMIN_FORUM = "话题模式下它要创建和管理每件诉求的话题"
WHY_ADMIN_PLAIN = "否则它只看得到命令和对它消息的回复"
GROUP_NO_TOPIC_RIGHTS = (
    "{name} ({code})：机器人 @{bot} 在群「{title}」没有“管理话题”权限：在它的管理员权限里打开"
    " Manage Topics"
)
GROUP_NOT_FORUM = (
    "{name} ({code})：绑定为话题模式，但群「{title}」没有开启话题：在群设置里开启 Topics，"
    "或重新绑定（不加 --forum）"
)
GROUP_FORUM_UNUSED = (
    "{name} ({code})：群「{title}」开启了话题，但绑定时没加 --forum：运行 "
    "`minyi departments bind {code} {chat_id} --forum`，每件诉求一个话题"
)
GROUP_NOT_A_GROUP = "{name} ({code})：{chat_id} 不是群组：绑定部门的工作群（超级群）"
GROUP_NO_STAFF = (
    "{name} ({code})：还没有工作人员：运行 "
    "`minyi members add 用户ID --role staff --department {code}`"
)
CHECK_DISPATCHERS = "调度员 {count} 人，督查人员 {supervisors} 人，管理员 {admins} 人"
CHECK_NO_DISPATCHERS = (
    "还没有调度员，转调度的诉求无人分派：运行 `minyi members add 用户ID --role dispatcher`"
)
CHECK_NO_SUPERVISORS = (
    "还没有督查人员，日报和督办无人接收：运行 `minyi members add 用户ID --role supervisor`"
)
CHECK_NO_ADMINS = (
    "还没有管理员（Telegram 里的 /bind 和 /members 要管理员）："
    "运行 `minyi members add 用户ID --role admin`"
)

CHECK_PASSED = "检查通过，可以运行 `minyi run`。"
CHECK_PASSED_WARNINGS = "检查通过，有 {count} 个提醒（⚠）；可以运行 `minyi run`。"
CHECK_FAILED = "{count} 项检查未通过：按 ✗ 行的提示处理后再运行 `minyi check`"
HEALTH_PORT_BUSY = (
    "健康检查端口 {port} 用不了（已被占用或没有权限）：换一个端口，或先停掉占用它的程序。"
)
RUN_WARNINGS = "有 {count} 个提醒（⚠），照常启动；处理后可用 `minyi check` 复查。"

# --- minyi templates (答复口径) ------------------------------------------------------------------

TEMPLATE_LINE = "{id:>4}  {department:10} {title}{code}：{text}"
TEMPLATE_CODE = "（{code}）"
TEMPLATES_NONE = "还没有答复模板：运行 `minyi templates add 部门 标题 内容` 添加"
TEMPLATE_ADDED = "已添加答复模板 {id}：{title}（{department}）"
TEMPLATE_REMOVED = "已删除答复模板 {id}"
TEMPLATE_MISSING = "没有编号为 {id} 的答复模板：运行 `minyi templates list` 查看"
TEMPLATE_EXISTS = (
    "{department} 已有标题为「{title}」的模板：换个标题，或先 `minyi templates remove 编号`"
)
TEMPLATE_BAD_CODE = "办结类型应为 已解决、已答复 或 无法联系：{code}"

# --- minyi knowledge (知识库) --------------------------------------------------------------------

KNOWLEDGE_IMPORTED = "知识库新增 {added} 条（文件 {total} 条，已有的问题跳过），现共 {count} 条。"
KNOWLEDGE_EXPORTED = "已导出知识库 {count} 条到 {path}"
KNOWLEDGE_LINE = "{id:>4}  [{source}] {question}"
KNOWLEDGE_NONE = "知识库是空的：运行 `minyi knowledge import` 载入默认知识库"
KNOWLEDGE_SEEDED = "知识库载入默认条目 {added} 条。"

# --- registers (诉求台账) ----------------------------------------------------------------------
REGISTER_PROBLEMS = {
    "day": "日期「{value}」无法识别（如 2026-10-05）",
    "text": "诉求内容为空",
    "channel": "渠道「{value}」无法识别（入户走访、电话、座谈、接待点、其他）",
    "outcome": "办理情况「{value}」无法识别（现场解答、在办、已办结）",
    "written_off": "是否销号「{value}」无法识别（是、否）",
    "department": "承办部门「{value}」不在部门表中",
}
REGISTER_BAD_ROW = "第 {row} 行未导入：{reasons}"
REGISTER_MISSING_COLUMNS = (
    "台账缺少列：{missing}。文件中的列：{columns}（用 --date-column 等选项指定列名）"
)
REGISTER_UNREADABLE = "无法读取台账文件：{detail}"
REGISTER_ALREADY = "{file} 已经导入过，未重复导入。"
REGISTER_IMPORTED = "已导入 {team} 的台账 {count} 条（{bad} 行有问题未导入，文件编码 {encoding}）。"
REGISTER_EXPORTED = "已导出台账 {count} 条到 {path}"
REGISTER_BAD_RANGE = "结束日期不能早于开始日期。"
YES = "是"
NO = "否"
