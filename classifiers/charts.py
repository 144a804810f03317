"""Charts of a model's evaluation, with Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from classifiers.evaluation import Evaluation
from classifiers.fonts import register_cjk_font

__all__ = ["render_confusion_matrix"]


def render_confusion_matrix(
    evaluation: Evaluation,
    path: Path,
    *,
    display_names: Mapping[str, str] | None = None,
    title: str = "混淆矩阵（行：真实部门，列：预测部门）",
) -> Path:
    """Write the confusion matrix as a PNG; labels are shown by their display names."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = register_cjk_font()
    names = [(display_names or {}).get(label, label) for label in evaluation.labels]
    size = max(5.0, 0.6 * len(names) + 3.0)
    with matplotlib.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}
    ):
        figure = Figure(figsize=(size + 1.5, size), dpi=110)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        matrix = evaluation.confusion
        image = axes.imshow(matrix, cmap="Blues")
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        ticks = range(len(names))
        axes.set_xticks(ticks, labels=names, rotation=45, ha="right")
        axes.set_yticks(ticks, labels=names)
        axes.set_xlabel("预测部门")
        axes.set_ylabel("真实部门")
        axes.set_title(title)
        peak = max((max(row) for row in matrix), default=0)
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                colour = "white" if peak and value > peak / 2 else "black"
                axes.text(j, i, str(value), ha="center", va="center", color=colour, fontsize=8)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path
