"""End to end: leaders see progress and problems as they happen (new-problem cards, round
summaries, reading answers back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY, cards, tick

OTHER_LEADER = FakeUser(3002, "Chen Jing", "chenjing", "en")


def _new_cards(bot: Harness, user: FakeUser) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(user.id) if "🆕 New problem" in c.params["text"]]


async def test_a_new_problem_reaches_each_leader_at_once(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await invite_and_join(bot, 1, "leader", OTHER_LEADER)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")  # a retry
    await bot.services.outbox.drain()
    for leader in (LEADER, OTHER_LEADER):
        got = _new_cards(bot, leader)
        assert len(got) == 1, leader
        text = got[0].params["text"]
        assert "Problem #1: Power line blocks the excavation" in text
        assert "Reported by Li Wei" in text and "(less than a minute ago)" in text
        assert "Deadline (帮办时限): 2026-03-05 08:30" in text
        assert [d for _, d in buttons_of(got[0])] == [
            "pb:ack:1",
            "pb:res:1",
            "pb:x1:1",
            "pb:x3:1",
            "pb:hd:1",
            "pb:dc:1",
        ]
    mark = len(bot.api.calls)
    await bot.press(LEADER, _new_cards(bot, LEADER)[0], "pb:ack:1")
    assert (await bot.services.ledger.problem(1)).status == "in_progress"
    # The card stays the new problem's card: nothing was escalated, nothing is overdue.
    edited = (await bot.api.reply_to(LEADER.id, after=mark, method="editMessageText")).params
    assert edited["text"].startswith("🆕 New problem") and "Level 1" not in edited["text"]
    assert "acknowledged, now in progress" in edited["text"]
    # Not an escalation: when the deadline passes, level 1 still comes.
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1
    # A leader who reports a problem is not told of it.
    await bot.send(LEADER, "/newproblem 1 Scaffolding unsafe")
    await bot.services.outbox.drain()
    assert len(_new_cards(bot, LEADER)) == 1 and len(_new_cards(bot, OTHER_LEADER)) == 2


S2 = FakeUser(2002, "Zhao Min", "zhaomin", "en")
S3 = FakeUser(2003, "Sun Li", None, "en")
GROUP = FakeGroup(-100999, "County leadership group")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
LONG = "Excavation of the north pit finished; " * 12


def _summaries(bot: Harness, chat_id: int) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(chat_id) if "📊 Round summary" in c.params["text"]]


async def _round(bot: Harness) -> None:
    """A daily round: Li Wei answers at length with a photo and reports a problem, Zhao Min is
    on leave, Sun Li says nothing."""
    await project_with(bot, "South Road", [SECRETARY, S2, S3], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, LONG)
    await bot.api.send_media(SECRETARY, "photo", caption="North pit, from the east")
    prompt = [c for c in bot.api.sent_to(SECRETARY.id) if "Check-in:" in c.params["text"]][-1]
    await bot.press(SECRETARY, prompt, "ci:pb:" + prompt_checkin(prompt))
    await bot.send(SECRETARY, "Pump broken")
    await bot.send(S2, "/leave 2026-03-02")


def prompt_checkin(prompt: ApiCall) -> str:
    return next(d for _, d in buttons_of(prompt) if d.startswith("ci:ok:")).rsplit(":", 1)[1]


async def test_a_round_summary_reaches_the_leaders_once_across_a_restart(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    try:
        await _round(bot)
        await bot.services.outbox.drain()
        assert _summaries(bot, LEADER.id) == []  # not before the window closes
    finally:
        await stop_harness(bot)
    clock.set(SLOT + timedelta(hours=16))  # closed while the bot was down
    bot = await start_harness(api, clock, path)
    try:
        await run_jobs(bot)
        # Not at once: answers Telegram held while the bot was down are counted first.
        assert _summaries(bot, LEADER.id) == []
        clock.advance(timedelta(minutes=3))
        await run_jobs(bot)
        got = _summaries(bot, LEADER.id)
        assert len(got) == 1
        text = got[0].params["text"]
        assert "answered 1/2, on leave 1, missed 1" in text
        assert "✅ Li Wei (@liwei): Excavation of the north pit finished" in text
        assert "📎1" in text
        assert "🛌 Zhao Min (@zhaomin): on leave" in text and "❌ Sun Li: missed" in text
        assert "Problems raised in this round (1):" in text and "#1 Pump broken" in text
        assert len(text) < 4096 and LONG not in text  # clipped; the whole text one tap away
        await bot.press(LEADER, got[0], buttons_of(got[0])[0][1])
        full = bot.api.sent_to(LEADER.id)[-1]
        assert LONG.strip() in full.params["text"]
        assert "North pit, from the east" in full.params["text"]
        assert buttons_of(full)[0][1].startswith("fl:a:")
        refused = await bot.press(S2, got[0], buttons_of(got[0])[0][1])
        assert "not for you" in refused.params["text"]
    finally:
        await stop_harness(bot)
    bot = await start_harness(api, clock, path)
    try:
        # Marked on the round, so it never comes again, even once the outbox has been pruned.
        await bot.db.execute("DELETE FROM outbox WHERE dedupe_key LIKE 'summary:%'")
        await run_jobs(bot)
        assert len(_summaries(bot, LEADER.id)) == 1
    finally:
        await stop_harness(bot)


async def test_the_whole_answer_comes_whole_however_long(bot: Harness) -> None:
    """Two reports of nearly 4,000 characters in one round: "the whole answer" brings both,
    over as many messages as it takes, none refused as too long."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    first, second = "A" * 3800 + " first", "B" * 3800 + " second"
    await bot.send(SECRETARY, first)
    await bot.send(SECRETARY, second)
    bot.clock.set(SLOT + timedelta(hours=15))  # 00:00, a minute after the close
    await run_jobs(bot)
    summary = _summaries(bot, LEADER.id)[-1]
    mark = len(bot.api.calls)
    await bot.press(LEADER, summary, buttons_of(summary)[0][1])
    parts = [c.params["text"] for c in bot.api.calls[mark:] if c.method == "sendMessage"]
    assert len(parts) >= 2 and all(len(part) <= 4096 for part in parts)
    whole = "".join(parts)
    assert first in whole and second in whole
    assert not bot.api.refusals


