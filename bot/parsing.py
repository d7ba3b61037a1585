"""Parsers for what people type: one per kind of argument, each bounded and refusing cleanly.

Digits are ASCII only: ``str.isdigit()`` and the regex ``\\d`` also accept '²', '①' or '٣',
which ``int()`` refuses or reads in surprising ways. Every parser raises :class:`UserError`
with a catalog key; nothing here can raise anything else on any input.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UserError

MAX_NAME = 200
MAX_ID_DIGITS = 12  # far beyond any id we hand out, far below SQLite's 64-bit integers
MAX_USER_ID_DIGITS = 15  # Telegram user ids fit in 52 bits
FIRST_YEAR, LAST_YEAR = 2000, 2100
LONGEST = timedelta(days=3660)  # no duration anyone types here is longer than ten years
DATE_DEADLINE_AT = time(18, 0)  # a deadline given as a date means the end of that working day
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_FULL_NAMES = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*([0-9]{1,9})\s*([smhdw])\s*$", re.IGNORECASE)
_DATE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:：]([0-5][0-9])$")


def _digits(value: str, most: int) -> int | None:
    if not value or len(value) > most or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def _positive_id(raw: str, error_key: str) -> int:
    value = _digits(raw.strip().lstrip("#"), MAX_ID_DIGITS)
    if not value:
        raise UserError(error_key, value=raw[:40])
    return value


def parse_project_id(raw: str) -> int:
    """A project id as typed by a user: a positive integer, optionally with a leading '#'."""
    return _positive_id(raw, "error.bad_id")


def parse_problem_id(raw: str) -> int:
    """A problem id as typed by a user: a positive integer, optionally with a leading '#'."""
    return _positive_id(raw, "error.bad_problem_id")


def parse_user_id(raw: str) -> int:
    """A Telegram user id: a positive integer."""
    value = _digits(raw.strip(), MAX_USER_ID_DIGITS)
    if not value:
        raise UserError("error.bad_user_id", value=raw[:40])
    return value


def duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``4h``, ``3d`` or ``2w`` as a positive timedelta of at most ten years;
    ValueError otherwise (settings use this directly)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration like 90s, 30m, 4h or 3d: {text!r}")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"longer than ten years: {text!r}")
    return timedelta(seconds=seconds)


def parse_duration(raw: str, low: timedelta, high: timedelta) -> timedelta:
    """A duration typed by a user, between ``low`` and ``high``."""
    try:
        value = duration(raw)
    except ValueError:
        raise UserError("error.bad_duration", value=raw[:20]) from None
    if not low <= value <= high:
        raise UserError("error.duration_range", low=low, high=high)
    return value


def format_duration(value: timedelta) -> str:
    """A duration as :func:`duration` reads it, in the largest unit that divides it exactly."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def parse_date(raw: str) -> date:
    """``YYYY-MM-DD``, a real date between the years 2000 and 2100."""
    match = _DATE.match(raw.strip())
    if match is None:
        raise UserError("error.bad_date", value=raw[:20])
    year, month, day = (int(part) for part in match.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserError("error.bad_date", value=raw[:20])
    try:
        return date(year, month, day)
    except ValueError:
        raise UserError("error.bad_date", value=raw[:20]) from None


def parse_deadline(raw: str, now: datetime, timezone: str, longest: timedelta) -> datetime:
    """A duration from now (``90m``, ``3d``) or a date (18:00 that day in ``timezone``), later
    than ``now`` and at most ``longest`` after it."""
    if "-" in raw:
        day = parse_date(raw)
        deadline = datetime.combine(day, DATE_DEADLINE_AT, tzinfo=ZoneInfo(timezone))
    else:
        try:
            deadline = now + duration(raw)
        except ValueError:
            raise UserError("error.bad_deadline", value=raw[:20]) from None
    if deadline <= now:
        raise UserError("error.deadline_past")
    if deadline - now > longest:
        raise UserError("error.deadline_far")
    return deadline


def parse_year(raw: str) -> int:
    value = _digits(raw.strip(), 4)
    if value is None or not FIRST_YEAR <= value <= LAST_YEAR:
        raise UserError("error.bad_year", value=raw[:20], first=FIRST_YEAR, last=LAST_YEAR)
    return value


def parse_time(raw: str) -> time:
    """``HH:MM`` (also with a full-width colon), 00:00 to 23:59."""
    match = _TIME.match(raw.strip())
    if not match:
        raise UserError("error.bad_time", value=raw[:20])
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekdays(raw: str) -> frozenset[int]:
    """``mon,thu`` or ``monday,thursday`` (Monday = 0)."""
    days = set()
    for part in raw.lower().split(","):
        name = part.strip()
        if name in WEEKDAY_NAMES:
            days.add(WEEKDAY_NAMES.index(name))
        elif name in WEEKDAY_FULL_NAMES:
            days.add(WEEKDAY_FULL_NAMES.index(name))
        else:
            raise UserError("error.bad_weekdays", value=raw[:40])
    return frozenset(days)


def parse_timezone(raw: str) -> str:
    """An IANA timezone such as ``Asia/Shanghai``."""
    text = raw.strip()
    if not text.isascii() or len(text) > 64:
        raise UserError("error.bad_timezone", value=raw[:60])
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError("error.bad_timezone", value=raw[:60]) from None
    return text


def clean_name(raw: str) -> str:
    """Validate a project name: non-empty, at most 200 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise UserError("error.name_empty")
    if len(name) > MAX_NAME:
        raise UserError("error.name_too_long", length=len(name))
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise UserError("error.name_control")
    return name


def clean_text(raw: str, limit: int) -> str:
    """Free text (a question, a note, a problem): trimmed, bounded, no control characters."""
    text = raw.strip()
    if not text:
        raise UserError("error.name_empty")
    if len(text) > limit:
        raise UserError("error.text_too_long", length=len(text), limit=limit)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise UserError("error.name_control")
    return text
