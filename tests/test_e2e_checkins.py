"""End to end: scheduled check-ins, answers, reminders, missed marks, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import edit_answered, project_with, prompts_to, run_jobs, send_answered
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser, buttons_of

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
S2 = FakeUser(2002, "Wang Fang", "wangfang", "en")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai


async def days_prompted(
    bot: Harness, user: FakeUser, year: int, month: int, days: range
) -> list[int]:
    """Run the jobs at 09:30 Shanghai time on each day; the days on which a prompt came."""
    prompted = []
    for day in days:
        before = len(prompts_to(bot, user))
        bot.clock.set(datetime(year, month, day, 1, 30, tzinfo=UTC))
        await run_jobs(bot)
        if len(prompts_to(bot, user)) > before:
            prompted.append(day)
    return prompted


def last_prompt(bot: Harness, user: FakeUser):  # type: ignore[no-untyped-def]
    return [c for c in bot.api.sent_to(user.id) if "Check-in:" in c.params["text"]][-1]


async def test_daily_round_prompt_button_reminder_missed(bot: Harness) -> None:
    """The issue's 'done when': prompted at the slot, one answers, the other is reminded, missed."""
    await project_with(bot, "South Road", [S1, S2], "daily 09:00")
    await run_jobs(bot)
    assert prompts_to(bot, S1) == []  # 08:30: not yet

    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, S1)
    assert "South Road" in prompt.params["text"] and "2026-03-02" in prompt.params["text"]
    assert [label for label, _ in buttons_of(prompt)] == [
        "✅ All on track",
        "⚠️ Report a problem",
        "On leave today",
    ]
    assert [data.rsplit(":", 1)[0] for _, data in buttons_of(prompt)] == ["ci:ok", "ci:pb", "ci:lv"]
    assert len(prompts_to(bot, S2)) == 1

    answer = await bot.press(S1, prompt, buttons_of(prompt)[0][1])
    assert "all on track" in answer.params["text"]
    assert "Recorded at 09:00: all on track" in bot.api.message_of(prompt)["text"]

    bot.clock.advance(timedelta(hours=2))
    await run_jobs(bot)
    reminders = [c for c in bot.api.sent_to(S2.id) if "Reminder" in c.params["text"]]
    assert len(reminders) == 1
    assert not [c for c in bot.api.sent_to(S1.id) if "Reminder" in c.params["text"]]
    bot.clock.advance(timedelta(hours=2))
    await run_jobs(bot)
    bot.clock.advance(timedelta(hours=8))
    await run_jobs(bot)
    assert len([c for c in bot.api.sent_to(S2.id) if "Reminder" in c.params["text"]]) == 2

    bot.clock.set(datetime(2026, 3, 2, 15, 59, tzinfo=UTC))  # 23:59 local: window closes
    await run_jobs(bot)
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "(closed)" in status and "Answered: Li Wei" in status and "Missed: Wang Fang" in status
    late = await bot.press(S2, last_prompt(bot, S2), buttons_of(last_prompt(bot, S2))[0][1])
    assert "is closed" in late.params["text"]
    # A late text is told why it was not recorded, not just that nothing is open.
    text = (await bot.send(S2, "Sorry, slab poured today")).params["text"]
    assert "The check-in of 2026-03-02 for “South Road” closed at 2026-03-02 23:59" in text
    assert "not recorded" in text
    bot.clock.advance(timedelta(days=1, minutes=1))
    assert "No check-in is open" in (await bot.send(S2, "and yesterday")).params["text"]


async def test_free_text_problem_and_change_of_answer(bot: Harness) -> None:
    """Text records progress; 'Report a problem' stores a linked problem; latest answer wins."""
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, S1)
    reply = await bot.send(S1, "Foundation 80% poured")
    assert "Progress recorded for “Plant”" in reply.params["text"]

    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    ask = bot.api.sent_to(S1.id)[-1]
    assert "describe the problem" in ask.params["text"]
    recorded = await bot.send(S1, "Land acquisition blocked by a missing permit")
    assert "Problem #1 recorded" in recorded.params["text"]

    await bot.press(S1, prompt, buttons_of(prompt)[2][1])  # on leave after all
    checkin = (await bot.services.repos.checkins.open_checkins_of(S1.id))[0]
    assert checkin.status == "on_leave"
    kinds = [kind for kind, *_ in await bot.services.repos.checkins.answers(checkin.id)]
    assert kinds == ["progress", "problem", "leave"]
    problems = await bot.services.repos.problems.open_for_project(1)
    assert [p.text for p in problems] == ["Land acquisition blocked by a missing permit"]

    reply = await bot.send(S1, "one more note")
    assert "Progress recorded" in reply.params["text"]
    nothing = await bot.send(FakeUser(9009, "Nobody"), "hello?")
    assert "only from project secretaries" in nothing.params["text"]


