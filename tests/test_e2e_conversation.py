"""End to end: what the bot waits for expires, edits and media are handled, nothing is lost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import ADMIN, Harness, start_harness
from tests.e2e_helpers import edit_answered, project_with, run_jobs, send_answered
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeUser, buttons_of

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai


async def _prompted(bot: Harness) -> ApiCall:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    return [c for c in bot.api.sent_to(S1.id) if "Check-in:" in c.params["text"]][-1]


async def _answers(bot: Harness) -> list[tuple[str, str | None]]:
    rows = await bot.db.fetchall(
        "SELECT a.kind, a.text FROM answers a JOIN checkins c ON c.id = a.checkin_id"
        " WHERE c.user_id = ? ORDER BY a.id",
        (S1.id,),
    )
    return [(row["kind"], row["text"]) for row in rows]


async def _checkin_status(bot: Harness) -> list[str]:
    rows = await bot.db.fetchall(
        "SELECT status FROM checkins WHERE user_id = ? ORDER BY id", (S1.id,)
    )
    return [row["status"] for row in rows]


async def test_a_forgotten_problem_prompt_expires_and_the_answer_counts(bot: Harness) -> None:
    """'Report a problem', then silence: 16 minutes later a message is progress, not a
    problem, and the day's check-in is answered, not missed."""
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    bot.clock.advance(timedelta(minutes=16))
    reply = (await bot.send(S1, "Foundation 80% poured")).params["text"]
    assert "Progress recorded" in reply
    assert await bot.services.repos.problems.unresolved(None) == []
    bot.clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    await run_jobs(bot)
    assert await _checkin_status(bot) == ["answered"]


async def test_within_the_wait_the_text_is_the_problem(bot: Harness) -> None:
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    bot.clock.advance(timedelta(minutes=14))
    recorded = (await bot.send(S1, "Crane broken")).params["text"]
    assert "Problem #1 recorded" in recorded
    assert "what coordination does it need" in bot.api.sent_to(S1.id)[-1].params["text"]
    asked = (await bot.send(S1, "A crane from the county depot")).params["text"]
    assert "what solution do you propose" in asked
    done = (await bot.send(S1, "Rent one for two weeks")).params["text"]
    assert "complete in the ledger" in done
    # Each wait is used once: the next message is progress again.
    assert "Progress recorded" in (await bot.send(S1, "Crane repaired")).params["text"]
    problem = await bot.services.ledger.problem(1)
    assert (problem.coordination, problem.proposal) == (
        "A crane from the county depot",
        "Rent one for two weeks",
    )


async def test_a_problem_sent_while_the_bot_was_down_is_still_the_problem(bot: Harness) -> None:
    """The bot was down for half an hour after "Report a problem": the text sent 5 minutes
    after the press is the problem; one sent 20 minutes after it (the wait had expired) is
    progress."""
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    bot.clock.set(SLOT + timedelta(minutes=30))
    mark = len(bot.api.calls)
    await bot.api.send_text(S1, "Crane broken", sent_at=SLOT + timedelta(minutes=5))
    assert "Problem #1 recorded" in (await bot.api.reply_to(S1.id, after=mark)).params["text"]

    await bot.press(S1, prompt, buttons_of(prompt)[1][1])  # at 09:30
    bot.clock.set(SLOT + timedelta(hours=1))
    mark = len(bot.api.calls)
    await bot.api.send_text(S1, "Steel delivered", sent_at=SLOT + timedelta(minutes=50))
    reply = (await bot.api.reply_to(S1.id, after=mark)).params["text"]
    assert "Problem #2" not in reply
    assert [p.id for p in await bot.services.repos.problems.unresolved(None)] == [1]
    assert ("progress", "Steel delivered") in await _answers(bot)


