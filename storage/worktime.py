"""Working-time arithmetic for SLA deadlines (接诉即办 时限).

Deadlines are counted in *working* hours: only inside the office hours of working days.
Working days follow China's statutory holidays and adjusted working days (调休) as published
in the maintained ``chinese_calendar`` package; for years the package has no data for, the
calendar falls back to Monday-Friday and logs a warning once per year.

Everything here is pure: no I/O at import time, no database, no Telegram. All public
functions take and return *aware* datetimes; naive datetimes are refused with ``ValueError``.
Internally all arithmetic is done in UTC, so durations are real elapsed seconds even in a
time zone with daylight-saving changes; results are returned in the calendar's time zone.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import chinese_calendar

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "OfficeHours",
    "WorkingCalendar",
    "parse_office_hours",
]

logger = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

Period = tuple[time, time]
"""One office period of a working day: (start, end), local wall-clock times, start < end."""

Interval = tuple[datetime, datetime]
"""An aware (start, end) interval of time."""


def _check_periods(periods: tuple[Period, ...]) -> None:
    if not periods:
        raise ValueError("office hours need at least one period")
    previous_end: time | None = None
    for start, end in periods:
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"office period bounds must be datetime.time, got {start!r}-{end!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("office period times must be naive wall-clock times")
        if start >= end:
            raise ValueError(
                f"office period {start:%H:%M}-{end:%H:%M} must end after it starts "
                "(periods crossing midnight are not supported)"
            )
        if previous_end is not None and start < previous_end:
            raise ValueError(
                f"office period starting {start:%H:%M} overlaps or precedes the period "
                f"ending {previous_end:%H:%M}; periods must be in order and not overlap"
            )
        previous_end = end


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Office periods of every working day, in order, e.g. 08:30-12:00 and 13:30-17:30."""

    periods: tuple[Period, ...] = (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )

    def __post_init__(self) -> None:
        # Accept any iterable of pairs (e.g. a list) but store an immutable tuple.
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        _check_periods(periods)

    @property
    def seconds_per_day(self) -> float:
        """Working seconds in one (non-DST-transition) working day."""
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
            for start, end in self.periods
        )

    def __str__(self) -> str:
        """The same format :func:`parse_office_hours` reads: ``08:30-12:00,13:30-17:30``."""
        return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.periods)


DEFAULT_OFFICE_HOURS = OfficeHours()

_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _parse_time(text: str, whole: str) -> time:
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise ValueError(
            f"invalid office hours {whole!r}: {text.strip()!r} is not a time HH:MM (00:00-23:59)"
        )
    return time(int(match.group(1)), int(match.group(2)))


