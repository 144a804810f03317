"""The supervisors' daily digest and /stats: pure builders over the store, and their texts."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from admin import texts
from classifiers.keywords import hot_keywords
from storage.columns import utcnow
from storage.district import list_departments
from storage.errors import InvalidInput, UnknownDepartment
from storage.metrics import (
    METRICS,
    TOTAL,
    ChannelFigures,
    DepartmentFigures,
    Figures,
    MetricKey,
    Unit,
    backlog,
    channel_figures,
    figures,
    sample_texts,
)
from storage.themes import theme_counts
from storage.unit_of_work import UnitOfWork
from storage.visits import TeamVisits, visits_against_schedule
from storage.vocabulary import CLOSURE_NAMES, channel_name, metric_name

__all__ = [
    "TELEGRAM_LIMIT",
    "Digest",
    "Hotspot",
    "Stats",
    "build_digest",
    "build_stats",
    "day_bounds",
    "day_label",
    "figure_text",
    "parse_stats_args",
    "render_digest_text",
    "render_stats_text",
    "report_time",
]

TELEGRAM_LIMIT = 4096
SAMPLE_PER_DEPARTMENT = 2000
HOTSPOTS_PER_DEPARTMENT = 3
EXAMPLES_PER_HOTSPOT = 2


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One hot keyword of a department's day, with example ticket numbers."""

    word: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything the daily digest shows: the day, the month to date, the day's hot topics."""

    day: date
    day_figures: Figures
    month_figures: Figures
    hotspots: Mapping[str, tuple[Hotspot, ...]]
    channels: tuple[ChannelFigures, ...] = ()  # the month's requests by channel
    visits: tuple[TeamVisits, ...] = ()  # the month's visits per team against the schedule
    themes: tuple[tuple[str, int, int], ...] = ()  # the month's (theme, requests, direct)

    @property
    def until_now(self) -> datetime | None:
        """When the day is not over yet (an on-demand /digest of today): the report's time."""
        figures = self.day_figures
        return figures.now if figures.now < figures.until else None


@dataclass(frozen=True, slots=True)
class Stats:
    """The figures of a period of whole days, for /stats."""

    first: date
    last: date
    department_code: str | None
    figures: Figures
    channels: tuple[ChannelFigures, ...] = ()


