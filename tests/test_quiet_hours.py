"""Quiet hours: reminders and escalation cards due at night wait for the morning, once; and a
group's own language."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.quiet import QuietHours, parse_quiet_hours
from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import FakeBotAPI, FakeClock, FakeGroup, FakeUser
from tests.test_e2e_ledger import LEADER, SECRETARY, cards, tick

SHANGHAI = "Asia/Shanghai"
NIGHT = QuietHours(time(22, 0), time(7, 30))


def _local(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A moment given in Shanghai time (UTC+8), as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_night_hours_hold_until_the_morning() -> None:
    assert NIGHT.hold_until(_local(21, 59), SHANGHAI) is None
    assert NIGHT.hold_until(_local(22, 0), SHANGHAI) == _local(7, 30, day=3)
    assert NIGHT.hold_until(_local(23, 0), SHANGHAI) == _local(7, 30, day=3)
    assert NIGHT.hold_until(_local(3, 0), SHANGHAI) == _local(7, 30)
    assert NIGHT.hold_until(_local(7, 30), SHANGHAI) is None
    daytime = QuietHours(time(12, 0), time(14, 0))  # a lunch break, not across midnight
    assert daytime.hold_until(_local(13, 0), SHANGHAI) == _local(14, 0)
    assert daytime.hold_until(_local(23, 0), SHANGHAI) is None


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]),
)
def test_a_hold_ends_at_the_quiet_end_within_a_day(naive: datetime, zone: str) -> None:
    now = naive.replace(tzinfo=UTC)
    held = NIGHT.hold_until(now, zone)
    if held is not None:
        assert now < held <= now + timedelta(hours=10)
        assert NIGHT.hold_until(held, zone) is None


def test_quiet_hours_setting_is_parsed_strictly() -> None:
    assert parse_quiet_hours("off") is None
    assert parse_quiet_hours("22:00-07:30") == NIGHT
    for bad in ("22-7", "24:00-07:00", "22:00-22:00", "22:00 07:30", "２２:００-07:30"):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)


def _reminders(bot: Harness) -> list[str]:
    return [
        c.params["text"] for c in bot.api.sent_to(SECRETARY.id) if "Reminder" in c.params["text"]
    ]


async def test_a_reminder_due_at_23_is_delivered_at_07_30_once_across_a_restart(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    try:
        await project_with(bot, "Night shift", [SECRETARY], "daily 21:00")
        await bot.send(ADMIN, "/window 1 13h")  # open until 10:00 the next morning
        clock.set(_local(21, 0))
        await run_jobs(bot)
        clock.set(_local(23, 0))  # the reminder falls due: held, not sent
        await run_jobs(bot)
        assert _reminders(bot) == []
    finally:
        await stop_harness(bot)
    clock.set(_local(3, 0, day=3))
    bot = await start_harness(api, clock, path)  # restarted in the night: still held
    try:
        await run_jobs(bot)
        assert _reminders(bot) == []
        clock.set(_local(7, 29, day=3))
        await run_jobs(bot)
        assert _reminders(bot) == []
        clock.set(_local(7, 30, day=3))
        await run_jobs(bot)
        assert len(_reminders(bot)) == 1
        clock.set(_local(8, 0, day=3))
        await run_jobs(bot)
        assert len(_reminders(bot)) == 1
    finally:
        await stop_harness(bot)


async def test_a_reminder_is_not_sent_after_its_round_closes(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db")
    try:
        await project_with(bot, "Night shift", [SECRETARY], "daily 20:00")
        await bot.send(ADMIN, "/window 1 8h")  # closes at 04:00, in the quiet hours
        clock.set(_local(20, 0))
        await run_jobs(bot)
        clock.set(_local(22, 0))
        await run_jobs(bot)
        clock.set(_local(8, 0, day=3))
        await run_jobs(bot)
        assert _reminders(bot) == []
    finally:
        await stop_harness(bot)


async def test_quiet_hours_off_reminds_at_night(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", quiet_hours="off")
    try:
        await project_with(bot, "Night shift", [SECRETARY], "daily 21:00")
        await bot.send(ADMIN, "/window 1 13h")
        clock.set(_local(21, 0))
        await run_jobs(bot)
        clock.set(_local(23, 0))
        await run_jobs(bot)
        assert len(_reminders(bot)) == 1
    finally:
        await stop_harness(bot)


async def test_an_escalation_card_due_at_night_waits_for_the_morning(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(_local(20, 0))
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    await bot.send(SECRETARY, "/deadline 1 3h")  # due at 23:00
    bot.clock.set(_local(23, 1))
    await tick(bot)
    assert cards(bot, LEADER.id, 1) == []
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "escalated: level 1" in history  # recorded at once, delivered later
    # Answers to people's own commands are never held.
    assert "Crane broken" in history
    bot.clock.set(_local(7, 31, day=3))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1


GROUP = FakeGroup(-100888, "County leadership group")
MEMBER_OF_GROUP = FakeUser(6001, "Wang Wu", "wangwu", "zh-CN")


async def test_an_admin_sets_a_groups_language_for_what_the_bot_posts_there(
    bot: Harness,
) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    refused = await bot.send(MEMBER_OF_GROUP, "/language en", group=GROUP)
    assert "管理员" in refused.params["text"]  # only admins; said in the group's language
    assert "English" in (await bot.send(ADMIN, "/language en", group=GROUP)).params["text"]
    # Everyone now reads the bot in English there, whatever their own language.
    usage = await bot.send(MEMBER_OF_GROUP, "/language", group=GROUP)
    assert usage.params["text"].startswith("Usage")
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    bot.clock.advance(timedelta(days=5, hours=12))
    await tick(bot)
    bot.clock.advance(timedelta(days=3))
    await tick(bot)
    posted = [c.params["text"] for c in bot.api.sent_to(GROUP.id) if "Crane" in c.params["text"]]
    assert posted and all("Level 2 (leadership group" in text for text in posted)
    # The admin's own language in private chats is unchanged.
    assert (await bot.services.registry.chat_language(ADMIN.id)) is None
