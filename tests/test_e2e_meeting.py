"""End to end: a dispatch meeting's decisions (会议议定事项) recorded, handed out, listed for
the leadership group once, and chased to 销号 like any deadline."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import ADMIN, Harness
from tests.fakebot import ApiCall, buttons_of
from tests.test_e2e_departments import LIAISON, department_with, texts_to
from tests.test_e2e_ledger import GROUP, LEADER, SECRETARY, cards, setup, tick


async def test_a_decision_sets_owner_and_limit_and_is_chased(bot: Harness) -> None:
    await setup(bot)
    await department_with(bot)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/cancel")
    reply = (await bot.send(ADMIN, "/decide 1 Move the line this week d1 2026-03-06")).params
    assert "Owner: d1; time limit 2026-03-06 18:00" in reply["text"], reply["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.deadline.isoformat() == "2026-03-06T10:00:00+00:00"
    handed = await bot.services.repos.handovers.of_problem(1)
    assert [h.department_name for h in handed] == ["Housing Bureau"]
    await bot.services.outbox.drain()
    assert len(texts_to(bot, LEADER, "Meeting decision (会议议定) on problem #1")) == 1
    assert texts_to(bot, LIAISON, "Housing Bureau") != []  # the department's card
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "meeting decision (会议议定): Move the line this week" in history
    # Once per meeting, one message to the group; again, nothing new.
    published = (await bot.send(ADMIN, "/decisions")).params["text"]
    assert "1 decision(s) sent" in published and "(1 new message(s))" in published
    again = (await bot.send(ADMIN, "/decisions")).params["text"]
    assert "(0 new message(s))" in again
    await bot.services.outbox.drain()
    listed = [c for c in bot.api.sent_to(GROUP.id) if "会议议定事项" in c.params.get("text", "")]
    assert len(listed) == 1 and "Move the line this week" in listed[0].params["text"]
    # Past the decided time limit, the leader is chased as for any deadline.
    bot.clock.set(problem.deadline + timedelta(minutes=1))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1


async def test_decisions_are_the_offices_and_not_on_crossed_off_problems(bot: Harness) -> None:
    await setup(bot)
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    await bot.send(SECRETARY, "/cancel")
    refused = (await bot.send(LEADER, "/decide 1 Fix it")).params["text"]
    assert refused == "Only admins can use this command."
    assert "Usage" in (await bot.send(ADMIN, "/decide 1")).params["text"]
    past = (await bot.send(ADMIN, "/decide 1 Fix it 2020-01-01")).params["text"]
    assert "must be in the future" in past
    await bot.send(ADMIN, "/resolve 1 Fixed")
    closed = (await bot.send(ADMIN, "/decide 1 Fix it @zhangsan")).params["text"]
    assert "already resolved" in closed
    assert (
        "No decisions were recorded today" in (await bot.send(ADMIN, "/decisions")).params["text"]
    )


async def test_a_decision_recorded_from_the_cards_button(bot: Harness) -> None:
    """[记录议定] on the card the office got: the next message is the decision, read as
    /decide reads it; a leader's press is refused."""
    await setup(bot)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/cancel")
    await bot.services.outbox.drain()

    def card_of(user_id: int) -> ApiCall:
        return next(
            c for c in bot.api.sent_to(user_id) if "pb:dc:1" in [d for _, d in buttons_of(c)]
        )

    card, leader_card = card_of(ADMIN.id), card_of(LEADER.id)
    refused = await bot.press(LEADER, leader_card, "pb:dc:1")
    assert "not for you" in refused.params["text"]
    await bot.press(ADMIN, card, "pb:dc:1")
    asked = bot.api.sent_to(ADMIN.id)[-1].params["text"]
    assert "Record the meeting's decision (会议议定) on problem #1" in asked
    recorded = (await bot.send(ADMIN, "Move the line this week @zhangsan 2026-03-06")).params
    assert "Decision on problem #1 recorded: Move the line this week" in recorded["text"]
    assert "Owner: @zhangsan; time limit 2026-03-06 18:00" in recorded["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.assignee == "@zhangsan"
    # The wait is over: the next message is not another decision.
    assert await bot.services.conversation.awaited(ADMIN.id) is None
