"""`minyi --help` and every command's help, in Chinese: option names, codes, file formats and
variables stay as they are typed (tests/unit/test_chinese_texts.py checks the whole tree)."""

from __future__ import annotations

# --- the command list (`minyi --help`) ----------------------------------------------------
ROOT = "民意直通车运维命令"
DEBUG = "出错时显示完整的 traceback（排查问题用）"
ANONYMISE = "删除某日之前已关闭诉求中居民的个人信息（默认只演练，加 --apply 才执行）。"
CHECK = "逐项检查 `minyi run` 需要的一切，每项一行（✓ / ⚠ / ✗）；有 ✗ 时退出码为 1。"
RUN = "连接 Telegram（或 TELEGRAM_API_BASE_URL）运行机器人：先检查并迁移数据库，再开始接收消息。"
DEMO = "不要 token、不联网，把整个流程演示一遍并打印对话。"
SANDBOX = "在终端里试用机器人，不要 token：以居民身份输入，输入 :help 查看可扮演的角色。"
DB = "数据库：初始化 init / 迁移 upgrade"
DEPARTMENTS = "部门：载入 load / 绑定工作群 bind / 列表 list"
MEMBERS = "人员与角色：添加 add / 移除 remove / 改角色 set-role / 列表 list / 变动记录 history"
MODEL = "分类模型：训练 train / 评估 evaluate / 批量预测 predict / 重新训练 retrain"
EXPORT = "导出：诉求明细 tickets / 日报 digest / 诉求台账 register"
TEMPLATES = "答复模板：列表 list / 添加 add / 删除 remove"
KNOWLEDGE = "知识库：导入 import / 导出 export / 列表 list"
IMPORT = "导入：诉求台账 register"

# --- db, departments ----------------------------------------------------------------------
DB_INIT = "创建或迁移数据库，并载入部门。"
DB_UPGRADE = "把数据库结构迁移到指定版本（默认最新）。"
REVISION = "迁移到的版本（默认 head，即最新）"
DEPARTMENTS_LOAD = "从 TOML 文件载入或更新部门（可重复运行）。"
DEPARTMENTS_FILE = "部门配置文件（默认 MINYI_DEPARTMENTS）"
DEPARTMENTS_BIND = "把部门绑定到它的工作群。"
DEPARTMENT_CODE = "部门代码或部门名称"
CHAT_ID = "工作群 ID，如 -1001234567890"
FORUM = "该群开启了话题（每件诉求一个话题）"
DEPARTMENTS_LIST = "列出各部门和绑定的工作群。"

# --- members ------------------------------------------------------------------------------
MEMBERS_ADD = "给 Telegram 用户授予角色（工作人员要指定部门，其他角色面向全区）。"
MEMBERS_REMOVE = "收回用户的角色（全部，或某个角色 / 部门），立即生效。"
MEMBERS_SET_ROLE = "只保留一个角色（此人的其他角色全部移除）。"
MEMBERS_LIST = "列出所有人员和角色。"
MEMBERS_HISTORY = "人员变动记录：每次授予或移除角色的时间和来源。"
USER_ID = "Telegram 用户 ID（纯数字）"
ROLE = (
    "角色：staff 工作人员 / dispatcher 调度员 / supervisor 督查人员 / admin 管理员"
    " / collector 民情书记、网格员"
)
ROLE_TO_REMOVE = "只移除这个角色：staff / dispatcher / supervisor / admin / collector"
DEPARTMENT = "部门代码或部门名称（仅工作人员 staff）"
DISPLAY_NAME = "显示名称"
TEAM = "民情书记队或网格的名称（仅民情书记、网格员 collector）"
COMMUNITY = "该队结对的社区（仅 collector，须与 teams.toml 一致）"
ONLY_USER = "只看这个用户"

# --- export, anonymise --------------------------------------------------------------------
EXPORT_TICKETS = "导出期间内受理的诉求，每件一行（电话号码仅限居民同意的）。"
EXPORT_DIGEST = "把某一天的日报写成文本和 PNG 图表。"
DAY_FROM = "起始日期 YYYY-MM-DD"
DAY_TO = "截止日期 YYYY-MM-DD（含当天）"
DAY = "日期 YYYY-MM-DD"
OUT_FILE = "写入的文件"
OUT_FOLDER = "写入的目录"
FORMAT = "文件格式：csv 或 xlsx"
CLOSED_BEFORE = "关闭日期早于这一天（YYYY-MM-DD）的诉求"
APPLY = "真正修改数据（不加则只演练）"

# --- run, demo, sandbox -------------------------------------------------------------------
WEBHOOK_URL = "改用 webhook：公网地址（不加则轮询）"
LISTEN = "webhook 监听地址"
PORT = "webhook 端口"
HEALTH_PORT = "健康检查端口（/healthz），0 表示不开启"
SECRET = "webhook 密钥（MINYI_WEBHOOK_SECRET）"
DEMO_WORKDIR = "演示数据库和图表放在哪个目录"
SANDBOX_WORKDIR = "试用数据库和图片放在哪个目录"

# --- templates, knowledge, registers ---------------------------------------------------------
TEMPLATES_LIST = "列出答复模板（可只看一个部门）。"
TEMPLATES_ADD = "给部门添加一条答复模板。"
TEMPLATES_REMOVE = "删除一条答复模板。"
KNOWLEDGE_IMPORT = "从文件导入知识库条目（知识库里已有的问题跳过）。"
KNOWLEDGE_EXPORT = "把全部知识库条目写成文件，可再用 `minyi knowledge import` 导入。"
KNOWLEDGE_LIST = "列出知识库条目的问题。"
IMPORT_REGISTER = (
    "导入一个队的纸质诉求台账：每条合格的记录成为一件带办理记录的诉求；"
    "有问题的行连同行号列出，整行不导入。同一文件只导入一次。"
)
EXPORT_REGISTER = "按纸质台账的列导出一个队的诉求台账。"
REGISTER_FILE = "台账文件，xlsx 或 csv（UTF-8 或 GBK 编码）"
REGISTER_TEAM = "民情书记队或网格的名称"
REGISTER_OUT = "写入的文件"
REGISTER_FORMAT = "文件格式：csv 或 xlsx"
COLUMN = "台账里这一项的列名（与默认列名不同时指定）"