async def test_the_wait_ends_with_its_round(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """Even with a long PENDING_INPUT_TTL, a wait started in a round ends when it closes."""
    bot = await start_harness(api, clock, tmp_path / "b.db", pending_input_ttl=timedelta(days=3))
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    bot.clock.set(datetime(2026, 3, 2, 15, 59, tzinfo=UTC))  # 23:59: the round closes
    await run_jobs(bot)
    bot.clock.set(SLOT + timedelta(days=1, minutes=5))  # the next day's round is open
    await run_jobs(bot)
    reply = (await bot.send(S1, "Steel delivered")).params["text"]
    assert "Progress recorded" in reply
    assert await bot.services.repos.problems.unresolved(None) == []


async def test_a_command_ends_the_wait(bot: Harness) -> None:
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    await bot.send(S1, "/help")
    assert "Progress recorded" in (await bot.send(S1, "All good today")).params["text"]
    assert await bot.services.repos.problems.unresolved(None) == []


async def test_cancel_ends_the_wait_and_says_whether_there_was_one(bot: Harness) -> None:
    """/cancel after "Report a problem": the next text is progress; a second /cancel has
    nothing left to cancel."""
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    assert "Cancelled" in (await bot.send(S1, "/cancel")).params["text"]
    assert "Nothing to cancel" in (await bot.send(S1, "/cancel")).params["text"]
    assert "Progress recorded" in (await bot.send(S1, "All good today")).params["text"]
    assert await bot.services.repos.problems.unresolved(None) == []


async def test_text_from_someone_who_reports_nothing_says_whose_reports_are_taken(
    bot: Harness,
) -> None:
    """A stranger (or an admin) writing to the bot is not pointed to /checkin, which is not
    theirs; a secretary with nothing open is."""
    await project_with(bot, "Plant", [S1])
    stranger = FakeUser(4001, "Wu Fang", None, "en")
    for person in (stranger, ADMIN):
        reply = (await bot.send(person, "hello")).params["text"]
        assert "only from project secretaries" in reply and "/checkin" not in reply
    assert "/checkin" in (await bot.send(S1, "hello")).params["text"]


async def test_a_too_long_problem_is_refused_and_the_retry_is_still_the_problem(
    bot: Harness,
) -> None:
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    refused = (await bot.send(S1, "x" * 2001)).params["text"]
    assert "too long (2001 characters; at most 2000)" in refused
    assert "Problem #1 recorded" in (await bot.send(S1, "Crane broken")).params["text"]


async def test_stickers_and_dice_get_an_answer_and_record_nothing(bot: Harness) -> None:
    await _prompted(bot)
    for kind in ("sticker", "dice"):
        mark = len(bot.api.calls)
        await bot.api.send_media(S1, kind)
        reply = await bot.api.reply_to(S1.id, after=mark)
        assert "Stickers, dice, locations, contacts and polls are not" in reply.params["text"]
    assert await _answers(bot) == []


async def test_editing_a_reported_problem_changes_nothing_and_says_how_to_add(
    bot: Harness,
) -> None:
    """Leaders have the problem as first reported; an edit is answered, not silently lost."""
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])  # Report a problem
    sent, _ = await send_answered(bot, S1, "Crane brokn")
    told = await edit_answered(bot, S1, sent, "Crane broken")
    assert "/note <problem id> <text>" in told.params["text"]
    rows = await bot.db.fetchall("SELECT text FROM problems")
    assert [r["text"] for r in rows] == ["Crane brokn"]


async def test_editing_a_command_does_not_run_it_again(bot: Harness) -> None:
    mark = len(bot.api.calls)
    sent = await bot.api.send_text(ADMIN, "/newproject Typo Nmae")
    await bot.api.reply_to(ADMIN.id, after=mark)
    edit = await bot.api.edit_text(ADMIN, sent, "/newproject Typo Name")
    await bot.settled(edit["update_id"])
    assert await bot.services.repos.projects.count() == 1
    assert len([c for c in bot.api.calls[mark:] if c.method == "sendMessage"]) == 1


async def test_an_edited_progress_answer_replaces_it_while_the_round_is_open(
    bot: Harness,
) -> None:
    await _prompted(bot)
    sent, _ = await send_answered(bot, S1, "Level 3 at 40%")
    reply = await edit_answered(bot, S1, sent, "Level 3 at 45%")
    assert "updated from your edit" in reply.params["text"]
    assert await _answers(bot) == [("progress", "Level 3 at 45%")]
    events = await bot.db.fetchall("SELECT detail FROM events WHERE kind = 'answer.edited'")
    assert [json.loads(e["detail"])["before"] for e in events] == ["Level 3 at 40%"]

    bot.clock.set(datetime(2026, 3, 2, 16, 0, tzinfo=UTC))  # the round closes
    await run_jobs(bot)
    told = await edit_answered(bot, S1, sent, "Level 3 at 50%")
    assert await _answers(bot) == [("progress", "Level 3 at 45%")]  # closed: stays as it was
    assert "does not change what was recorded" in told.params["text"]
