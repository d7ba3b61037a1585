"""Quiet hours (``QUIET_HOURS``): reminders and escalation cards due at night are held until
morning, in the project's local time. Answers to a person's own commands are never held."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

SPEC = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    def hold_until(self, now: datetime, timezone: str) -> datetime | None:
        """When a message due ``now`` may go out: the end of the quiet period ``now`` falls in
        (UTC), or None when it is not quiet."""
        zone = ZoneInfo(timezone)
        local = now.astimezone(zone)
        moment = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            quiet = self.start <= moment < self.end
        else:  # across midnight, e.g. 22:00-07:30
            quiet = moment >= self.start or moment < self.end
        if not quiet:
            return None
        day = local.date() if moment < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(raw: str) -> QuietHours | None:
    """``22:00-07:30`` (local time, may cross midnight) or ``off``."""
    text = raw.strip().lower()
    if text in {"off", "none", ""}:
        return None
    match = SPEC.match(text)
    if match is None:
        raise ValueError("must be HH:MM-HH:MM (e.g. 22:00-07:30) or off")
    start = time(int(match[1]), int(match[2]))
    end = time(int(match[3]), int(match[4]))
    if start == end:
        raise ValueError("start and end must differ (use off for no quiet hours)")
    return QuietHours(start, end)


def hold_until(quiet: QuietHours | None, now: datetime, timezone: str) -> datetime | None:
    """``quiet.hold_until`` for an optional setting."""
    return quiet.hold_until(now, timezone) if quiet is not None else None
