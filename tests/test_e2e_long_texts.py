"""End to end: every card, notice and reply fits Telegram's limits, counted as Telegram counts
(UTF-16 code units), whatever people typed: nothing the bot sends is refused as too long, and
a card cut short still carries its buttons."""

from __future__ import annotations

from datetime import timedelta

from bot.replies import MESSAGE_LIMIT, units
from storage.outbox import OutgoingButton, OutgoingMessage
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import ApiCall, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY, tick

LEADER_ZH = FakeUser(3002, "王五", "wangwu", "zh-hans")
GROUP = FakeGroup(-100888, "领导小组")
# 2,000 characters (the longest text the bot takes), 3,000 UTF-16 units: every other one an
# emoji outside the BMP, which Telegram counts twice.
LONGEST = "🚧路" * 1000


def _texts(bot: Harness) -> list[ApiCall]:
    return [c for c in bot.api.calls if "text" in c.params and c.method != "answerCallbackQuery"]


def _with_buttons(bot: Harness, chat_id: int, data: str) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(chat_id) if data in [d for _, d in buttons_of(c)]]


async def test_every_card_fits_with_the_longest_texts_in_both_languages(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await invite_and_join(bot, 1, "leader", LEADER_ZH)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)

    # A problem, its coordination and its proposal, each as long as the bot takes.
    await bot.send(SECRETARY, "/newproblem 1 " + LONGEST)
    await bot.send(SECRETARY, LONGEST)
    await bot.send(SECRETARY, LONGEST)
    await bot.services.outbox.drain()
    for leader in (LEADER, LEADER_ZH):  # the new-problem card, edited as follow-ups came
        assert _with_buttons(bot, leader.id, "pb:ack:1"), leader

    # Overdue: level 1 to each leader, then level 2 to the group, each with its buttons.
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    bot.clock.advance(timedelta(days=2, minutes=1))
    await tick(bot)
    assert _with_buttons(bot, GROUP.id, "pb:res:1")

    # A press redraws a card with the longest texts; an extension with the longest reason.
    card = _with_buttons(bot, LEADER.id, "pb:ack:1")[-1]
    await bot.press(LEADER, card, "pb:ack:1")
    await bot.press(LEADER, card, "pb:x1:1")
    refused = await bot.send(LEADER, "x" * 2001)  # one more than /extend takes
    assert "too long (2001 characters; at most 2000)" in refused.params["text"]
    assert (await bot.services.ledger.problem(1)).extensions == 0
    await bot.send(LEADER, LONGEST)
    assert (await bot.services.ledger.problem(1)).extensions == 1

    # The secretary's claim with the longest note: the confirmation card reaches both
    # leaders with Confirm / Send back under it.
    await bot.send(SECRETARY, "/resolve 1 " + LONGEST)
    await bot.services.outbox.drain()
    for leader in (LEADER, LEADER_ZH):
        assert _with_buttons(bot, leader.id, "pb:ok:1"), leader
    await bot.send(ADMIN, "/problem 1")

    assert bot.api.refusals == []
    assert all(units(c.params["text"]) <= MESSAGE_LIMIT for c in _texts(bot))
    # Something was cut, or this test proves nothing about cutting.
    assert any(units(c.params["text"]) > 4000 for c in _texts(bot))


async def test_a_queued_message_over_the_limit_is_sent_cut_with_its_buttons(
    bot: Harness,
) -> None:
    """The last line of defence: whatever a service queued, Telegram gets a text it accepts."""
    await bot.send(ADMIN, "/help")
    button = OutgoingButton("✅", "pb:ok:1")
    message = OutgoingMessage("long:1", ADMIN.id, "😀" * 3000, buttons=((button,),))
    await bot.services.repos.outbox.enqueue([message], bot.clock.now())
    await bot.services.outbox.drain()
    sent = bot.api.sent_to(ADMIN.id)[-1]
    assert sent.params["text"].endswith("…") and units(sent.params["text"]) <= MESSAGE_LIMIT
    assert buttons_of(sent) == [("✅", "pb:ok:1")]
    assert bot.api.refusals == []