def day_bounds(*, first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in the district's time zone."""
    since = datetime.combine(first, time(0), tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return since, until


def _hotspots(samples: Mapping[str, Sequence[tuple[str, str]]]) -> dict[str, tuple[Hotspot, ...]]:
    result: dict[str, tuple[Hotspot, ...]] = {}
    for code, rows in samples.items():
        numbers = [number for number, _ in rows]
        keywords = hot_keywords(
            [text for _, text in rows],
            top=HOTSPOTS_PER_DEPARTMENT,
            examples=EXAMPLES_PER_HOTSPOT,
        )
        result[code] = tuple(
            Hotspot(k.word, k.count, tuple(numbers[i] for i in k.examples)) for k in keywords
        )
    return result


async def build_digest(
    *, uow: UnitOfWork, day: date, tz: ZoneInfo, now: datetime | None = None
) -> Digest:
    """The digest of `day` (the scheduled job passes yesterday) and of its month to date."""
    since, until = day_bounds(first=day, last=day, tz=tz)
    month_since, _ = day_bounds(first=day.replace(day=1), last=day, tz=tz)
    samples = await sample_texts(
        uow=uow, since=since, until=until, per_department=SAMPLE_PER_DEPARTMENT
    )
    async with asyncio.TaskGroup() as group:
        # Segmenting the texts is CPU work in a thread, overlapping the SQL below and keeping
        # the event loop free for the bot.
        hot = group.create_task(asyncio.to_thread(_hotspots, samples))
        snapshot = await backlog(uow=uow, now=now or utcnow())  # open and overdue, once
        # `concurrently`: on PostgreSQL, on connections of their own (committed data only).
        day_figures = await figures(
            uow=uow,
            since=since,
            until=until,
            now=snapshot.now,
            snapshot=snapshot,
            concurrently=True,
        )
        month_figures = await figures(
            uow=uow,
            since=month_since,
            until=until,
            now=snapshot.now,
            snapshot=snapshot,
            concurrently=True,
        )
        channels = await channel_figures(uow=uow, since=month_since, until=until)
        visits = await visits_against_schedule(uow=uow, first=day.replace(day=1), last=day)
        themes = await theme_counts(uow=uow, since=month_since, until=until)
    hotspots = hot.result()
    return Digest(
        day,
        day_figures,
        month_figures,
        hotspots,
        tuple(channels),
        tuple(visits),
        tuple(themes),
    )


def parse_stats_args(args: Sequence[str]) -> tuple[date, date, str | None]:
    """`FROM TO [CODE]` of /stats; raises InvalidInput with a Chinese message."""
    if len(args) not in (2, 3):
        raise InvalidInput(texts.STATS_USAGE)
    days: list[date] = []
    for value in args[:2]:
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            raise InvalidInput(texts.STATS_BAD_DATE.format(value=value)) from None
    if days[1] < days[0]:
        raise InvalidInput(texts.STATS_BAD_RANGE)
    return days[0], days[1], args[2].strip() if len(args) == 3 else None


async def build_stats(
    *,
    uow: UnitOfWork,
    since: date,
    until: date,
    tz: ZoneInfo,
    department_code: str | None = None,
    now: datetime | None = None,
) -> Stats:
    """The figures of the whole days `since`..`until` (inclusive), optionally of one department."""
    if department_code:
        known = [d.code for d in await list_departments(uow=uow)]
        if department_code not in known:
            raise UnknownDepartment(department_code, known)
    start, end = day_bounds(first=since, last=until, tz=tz)
    result = await figures(
        uow=uow,
        since=start,
        until=end,
        department_code=department_code,
        now=now,
        concurrently=True,  # on PostgreSQL; a report reads committed data only
    )
    channels = (
        () if department_code else tuple(await channel_figures(uow=uow, since=start, until=end))
    )
    return Stats(since, until, department_code, result, channels)


# --- rendering -------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """A rate as 90.5%, or a dash when there is no denominator."""
    return texts.NO_VALUE if value is None else f"{value:.1%}"


def duration(hours: float | None) -> str:
    """A duration in hours, or days beyond two days."""
    if hours is None:
        return texts.NO_VALUE
    if hours >= 48:
        return texts.DAYS.format(days=hours / 24)
    return texts.HOURS.format(hours=hours)


def _closures(row: DepartmentFigures) -> str:
    parts = [
        f"{label} {row.closures[code]}"
        for code, label in CLOSURE_NAMES.items()
        if row.closures.get(code)
    ]
    return texts.CLOSURES.format(codes=" · ".join(parts)) if parts else ""


# How the figures of METRICS are laid out, one list per line; a figure not listed here goes on
# the last line, so a new definition in storage.metrics shows up without touching this.
FIGURE_LINES: tuple[tuple[MetricKey, ...], ...] = (
    (MetricKey.RESOLUTION_RATE, MetricKey.CLOSURE_RATIO, MetricKey.ON_TIME_RATE),
    (MetricKey.SATISFACTION_RATE,),
    (
        MetricKey.RESPONSE_HOURS,
        MetricKey.HANDLING_HOURS,
        MetricKey.REASSIGN_RATE,
        MetricKey.REOPEN_RATE,
    ),
    (MetricKey.ACCEPTANCE_RATE, MetricKey.SEND_BACK_RATE),
)


def figure_text(row: DepartmentFigures, key: MetricKey) -> str:
    """One figure as the digest and /stats show it: name, value (— without data), detail."""
    metric = METRICS[key]
    value = row.value(key)
    if metric.unit == Unit.HOURS:
        text = texts.FIGURE_MEDIAN.format(name=metric_name(key), value=duration(value))
    else:
        text = texts.FIGURE.format(name=metric_name(key), value=percent(value))
    if key == MetricKey.RESOLUTION_RATE and row.requests:
        text += texts.RESOLUTION_DETAIL.format(requests=row.requests, done=row.received_resolved)
    if key == MetricKey.SEND_BACK_RATE and row.sent_back:
        text += texts.SEND_BACK_DETAIL.format(count=row.sent_back)
    if key == MetricKey.SATISFACTION_RATE:
        text += texts.SATISFACTION_DETAIL.format(
            rated=row.rated, unrated=row.unrated, reopened=row.reopened
        )
    return text


def _figure_lines(row: DepartmentFigures) -> list[str]:
    laid_out = {key for line in FIGURE_LINES for key in line}
    lines = [list(line) for line in FIGURE_LINES]
    lines[-1] += [key for key in METRICS if key not in laid_out]
    return [texts.FIGURE_SEPARATOR.join(figure_text(row, key) for key in line) for line in lines]


def _block(row: DepartmentFigures) -> list[str]:
    lines = [
        texts.SUMMARY.format(received=row.received, resolved=row.resolved),
        *_figure_lines(row),
        texts.HANDLING.format(
            extensions=row.extensions, requests=row.extension_requests, cohandled=row.cohandled
        )
        + (
            texts.DIRECT_ANSWERS.format(count=row.direct_answers)
            if row.direct_answers is not None
            else ""
        ),
    ]
    closures = _closures(row)
    if closures:
        lines.append(closures)
    return lines


def _nothing_happened(row: DepartmentFigures) -> bool:
    """No request received, resolved, rated or answered from the knowledge base."""
    return not (
        row.received
        or row.resolutions
        or row.rated
        or row.unrated
        or row.reopened
        or row.direct_answers
    )


def _backlog(row: DepartmentFigures) -> str:
    return texts.BACKLOG.format(open=row.open, overdue=row.overdue)


def _department_line(day: DepartmentFigures, month: DepartmentFigures, *, returned: int) -> str:
    if month.is_dispatch:
        return texts.DISPATCH_LINE.format(name=month.name, open=month.open, returned=returned)
    return texts.DEPARTMENT_LINE.format(
        name=month.name,
        received_day=day.received,
        received_month=month.received,
        resolved_day=day.resolved,
        resolved_month=month.resolved,
        rate_day=percent(day.resolution_rate),
        rate_month=percent(month.resolution_rate),
        satisfaction_month=percent(month.satisfaction_rate),
        open=month.open,
        overdue=month.overdue,
    )


def _hotspot_lines(digest: Digest, *, with_examples: bool) -> list[str]:
    lines: list[str] = []
    for row in digest.day_figures.departments:
        spots = digest.hotspots.get(row.code, ())
        if not spots:
            continue
        words = "、".join(
            texts.HOTSPOT_KEYWORD.format(word=s.word, count=s.count, examples="、".join(s.examples))
            if with_examples
            else s.word
            for s in spots
        )
        lines.append(texts.HOTSPOT_LINE.format(name=row.name, keywords=words))
    return lines


def day_label(day: date) -> str:
    """2026年11月24日."""
    return f"{day.year}年{day.month}月{day.day}日"


def report_time(digest: Digest) -> str | None:
    """The report's time (10:05) when the digest's day is not over yet, in its time zone."""
    at = digest.until_now
    tz = digest.day_figures.until.tzinfo
    return None if at is None else f"{at.astimezone(tz):%H:%M}"


def _compose(digest: Digest, *, with_examples: bool, max_departments: int | None) -> str:
    day, month = digest.day_figures, digest.month_figures
    at = report_time(digest)
    lines = [
        texts.DIGEST_TITLE.format(
            day=day_label(digest.day),
            weekday=texts.WEEKDAYS[digest.day.weekday()],
            partial=texts.DIGEST_PARTIAL.format(time=at) if at else "",
        ),
        "",
        texts.DIGEST_DAY,
    ]
    if _nothing_happened(day.total):
        lines.append(texts.DIGEST_EMPTY_DAY)
    else:
        lines.extend(_block(day.total))
    lines.append(_backlog(month.total))
    lines += [
        "",
        texts.DIGEST_MONTH.format(
            first=f"{digest.day.month}月1日", last=f"{digest.day.month}月{digest.day.day}日"
        ),
        *_block(month.total),
    ]
    active = [(d, month.department(d.code)) for d in day.departments]
    active = [(d, m) for d, m in active if not m.is_quiet]
    if active:
        lines += ["", texts.DIGEST_DEPARTMENTS]
        shown = active if max_departments is None else active[:max_departments]
        returned = month.total.closures.get("not_ours", 0)
        lines += [_department_line(d, m, returned=returned) for d, m in shown]
        if len(shown) < len(active):
            lines.append(texts.DIGEST_TRUNCATED.format(count=len(active) - len(shown)))
    lines += channel_lines(digest.channels)
    lines += visit_lines(digest.visits)
    lines += theme_lines(digest.themes)
    lines += ["", texts.DIGEST_HOTSPOTS]
    lines += _hotspot_lines(digest, with_examples=with_examples) or [texts.DIGEST_NO_HOTSPOTS]
    return "\n".join(lines)


def render_digest_text(digest: Digest) -> str:
    """The digest as one readable Chinese message within Telegram's 4096 characters."""
    text = _compose(digest, with_examples=True, max_departments=None)
    if len(text) <= TELEGRAM_LIMIT:
        return text
    text = _compose(digest, with_examples=False, max_departments=None)
    departments = len(digest.day_figures.departments)
    while len(text) > TELEGRAM_LIMIT and departments > 0:
        departments -= 1
        text = _compose(digest, with_examples=False, max_departments=departments)
    return text[:TELEGRAM_LIMIT]


def render_stats_text(stats: Stats) -> str:
    """The /stats answer: the period's figures in total and per department."""
    result = stats.figures
    scope = ""
    if stats.department_code:
        scope = texts.STATS_SCOPE.format(name=result.department(stats.department_code).name)
    lines = [
        texts.STATS_TITLE.format(first=stats.first, last=stats.last, scope=scope),
        "",
    ]
    total = result.total
    if _nothing_happened(total):
        lines.append(texts.STATS_EMPTY)
    else:
        lines.extend(_block(total))
    lines.append(_backlog(total))
    lines += channel_lines(stats.channels)
    if not stats.department_code:
        for row in result.departments:
            if row.is_quiet:
                continue
            lines += ["", f"▪ {row.name}", *_block(row), _backlog(row)]
    text = "\n".join(lines)
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 1] + "…"


def channel_lines(rows: Sequence[ChannelFigures]) -> list[str]:
    """The campaign's figures by channel (居民自报, 入户走访, 电话, 座谈, 接待点), then in total:
    how many were collected, answered at the door, sent on and closed."""
    if not rows or rows[-1].collected == 0:
        return []
    lines = ["", texts.CHANNELS_TITLE]
    for row in rows:
        name = texts.CHANNELS_TOTAL if row.channel == TOTAL else channel_name(row.channel)
        lines.append(
            texts.CHANNEL_LINE.format(
                name=name,
                collected=row.collected,
                direct=row.direct,
                direct_share=percent(row.direct_share),
                sent_on=row.sent_on,
                resolution=percent(row.resolution_rate),
                closed=percent(row.closed_rate),
                written_off=percent(row.write_off_rate),
                satisfaction=percent(row.satisfaction_rate),
            )
        )
    return lines


def visit_lines(rows: Sequence[TeamVisits]) -> list[str]:
    """Each team's visits of the month against the 5th/15th/25th schedule."""
    if not rows:
        return []
    return [
        "",
        texts.VISITS_TITLE,
        *(
            texts.VISIT_LINE.format(
                team=row.team,
                made=row.made,
                scheduled=row.scheduled,
                households=row.households,
                requests=row.requests,
            )
            for row in rows
        ),
    ]


def theme_lines(rows: Sequence[tuple[str, int, int]]) -> list[str]:
    """Requests per monthly theme (每月一个主题), with how many were answered on the spot."""
    if not rows:
        return []
    return [
        "",
        texts.THEMES_TITLE,
        *(texts.THEME_LINE.format(theme=t, count=n, direct=d) for t, n, d in rows),
    ]
