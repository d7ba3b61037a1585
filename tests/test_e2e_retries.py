"""End to end: retried commands and double taps change things once; Telegram's refusals of
edits and late answers never become an apology."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import QUERY_TOO_OLD, ApiCall, FakeUser, buttons_of

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _events(bot: Harness, kind: str) -> int:
    rows = await bot.db.fetchall("SELECT id FROM events WHERE kind = ?", (kind,))
    return len(rows)


def _apologies(bot: Harness) -> list[ApiCall]:
    """Apologies the bot sent or tried to send (an answer to an already answered press is
    refused by Telegram, but it was still an error)."""
    calls = bot.api.calls + bot.api.refusals
    return [c for c in calls if "something went wrong" in str(c.params.get("text", ""))]


async def test_retried_admin_commands_change_things_once(bot: Harness) -> None:
    assert (
        "Project 1 “Plant” created" in (await bot.send(ADMIN, "/newproject Plant")).params["text"]
    )
    again = (await bot.send(ADMIN, "/newproject  plant ")).params["text"]
    assert "already exists (#1)" in again
    assert await bot.services.repos.projects.count() == 1
    await bot.send(ADMIN, "/newproject Bridge")
    assert "already exists (#1)" in (await bot.send(ADMIN, "/rename 2 Plant")).params["text"]

    await bot.send(ADMIN, "/schedule 1 daily 09:00")
    await bot.send(ADMIN, "/schedule 1 daily 09:00")
    assert await _events(bot, "schedule.set") == 1
    await invite_and_join(bot, 1, "secretary", S1)
    await bot.send(S1, "/leave 2026-03-05")
    await bot.send(S1, "/leave 2026-03-05")
    assert len(await bot.db.fetchall("SELECT id FROM leaves")) == 1


async def test_retried_ledger_commands_change_things_once(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1])
    await invite_and_join(bot, 1, "leader", LEADER)
    first = (await bot.send(S1, "/newproblem 1 Crane broken")).params["text"]
    second = (await bot.send(S1, "/newproblem 1 Crane broken")).params["text"]
    assert "Problem #1 recorded" in first and "Problem #1 recorded" in second
    assert len(await bot.services.repos.problems.unresolved(None)) == 1

    await bot.send(S1, "/note 1 Supplier called")
    await bot.send(S1, "/note 1 Supplier called")
    assert await _events(bot, "problem.note") == 1

    deadline = (await bot.services.ledger.problem(1)).deadline
    await bot.send(LEADER, "/extend 1 2d waiting for parts")
    await bot.send(LEADER, "/extend 1 2d waiting for parts")
    assert (await bot.services.ledger.problem(1)).deadline == deadline + timedelta(days=2)
    await bot.send(LEADER, "/extend 1 1d parts late again")  # a different extension counts
    assert (await bot.services.ledger.problem(1)).deadline == deadline + timedelta(days=3)
    assert await _events(bot, "problem.extended") == 2

    # Minutes later the same words are a new extension, not a retry (an admin's: leaders have
    # used their two).
    bot.clock.advance(timedelta(minutes=11))
    await bot.send(ADMIN, "/extend 1 1d parts late again")
    await bot.send(ADMIN, "/extend 1 1d parts late again")
    assert await _events(bot, "problem.extended") == 3


async def _prompt(bot: Harness) -> ApiCall:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    return [c for c in bot.api.sent_to(S1.id) if "Check-in:" in c.params["text"]][-1]


async def test_a_double_tap_is_answered_twice_and_recorded_once(bot: Harness) -> None:
    prompt = await _prompt(bot)
    ok = buttons_of(prompt)[0][1]
    tapped = dict(bot.api.message_of(prompt))  # both taps come from the message as it was
    mark = len(bot.api.calls)
    first = await bot.api.press(S1, tapped, ok)
    await bot.settled(bot.api.last_update_id)
    # Committed, then answered (Telegram wants that within seconds), then the message edited.
    methods = [c.method for c in bot.api.calls[mark:]]
    assert methods.index("answerCallbackQuery") < methods.index("editMessageText")
    second = await bot.api.press(S1, tapped, ok)
    await bot.settled(bot.api.last_update_id)
    answers = [c for c in bot.api.calls if c.method == "answerCallbackQuery"]
    assert {c.params["callback_query_id"] for c in answers} >= {first, second}
    # The second edit changed nothing: Telegram said so, and that is fine.
    assert any("not modified" in str(c.result) for c in bot.api.refusals)
    assert _apologies(bot) == []
    rows = await bot.db.fetchall("SELECT kind FROM answers")
    assert [row["kind"] for row in rows] == ["ok", "ok"]  # each press recorded, one outcome
    # A press on the message as it now stands asks Telegram for no edit at all.
    await bot.press(S1, prompt, ok)
    edits = [c for c in bot.api.calls + bot.api.refusals if c.method == "editMessageText"]
    assert len(edits) == 2


async def test_a_press_on_a_deleted_message_still_records(bot: Harness) -> None:
    prompt = await _prompt(bot)
    shown = bot.api.message_of(prompt)
    bot.api.delete(S1.id, prompt.result["message_id"])
    query_id = await bot.api.press(S1, shown, buttons_of(prompt)[0][1])
    answer = await bot.api.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
    )
    await bot.settled(bot.api.last_update_id)
    assert "all on track" in answer.params["text"]
    assert any("message to edit not found" in str(c.result) for c in bot.api.refusals)
    rows = await bot.db.fetchall("SELECT status FROM checkins")
    assert [r["status"] for r in rows] == ["answered"] and _apologies(bot) == []


async def test_a_press_answered_too_late_is_still_recorded_and_shown(bot: Harness) -> None:
    prompt = await _prompt(bot)
    bot.api.fail("answerCallbackQuery", 400, description=QUERY_TOO_OLD)
    await bot.services.outbox.drain()
    await bot.api.press(S1, bot.api.message_of(prompt), buttons_of(prompt)[0][1])
    await bot.settled(bot.api.last_update_id)
    assert "Recorded at 09:00: all on track" in bot.api.message_of(prompt)["text"]
    assert _apologies(bot) == []


async def test_a_press_without_a_message_is_answered(bot: Harness) -> None:
    prompt = await _prompt(bot)
    query_id = await bot.api.press(S1, None, buttons_of(prompt)[0][1])
    answer = await bot.api.wait_for(
        lambda c: c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
    )
    assert "all on track" in answer.params["text"]
    await bot.settled(bot.api.last_update_id)
    rows = await bot.db.fetchall("SELECT status FROM checkins")
    assert [r["status"] for r in rows] == ["answered"] and _apologies(bot) == []


async def test_a_5xx_on_a_reply_is_retried_instead_of_apologising(bot: Harness) -> None:
    """A 502 on the reply to /checkinnow: the round opened, and the admin hears so, once."""
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.api.fail("sendMessage", 502, chat_id=ADMIN.id)
    reply = await bot.send(ADMIN, "/checkinnow 1")
    assert "something went wrong" not in reply.params["text"]
    assert len(await bot.db.fetchall("SELECT id FROM rounds")) == 1
    assert _apologies(bot) == []


async def test_a_long_reply_resumes_where_telegram_failed(bot: Harness) -> None:
    """A 500 on the first part of a reply in several parts (a problem's whole history): every
    part arrives once, in order."""
    await project_with(bot, "Plant", [S1])
    await bot.send(S1, "/newproblem 1 Crane broken")
    for n in range(8):
        await bot.services.ledger.note(S1.id, 1, f"[{n}] " + "工地" * 900)
    mark = len(bot.api.calls)
    bot.api.fail("sendMessage", 500, chat_id=ADMIN.id)
    await bot.send(ADMIN, "/problem 1")
    parts = [c.params["text"] for c in bot.api.calls[mark:] if c.params.get("chat_id") == ADMIN.id]
    assert len(parts) > 2
    notes = [
        int(line.split("[")[1][0]) for part in parts for line in part.splitlines() if "[" in line
    ]
    assert notes == list(range(8)), notes
    assert _apologies(bot) == []


async def test_a_reply_telegram_keeps_refusing_is_not_called_a_failed_change(
    bot: Harness,
) -> None:
    """Telegram down for longer than the retries: the apology does not say it went wrong and
    invite a second /checkinnow; it says what was sent was received."""
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.api.fail("sendMessage", 500, chat_id=ADMIN.id, times=4)
    update = await bot.api.send_text(ADMIN, "/checkinnow 1")
    await bot.settled(update["update_id"])
    assert len(await bot.db.fetchall("SELECT id FROM rounds")) == 1
    # The admin also gets the error report, queued: it may arrive before or after the reply.
    said = [
        c.params["text"]
        for c in bot.api.sent_to(ADMIN.id)
        if not c.params["text"].startswith("⚠️ Error in")
    ]
    assert "What you sent was received" in said[-1]
    assert _apologies(bot) == []
