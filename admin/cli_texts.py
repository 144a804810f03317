"""What the `minyi` command says to the operator: errors, the preflight check, members.

Chinese first; an English gloss in brackets where it helps (a library's own words, a code).
"""

from __future__ import annotations

from storage.models import ChangeSource, GrantChange, Role

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
NO_SUCH_GRANT = "用户 {user_id} 没有这个角色：用 `minyi members list` 查看现有人员"
NOT_A_USER_ID = "不是有效的 Telegram 用户 ID：{raw}（纯数字，可在 @userinfobot 查到）"
CHAT_ID_INVALID = "不是有效的群组 ID：{raw}（群组 ID 是负数，如 -1001234567890）"
CHAT_ID_POSITIVE = "群组 ID 是负数（如 -1001234567890）；正数是个人的用户 ID"

ROLE_NAMES: dict[str, str] = {
    Role.STAFF: "工作人员",
    Role.DISPATCHER: "调度员",
    Role.SUPERVISOR: "督查人员",
    Role.ADMIN: "管理员",
}

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
