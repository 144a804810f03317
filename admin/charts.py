"""The digest's chart: a PNG with Chinese labels (matplotlib, Agg, the bundled CJK font)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import BinaryIO

from admin import texts
from admin.digest import Digest, day_label, report_time
from classifiers.fonts import register_cjk_font
from storage.metrics import MetricKey
from storage.vocabulary import METRIC_DEFINITIONS, metric_name

__all__ = ["CHART_RATES", "chart_notes", "chart_titles", "render_digest_chart"]

# The month's rates drawn per department: shares of a whole, so the axis ends at 100 %.
CHART_RATES = (MetricKey.RESOLUTION_RATE, MetricKey.ON_TIME_RATE, MetricKey.SATISFACTION_RATE)
NOTE_WIDTH = 70  # characters per line of the definitions printed under the chart


def chart_titles(digest: Digest) -> tuple[str, str, str]:
    """The chart's title and its two panels' titles, naming the period each one shows."""
    at = report_time(digest)
    day = day_label(digest.day)
    title = texts.CHART_TITLE.format(
        day=day, partial=texts.CHART_PARTIAL.format(time=at) if at else ""
    )
    return (
        title,
        texts.CHART_DAY.format(day=f"{digest.day.month}月{digest.day.day}日"),
        texts.CHART_MONTH.format(
            first=f"{digest.day.month}月1日", last=f"{digest.day.month}月{digest.day.day}日"
        ),
    )


def chart_notes() -> list[str]:
    """The definitions of the chart's rates, printed under it, and what — means."""
    notes = [
        texts.CHART_DEFINITION.format(name=metric_name(key), definition=METRIC_DEFINITIONS[key])
        for key in CHART_RATES
    ]
    return [*notes, texts.CHART_NO_VALUE_NOTE]


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
    notes = [
        wrapped
        for note in chart_notes()
        for wrapped in textwrap.wrap(note, NOTE_WIDTH, break_on_hyphens=False)
    ]
    title, day_title, month_title = chart_titles(digest)
    note_inches = 0.22 * len(notes) + 0.2
    with matplotlib.rc_context(
        {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"]}
    ):
        height = 4.8 + 0.15 * len(rows) + note_inches
        figure = Figure(figsize=(11, height), dpi=110)
        FigureCanvasAgg(figure)
        day_axes, month_axes = figure.subplots(1, 2)
        figure.suptitle(title)
        day_axes.set_title(day_title)
        month_axes.set_title(month_title)
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
            band = 0.8 / len(CHART_RATES)
            for i, key in enumerate(CHART_RATES):
                values = [m.value(key) for _, m in rows]
                offsets = [p - 0.4 + band * (i + 0.5) for p in positions]
                bars = month_axes.barh(
                    offsets,
                    [0.0 if v is None else 100 * v for v in values],
                    height=band,
                    label=metric_name(key),
                )
                # No data is a dash beside the axis, never a bar of 0 %.
                month_axes.bar_label(
                    bars,
                    labels=[texts.NO_VALUE if v is None else f"{100 * v:.0f}" for v in values],
                    padding=2,
                    fontsize=6,
                )
            month_axes.set_yticks(positions, labels=names)
            month_axes.set_xlim(0, 112)  # every rate drawn is a share: at most 100 %
            month_axes.invert_yaxis()
            month_axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
        figure.text(0.01, 0.01, "\n".join(notes), ha="left", va="bottom", fontsize=8)
        figure.tight_layout(rect=(0, note_inches / height, 1, 1))
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path
