"""End to end: crossing off (销号) is confirmed by someone accountable; extensions need a reason
and are limited for leaders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY, cards, tick


def _to(bot: Harness, user: FakeUser, words: str) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(user.id) if words in c.params.get("text", "")]


async def _claimed(bot: Harness) -> ApiCall:
    """Secretary reports problem #1 solved; the confirmation card the leader gets."""
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    claimed = await bot.send(SECRETARY, "/resolve 1 The bureau moved the line")
    assert "sent to the chief leader in charge for confirmation" in claimed.params["text"]
    await bot.services.outbox.drain()
    asked = _to(bot, LEADER, "Li Wei reports problem #1 solved")
    assert len(asked) == 1
    assert "Note: The bureau moved the line" in asked[0].params["text"]
    assert "Solved according to Li Wei" in asked[0].params["text"]
    assert [data for _, data in buttons_of(asked[0])] == ["pb:ok:1", "pb:sb:1"]
    return asked[0]


async def test_a_secretarys_resolve_awaits_confirmation_and_stops_escalation(
    bot: Harness,
) -> None:
    card = await _claimed(bot)
    problem = await bot.services.ledger.problem(1)
    assert problem.status == "awaiting" and problem.claimed_by == SECRETARY.id
    listing = (await bot.send(LEADER, "/problems")).params["text"]
    assert "#1 " in listing and "awaiting confirmation" in listing

    bot.clock.advance(timedelta(days=5))  # far past the deadline: no escalation while awaiting
    await tick(bot)
    assert cards(bot, LEADER.id, 1) == [] and cards(bot, ADMIN.id, 1) == []

    refused = await bot.press(SECRETARY, card, "pb:ok:1")
    assert "not for you" in refused.params["text"]
    assert (await bot.services.ledger.problem(1)).status == "awaiting"

    done = await bot.press(LEADER, card, "pb:ok:1")
    assert "resolved (销号)" in done.params["text"]
    closed = await bot.services.ledger.problem(1)
    assert closed.status == "resolved" and closed.resolved_by == LEADER.id
    markup = bot.api.message_of(card).get("reply_markup")
    assert buttons_of(ApiCall("x", {"reply_markup": markup})) == []  # nothing left to press
    # The request to confirm becomes the card as it is now, not a "new problem" card.
    decided = bot.api.message_of(card)["text"]
    assert decided.startswith("Problem #1: Power line blocks the excavation"), decided
    again = await bot.press(LEADER, card, "pb:ok:1")
    assert "already resolved by Zhang San" in again.params["text"]
    await bot.services.outbox.drain()
    assert len(_to(bot, SECRETARY, "was confirmed by Zhang San: crossed off")) == 1
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "Li Wei: reported it solved, awaiting confirmation" in history
    assert "Zhang San: confirmed the crossing-off (销号)" in history


