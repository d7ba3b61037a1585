"""Check-in schedules: parsing, slot enumeration in the project's zone, official workdays.

Slots are enumerated per local date, so a daylight-saving change can neither skip nor double
one: a wall-clock time that does not exist that day maps to the instant just after the gap,
and an ambiguous one to its first occurrence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

from bot.errors import UsageError
from bot.parsing import keyword, parse_time, parse_timezone, parse_weekdays

log = logging.getLogger(__name__)

ScheduleKind = Literal["daily", "weekly", "workdays"]
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WEEKLY_WINDOW = timedelta(hours=48)
MIN_WINDOW = timedelta(minutes=30)
SEARCH_DAYS = 400
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: ScheduleKind
    at: time
    weekdays: frozenset[int]  # Monday = 0
    timezone: str
    window: timedelta | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_schedule(args: list[str], default_timezone: str) -> Schedule | None:
    """``daily 09:00``, ``weekly mon,thu 17:30``, ``workdays 09:00`` (+ zone), or ``off``; also
    ``每天 09:00``, ``每周 周一,周四 17:30`` or ``每周一、四 17:30``, ``工作日 09:00``, ``关闭``."""
    if not args:
        raise UsageError("schedule")
    kind = keyword(args[0])
    rest = args[1:]
    if kind.startswith("每周") and len(kind) > 2:  # 每周一、四 09:00
        kind, rest = "weekly", [kind.removeprefix("每周"), *rest]
    if kind == "off" and not rest:
        return None
    weekdays: frozenset[int] = frozenset(range(7))
    if kind == "weekly":
        if not rest:
            raise UsageError("schedule")
        weekdays = parse_weekdays(rest[0])
        rest = rest[1:]
    elif kind not in {"daily", "workdays"}:
        raise UsageError("schedule")
    if not rest or len(rest) > 2:
        raise UsageError("schedule")
    at = parse_time(rest[0])
    timezone = parse_timezone(rest[1]) if len(rest) == 2 else default_timezone
    return Schedule(kind, at, weekdays, timezone)  # type: ignore[arg-type]


def local_slot(schedule: Schedule, day: date) -> datetime:
    """The slot's instant on a local date (see the module note on DST)."""
    naive = datetime.combine(day, schedule.at)
    aware = naive.replace(tzinfo=schedule.zone)
    # Round-trip through UTC: a time inside a spring-forward gap lands just after it.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(schedule.zone)


def window_end(schedule: Schedule, slot: datetime) -> datetime:
    """When a round opened at ``slot`` closes."""
    if schedule.window is not None:
        return slot + schedule.window
    if schedule.kind == "weekly":
        return slot + DEFAULT_WEEKLY_WINDOW
    local = slot.astimezone(schedule.zone)
    end_of_day = datetime.combine(local.date(), time(23, 59), tzinfo=schedule.zone)
    return max(end_of_day, slot + MIN_WINDOW)


class WorkCalendar:
    """Official Chinese workdays, with the admins' own entries taking precedence."""

    def __init__(
        self,
        overrides: Mapping[date, str],
        on_unknown_year: Callable[[int], None] | None = None,
    ) -> None:
        self._overrides = overrides
        self._on_unknown_year = on_unknown_year

    def is_workday(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override == "workday"
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if self._on_unknown_year is not None:
                self._on_unknown_year(day.year)
            return day.weekday() < 5

    @staticmethod
    def covers(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True


def is_slot_day(schedule: Schedule, day: date, calendar: WorkCalendar) -> bool:
    if schedule.kind == "workdays":
        return calendar.is_workday(day)
    return day.weekday() in schedule.weekdays


def slots_between(
    schedule: Schedule, after: datetime, until: datetime, calendar: WorkCalendar
) -> Iterator[datetime]:
    """Slots with ``after < slot <= until``, in order."""
    day = after.astimezone(schedule.zone).date()
    last = until.astimezone(schedule.zone).date()
    while day <= last:
        if is_slot_day(schedule, day, calendar):
            slot = local_slot(schedule, day)
            if after < slot <= until:
                yield slot
        day += timedelta(days=1)


def next_slot(schedule: Schedule, after: datetime, calendar: WorkCalendar) -> datetime | None:
    """The first slot strictly after ``after`` (within about a year)."""
    return next(
        iter(slots_between(schedule, after, after + timedelta(days=SEARCH_DAYS), calendar)), None
    )
