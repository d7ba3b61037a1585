"""End to end: leaders see progress and problems as they happen (new-problem cards, round
summaries, reading answers back)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import ApiCall, FakeUser, buttons_of
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
        assert "Reported by Li Wei" in text and "Deadline (帮办时限): 2026-03-05 08:30" in text
        assert [d for _, d in buttons_of(got[0])] == ["pb:ack:1", "pb:res:1", "pb:x1:1", "pb:x3:1"]
    await bot.press(LEADER, _new_cards(bot, LEADER)[0], "pb:ack:1")
    assert (await bot.services.ledger.problem(1)).status == "in_progress"
    # Not an escalation: when the deadline passes, level 1 still comes.
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1
    # A leader who reports a problem is not told of it.
    await bot.send(LEADER, "/newproblem 1 Scaffolding unsafe")
    await bot.services.outbox.drain()
    assert len(_new_cards(bot, LEADER)) == 1 and len(_new_cards(bot, OTHER_LEADER)) == 2
