"""Working time (``WORK_HOURS`` on official workdays): a department has ``DEPT_SIGN_WITHIN`` of
it to sign for a problem, so an item handed over on Friday evening is not late on Saturday."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import asin, cos, radians, sin, sqrt
from zoneinfo import ZoneInfo

SPEC = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")
SEARCH_DAYS = 60  # past any run of holidays (Spring Festival is at most about 9 days)


@dataclass(frozen=True, slots=True)
class WorkHours:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def add(
        self,
        moment: datetime,
        length: timedelta,
        timezone: str,
        is_workday: Callable[[date], bool],
    ) -> datetime:
        """The moment ``length`` of working time after ``moment`` (UTC): only the hours
        between ``start`` and ``end`` of workdays count."""
        zone = ZoneInfo(timezone)
        local = moment.astimezone(zone)
        left = length
        day = local.date()
        for _ in range(SEARCH_DAYS * 2):
            if is_workday(day):
                opens = datetime.combine(day, self.start, tzinfo=zone)
                closes = datetime.combine(day, self.end, tzinfo=zone)
                begin = max(opens, local)
                if begin < closes:
                    room = closes - begin
                    if left <= room:
                        return (begin + left).astimezone(UTC)
                    left -= room
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), tzinfo=zone)
        return (moment + length).astimezone(UTC)  # no workday in sight: plain time


def parse_work_hours(raw: str) -> WorkHours:
    """``08:30-17:30``: the start of the working day, then its end (same day)."""
    match = SPEC.match(raw.strip())
    if match is None:
        raise ValueError("must be HH:MM-HH:MM, the start before the end (e.g. 08:30-17:30)")
    start = time(int(match[1]), int(match[2]))
    end = time(int(match[3]), int(match[4]))
    if start >= end:
        raise ValueError("the start must be before the end, on the same day")
    return WorkHours(start, end)


@dataclass(frozen=True, slots=True)
class OfficeLocation:
    """Where the 365 office is, for 坐班 sign-in by shared location."""

    latitude: float
    longitude: float
    radius_m: float

    def contains(self, latitude: float, longitude: float) -> bool:
        return distance_m(self.latitude, self.longitude, latitude, longitude) <= self.radius_m


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a few hundred metres)."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6_371_000 * asin(sqrt(a))


def parse_office_location(raw: str) -> OfficeLocation | None:
    """``lat,lon,radius_m`` (e.g. ``30.5728,104.0668,300``); empty or ``off``: none."""
    text = raw.strip().lower()
    if text in {"", "off", "none"}:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        latitude, longitude, radius = (float(p) for p in parts)
    except ValueError:
        raise ValueError(
            "must be latitude,longitude,radius in metres (e.g. 30.57,104.07,300)"
        ) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180 and 10 <= radius <= 100_000):
        raise ValueError("latitude -90..90, longitude -180..180, radius 10..100000 metres")
    return OfficeLocation(latitude, longitude, radius)
