"""The digest's chart: a PNG with Chinese labels (matplotlib, Agg, the bundled CJK font)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from admin import texts
from admin.digest import Digest
from classifiers.fonts import register_cjk_font

__all__ = ["render_digest_chart"]


def render_digest_chart(digest: Digest, path: Path | BinaryIO) -> Path | BinaryIO:
    """Draw the day's received/resolved and the month's rates per department as a PNG.

    `path` is a file path or a binary buffer (e.g. io.BytesIO to send without a file).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    family = register_cjk_font()
    month = digest.month_figures
    rows = [
        (d, month.department(d.code))
        for d in digest.day_figures.departments
        if not d.is_dispatch and not month.department(d.code).is_quiet
    ]
    names = [m.name for _, m in rows]
    positions = list(range(len(rows)))
    width = 0.38
    with matplotlib.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}
    ):
        figure = Figure(figsize=(11, 4.8 + 0.15 * len(rows)), dpi=110)
        FigureCanvasAgg(figure)
        day_axes, month_axes = figure.subplots(1, 2)
        figure.suptitle(
            texts.CHART_TITLE.format(
                day=f"{digest.day.year}年{digest.day.month}月{digest.day.day}日"
            )
        )
        day_axes.set_title(texts.CHART_DAY)
        month_axes.set_title(texts.CHART_MONTH)
        if not rows:
            for axes in (day_axes, month_axes):
                axes.text(0.5, 0.5, texts.CHART_NO_DATA, ha="center", va="center", fontsize=14)
                axes.set_axis_off()
        else:
            received = [d.received for d, _ in rows]
            resolved = [d.resolved for d, _ in rows]
            left = [p - width / 2 for p in positions]
            right = [p + width / 2 for p in positions]
            bars = day_axes.barh(left, received, height=width, label=texts.CHART_RECEIVED)
            day_axes.bar_label(bars, padding=2, fontsize=8)
            bars = day_axes.barh(right, resolved, height=width, label=texts.CHART_RESOLVED)
            day_axes.bar_label(bars, padding=2, fontsize=8)
            day_axes.set_yticks(positions, labels=names)
            day_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            day_axes.invert_yaxis()
            day_axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
            rates = (
                (texts.CHART_RESOLUTION_RATE, [m.resolution_rate for _, m in rows]),
                (texts.CHART_ON_TIME_RATE, [m.on_time_rate for _, m in rows]),
                (texts.CHART_SATISFACTION_RATE, [m.satisfaction_rate for _, m in rows]),
            )
            band = 0.8 / len(rates)
            peak = max((100 * (v or 0) for _, values in rates for v in values), default=0)
            for i, (label, values) in enumerate(rates):
                offsets = [p - 0.4 + band * (i + 0.5) for p in positions]
                month_axes.barh(offsets, [100 * (v or 0) for v in values], height=band, label=label)
            month_axes.set_yticks(positions, labels=names)
            month_axes.set_xlim(0, max(100.0, peak * 1.05))  # 办结率 can pass 100%
            month_axes.invert_yaxis()
            month_axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
        figure.tight_layout()
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path