async def test_secretary_of_two_projects_is_asked_which(bot: Harness) -> None:
    await project_with(bot, "Alpha", [S1], "daily 09:00")
    await project_with(bot, "Beta", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 2
    question = await bot.send(S1, "Steel delivered")
    assert "Which project" in question.params["text"]
    labels = buttons_of(question)
    assert [label for label, _ in labels] == ["Alpha (2026-03-02)", "Beta (2026-03-02)"]
    await bot.press(S1, question, labels[1][1])
    assert "Progress recorded for “Beta”" in bot.api.sent_to(S1.id)[-1].params["text"]
    beta = [c for c in await bot.services.repos.checkins.open_checkins_of(S1.id)]
    assert [(c.project_name, c.status) for c in beta] == [
        ("Alpha", "pending"),
        ("Beta", "answered"),
    ]


async def test_two_messages_waiting_for_a_project_each_go_where_chosen(bot: Harness) -> None:
    """A second message before choosing used to replace the first, which was then lost and
    the first chooser recorded the second message."""
    await project_with(bot, "Alpha", [S1], "daily 09:00")
    await project_with(bot, "Beta", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    first = await bot.send(S1, "Alpha: piles driven")
    second = await bot.send(S1, "Beta: deck poured")
    await bot.press(S1, first, buttons_of(first)[0][1])  # Alpha
    await bot.press(S1, second, buttons_of(second)[1][1])  # Beta
    again = await bot.press(S1, first, buttons_of(first)[1][1])  # a second tap: nothing more
    assert "out of date" in again.params["text"]
    rows = await bot.db.fetchall(
        "SELECT p.name, a.text FROM answers a JOIN checkins c ON c.id = a.checkin_id"
        " JOIN rounds r ON r.id = c.round_id JOIN projects p ON p.id = r.project_id ORDER BY a.id"
    )
    assert [(r["name"], r["text"]) for r in rows] == [
        ("Alpha", "Alpha: piles driven"),
        ("Beta", "Beta: deck poured"),
    ]
    assert await bot.services.conversation.awaited(S1.id) is None


async def test_leave_declared_ahead_is_neither_prompted_nor_missed(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    reply = await bot.send(S2, "/leave 2026-03-02 2026-03-03")
    assert "Leave recorded from 2026-03-02 to 2026-03-03" in reply.params["text"]
    assert "usage" in (await bot.send(S2, "/leave")).params["text"].lower()
    assert "before the start" in (await bot.send(S2, "/leave 2026-03-05 2026-03-01")).params["text"]
    assert "not a date" in (await bot.send(S2, "/leave someday")).params["text"]
    past = (await bot.send(S2, "/leave 2026-03-01")).params["text"]
    assert "cannot end before today" in past
    tomorrow = (await bot.send(S1, "/leave 明天")).params["text"]  # named, not written out
    assert "Leave recorded for 2026-03-03:" in tomorrow
    bot.clock.set(SLOT)
    await run_jobs(bot)
    assert prompts_to(bot, S2) == [] and len(prompts_to(bot, S1)) == 1
    bot.clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    await run_jobs(bot)
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "On leave: Wang Fang" in status and "Missed: Li Wei" in status


async def test_official_holiday_skipped_and_adjusted_saturday_prompted(bot: Harness) -> None:
    """Workday schedules skip Golden Week and prompt on the 调休 Saturday 2026-10-10."""
    bot.clock.set(datetime(2026, 9, 30, 0, 0, tzinfo=UTC))
    await project_with(bot, "Bridge", [S1], "workdays 09:00")
    prompted = await days_prompted(bot, S1, 2026, 10, range(1, 12))
    assert 1 not in prompted and 10 in prompted and 11 not in prompted
    assert prompted == [8, 9, 10]


async def test_admin_calendar_entries_and_the_unknown_year_notice(bot: Harness) -> None:
    """For 2027 admins are told once that Mon–Fri is used; their own entries take precedence."""
    bot.clock.set(datetime(2026, 12, 31, 2, 0, tzinfo=UTC))
    await project_with(bot, "Tunnel", [S1], "workdays 09:00")
    assert (
        "2027-01-01" in (await bot.send(ADMIN, "/holiday 2027-01-01 to 2027-01-03")).params["text"]
    )
    assert "2027-01-02" in (await bot.send(ADMIN, "/workday 2027-01-02")).params["text"]
    listing = (await bot.send(ADMIN, "/holidays 2027")).params["text"]
    assert "not available yet" in listing and "2027-01-02 — adjusted working day" in listing
    assert "official calendar available" in (await bot.send(ADMIN, "/holidays 2026")).params["text"]
    prompted = await days_prompted(bot, S1, 2027, 1, range(1, 6))
    assert prompted == [2, 4, 5]  # holiday Fri 1st skipped, workday Sat 2nd, Mon–Tue
    notices = [c for c in bot.api.sent_to(ADMIN.id) if "Until it is" in c.params["text"]]
    assert len(notices) == 1


async def test_catch_up_within_grace_and_skip_beyond(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """A slot missed while down is prompted at start-up within the grace, else kept as skipped."""
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    await project_with(bot, "Plant", [S1], "daily 09:00")
    await stop_harness(bot)

    clock.set(SLOT + timedelta(hours=3))  # down through 09:00, back at 12:00: within 6h
    bot = await start_harness(api, clock, path)
    await api.wait_for(lambda c: c.method == "sendMessage" and "Check-in:" in c.params["text"])
    await stop_harness(bot)

    clock.set(SLOT + timedelta(days=1, hours=7))  # next day: down until 16:00, beyond 6h
    bot = await start_harness(api, clock, path)
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 1
    rounds = await bot.db.fetchall("SELECT local_date, status FROM rounds ORDER BY slot_at")
    assert [(r["local_date"], r["status"]) for r in rounds] == [
        ("2026-03-02", "closed"),
        ("2026-03-03", "skipped"),
    ]
    clock.set(SLOT + timedelta(days=2))
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 2
    await stop_harness(bot)


async def test_restart_between_writing_and_sending_sends_each_prompt_once(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """Prompts written but not sent before a crash are sent once after the restart."""
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    clock.set(SLOT)
    report = await bot.services.rounds.tick()  # written to the outbox ...
    assert report.prompts == 2
    await stop_harness(bot)  # ... and the process dies before delivering
    assert prompts_to(bot, S1) == []

    bot = await start_harness(api, clock, path)
    await api.wait_for(
        lambda c: c.params.get("chat_id") == S2.id and "Check-in:" in c.params.get("text", "")
    )
    await api.wait_for(
        lambda c: c.params.get("chat_id") == S1.id and "Check-in:" in c.params.get("text", "")
    )
    for _ in range(3):
        await run_jobs(bot)
    await stop_harness(bot)
    bot = await start_harness(api, clock, path)
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 1 and len(prompts_to(bot, S2)) == 1
    await stop_harness(bot)


async def test_429_and_5xx_during_a_round_lose_nothing(bot: Harness) -> None:
    """Flood limits are waited out, server errors retried with back-off; each prompt once."""
    secretaries = [FakeUser(2100 + n, f"Sec {n}", f"sec{n}", "en") for n in range(6)]
    await project_with(bot, "Plant", secretaries, "daily 09:00")
    bot.api.fail("sendMessage", 429, retry_after=0, times=4)
    bot.api.fail("sendMessage", 502, times=2)
    bot.api.fail("sendMessage", 500, times=1, chat_id=secretaries[3].id)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    for _ in range(4):
        bot.clock.advance(timedelta(seconds=30))
        await run_jobs(bot)
    for user in secretaries:
        assert len(prompts_to(bot, user)) == 1, user
    counts = await bot.services.repos.outbox.counts()
    assert counts.get("pending", 0) == 0 and counts.get("failed", 0) == 0


async def test_blocked_secretary_is_marked_and_admins_told_once(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    bot.api.blocked.add(S2.id)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    bot.clock.advance(timedelta(hours=5))
    await run_jobs(bot)
    notices = [c for c in bot.api.sent_to(ADMIN.id) if "blocked the bot" in c.params["text"]]
    assert len(notices) == 1
    assert "has blocked the bot" in (await bot.send(ADMIN, "/members 1")).params["text"]


async def test_daylight_saving_changes_neither_skip_nor_double(bot: Harness) -> None:
    """A New York project at 02:30 gets exactly one round each day across the spring change."""
    bot.clock.set(datetime(2026, 3, 6, 12, 0, tzinfo=UTC))
    await project_with(bot, "NY", [S1], "daily 02:30 America/New_York")
    while bot.clock.now() < datetime(2026, 3, 10, 12, 0, tzinfo=UTC):
        bot.clock.advance(timedelta(minutes=30))
        await run_jobs(bot)
    rounds = await bot.db.fetchall("SELECT local_date FROM rounds ORDER BY slot_at")
    assert [r["local_date"] for r in rounds] == [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert len(prompts_to(bot, S1)) == 4


async def test_custom_questions_asked_one_after_another(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    reply = await bot.send(
        ADMIN, "/questions 1 What was done today? | Workers on site? | Blockers?"
    )
    assert "3 question(s)" in reply.params["text"]
    too_many = await bot.send(ADMIN, "/questions 1 a|b|c|d|e|f")
    assert "At most 5" in too_many.params["text"]
    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, S1)
    assert "Question 1/3: What was done today?" in prompt.params["text"]
    first, second = await send_answered(bot, S1, "Rebar tied on level 2")
    assert "Question 2/3: Workers on site?" in second.params["text"]
    await edit_answered(bot, S1, first, "Rebar tied on level 3")  # corrected in place
    await bot.press(S1, second, buttons_of(second)[0][1])  # skip
    assert "Question 3/3: Blockers?" in bot.api.sent_to(S1.id)[-1].params["text"]
    double_tap = await bot.press(S1, second, buttons_of(second)[0][1])  # skips nothing more
    assert "already answered or skipped" in double_tap.params["text"]
    stale = await bot.press(S1, prompt, buttons_of(prompt)[-1][1])  # question 1's Skip
    assert "already answered or skipped" in stale.params["text"]
    done = await bot.send(S1, "None")
    assert "answers for “Plant” are recorded" in done.params["text"]
    again = (await bot.send(S1, "/checkin")).params["text"]
    assert "All 3 questions are answered" in again and "What progress" not in again
    checkin = (await bot.services.repos.checkins.open_checkins_of(S1.id))[0]
    answers = await bot.services.repos.checkins.answers(checkin.id)
    assert [(k, n, t) for k, n, t, _ in answers] == [
        ("answer", 1, "Rebar tied on level 3"),
        ("skip", 2, None),
        ("answer", 3, "None"),
    ]
    assert "default question" in (await bot.send(ADMIN, "/questions 1 default")).params["text"]


async def test_checkin_early_checkinnow_and_window(bot: Harness) -> None:
    """/checkin answers today's round before the slot; /checkinnow opens one at once."""
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    early = await bot.send(S1, "/checkin")
    assert "Check-in: project 1 “Plant”, 2026-03-02" in early.params["text"]
    assert "Already reported" not in early.params["text"]
    await bot.press(S1, early, buttons_of(early)[0][1])
    again = (await bot.send(S1, "/checkin")).params["text"]  # shown again: says it is done
    assert "✅ Already reported at 08:30. A new answer adds to it or changes it." in again
    bot.clock.set(SLOT)
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 2 and len(prompts_to(bot, S2)) == 1

    assert "rounds stay open for 4 hours" in (await bot.send(ADMIN, "/window 1 4h")).params["text"]
    assert "between 5 minutes and 1 week" in (await bot.send(ADMIN, "/window 1 1m")).params["text"]
    bot.clock.set(SLOT + timedelta(hours=5))
    again = await bot.send(ADMIN, "/checkinnow 1")  # a retry while a round is open: nothing new
    assert "already has a round open until 2026-03-02 23:59" in again.params["text"]
    bot.clock.set(SLOT + timedelta(hours=15, minutes=30))  # 00:30 next day: the round closed
    await run_jobs(bot)
    opened = await bot.send(ADMIN, "/checkinnow 1")
    assert "2 secretary(ies) asked, open until 2026-03-03 04:30" in opened.params["text"]
    assert "already has a round" in (await bot.send(ADMIN, "/checkinnow 1")).params["text"]
    await bot.services.outbox.drain()
    assert len(prompts_to(bot, S1)) == 3
    assert (
        "no secretaries"
        in (await bot.send(ADMIN, f"/checkinnow {await _empty_project(bot)}")).params["text"]
    )
    assert "lead liaison secretaries" in (await bot.send(ADMIN, "/checkin")).params["text"]


async def _empty_project(bot: Harness) -> int:
    return await project_with(bot, "Empty", [])


async def test_forged_stale_and_foreign_buttons_are_refused(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, S1)
    own = buttons_of(prompt)[0][1]
    assert "not for you" in (await bot.press(S2, prompt, own)).params["text"]
    assert "not for you" in (await bot.press(S1, prompt, "ci:ok:99999")).params["text"]
    assert "out of date" in (await bot.press(S1, prompt, "ci:ok:abc")).params["text"]
    assert (
        "out of date" in (await bot.press(S1, prompt, "ci:zz:" + own.split(":")[-1])).params["text"]
    )
    checkin = (await bot.services.repos.checkins.open_checkins_of(S1.id))[0]
    assert checkin.status == "pending"


async def test_one_scheduler_job_follows_the_earliest_slot_in_the_database(bot: Harness) -> None:
    """One job with a deterministic id serves every project, at the earliest next slot."""
    # The scheduler runs on real time: use dates ahead of it so jobs stay pending.
    bot.clock.set(datetime(2030, 1, 7, 0, 30, tzinfo=UTC))  # a Monday, 08:30 in Shanghai
    scheduler = bot.app.job_queue.scheduler  # type: ignore[union-attr]

    async def run_slots_job() -> datetime:
        job = bot.app.job_queue.get_jobs_by_name("slots")[0]  # type: ignore[union-attr]
        await job.run(bot.app)
        planned = scheduler.get_job("slots")
        assert planned.misfire_grace_time == 300 and planned.coalesce is True
        return planned.next_run_time  # type: ignore[no-any-return]

    await project_with(bot, "Plant", [S1], "daily 09:00")
    assert await run_slots_job() == datetime(2030, 1, 7, 1, 0, tzinfo=UTC)
    await project_with(bot, "Bridge", [S2], "daily 08:45")
    assert await run_slots_job() == datetime(2030, 1, 7, 0, 45, tzinfo=UTC)
    assert (
        "daily at 09:00; next: 2030-01-07 09:00"
        in (await bot.send(ADMIN, "/project 1")).params["text"]
    )
    await bot.send(ADMIN, "/schedule 2 weekly mon,thu 17:30")
    assert await run_slots_job() == datetime(2030, 1, 7, 1, 0, tzinfo=UTC)
    await bot.send(ADMIN, "/schedule 1 off")
    assert await run_slots_job() == datetime(2030, 1, 7, 9, 30, tzinfo=UTC)
    assert (
        "scheduled check-ins are off" in (await bot.send(ADMIN, "/schedule 2 off")).params["text"]
    )
    assert scheduler.get_job("slots") is None
    assert "25:00" in (await bot.send(ADMIN, "/schedule 1 daily 25:00")).params["text"]
    assert "Usage" in (await bot.send(ADMIN, "/schedule 1 hourly")).params["text"]


async def test_a_hanging_bot_api_delays_but_loses_nothing(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """A request that never gets an answer times out; the prompt is retried and sent once."""
    bot = await start_harness(api, clock, tmp_path / "b.db", send_timeout=timedelta(seconds=1))
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.api.fail("sendMessage", hang=True, chat_id=S1.id)
    bot.clock.set(SLOT)
    await run_jobs(bot)  # waits out SEND_TIMEOUT
    assert prompts_to(bot, S1) == [] and bot.services.outbox.timeouts == 1
    bot.clock.advance(timedelta(seconds=30))
    await run_jobs(bot)
    assert len(prompts_to(bot, S1)) == 1


async def test_secretary_removed_mid_round_is_not_marked_missed(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(ADMIN, "/remove 1 @wangfang")
    bot.clock.advance(timedelta(hours=5))
    await run_jobs(bot)
    assert not [c for c in bot.api.sent_to(S2.id) if "Reminder" in c.params["text"]]
    bot.clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    await run_jobs(bot)
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "Missed: Li Wei" in status and "Wang Fang" not in status
