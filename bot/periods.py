"""The weeks reports are about: an ISO week in a project's (or the county's) timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Period:
    key: str  # 2026-W47
    first: date  # Monday
    last: date  # Sunday
    start: datetime  # UTC
    end: datetime  # UTC, exclusive


def period_of(day: date, zone: str) -> Period:
    """The ISO week ``day`` falls in, in ``zone``."""
    year, week, weekday = day.isocalendar()
    first = day - timedelta(days=weekday - 1)
    last = first + timedelta(days=6)
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0, 0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(UTC)
    return Period(f"{year}-W{week:02d}", first, last, start, end)