async def test_send_back_asks_a_reason_and_reopens(bot: Harness) -> None:
    card = await _claimed(bot)
    await bot.press(LEADER, card, "pb:sb:1")
    assert "send the reason in one message" in bot.api.sent_to(LEADER.id)[-1].params["text"]
    assert (await bot.services.ledger.problem(1)).status == "awaiting"  # not before the reason
    back = await bot.send(LEADER, "The line is still there, I drove past")
    assert "sent back: it is open again" in back.params["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.status == "open" and problem.claimed_by is None
    await bot.services.outbox.drain()
    told = _to(bot, SECRETARY, "was sent back by Zhang San")
    assert len(told) == 1 and "I drove past" in told[0].params["text"]

    bot.clock.advance(timedelta(days=5))  # open again: escalation resumes
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1
    # The reporter's claim can be made again, and /reopen on a claim sends it back too.
    await bot.send(SECRETARY, "/resolve 1")
    reply = await bot.send(LEADER, "/reopen 1 Not yet")
    assert "sent back" in reply.params["text"]


async def test_without_leaders_the_admins_confirm(bot: Harness) -> None:
    await project_with(bot, "Bridge", [SECRETARY])
    await bot.send(SECRETARY, "/newproblem 1 Scaffolding unsafe")
    await bot.send(SECRETARY, "/resolve 1")
    await bot.services.outbox.drain()
    asked = _to(bot, ADMIN, "Li Wei reports problem #1 solved")
    assert len(asked) == 1
    await bot.press(ADMIN, asked[0], "pb:ok:1")
    assert (await bot.services.ledger.problem(1)).status == "resolved"


async def test_resolve_confirmation_off_closes_at_once(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", resolve_confirmation=False)
    try:
        await project_with(bot, "Bridge", [SECRETARY])
        await bot.send(SECRETARY, "/newproblem 1 Scaffolding unsafe")
        reply = await bot.send(SECRETARY, "/resolve 1")
        assert "resolved (销号)" in reply.params["text"]
        assert (await bot.services.ledger.problem(1)).status == "resolved"
    finally:
        await stop_harness(bot)


async def test_extensions_need_a_reason_and_leaders_have_two(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    card = cards(bot, LEADER.id, 1)[0]
    deadline = (await bot.services.ledger.problem(1)).deadline

    # A press asks for the reason; without one nothing changes.
    await bot.press(LEADER, card, "pb:x1:1")
    assert "Nothing changes until you do" in bot.api.sent_to(LEADER.id)[-1].params["text"]
    await bot.send(LEADER, "/problems")  # moved on: the wait is dropped
    assert "Usage" in (await bot.send(LEADER, "/extend 1 1d")).params["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.deadline == deadline and problem.extensions == 0

    # A reason sent after the wait expired is not taken as one.
    await bot.press(LEADER, card, "pb:x1:1")
    bot.clock.advance(timedelta(minutes=16))
    await bot.send(LEADER, "supplier late")
    assert (await bot.services.ledger.problem(1)).extensions == 0

    await bot.press(LEADER, card, "pb:x3:1")
    extended = await bot.send(LEADER, "Supplier ships on Friday")
    assert "new deadline" in extended.params["text"]
    # Three days from now (the deadline had passed), as the button said.
    after = bot.clock.now() + timedelta(days=3)
    assert (await bot.services.ledger.problem(1)).deadline == after
    await bot.send(LEADER, "/extend 1 2d Inspection moved")
    problem = await bot.services.ledger.problem(1)
    assert problem.extensions == 2

    # The third by a leader is refused, by button and by command; an admin may.
    third = await bot.press(LEADER, card, "pb:x1:1")
    assert "only an admin can extend it further" in third.params["text"]
    assert third.params["show_alert"] is True
    refused = await bot.send(LEADER, "/extend 1 1d Still waiting")
    assert "only an admin can extend it further" in refused.params["text"]
    assert (await bot.services.ledger.problem(1)).deadline == problem.deadline
    shown = (await bot.send(LEADER, "/problem 1")).params["text"]
    assert "leaders' extensions used up" in shown
    assert (
        "new deadline"
        in (await bot.send(ADMIN, "/extend 1 1d Approved by the office")).params["text"]
    )
    final = await bot.services.ledger.problem(1)
    assert final.extensions == 3
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    for reason in ("Supplier ships on Friday", "Inspection moved", "Approved by the office"):
        assert reason in history


async def test_a_later_deadline_after_the_first_hour_is_an_extension(bot: Harness) -> None:
    """Within an hour of the report the deadline is chosen freely; after that /deadline and
    the choice buttons may bring it forward but not push it back: that is /extend, with a
    reason, counted against the limit."""
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    reported = await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    assert "2026-03-12" in (await bot.send(LEADER, "/deadline 1 10d")).params["text"]
    bot.clock.advance(timedelta(hours=2))
    deadline = (await bot.services.ledger.problem(1)).deadline
    for user, command in ((LEADER, "/deadline 1 30d"), (ADMIN, "/deadline 1 2026-12-01")):
        refused = (await bot.send(user, command)).params["text"]
        assert "A later deadline for #1 is an extension" in refused and "/extend 1" in refused
    pressed = await bot.press(SECRETARY, reported, "pb:d1:1")  # earlier than the 10 days
    assert "Deadline of #1" in pressed.params["text"]
    late = await bot.press(SECRETARY, reported, "pb:d7:1")
    assert "is an extension" in late.params["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.deadline < deadline and problem.extensions == 0
    assert "Deadline of #1" in (await bot.send(LEADER, "/deadline 1 5h")).params["text"]


async def test_a_resolve_during_an_open_round_says_the_days_report_is_still_owed(
    bot: Harness,
) -> None:
    """/resolve is no progress report: a secretary whose round is open and unanswered is told
    the day's report is still owed; once answered, nothing more is said."""
    from tests.e2e_helpers import run_jobs
    from tests.test_e2e_checkins import SLOT

    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, "/resolve 1 The bureau moved the line")
    told = bot.api.sent_to(SECRETARY.id)[-1].params["text"]
    assert "this is not your progress report" in told and "South Road" in told
    await bot.send(SECRETARY, "Excavation at 60%")
    await bot.send(SECRETARY, "/resolve 2 Repaired")
    assert "not your progress report" not in bot.api.sent_to(SECRETARY.id)[-1].params["text"]


async def test_nobody_confirms_the_crossing_off_of_a_problem_they_reported(bot: Harness) -> None:
    """Zhang San is secretary and leader of the project: his own problem's 销号 is confirmed by
    the other leader (else an admin), never by himself."""
    import pytest

    from bot.errors import UserError

    other = FakeUser(3002, "Wang Wu", "wangwu", "en")
    await project_with(bot, "South Road", [LEADER])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(LEADER, "/newproblem 1 Power line blocks the excavation")
    claimed = await bot.send(LEADER, "/resolve 1 The bureau moved the line")
    assert "sent to the chief leader in charge for confirmation" in claimed.params["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.status == "awaiting"
    await bot.services.outbox.drain()
    assert _to(bot, LEADER, "reports problem #1 solved") == []
    assert len(_to(bot, ADMIN, "reports problem #1 solved")) == 1  # no other leader yet
    with pytest.raises(UserError, match="confirm_own"):
        await bot.services.decisions.confirm(LEADER.id, problem)
    assert (await bot.services.ledger.problem(1)).status == "awaiting"

    # With another leader, a second problem's claim goes to them, who confirms it.
    await invite_and_join(bot, 1, "leader", other)
    await bot.send(LEADER, "/newproblem 1 Crane broken")
    await bot.send(LEADER, "/resolve 2 Repaired")
    await bot.services.outbox.drain()
    card = _to(bot, other, "reports problem #2 solved")
    assert len(card) == 1 and _to(bot, ADMIN, "reports problem #2 solved") == []
    await bot.press(other, card[0], "pb:ok:2")
    assert (await bot.services.ledger.problem(2)).status == "resolved"


async def test_a_leader_removed_between_the_press_and_the_write_changes_nothing(
    bot: Harness, monkeypatch: Any
) -> None:
    """The role is checked again in the transaction that confirms or sends back: a leader
    removed after the press was read (and its role checked) and before the write is refused."""
    from storage.access import ADMIN as ADMIN_ROLE
    from storage.access import Need

    card = await _claimed(bot)
    problems = bot.services.repos.problems
    apply = problems.apply

    async def removed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        await bot.services.repos.members.remove(
            Need(ADMIN.id, ADMIN_ROLE, 1, active=False), LEADER.id, bot.clock.now()
        )
        return await apply(*args, **kwargs)

    monkeypatch.setattr(problems, "apply", removed_meanwhile)
    refused = await bot.press(LEADER, card, "pb:ok:1")
    assert "resolved" not in refused.params["text"]
    assert (await bot.services.ledger.problem(1)).status == "awaiting"

    await invite_and_join(bot, 1, "leader", LEADER)  # back, and removed again mid-send-back
    await bot.press(LEADER, card, "pb:sb:1")
    await bot.send(LEADER, "The line is still there")
    problem = await bot.services.ledger.problem(1)
    assert problem.status == "awaiting" and problem.claimed_by == SECRETARY.id
