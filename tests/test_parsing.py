"""Property tests: every parser returns a value in its range or refuses with a UserError,
whatever it is given, and reads back what the bot itself writes."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import parsing
from bot.errors import UsageError, UserError
from bot.schedule import parse_schedule

# Text that looks like what people type, including the digits that fooled str.isdigit().
TRICKY = st.sampled_from(
    [
        *("²", "①", "٣", "０", "-", "#", ":", "：", " ", "d", "h", "m", "w", "s"),
        *("天", "小时", "分钟", "月", "日", "年", "周", "一", "、", "，", "/"),
    ]
)
TYPED = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.characters(), TRICKY, st.sampled_from("0123456789")), max_size=16).map(
        "".join
    ),
)
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _refuses_cleanly(parse: object, raw: str) -> object:
    """Call ``parse(raw)``: a value, or None for a UserError; anything else fails the test."""
    try:
        return parse(raw)  # type: ignore[operator]
    except UserError:
        return None


@given(TYPED)
@example("²")
@example("①")
@example("99999999999999999999")
def test_ids_are_positive_ascii_integers(raw: str) -> None:
    for parse in (parsing.parse_project_id, parsing.parse_problem_id, parsing.parse_user_id):
        value = _refuses_cleanly(parse, raw)
        if value is not None:
            assert isinstance(value, int) and 0 < value < 10**15
            assert raw.strip().lstrip("#").isascii()


@given(st.integers(min_value=1, max_value=10**12 - 1))
def test_ids_read_back(number: int) -> None:
    assert parsing.parse_project_id(str(number)) == number
    assert parsing.parse_problem_id(f"#{number}") == number
    assert parsing.parse_user_id(f" {number} ") == number


@given(TYPED)
@example("9999999999d")  # the issue's /extend 1 9999999999d
@example("999999999w")
@example("٣d")
def test_durations_are_bounded(raw: str) -> None:
    low, high = timedelta(minutes=5), timedelta(days=7)
    value = _refuses_cleanly(lambda text: parsing.parse_duration(text, low, high), raw)
    if value is not None:
        assert isinstance(value, timedelta) and low <= value <= high
    with contextlib.suppress(ValueError):
        assert timedelta(0) < parsing.duration(raw) <= parsing.LONGEST


def test_a_zero_duration_is_out_of_range_not_unreadable() -> None:
    low, high = timedelta(minutes=5), timedelta(days=7)
    for raw in ("0m", "0天", " 0 h"):
        try:
            parsing.parse_duration(raw, low, high)
        except UserError as error:
            assert error.key == "error.duration_range", raw
        else:
            raise AssertionError(raw)


@given(st.integers(min_value=1, max_value=3650 * 86400))
def test_durations_read_back(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parsing.duration(parsing.format_duration(value)) == value


@given(TYPED)
@example("2025-13-45")  # the issue's /deadline 1 2025-13-45
@example("9999-12-31")
@example("0001-01-01")
@example("٢٠٢٦-٠١-٠١")
def test_dates_and_years_are_real_and_bounded(raw: str) -> None:
    day = _refuses_cleanly(lambda text: parsing.parse_date(text, NOW.date()), raw)
    if day is not None:
        assert isinstance(day, date) and 2000 <= day.year <= 2100
    year = _refuses_cleanly(parsing.parse_year, raw)
    if year is not None:
        assert isinstance(year, int) and 2000 <= year <= 2100


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_dates_read_back(day: date) -> None:
    assert parsing.parse_date(day.isoformat(), NOW.date()) == day
    assert parsing.parse_date(f"{day.year}年{day.month}月{day.day}日", NOW.date()) == day


@given(TYPED)
def test_times_weekdays_and_zones(raw: str) -> None:
    at = _refuses_cleanly(parsing.parse_time, raw)
    assert at is None or isinstance(at, time)
    days = _refuses_cleanly(parsing.parse_weekdays, raw)
    assert days is None or (isinstance(days, frozenset) and days <= set(range(7)))
    zone = _refuses_cleanly(parsing.parse_timezone, raw)
    assert zone is None or isinstance(zone, str)


@given(st.times())
def test_times_read_back(at: time) -> None:
    assert parsing.parse_time(at.strftime("%H:%M")) == at.replace(second=0, microsecond=0)


@given(TYPED)
def test_deadlines_are_in_the_future_and_within_reach(raw: str) -> None:
    longest = timedelta(days=366)
    deadline = _refuses_cleanly(
        lambda text: parsing.parse_deadline(text, NOW, "Asia/Shanghai", longest), raw
    )
    if deadline is not None:
        assert isinstance(deadline, datetime) and NOW < deadline <= NOW + longest


@given(st.text(max_size=300))
def test_free_text_is_bounded_and_clean(raw: str) -> None:
    text = _refuses_cleanly(lambda value: parsing.clean_text(value, 100), raw)
    assert text is None or (isinstance(text, str) and 0 < len(text) <= 100)
    name = _refuses_cleanly(parsing.clean_name, raw)
    assert name is None or (isinstance(name, str) and 0 < len(name) <= parsing.MAX_NAME)


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(TYPED, st.sampled_from(["daily", "weekly", "workdays", "off", "每周", "关闭"])),
        max_size=5,
    )
)
def test_schedules_parse_or_refuse(args: list[str]) -> None:
    with contextlib.suppress(UsageError, UserError):
        parse_schedule(args, "Asia/Shanghai")


def test_chinese_forms_read_like_the_english_ones() -> None:
    """秘书, 每周 周一,周四, 3天, 12月1日: whatever a zh-CN usage line shows is accepted."""
    assert parsing.duration("3天") == parsing.duration("3d") == timedelta(days=3)
    assert parsing.duration("4小时") == parsing.duration("4 小时") == timedelta(hours=4)
    assert parsing.duration("30分钟") == timedelta(minutes=30)
    assert parsing.duration("2周") == timedelta(weeks=2)
    today = date(2026, 3, 2)
    assert parsing.parse_date("12月1日", today) == date(2026, 12, 1)
    assert parsing.parse_date("2026年12月1日", today) == date(2026, 12, 1)
    assert parsing.parse_date("2026/12/01", today) == date(2026, 12, 1)
    assert parsing.parse_date("明天", today) == parsing.parse_date("Tomorrow", today)
    assert [parsing.parse_date(w, today).day for w in ("今天", "明天", "后天")] == [2, 3, 4]
    for raw in ("周一,周四", "周一、周四", "周一，周四", "一、四", "mon,thu", "星期一,星期四"):
        assert parsing.parse_weekdays(raw) == {0, 3}, raw
    assert parsing.parse_weekdays("周日") == parsing.parse_weekdays("星期天") == {6}
    assert [parsing.keyword(w) for w in ("秘书", "负责人", "管理员", "默认", "关闭")] == [
        "secretary",
        "leader",
        "admin",
        "default",
        "off",
    ]


def test_a_month_and_day_deadline_is_the_next_such_day() -> None:
    """12月1日 typed on 5 December means next year's, at 18:00 local time."""
    now = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    deadline = parsing.parse_deadline("12月1日", now, "Asia/Shanghai", timedelta(days=366))
    assert deadline == datetime(2027, 12, 1, 10, 0, tzinfo=UTC)
    soon = parsing.parse_deadline("12月8日", now, "Asia/Shanghai", timedelta(days=366))
    assert soon == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


def test_chinese_schedules() -> None:
    weekly = parse_schedule(["每周", "周一,周四", "09:00"], "Asia/Shanghai")
    assert weekly is not None and weekly.kind == "weekly" and weekly.weekdays == {0, 3}
    assert parse_schedule(["每周一、四", "09:00"], "Asia/Shanghai") == weekly
    workdays = parse_schedule(["工作日", "9:00"], "Asia/Shanghai")
    assert workdays is not None and workdays.kind == "workdays"
    daily = parse_schedule(["每天", "17：30"], "Asia/Shanghai")
    assert daily is not None and daily.kind == "daily" and daily.at == time(17, 30)
    assert parse_schedule(["关闭"], "Asia/Shanghai") is None
