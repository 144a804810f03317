"""What `minyi model …` says to the operator: Chinese, with codes and English glosses only where
they help (macro-F1, CSV/XLSX, SHA-256 are the names people look up)."""

from __future__ import annotations

# --- help ---------------------------------------------------------------------------------
GROUP_HELP = "分类模型：训练 train / 评估 evaluate / 批量预测 predict / 重新训练 retrain"
TRAIN_HELP = "用历史诉求（CSV/XLSX）训练分派模型，保存模型和它的各项指标。"
EVALUATE_HELP = "用带标签的数据给模型打分：各项指标和按阈值自动交办的比例。"
PREDICT_HELP = "给每行数据加上预测部门、把握和备选部门三列，写入新的 CSV。"
RETRAIN_HELP = "把调度员和工作人员的纠正加入原训练数据，重新训练并对比前后。"
OPT_DATA = "训练数据 CSV/XLSX"
OPT_EVAL_DATA = "带标签的评估数据 CSV/XLSX"
OPT_INPUT = "待分类数据 CSV/XLSX"
OPT_OUT_MODEL = "新模型保存到的目录"
OPT_OUT_CSV = "结果写入的 CSV"
OPT_MODEL = "模型目录"
OPT_CURRENT_MODEL = "当前模型目录（默认 MINYI_MODEL）"
OPT_BASE_DATA = "原训练数据 CSV/XLSX"
OPT_TEXT = "正文所在的列"
OPT_TITLE = "标题所在的列（与 --body-column 拼接）"
OPT_BODY = "内容所在的列"
OPT_LABEL = "标签（部门代码）所在的列"
OPT_FOLDS = "交叉验证的折数，用来算指标和建议阈值（0 = 不算）"
OPT_MAX_ERROR = "建议阈值允许的最大误分率"
OPT_JOBS = "同时训练几折（默认按处理器核数，最多 4）"
OPT_MAP_NAMES = "标签写的是部门名称时，换成对应的部门代码"
OPT_ANY_LABELS = "标签不必是部门代码（只做实验，机器人不会加载这样的模型）"
OPT_PNG = "混淆矩阵图片 PNG"
OPT_THRESHOLD = "分派阈值（默认：模型的建议值，没有则 0.5）"

# --- train --------------------------------------------------------------------------------
READ = "读取 {path}：{rows} 条"
SKIPPED = "跳过 {count} 条（正文或标签为空）"
COUNTS = "各标签样本数："
LABELS_UNKNOWN = (
    "标签 {labels} 不是部门代码，也不是部门名称：把标签列改成部门代码（{codes}），"
    "或检查 MINYI_DEPARTMENTS；只做实验可加 --any-labels"
)
LABELS_NAMED = (
    "标签是部门名称，不是部门代码：{pairs}。加 --map-names 自动换成代码，或在数据里改成代码"
)
LABEL_PAIR = "{name} → {code}"
LABELS_MAPPED = "已把部门名称换成代码：{pairs}"
WARN = "⚠ {message}"
MISSING_DEPARTMENTS = (
    "数据里没有这 {count} 个部门的样本：{codes}。模型不会把诉求分给它们，"
    "`minyi check` 和 `minyi run` 也会拒绝这个模型：补上这些部门的历史诉求后重新训练"
)
TINY_LABELS = "这些标签样本太少（少于 {tiny} 条），预测不可靠：{labels}；每个部门最好有几十条以上"
DROPPED = "样本少于 3 条、未参与训练：{labels}"
TRAINING = "开始训练（{folds} 折交叉验证，同时 {jobs} 折）…"
TRAINING_NO_CV = "开始训练（不做交叉验证）…"
CROSS_VALIDATION = "交叉验证结果："
THRESHOLD = "建议阈值（误分率不超过 {max_error:.0%}）：{outcome}"
ROUTES_NOTHING = (
    "按建议阈值 {value:.2f}，交叉验证中只有 {share:.0%} 的诉求能自动交办，其余都转调度中心"
    "人工分派：用更多历史数据重新训练，或用 MINYI_DISPATCH_THRESHOLD 设一个更低的阈值"
)
NO_THRESHOLD = "没有交叉验证，也就没有建议阈值：机器人将用 MINYI_DISPATCH_THRESHOLD 或默认值 0.5"
SAVED = "模型已保存到 {path}"
TRAIN_SECONDS = "用时 {seconds:.0f} 秒"

# --- evaluate / predict -------------------------------------------------------------------
TRAINING_DATA = (
    "这份数据就是训练这个模型用的数据（SHA-256 与 metadata.json 记录的相同）："
    "分数会虚高；用训练时没见过的数据评估"
)
CHART_WRITTEN = "混淆矩阵图已写入 {path}"
PREDICTED = "已写入 {count} 条预测到 {path}"

# --- retrain ------------------------------------------------------------------------------
RETRAIN_COUNTS = "原数据 {base} 条；人工纠正 {corrections} 条"
RETRAIN_HELD_OUT = "留出评估：{held_out} 条（其中纠正 {corrections} 条）"
RETRAIN_LINE = "{name}：准确率 {accuracy:.4f} · 宏平均 F1 (macro-F1) {macro_f1:.4f}"
RETRAIN_NONE = "{name}：—"
RETRAIN_BEFORE = "当前模型"
RETRAIN_AFTER = "新模型"
RETRAIN_BEFORE_CORRECTIONS = "纠正样本上，当前模型"
RETRAIN_AFTER_CORRECTIONS = "纠正样本上，新模型"
RETRAIN_SAVED = "新模型已保存到 {path}；确认更好后把 MINYI_MODEL 指向它并重启。"

# --- progress -----------------------------------------------------------------------------
PROGRESS_COUNT = "读取并分词"
PROGRESS_FOLDS = "交叉验证"
PROGRESS_FINAL = "用全部数据训练最终模型"
PROGRESS_EXPORT = "导出诉求"
PROGRESS_ANONYMISE = "统计并匿名化"