def parse_office_hours(text: str) -> OfficeHours:
    """Parse ``"08:30-12:00,13:30-17:30"`` into :class:`OfficeHours`.

    Periods are separated by commas (``,`` or ``，``), each ``HH:MM-HH:MM``; they must be in
    order, must not overlap and must not cross midnight. Raises ``ValueError`` with a message
    naming the offending part on any bad input.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("invalid office hours: empty; expected e.g. '08:30-12:00,13:30-17:30'")
    periods: list[Period] = []
    for raw in re.split(r"[,，]", text):
        part = raw.strip()
        if not part:
            raise ValueError(f"invalid office hours {text!r}: empty period between commas")
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(
                f"invalid office hours {text!r}: period {part!r} is not of the form HH:MM-HH:MM"
            )
        periods.append((_parse_time(bounds[0], text), _parse_time(bounds[1], text)))
    try:
        return OfficeHours(tuple(periods))
    except ValueError as exc:
        raise ValueError(f"invalid office hours {text!r}: {exc}") from None


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


def _hours_to_timedelta(hours: float) -> timedelta:
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
    return timedelta(seconds=hours * 3600)


class WorkingCalendar:
    """Office hours on China's working days, in one time zone.

    ``is_working_day`` results are cached per instance; an instance may be shared.
    """

    __slots__ = ("_day_cache", "_warned_years", "office_hours", "tz")

    def __init__(self, office_hours: OfficeHours, tz: tzinfo) -> None:
        if not isinstance(office_hours, OfficeHours):
            raise TypeError(f"office_hours must be OfficeHours, got {type(office_hours).__name__}")
        if not isinstance(tz, tzinfo):
            raise TypeError(f"tz must be a tzinfo (e.g. ZoneInfo), got {type(tz).__name__}")
        self.office_hours = office_hours
        self.tz = tz
        self._day_cache: dict[date, bool] = {}
        self._warned_years: set[int] = set()

    def __repr__(self) -> str:
        return f"WorkingCalendar(office_hours={str(self.office_hours)!r}, tz={self.tz!r})"

    # -- days -----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """True on working days: weekdays that are not statutory holidays, plus 调休 days.

        Outside the years ``chinese_calendar`` has data for, Monday-Friday are working days
        (a warning is logged once per such year and calendar).
        """
        if isinstance(day, datetime):
            day = day.date()
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        try:
            result = bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                logger.warning(
                    "chinese_calendar has no holiday data for %d; treating Monday-Friday as "
                    "working days that year (upgrade the chinesecalendar package)",
                    day.year,
                )
            result = day.weekday() < 5
        self._day_cache[day] = result
        return result

    def _periods_utc(self, day: date) -> list[Interval]:
        """The office periods of ``day`` (working or not) as UTC intervals."""
        tz = self.tz
        result: list[Interval] = []
        for start, end in self.office_hours.periods:
            lo = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
            hi = datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
            if hi > lo:
                result.append((lo, hi))
        return result

    def _working_periods(self, first_day: date) -> Iterator[Interval]:
        """All working periods (UTC) from ``first_day`` on, in order, without end."""
        day = first_day
        while True:
            if self.is_working_day(day):
                yield from self._periods_utc(day)
            day += _ONE_DAY

    def is_working_time(self, moment: datetime) -> bool:
        """True if ``moment`` falls inside an office period of a working day."""
        _require_aware(moment, "moment")
        local_day = moment.astimezone(self.tz).date()
        if not self.is_working_day(local_day):
            return False
        instant = moment.astimezone(UTC)
        return any(lo <= instant < hi for lo, hi in self._periods_utc(local_day))

    # -- arithmetic -----------------------------------------------------------------------

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start``, in the calendar's time zone.

        Starting outside office hours, counting begins at the next office period. A result
        that lands exactly on the end of a period is that period's end (e.g. Friday 17:30),
        not the start of the next one. ``hours == 0`` returns ``start`` (in this time zone).
        Raises ``ValueError`` for a naive ``start`` or negative / non-finite ``hours``.
        """
        _require_aware(start, "start")
        return self._add(start, _hours_to_timedelta(hours))

    def _add(self, start: datetime, amount: timedelta) -> datetime:
        if amount <= _ZERO:
            return start.astimezone(self.tz)
        remaining = amount
        cursor = start.astimezone(UTC)
        for lo, hi in self._working_periods(start.astimezone(self.tz).date()):
            if hi <= cursor:
                continue
            begin = max(lo, cursor)
            available = hi - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: working periods never end")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end]`` as an exact timedelta; zero if ``end <= start``."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        lo_bound = start.astimezone(UTC)
        hi_bound = end.astimezone(UTC)
        if hi_bound <= lo_bound:
            return _ZERO
        total = _ZERO
        day = start.astimezone(self.tz).date()
        last_day = end.astimezone(self.tz).date()
        while day <= last_day:
            if self.is_working_day(day):
                for lo, hi in self._periods_utc(day):
                    overlap = min(hi, hi_bound) - max(lo, lo_bound)
                    if overlap > _ZERO:
                        total += overlap
            day += _ONE_DAY
        return total

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds between ``start`` and ``end``; 0.0 if ``end <= start``.

        Consistent with :meth:`add_working_hours`:
        ``working_seconds_between(s, add_working_hours(s, h)) == h * 3600`` (to the µs).
        """
        return self.working_time_between(start, end).total_seconds()

    def extend(self, due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
        """Move a deadline later by the working time that fell inside a pause."""
        paused = self.working_seconds_between(paused_from, paused_until)
        return self.add_working_hours(due, paused / 3600) if paused > 0 else due

    def due_at(
        self,
        routed_at: datetime,
        sla_hours: float,
        paused_intervals: Iterable[Interval] = (),
    ) -> datetime:
        """Deadline of a ticket routed at ``routed_at`` with ``sla_hours`` working hours.

        ``paused_intervals`` are (start, end) spans while the ticket waited for the resident
        (an ``/ask`` question); working time inside them is not consumed, so the deadline
        moves later by exactly the working time the pauses cover. For a pause still running,
        pass ``now`` as its end. Pauses may overlap and come in any order; parts before
        ``routed_at`` are ignored, and a pause that starts after the deadline has passed
        does not move it. Without pauses this is ``add_working_hours(routed_at, sla_hours)``.
        """
        _require_aware(routed_at, "routed_at")
        remaining = _hours_to_timedelta(sla_hours)
        cursor = routed_at.astimezone(UTC)
        for pause_start, pause_end in _merge_intervals(paused_intervals):
            if pause_end <= cursor:
                continue
            if pause_start > cursor:
                usable = self.working_time_between(cursor, pause_start)
                if usable >= remaining:
                    break
                remaining -= usable
            cursor = pause_end
        return self._add(cursor, remaining)


def _merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Validate, convert to UTC, sort and merge overlapping or touching intervals."""
    spans: list[Interval] = []
    for index, (start, end) in enumerate(intervals):
        _require_aware(start, f"paused_intervals[{index}] start")
        _require_aware(end, f"paused_intervals[{index}] end")
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        if hi < lo:
            raise ValueError(f"paused_intervals[{index}] ends before it starts: {start} > {end}")
        if hi > lo:
            spans.append((lo, hi))
    spans.sort()
    merged: list[Interval] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged
