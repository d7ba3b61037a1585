"""End to end: a reported problem asks for the coordination it needs and a proposed solution
(拿出办法), each skippable; cards and /problem show them."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import ApiCall, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY, cards, tick


async def _reported(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)


async def test_followups_reach_the_card(bot: Harness) -> None:
    await _reported(bot)
    reported = await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    asked = bot.api.sent_to(SECRETARY.id)[-1]
    assert "Problem #1: what coordination does it need" in asked.params["text"]
    chosen = await bot.press(SECRETARY, reported, "pb:d1:1")
    assert "Deadline of #1" in chosen.params["text"]
    # Choosing a deadline leaves the question, a message of its own, open with its button.
    assert "reply_markup" not in bot.api.message_of(reported)
    assert [d for _, d in buttons_of(asked)] == ["pb:sc:1"]
    await bot.send(SECRETARY, "Power bureau must move the line")
    await bot.send(SECRETARY, "Dig the other section first")

    shown = (await bot.send(LEADER, "/problem 1")).params["text"]
    assert "Coordination needed: Power bureau must move the line" in shown
    assert "Proposed solution: Dig the other section first" in shown
    bot.clock.advance(timedelta(days=1, minutes=1))
    await tick(bot)
    card = cards(bot, LEADER.id, 1)[0].params["text"]
    assert "Coordination needed: Power bureau" in card and "Proposed solution: Dig" in card


async def test_each_followup_can_be_skipped(bot: Harness) -> None:
    await _reported(bot)
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    question = bot.api.sent_to(SECRETARY.id)[-1]
    await bot.press(SECRETARY, question, "pb:sc:1")
    assert "question skipped" in bot.api.message_of(question)["text"]
    ask = bot.api.sent_to(SECRETARY.id)[-1]
    assert "what solution do you propose" in ask.params["text"]
    assert [data for _, data in buttons_of(ask)] == ["pb:sp:1"]
    stale = await bot.press(SECRETARY, question, "pb:sc:1")  # a double tap
    assert "no longer open" in stale.params["text"]
    await bot.press(SECRETARY, ask, "pb:sp:1")
    assert "complete in the ledger" in bot.api.message_of(ask)["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.coordination is None and problem.proposal is None
    # Nothing is waited for any more: the next text is not taken as a follow-up.
    await bot.send(SECRETARY, "Crane repaired")
    problem = await bot.services.ledger.problem(1)
    assert problem.coordination is None and problem.proposal is None


async def test_only_the_reporter_answers_followups(bot: Harness) -> None:
    await _reported(bot)
    reported = await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    other = await bot.press(ADMIN, reported, "pb:sc:1")
    assert "no longer open" in other.params["text"]
    assert (await bot.services.ledger.problem(1)).coordination is None


async def test_the_new_problem_cards_are_edited_in_place_as_followups_arrive(
    bot: Harness,
) -> None:
    """The leader's and the office's cards, sent at once, gain 需协调事项 and 拟解决办法 when
    they come (edited, not sent again); a card still queued is edited once it is sent."""
    await _reported(bot)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.services.outbox.drain()
    new_cards = {
        user.id: [c for c in bot.api.sent_to(user.id) if "Power line blocks" in c.params["text"]]
        for user in (LEADER, ADMIN)
    }
    assert all(len(sent) == 1 for sent in new_cards.values()), new_cards
    await bot.send(SECRETARY, "Power bureau must move the line")
    await bot.services.outbox.drain()
    for user_id, (card,) in new_cards.items():
        text = bot.api.message_of(card)["text"]
        assert "Coordination needed: Power bureau must move the line" in text, (user_id, text)
        assert "Proposed solution" not in text
    await bot.send(SECRETARY, "Dig the other section first")
    await bot.services.outbox.drain()
    for user_id, (card,) in new_cards.items():
        text = bot.api.message_of(card)["text"]
        assert "Proposed solution: Dig the other section first" in text, (user_id, text)
        # Edited in place: still one card each, with its buttons.
        again = [c for c in bot.api.sent_to(user_id) if "Power line blocks" in c.params["text"]]
        assert again == [card]
        assert buttons_of(ApiCall("x", {"reply_markup": bot.api.message_of(card)["reply_markup"]}))
    edits = [c for c in bot.api.calls if c.method == "editMessageText"]
    assert {c.params["chat_id"] for c in edits} >= {LEADER.id, ADMIN.id}


async def test_an_edit_waits_for_its_card_and_gives_up_on_one_never_sent(bot: Harness) -> None:
    await _reported(bot)
    # The card to the leader is still queued when the follow-up comes: the edit waits.
    await bot.send(SECRETARY, "/newproblem 1 Crane broken", drain=False)
    await bot.send(SECRETARY, "Crane company must send a technician", drain=False)
    pending = await bot.db.fetchall(
        "SELECT dedupe_key, status FROM outbox WHERE dedupe_key LIKE 'edit:%' ORDER BY id"
    )
    assert [r["dedupe_key"] for r in pending] == [
        f"edit:coordination:new:1:{LEADER.id}",
        f"edit:coordination:new:1:{ADMIN.id}",
    ]
    await bot.services.outbox.drain()
    bot.clock.advance(timedelta(seconds=10))
    await bot.services.outbox.drain()
    card = [c for c in bot.api.sent_to(LEADER.id) if "Crane broken" in c.params["text"]]
    assert len(card) == 1
    assert "Coordination needed: Crane company" in bot.api.message_of(card[0])["text"]
    states = await bot.db.fetchall("SELECT status FROM outbox WHERE dedupe_key LIKE 'edit:%'")
    assert {r["status"] for r in states} == {"sent"}