async def test_a_summary_after_downtime_counts_the_answers_telegram_held(bot: Harness) -> None:
    """Down across 23:59: a report sent at 23:50 reaches the bot after the close. The summary
    waits for it and says answered, not missed."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    bot.clock.set(SLOT + timedelta(hours=15, minutes=10))  # 00:10: back up, the round closed
    await run_jobs(bot)
    mark = len(bot.api.calls)
    await bot.api.send_text(
        SECRETARY, "Slab poured", sent_at=SLOT + timedelta(hours=14, minutes=50)
    )
    await bot.api.reply_to(SECRETARY.id, after=mark)
    bot.clock.advance(timedelta(minutes=3))
    await run_jobs(bot)
    (summary,) = _summaries(bot, LEADER.id)
    assert "answered 1/1" in summary.params["text"] and "Slab poured" in summary.params["text"]


async def test_a_voice_note_without_words_is_in_the_whole_answer(bot: Harness) -> None:
    """A report, then a voice note with no caption: "the whole answer" lists both, each with
    its files one tap away (the note's were counted in the summary but could not be opened)."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, "Slab poured")
    mark = len(bot.api.calls)
    await bot.api.send_media(SECRETARY, "voice")
    await bot.api.reply_to(SECRETARY.id, after=mark)
    bot.clock.set(SLOT + timedelta(hours=15))
    await run_jobs(bot)
    summary = _summaries(bot, LEADER.id)[-1]
    await bot.press(LEADER, summary, buttons_of(summary)[0][1])
    full = bot.api.sent_to(LEADER.id)[-1]
    assert "Slab poured\n09:00 (see the attached files)" in full.params["text"]
    assert [label for label, _ in buttons_of(full)] == ["📎 Show attachments (1)"]


async def test_a_report_of_photos_alone_reads_as_photos_not_all_on_track(bot: Harness) -> None:
    """A secretary reports with a photo and no caption: the summary and /answers show it as
    a report with files, not as "all on track" or as nothing at all."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    mark = len(bot.api.calls)
    await bot.api.send_media(SECRETARY, "photo")
    await bot.api.reply_to(SECRETARY.id, after=mark)
    bot.clock.set(SLOT + timedelta(hours=15))
    await run_jobs(bot)
    summary = _summaries(bot, LEADER.id)[-1].params["text"]
    assert "✅ Li Wei (@liwei): (see the attached files) 📎1" in summary
    read_back = (await bot.send(LEADER, "/answers 1")).params["text"]
    assert "✅ Li Wei (@liwei): (see the attached files) 📎1" in read_back


async def test_summaries_go_where_the_admin_says(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    assert "Usage" in (await bot.send(ADMIN, "/summary 1 everyone")).params["text"]
    refused = await bot.send(LEADER, "/summary 1 both")
    assert "Only admins" in refused.params["text"]
    reply = await bot.send(ADMIN, "/summary 1 两者")
    assert "leaders in charge and the leadership group" in reply.params["text"]
    bot.clock.set(SLOT)
    await run_jobs(bot)
    bot.clock.set(SLOT + timedelta(hours=15))  # 00:00, a minute after the close
    await run_jobs(bot)
    assert len(_summaries(bot, LEADER.id)) == 1
    group = [c for c in bot.api.sent_to(GROUP.id) if "进展报送汇总" in c.params["text"]]
    assert len(group) == 1 and "未按时报送 1" in group[0].params["text"]
    await bot.send(ADMIN, "/summary 1 off")
    bot.clock.set(SLOT + timedelta(days=1, hours=15))
    await run_jobs(bot)
    assert len(_summaries(bot, LEADER.id)) == 1


async def test_answers_are_read_back_by_date_paged_and_only_by_leaders(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY, S2], "daily 09:00")
    await project_with(bot, "North Road", [S3])
    await invite_and_join(bot, 1, "leader", LEADER)
    await invite_and_join(bot, 2, "leader", OTHER_LEADER)
    for day in range(12):
        bot.clock.set(SLOT + timedelta(days=day))
        await run_jobs(bot)
        await bot.send(SECRETARY, f"Day {day + 1}: " + "pouring concrete. " * 20)
    bot.clock.set(SLOT + timedelta(days=12))
    await run_jobs(bot)

    first = await bot.send(LEADER, "/answers 1")
    text = first.params["text"]
    assert text.startswith("Answers of project 1 “South Road”, 2026-02-12 – 2026-03-14")
    assert text.index("📅 2026-03-14") < text.index("📅 2026-03-13")  # newest first
    assert "⏳ Li Wei (@liwei): not answered yet" in text
    assert "❌ Zhao Min (@zhaomin): missed" in text
    assert [d for _, d in buttons_of(first)] == ["aw:1:20260212:20260314:0:1"]
    await bot.press(LEADER, first, "aw:1:20260212:20260314:0:1")
    second = bot.api.message_of(first)["text"]
    assert "Day 1:" in second and "Page 2 of" in second

    only = (await bot.send(LEADER, "/answers 1 @zhaomin")).params["text"]
    assert "Zhao Min" in only and "Li Wei" not in only
    window = (await bot.send(ADMIN, "/answers 1 2026-03-03 2026-03-03")).params["text"]
    assert "Day 2:" in window and "Day 3:" not in window
    assert (
        "not a lead liaison secretary" in (await bot.send(LEADER, "/answers 1 @eve")).params["text"]
    )

    for outsider in (SECRETARY, OTHER_LEADER):
        refused = await bot.send(outsider, "/answers 1")
        assert "Only admins and the chief leaders in charge" in refused.params["text"]
    forged = await bot.press(OTHER_LEADER, first, "aw:1:20260212:20260314:0:0")
    assert "Only admins and the chief leaders in charge" in forged.params["text"]
