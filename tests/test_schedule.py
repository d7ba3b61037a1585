"""Slot arithmetic: DST, the official Chinese calendar, admin overrides, windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.errors import UsageError, UserError
from bot.schedule import (
    Schedule,
    WorkCalendar,
    next_slot,
    parse_schedule,
    slots_between,
    window_end,
)

EVERY_DAY = frozenset(range(7))


def local_dates(schedule: Schedule, start: datetime, end: datetime) -> list[str]:
    calendar = WorkCalendar({})
    return [
        s.astimezone(schedule.zone).strftime("%Y-%m-%d %H:%M")
        for s in slots_between(schedule, start, end, calendar)
    ]


def test_spring_forward_neither_skips_nor_doubles() -> None:
    """02:30 does not exist in New York on 2026-03-08: the slot comes once, just after the gap."""
    schedule = Schedule("daily", time(2, 30), EVERY_DAY, "America/New_York")
    slots = local_dates(
        schedule, datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)
    )
    assert slots == ["2026-03-07 02:30", "2026-03-08 03:30", "2026-03-09 02:30"]


def test_fall_back_neither_skips_nor_doubles() -> None:
    """01:30 happens twice in New York on 2026-11-01: one slot, at the first."""
    schedule = Schedule("daily", time(1, 30), EVERY_DAY, "America/New_York")
    start, end = datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    slots = list(slots_between(schedule, start, end, WorkCalendar({})))
    assert [s.astimezone(schedule.zone).day for s in slots] == [31, 1, 2]
    assert slots[1].astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_workdays_follow_the_official_calendar() -> None:
    """National Day 2026-10-01 is skipped; Saturday 2026-10-10 (调休) is prompted."""
    schedule = Schedule("workdays", time(9, 0), EVERY_DAY, "Asia/Shanghai")
    slots = local_dates(
        schedule, datetime(2026, 9, 30, 2, tzinfo=UTC), datetime(2026, 10, 12, 2, tzinfo=UTC)
    )
    days = [s[:10] for s in slots]
    assert "2026-10-01" not in days and "2026-10-10" in days and "2026-10-11" not in days
    assert days[0] == "2026-10-08"  # the whole Golden Week, 10-01 to 10-07, is skipped


def test_admin_entries_take_precedence_and_unknown_years_fall_back() -> None:
    """For 2027 (not shipped yet) Mon–Fri is used and reported; admin entries still win."""
    seen: set[int] = set()
    calendar = WorkCalendar({date(2027, 1, 1): "holiday", date(2027, 1, 2): "workday"}, seen.add)
    assert not calendar.is_workday(date(2027, 1, 1))  # a Friday, marked holiday
    assert calendar.is_workday(date(2027, 1, 2))  # a Saturday, marked workday
    assert calendar.is_workday(date(2027, 1, 4)) and not calendar.is_workday(date(2027, 1, 3))
    assert seen == {2027}
    assert WorkCalendar.covers(2026) and not WorkCalendar.covers(2027)


def test_weekly_schedule_and_windows() -> None:
    schedule = parse_schedule(["weekly", "mon,THU", "17:30"], "Asia/Shanghai")
    assert schedule is not None and schedule.weekdays == {0, 3}
    after = datetime(2026, 3, 3, tzinfo=UTC)  # a Tuesday
    upcoming = next_slot(schedule, after, WorkCalendar({}))
    assert upcoming is not None
    assert upcoming.astimezone(schedule.zone).strftime("%a %H:%M") == "Thu 17:30"
    assert window_end(schedule, upcoming) == upcoming + timedelta(hours=48)
    daily = parse_schedule(["daily", "9:05"], "Asia/Shanghai")
    assert daily is not None
    slot = next_slot(daily, after, WorkCalendar({}))
    assert slot is not None
    assert window_end(daily, slot).astimezone(daily.zone).strftime("%H:%M") == "23:59"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ([], UsageError),
        (["hourly", "09:00"], UsageError),
        (["daily"], UsageError),
        (["daily", "25:00"], UserError),
        (["weekly", "xyz", "09:00"], UserError),
        (["daily", "09:00", "Mars/Base"], UserError),
        (["daily", "09:00", "UTC", "extra"], UsageError),
    ],
)
def test_bad_schedules_are_explained(args: list[str], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_schedule(args, "Asia/Shanghai")


def test_off_turns_the_schedule_off() -> None:
    assert parse_schedule(["off"], "UTC") is None


def test_a_year_the_calendar_does_not_cover_rests_on_saturday_and_sunday() -> None:
    """The fallback for an uncovered year: Monday to Friday are workdays, the weekend is not."""
    seen: set[int] = set()
    calendar = WorkCalendar({}, seen.add)
    week = [date(2099, 6, 1) + timedelta(days=n) for n in range(7)]  # Monday 1 June 2099
    assert week[0].weekday() == 0
    assert [calendar.is_workday(day) for day in week] == [True] * 5 + [False, False]
    assert seen == {2099}
