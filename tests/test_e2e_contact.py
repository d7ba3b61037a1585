"""End to end: the leaders' weekly contact with the enterprise (首席负责人每周与企业对接一次)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY

OTHER_LEADER = FakeUser(3002, "Chen Jing", "chenjing", "en")
FRIDAY_16 = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # Friday 16:00 in Shanghai


def _contact_prompts(bot: Harness, user: FakeUser) -> list[ApiCall]:
    return [
        c
        for c in bot.api.sent_to(user.id)
        if "Weekly contact with the enterprise" in c.params["text"]
    ]


def _reminders(bot: Harness, user: FakeUser) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(user.id) if "is not recorded yet" in c.params["text"]]


async def _media(bot: Harness, user: FakeUser, caption: str) -> str:
    mark = len(bot.api.calls)
    await bot.api.send_media(user, "photo", caption=caption)
    return str((await bot.api.reply_to(user.id, after=mark)).params["text"])


async def _scheduled(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await invite_and_join(bot, 1, "leader", OTHER_LEADER)
    reply = (await bot.send(ADMIN, "/schedule 1 leaders weekly fri 16:00")).params["text"]
    assert "leaders record their contact with the enterprise" in reply
    assert "Next: 2026-03-06 16:00" in reply


async def test_a_contact_round_with_a_record_a_reminder_and_a_miss(bot: Harness) -> None:
    await _scheduled(bot)
    bot.clock.set(FRIDAY_16)
    await run_jobs(bot)
    prompt = _contact_prompts(bot, LEADER)
    assert len(prompt) == 1 and len(_contact_prompts(bot, OTHER_LEADER)) == 1
    assert _contact_prompts(bot, SECRETARY) == []  # secretaries are not asked
    assert [data for _, data in buttons_of(prompt[0])] == ["ct:v:1", "ct:m:1", "ct:c:1"]

    # Writing before choosing how: the buttons again, nothing recorded.
    early = await bot.send(LEADER, "Met the owner")
    assert "First choose how" in early.params["text"]
    await bot.press(LEADER, prompt[0], "ct:m:1")
    assert "what was settled" in bot.api.sent_to(LEADER.id)[-1].params["text"]
    recorded = await _media(bot, LEADER, "2026-03-05 Temporary power line approved")
    assert "recorded: 🤝 Meeting, 2026-03-05" in recorded

    bot.clock.advance(timedelta(hours=2, minutes=1))
    await run_jobs(bot)
    assert _reminders(bot, LEADER) == []
    assert len(_reminders(bot, OTHER_LEADER)) == 1
    assert buttons_of(_reminders(bot, OTHER_LEADER)[0])[0][1] == "ct:v:1"

    bot.clock.advance(timedelta(days=2))  # the 48-hour window closes
    await run_jobs(bot)
    status = (await bot.send(ADMIN, "/status 1 leaders")).params["text"]
    assert "leaders' contact with the enterprise, week of 2026-03-06" in status
    assert "Recorded: Zhang San" in status and "Missed: Chen Jing" in status
    assert "03-05 🤝 Meeting Zhang San (@zhangsan): Temporary power line approved 📎1" in status
    # Counted separately: the secretaries' check-ins know nothing of it.
    assert "no round yet" in (await bot.send(ADMIN, "/status 1")).params["text"]
    rows = await bot.db.fetchall("SELECT how, held_on, checkin_id FROM contacts")
    assert [(r["how"], r["held_on"]) for r in rows] == [("meeting", "2026-03-05")]
    assert rows[0]["checkin_id"] is not None


async def test_contact_at_any_time_and_only_by_leaders(bot: Harness) -> None:
    await _scheduled(bot)
    refused = await bot.send(SECRETARY, "/contact 1")
    assert "not a chief leader in charge" in refused.params["text"]
    stranger = await bot.send(SECRETARY, "/contact 99")
    assert stranger.params["text"] == refused.params["text"].replace("1", "99")
    asked = await bot.send(OTHER_LEADER, "/contact 1")
    assert [d for _, d in buttons_of(asked)] == ["ct:v:1", "ct:m:1", "ct:c:1"]
    forged = await bot.press(SECRETARY, asked, "ct:v:1")
    assert "not a chief leader in charge" in forged.params["text"]
    await bot.press(OTHER_LEADER, asked, "ct:c:1")
    done = await bot.send(OTHER_LEADER, "Called the contractor: crane arrives Monday")
    assert "📞 Call, 2026-03-02" in done.params["text"]
    again = await bot.press(OTHER_LEADER, asked, "ct:v:1")  # another contact
    assert again.params["text"] == "🏭 Visit"
    late = await bot.send(OTHER_LEADER, "2025-12-01 Visited the site")
    assert "within the last 31 days" in late.params["text"]
    coming = await bot.send(OTHER_LEADER, "明天 与企业座谈")  # a plan, not a contact made
    assert "within the last 31 days" in coming.params["text"]
    yesterday = await bot.send(OTHER_LEADER, "昨天走访企业，协调塔吊进场")
    assert "🏭 Visit, 2026-03-01" in yesterday.params["text"]
    rows = await bot.db.fetchall("SELECT held_on, text FROM contacts ORDER BY id")
    assert [(r["held_on"], r["text"]) for r in rows][1:] == [
        ("2026-03-01", "走访企业，协调塔吊进场")
    ]

    await bot.send(ADMIN, "/schedule 1 leaders off")
    bot.clock.set(FRIDAY_16)
    await run_jobs(bot)
    assert _contact_prompts(bot, LEADER) == []


async def test_chinese_leaders_schedule(bot: Harness) -> None:
    await project_with(bot, "南环路", [])
    zh_admin = "/schedule 1 负责人 每周 周五 16:00"
    reply = (await bot.send(ADMIN, zh_admin)).params["text"]
    assert "Next: 2026-03-06 16:00" in reply
