"""Working-time arithmetic: office hours, China's holidays and 调休, SLA deadlines, pauses."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from storage.worktime import (
    DEFAULT_OFFICE_HOURS,
    OfficeHours,
    WorkingCalendar,
    parse_office_hours,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS_PER_DAY = 7.5  # 08:30-12:00 (3.5 h) + 13:30-17:30 (4 h)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar(OfficeHours(), SHANGHAI)


# -- the package data these tests rely on (verified, not guessed) --------------------------


def test_package_data_for_2025_and_2026_national_day() -> None:
    # 2025: National Day + Mid-autumn 10-01..10-08; 调休 Sunday 09-28 and Saturday 10-11.
    for offset in range(8):
        assert not chinese_calendar.is_workday(date(2025, 10, 1) + timedelta(days=offset))
    assert chinese_calendar.is_workday(date(2025, 9, 28))
    assert chinese_calendar.is_workday(date(2025, 10, 11))
    # 2026: National Day 10-01..10-07; 调休 Sunday 09-20 and Saturday 10-10.
    for offset in range(7):
        assert not chinese_calendar.is_workday(date(2026, 10, 1) + timedelta(days=offset))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))


# -- office hours ------------------------------------------------------------------------


def test_default_office_hours() -> None:
    assert DEFAULT_OFFICE_HOURS.periods == (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )
    assert DEFAULT_OFFICE_HOURS.seconds_per_day == HOURS_PER_DAY * 3600
    assert str(DEFAULT_OFFICE_HOURS) == "08:30-12:00,13:30-17:30"


@pytest.mark.parametrize(
    "text",
    ["08:30-12:00,13:30-17:30", " 08:30 - 12:00 , 13:30-17:30 ", "8:30-12:00，13:30-17:30"],
)
def test_parse_office_hours(text: str) -> None:
    assert parse_office_hours(text) == DEFAULT_OFFICE_HOURS


def test_parse_office_hours_round_trips_and_single_period() -> None:
    hours = parse_office_hours("09:00-17:00")
    assert hours.periods == ((time(9), time(17)),)
    assert parse_office_hours(str(hours)) == hours


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "08:30",
        "8-12",
        "08:30-12:00;13:30-17:30",
        "08:30-12:00,",
        "08:30-12:00-13:00",
        "ab:cd-12:00",
        "24:00-25:00",
        "08:60-12:00",
        "12:00-08:30",
        "12:00-12:00",
        "22:00-02:00",
        "08:30-12:00,11:00-13:00",
        "13:30-17:30,08:30-12:00",
    ],
)
def test_parse_office_hours_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="office hours"):
        parse_office_hours(text)


def test_office_hours_validates_periods() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        OfficeHours(((time(12), time(8)),))
    with pytest.raises(ValueError, match="at least one period"):
        OfficeHours(())


# -- working days ------------------------------------------------------------------------


def test_working_days_follow_holidays_and_adjusted_days(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2025, 10, 17))  # Friday
    assert not cal.is_working_day(date(2025, 10, 18))  # Saturday
    assert not cal.is_working_day(date(2025, 10, 19))  # Sunday
    assert not cal.is_working_day(date(2025, 10, 1))  # National Day, Wednesday
    assert not cal.is_working_day(date(2025, 10, 6))  # Mid-autumn, Monday
    assert cal.is_working_day(date(2025, 9, 28))  # 调休 Sunday
    assert cal.is_working_day(date(2025, 10, 11))  # 调休 Saturday
    assert not cal.is_working_day(date(2026, 10, 5))  # National Day, Monday
    assert cal.is_working_day(date(2026, 9, 20))  # 调休 Sunday
    assert cal.is_working_day(date(2026, 10, 10))  # 调休 Saturday
    assert cal.is_working_day(datetime(2026, 10, 10, 9, tzinfo=SHANGHAI))


def test_is_working_time(cal: WorkingCalendar) -> None:
    assert cal.is_working_time(at(2025, 10, 20, 8, 30))
    assert not cal.is_working_time(at(2025, 10, 20, 12, 0))
    assert not cal.is_working_time(at(2025, 10, 20, 12, 30))
    assert not cal.is_working_time(at(2025, 10, 18, 10, 0))  # Saturday
    assert cal.is_working_time(at(2026, 10, 10, 10, 0))  # 调休 Saturday
    assert cal.is_working_time(datetime(2025, 10, 20, 1, 0, tzinfo=UTC))  # 09:00 Shanghai


def test_out_of_range_year_falls_back_to_weekdays_and_warns_once(
    cal: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 1, 5))
    with caplog.at_level(logging.WARNING, logger="storage.worktime"):
        assert cal.is_working_day(date(2099, 1, 5))  # Monday
        assert cal.is_working_day(date(2099, 1, 1))  # Thursday: no holiday data, so working
        assert not cal.is_working_day(date(2099, 1, 3))  # Saturday
        assert not cal.is_working_day(date(2099, 1, 4))  # Sunday
        # Fallback arithmetic works too: Friday 16:00 + 2 h = Monday 09:00.
        assert cal.add_working_hours(at(2099, 1, 2, 16), 2) == at(2099, 1, 5, 9)
        assert cal.working_seconds_between(at(2099, 1, 1), at(2099, 1, 8)) == 5 * 7.5 * 3600
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2099" in warnings[0].getMessage()


# -- add_working_hours -------------------------------------------------------------------


def test_across_a_weekend(cal: WorkingCalendar) -> None:
    friday_4pm = at(2025, 10, 17, 16)
    # 1.5 h fill Friday exactly: the deadline is Friday 17:30, not Monday 08:30.
    assert cal.add_working_hours(friday_4pm, 1.5) == at(2025, 10, 17, 17, 30)
    assert cal.add_working_hours(friday_4pm, 2) == at(2025, 10, 20, 9, 0)
    # 24 h = 1.5 Friday + 3 full days (Mon, Tue, Wed) ending exactly at 17:30.
    assert cal.add_working_hours(friday_4pm, 24) == at(2025, 10, 22, 17, 30)
    assert cal.add_working_hours(friday_4pm, 24.25) == at(2025, 10, 23, 8, 45)
    assert cal.working_seconds_between(at(2025, 10, 17, 17, 30), at(2025, 10, 20, 8, 30)) == 0
    assert cal.working_seconds_between(friday_4pm, at(2025, 10, 22, 17, 30)) == 24 * 3600


def test_across_2025_national_day(cal: WorkingCalendar) -> None:
    # Tue 09-30 16:00: 1.5 h that day, 10-01..10-08 off, 6.5 h on Thu 10-09 -> 16:30.
    assert cal.add_working_hours(at(2025, 9, 30, 16), 8) == at(2025, 10, 9, 16, 30)
    # Sat 09-27 is off, Sun 09-28 is a 调休 working day.
    assert cal.add_working_hours(at(2025, 9, 27, 10), 1) == at(2025, 9, 28, 9, 30)


def test_across_2026_national_day(cal: WorkingCalendar) -> None:
    # Wed 09-30 16:00: 1.5 h that day, 10-01..10-07 off, 6.5 h on Thu 10-08 -> 16:30.
    assert cal.add_working_hours(at(2026, 9, 30, 16), 8) == at(2026, 10, 8, 16, 30)
    # Starting inside the holiday counts from the first working morning.
    assert cal.add_working_hours(at(2026, 10, 3, 10), 1) == at(2026, 10, 8, 9, 30)
    # Only 09-30 and 10-08 are working days between 09-30 and 10-09.
    assert cal.working_seconds_between(at(2026, 9, 30), at(2026, 10, 9)) == 2 * 7.5 * 3600


def test_adjusted_working_saturday_counts(cal: WorkingCalendar) -> None:
    # Fri 2026-10-09 16:00 + 8 h: 1.5 h Friday, 6.5 h on the 调休 Saturday 10-10.
    assert cal.add_working_hours(at(2026, 10, 9, 16), 8) == at(2026, 10, 10, 16, 30)
    assert cal.working_seconds_between(at(2026, 10, 10), at(2026, 10, 11)) == 7.5 * 3600
    # An ordinary Saturday does not count.
    assert cal.working_seconds_between(at(2026, 10, 17), at(2026, 10, 18)) == 0


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2025, 10, 20, 7, 0), 1, at(2025, 10, 20, 9, 30)),  # before office hours
        (at(2025, 10, 20, 12, 30), 1, at(2025, 10, 20, 14, 30)),  # at lunch
        (at(2025, 10, 20, 12, 0), 0.5, at(2025, 10, 20, 14, 0)),  # exactly at 12:00
        (at(2025, 10, 20, 11, 30), 1, at(2025, 10, 20, 14, 0)),  # across lunch
        (at(2025, 10, 20, 19, 0), 1, at(2025, 10, 21, 9, 30)),  # after office hours
        (at(2025, 10, 17, 17, 30), 1, at(2025, 10, 20, 9, 30)),  # Friday exactly at close
        (at(2025, 10, 20, 9, 0), 0.25, at(2025, 10, 20, 9, 15)),
        (at(2025, 10, 20, 9, 0), 0, at(2025, 10, 20, 9, 0)),
        (at(2025, 10, 20, 20, 0), 0, at(2025, 10, 20, 20, 0)),  # zero hours: unchanged
    ],
)
def test_start_outside_and_inside_office_hours(
    cal: WorkingCalendar, start: datetime, hours: float, expected: datetime
) -> None:
    assert cal.add_working_hours(start, hours) == expected


def test_result_is_in_calendar_time_zone(cal: WorkingCalendar) -> None:
    start = datetime(2025, 10, 20, 0, 30, tzinfo=UTC)  # 08:30 Shanghai
    result = cal.add_working_hours(start, 1)
    assert result == at(2025, 10, 20, 9, 30)
    assert result.tzinfo is SHANGHAI
    assert result.replace(tzinfo=None) == datetime(2025, 10, 20, 9, 30)


def test_custom_office_hours() -> None:
    cal = WorkingCalendar(parse_office_hours("09:00-17:00"), SHANGHAI)
    assert cal.add_working_hours(at(2025, 10, 17, 16), 2) == at(2025, 10, 20, 10)


def test_working_seconds_between_edges(cal: WorkingCalendar) -> None:
    monday = at(2025, 10, 20, 10)
    assert cal.working_seconds_between(monday, monday) == 0
    assert cal.working_seconds_between(monday, monday - timedelta(days=3)) == 0
    assert cal.working_seconds_between(at(2025, 10, 20, 11), at(2025, 10, 20, 14)) == 1.5 * 3600
    assert cal.working_time_between(at(2025, 10, 20), at(2025, 10, 21)) == timedelta(hours=7.5)


def test_year_long_span_matches_package_day_count(cal: WorkingCalendar) -> None:
    working_days = sum(
        chinese_calendar.is_workday(date(2025, 1, 1) + timedelta(days=i)) for i in range(365)
    )
    assert cal.working_seconds_between(at(2025, 1, 1), at(2026, 1, 1)) == (
        working_days * HOURS_PER_DAY * 3600
    )


def test_round_trip_property_over_random_starts(cal: WorkingCalendar) -> None:
    rng = random.Random(20251001)
    origin = at(2024, 1, 1)
    span = (at(2026, 6, 1) - origin).total_seconds()
    for _ in range(3000):
        start = origin + timedelta(seconds=rng.uniform(0, span))
        if rng.random() < 0.3:  # some starts given in UTC
            start = start.astimezone(UTC)
        hours = rng.choice([rng.uniform(0, 120), float(rng.randint(0, 120)), rng.uniform(0, 2)])
        end = cal.add_working_hours(start, hours)
        assert end.tzinfo is SHANGHAI
        assert end >= start
        assert cal.working_seconds_between(start, end) == pytest.approx(hours * 3600, abs=1e-5)
        if hours > 0:
            # The deadline lies inside a working period or exactly at its end.
            assert cal.is_working_time(end) or (
                cal.is_working_day(end.date())
                and end.timetz().replace(tzinfo=None) in (time(12), time(17, 30))
            )


# -- due_at with pauses ------------------------------------------------------------------


def test_due_at_without_pauses_is_add_working_hours(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)
    assert cal.due_at(routed, 8) == cal.add_working_hours(routed, 8) == at(2025, 10, 21, 9, 30)


def test_due_at_extends_by_working_time_inside_pause(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)  # Monday
    # Waiting Mon 14:00 -> Tue 10:00 covers 3.5 h + 1.5 h = 5 working hours.
    pause = (at(2025, 10, 20, 14), at(2025, 10, 21, 10))
    assert cal.working_seconds_between(*pause) == 5 * 3600
    due = cal.due_at(routed, 8, [pause])
    assert due == at(2025, 10, 21, 16)
    assert due == cal.add_working_hours(cal.due_at(routed, 8), 5)


def test_due_at_pause_outside_office_hours_changes_nothing(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)
    overnight = (at(2025, 10, 20, 18), at(2025, 10, 21, 8))
    assert cal.due_at(routed, 8, [overnight]) == cal.due_at(routed, 8)


def test_due_at_overlapping_unordered_pauses_are_merged(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)
    union = [(at(2025, 10, 20, 10), at(2025, 10, 20, 15))]
    pieces = [
        (at(2025, 10, 20, 13), at(2025, 10, 20, 15)),
        (at(2025, 10, 20, 10), at(2025, 10, 20, 11)),
        (at(2025, 10, 20, 10, 30), at(2025, 10, 20, 14)),
    ]
    assert cal.due_at(routed, 8, pieces) == cal.due_at(routed, 8, union)


def test_due_at_ignores_pause_before_routing_and_after_deadline(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)
    plain = cal.due_at(routed, 8)
    before = (at(2025, 10, 17, 9), at(2025, 10, 20, 9))
    after = (plain + timedelta(hours=1), plain + timedelta(hours=5))
    assert cal.due_at(routed, 8, [before, after]) == plain
    # A pause straddling routing only counts from routing on: Mon 09:00-10:00 = 1 h.
    straddle = (at(2025, 10, 17, 9), at(2025, 10, 20, 10))
    assert cal.due_at(routed, 8, [straddle]) == cal.add_working_hours(plain, 1)


def test_due_at_pause_across_national_day(cal: WorkingCalendar) -> None:
    routed = at(2026, 9, 29, 9)  # Tuesday
    # Waiting from Wed 09-30 08:30 to Fri 10-09 12:00: 7.5 (09-30) + 7.5 (10-08) + 3.5 h.
    pause = (at(2026, 9, 30, 8, 30), at(2026, 10, 9, 12))
    assert cal.working_seconds_between(*pause) == 18.5 * 3600
    # 16 h: 7 h on Tue 09-29, the clock resumes Fri 10-09 13:30: 4 h, 调休 Sat 5 h.
    assert cal.due_at(routed, 16, [pause]) == at(2026, 10, 10, 15)


def test_due_at_random_pauses_consume_no_time(cal: WorkingCalendar) -> None:
    rng = random.Random(12345)
    origin = at(2025, 1, 1)
    for _ in range(500):
        routed = origin + timedelta(seconds=rng.uniform(0, 300 * 86400))
        sla = float(rng.choice([4, 8, 16, 24, 40, 120]))
        pauses = []
        for _ in range(rng.randint(0, 4)):
            begin = routed + timedelta(seconds=rng.uniform(-86400, 20 * 86400))
            pauses.append((begin, begin + timedelta(seconds=rng.uniform(0, 5 * 86400))))
        due = cal.due_at(routed, sla, pauses)
        # Working time from routing to deadline, minus the part inside pauses, is the SLA.
        paused = timedelta(0)
        covered: list[tuple[datetime, datetime]] = []
        for begin, end in sorted(pauses):
            begin, end = max(begin, routed), min(end, due)
            if covered and begin <= covered[-1][1]:
                covered[-1] = (covered[-1][0], max(covered[-1][1], end))
            elif end > begin:
                covered.append((begin, end))
        for begin, end in covered:
            paused += cal.working_time_between(begin, end)
        used = cal.working_time_between(routed, due) - paused
        assert used.total_seconds() == pytest.approx(sla * 3600, abs=1e-5)
        assert due >= cal.due_at(routed, sla)


def test_due_at_rejects_bad_pauses(cal: WorkingCalendar) -> None:
    routed = at(2025, 10, 20, 9)
    with pytest.raises(ValueError, match="ends before it starts"):
        cal.due_at(routed, 8, [(at(2025, 10, 20, 12), at(2025, 10, 20, 11))])
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.due_at(routed, 8, [(datetime(2025, 10, 20, 10), at(2025, 10, 20, 11))])


# -- refused input -----------------------------------------------------------------------


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    naive = datetime(2025, 10, 20, 9)
    aware = at(2025, 10, 20, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_seconds_between(naive, aware)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_seconds_between(aware, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.due_at(naive, 8)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_working_time(naive)


@pytest.mark.parametrize("hours", [-1.0, float("nan"), float("inf")])
def test_bad_hours_are_refused(cal: WorkingCalendar, hours: float) -> None:
    with pytest.raises(ValueError, match="hours"):
        cal.add_working_hours(at(2025, 10, 20, 9), hours)
    with pytest.raises(ValueError, match="hours"):
        cal.due_at(at(2025, 10, 20, 9), hours)
