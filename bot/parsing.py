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
# Chinese units as people type them: 30分钟, 4小时, 3天, 2周.
_UNIT_NAMES = {
    "秒": "s",
    "秒钟": "s",
    "分": "m",
    "分钟": "m",
    "时": "h",
    "小时": "h",
    "个小时": "h",
    "天": "d",
    "日": "d",
    "周": "w",
    "星期": "w",
    "个星期": "w",
}
_DURATION = re.compile(
    r"^\s*([0-9]{1,9})\s*([smhdw]|"
    + "|".join(sorted(_UNIT_NAMES, key=len, reverse=True))
    + r")\s*$",
    re.IGNORECASE,
)
_DATE = re.compile(r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?$")
_MONTH_DAY = re.compile(r"^([0-9]{1,2})月([0-9]{1,2})[日号]?$")
# Days people name rather than write out: /leave 明天, /deadline 1 后天.
RELATIVE_DAYS = {
    **{"yesterday": -1, "昨天": -1, "昨日": -1, "前天": -2},
    **{"today": 0, "今天": 0, "今日": 0, "tomorrow": 1, "明天": 1, "明日": 1, "后天": 2},
}
# Chinese (and other) words accepted wherever an English keyword is: /invite 1 秘书, /schedule 1
# 每周 周一,周四 09:00, /schedule 1 关闭.
KEYWORDS = {
    "秘书": "secretary",
    "首办秘书": "secretary",
    "负责人": "leader",
    "首席负责人": "leader",
    "领导": "leader",
    "管理员": "admin",
    "每天": "daily",
    "每日": "daily",
    "每周": "weekly",
    "工作日": "workdays",
    "法定工作日": "workdays",
    "关闭": "off",
    "关": "off",
    "默认": "default",
    "至": "to",
    "到": "to",
    "领导小组": "group",
    "群": "group",
    "两者": "both",
    "都": "both",
}
_CHINESE_WEEKDAYS = "一二三四五六日"
_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:：]([0-5][0-9])$")


def keyword(raw: str) -> str:
    """The English keyword for what was typed (秘书 → secretary, 每周 → weekly), lower-cased;
    anything else comes back lower-cased, for the caller to accept or refuse."""
    text = raw.strip()
    return KEYWORDS.get(text, text.lower())


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
    """``90s``, ``30m``, ``4h``, ``3d`` or ``2w`` (or ``30分钟``, ``4小时``, ``3天``, ``2周``) as a
    positive timedelta of at most ten years; ValueError otherwise (settings use this directly)."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration like 90s, 30m, 4h or 3d: {text!r}")
    unit = match.group(2).lower()
    seconds = int(match.group(1)) * _UNIT_SECONDS[_UNIT_NAMES.get(unit, unit)]
    if seconds > LONGEST.total_seconds():
        raise ValueError(f"longer than ten years: {text!r}")
    return timedelta(seconds=seconds)


def parse_duration(raw: str, low: timedelta, high: timedelta) -> timedelta:
    """A duration typed by a user, between ``low`` and ``high``."""
    try:
        value = duration(raw)
    except ValueError:
        zero = _DURATION.match(raw)
        if zero is not None and int(zero.group(1)) == 0:  # a duration, just out of range
            raise UserError("error.duration_range", low=low, high=high) from None
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


def parse_date(raw: str, today: date) -> date:
    """``2026-12-01`` (also ``2026/12/1``, ``2026年12月1日``), ``12月1日`` (in ``today``'s year)
    or ``today`` / ``tomorrow`` / 今天 / 明天 / 后天; a real date in the years 2000 to 2100."""
    text = raw.strip()
    ahead = RELATIVE_DAYS.get(text.lower())
    if ahead is not None:
        return today + timedelta(days=ahead)
    match = _DATE.match(text)
    short = None if match else _MONTH_DAY.match(text)
    if match is not None:
        year, month, day = (int(part) for part in match.groups())
    elif short is not None:
        year = today.year
        month, day = (int(part) for part in short.groups())
    else:
        raise UserError("error.bad_date", value=raw[:20])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserError("error.bad_date", value=raw[:20])
    try:
        return date(year, month, day)
    except ValueError:
        raise UserError("error.bad_date", value=raw[:20]) from None


def parse_deadline(raw: str, now: datetime, timezone: str, longest: timedelta) -> datetime:
    """A duration from now (``90m``, ``3天``) or a date (18:00 that day in ``timezone``; a
    month and day without a year is the next such day), later than ``now`` and at most
    ``longest`` after it."""
    try:
        deadline = now + duration(raw)
    except ValueError:
        local = now.astimezone(ZoneInfo(timezone))
        try:
            day = parse_date(raw, local.date())
        except UserError:
            raise UserError("error.bad_deadline", value=raw[:20]) from None
        if _MONTH_DAY.match(raw.strip()) and day < local.date():
            day = _next_year(day)
        deadline = datetime.combine(day, DATE_DEADLINE_AT, tzinfo=ZoneInfo(timezone))
    if deadline <= now:
        raise UserError("error.deadline_past")
    if deadline - now > longest:
        raise UserError("error.deadline_far")
    return deadline


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


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
    """``mon,thu``, ``monday,thursday``, ``周一,周四`` (also with 、 or ，) or ``一、四``;
    Monday = 0."""
    days = set()
    for part in re.split(r"[,，、]", raw.lower()):
        name = part.strip()
        for prefix in ("星期", "礼拜", "周"):
            name = name.removeprefix(prefix)
        if name in WEEKDAY_NAMES:
            days.add(WEEKDAY_NAMES.index(name))
        elif name in WEEKDAY_FULL_NAMES:
            days.add(WEEKDAY_FULL_NAMES.index(name))
        elif len(name) == 1 and name in _CHINESE_WEEKDAYS + "天":
            days.add(_CHINESE_WEEKDAYS.index(name) if name != "天" else 6)
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
