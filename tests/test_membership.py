"""The bot's own membership of leadership groups (my_chat_member)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import FakeGroup, FakeUser
from tests.test_e2e_ledger import LEADER, SECRETARY, cards, tick

GROUP = FakeGroup(-100444, "County leadership group")
OUTSIDER = FakeUser(6001, "Wang Wu", "wangwu", "en")


async def _settled(bot: Harness) -> None:
    await bot.settled(bot.api.last_update_id)
    await bot.services.outbox.drain()


def _to_admin(bot: Harness, words: str) -> list[str]:
    return [c.params["text"] for c in bot.api.sent_to(ADMIN.id) if words in c.params["text"]]


async def test_added_by_an_admin_the_bot_explains_itself(bot: Harness) -> None:
    await bot.api.bot_membership(GROUP, ADMIN, "member")
    await _settled(bot)
    welcome = bot.api.sent_to(GROUP.id)
    assert len(welcome) == 1 and "/setgroup" in welcome[0].params["text"]
    other = FakeGroup(-100445, "Somebody's chat")
    await bot.api.bot_membership(other, OUTSIDER, "member")
    await _settled(bot)
    assert bot.api.sent_to(other.id) == []  # added by a stranger: nothing to say
    before = len(bot.api.sent_to(ADMIN.id))
    await bot.send(ADMIN, "/help")  # an admin's list comes in more than one message
    help_text = "\n".join(c.params["text"] for c in bot.api.sent_to(ADMIN.id)[before:])
    assert "privacy mode" in help_text and "/pack" in help_text


async def test_removed_and_muted_the_groups_posts_go_to_the_admins_until_it_is_back(
    bot: Harness,
) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.api.bot_membership(GROUP, ADMIN, "member")
    await _settled(bot)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)

    await bot.api.bot_membership(GROUP, OUTSIDER, "kicked")
    await _settled(bot)
    await bot.api.bot_membership(GROUP, OUTSIDER, "kicked")  # told once
    await _settled(bot)
    assert len(_to_admin(bot, "was removed from the leadership group")) == 1
    shown = (await bot.send(ADMIN, "/project 1")).params["text"]
    assert "the bot was removed" in shown

    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    bot.clock.advance(timedelta(days=5, minutes=2))
    await tick(bot)
    bot.clock.advance(timedelta(days=2, minutes=2))
    await tick(bot)
    assert cards(bot, GROUP.id, 2) == []
    # Not even an attempt at a group it is not in: its posts go to the admins directly.
    assert not [r for r in bot.api.refusals if r.params.get("chat_id") == GROUP.id]
    assert _to_admin(bot, "Could not deliver this to")  # the level-2 card came to the admins

    await bot.api.bot_membership(GROUP, ADMIN, "restricted", can_send=False)
    await _settled(bot)
    assert len(_to_admin(bot, "may no longer post")) == 1
    await bot.api.bot_membership(GROUP, ADMIN, "member")
    await _settled(bot)
    assert len(_to_admin(bot, "is back in the leadership group")) == 1
    assert "the bot was removed" not in (await bot.send(ADMIN, "/project 1")).params["text"]
