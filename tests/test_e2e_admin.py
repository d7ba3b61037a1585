"""End to end: every admin command, its refusals and its answers to bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join
from tests.fakebot import FakeGroup, FakeUser

STRANGER = FakeUser(5001, "Eve", "eve", "en")
SECRETARY = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
GROUP = FakeGroup(-100555, "领导小组", forum=True)


async def text_of(bot: Harness, user: FakeUser, command: str, **kwargs: Any) -> str:
    return str((await bot.send(user, command, **kwargs)).params["text"])


@pytest.mark.parametrize(
    "command",
    [
        "/newproject X",
        "/projects",
        "/project 1",
        "/rename 1 Y",
        "/archive 1",
        "/unarchive 1",
        "/invite 1 secretary",
        "/invite admin",
        "/members 1",
        "/remove 1 @x",
        "/admins",
    ],
)
async def test_non_admins_are_refused(bot: Harness, command: str) -> None:
    """A stranger gets a refusal and nothing changes."""
    assert "Only admins" in await text_of(bot, STRANGER, command)
    assert await bot.services.repos.projects.count() == 0


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/newproject", "/newproject <name>"),
        ("/project", "/project <id>"),
        ("/rename 1", "/rename <id> <name>"),
        ("/archive", "/archive <id>"),
        ("/invite", "/invite <id> secretary|leader"),
        ("/invite 1 boss", "/invite <id>"),
        ("/members", "/members <id>"),
        ("/remove 1", "/remove <id>"),
    ],
)
async def test_missing_or_wrong_arguments_get_the_usage_line(
    bot: Harness, command: str, usage: str
) -> None:
    """Admins see how to call the command."""
    await bot.send(ADMIN, "/newproject P")
    assert usage in await text_of(bot, ADMIN, command)


async def test_unknown_and_malformed_ids_are_explained(bot: Harness) -> None:
    assert "no project with id 42" in await text_of(bot, ADMIN, "/project 42")
    assert "not a project id" in await text_of(bot, ADMIN, "/project abc")
    assert "not a project id" in await text_of(bot, ADMIN, "/archive 99999999999999999999")
    assert "no project with id 7" in await text_of(bot, ADMIN, "/invite 7 leader")


async def test_bad_names_are_refused(bot: Harness) -> None:
    """Over-long names and control characters are refused with a reason."""
    assert "too long (201" in await text_of(bot, ADMIN, "/newproject " + "x" * 201)
    assert "control characters" in await text_of(bot, ADMIN, "/newproject bad\u200bname")
    assert await bot.services.repos.projects.count() == 0
    assert "y" * 200 in await text_of(bot, ADMIN, "/newproject " + "y" * 200)
    await bot.send(ADMIN, "/rename 1 " + "z" * 300)
    project = await bot.services.repos.projects.get(1)
    assert project is not None and project.name == "y" * 200


async def test_admin_commands_in_a_group_point_to_the_private_chat(bot: Harness) -> None:
    """Refused in the group, with a button that opens the private chat with the bot; in the
    group's language (DEFAULT_LANGUAGE here), whoever asked."""
    reply = await bot.send(ADMIN, "/newproject X", group=GROUP)
    assert "请在与我的私聊中发送此命令" in reply.params["text"]
    [[button]] = reply.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "💬 打开与我的私聊", "url": "https://t.me/bangban_test_bot"}
    await bot.send(ADMIN, "/language en", group=GROUP)
    reply = await bot.send(ADMIN, "/newproject X", group=GROUP)
    assert "private chat" in reply.params["text"]
    assert await bot.services.repos.projects.count() == 0


async def test_project_lifecycle_rename_archive_unarchive(bot: Harness) -> None:
    """Rename, archive (no invites while archived) and unarchive, with the card showing it."""
    await bot.send(ADMIN, "/newproject 东区道路")
    assert "renamed to “东区道路二期”" in await text_of(bot, ADMIN, "/rename 1 东区道路二期")
    assert "archived" in await text_of(bot, ADMIN, "/archive 1")
    assert "already archived" in await text_of(bot, ADMIN, "/archive 1")
    card = await text_of(bot, ADMIN, "/project 1")
    assert "东区道路二期" in card and "Status: archived" in card and "Asia/Shanghai" in card
    assert "archived" in await text_of(bot, ADMIN, "/invite 1 secretary")
    assert "active again" in await text_of(bot, ADMIN, "/unarchive 1")
    assert "already active" in await text_of(bot, ADMIN, "/unarchive 1")
    events = await bot.services.repos.events.for_project(1)
    assert [e.kind for e in reversed(events)] == [
        "project.created",
        "project.renamed",
        "project.archived",
        "project.active",
    ]


async def test_members_and_remove_keep_history(bot: Harness) -> None:
    await bot.send(ADMIN, "/newproject P")
    assert "no members yet" in await text_of(bot, ADMIN, "/members 1")
    await invite_and_join(bot, 1, "secretary", SECRETARY)
    await invite_and_join(bot, 1, "leader", LEADER)
    listing = await text_of(bot, ADMIN, "/members 1")
    assert "Li Wei (@liwei) — lead liaison secretary, id 2001" in listing
    assert "Zhang San (@zhangsan) — chief leader in charge, id 3001" in listing
    assert "not a member" in await text_of(bot, ADMIN, "/remove 1 @nobody")
    assert "no longer serves project 1" in await text_of(bot, ADMIN, "/remove 1 @LiWei")
    assert "no longer serves project 1" in await text_of(bot, ADMIN, "/remove 1 3001")
    # A retry (its reply lost) is told it is done, and changes nothing.
    retried = await text_of(bot, ADMIN, "/remove 1 @liwei")
    assert "Li Wei (@liwei) already stopped serving project 1 on 2026-03-02" in retried
    assert "nothing changed" in retried
    assert "not a member" in await text_of(bot, ADMIN, "/remove 1 @nobody")
    assert "no members yet" in await text_of(bot, ADMIN, "/members 1")
    kinds = [e.kind for e in await bot.services.repos.events.for_project(1)]
    assert kinds.count("member.removed") == 2 and kinds.count("invite.redeemed") == 2


async def test_one_person_serves_several_projects_with_several_people(bot: Harness) -> None:
    await bot.send(ADMIN, "/newproject A")
    await bot.send(ADMIN, "/newproject B")
    await invite_and_join(bot, 1, "secretary", SECRETARY)
    await invite_and_join(bot, 2, "secretary", SECRETARY)
    await invite_and_join(bot, 1, "secretary", STRANGER)
    start = await text_of(bot, SECRETARY, "/start")
    assert "project 1 “A”" in start and "project 2 “B”" in start
    assert "Li Wei" in await text_of(bot, ADMIN, "/members 2")
    assert (await text_of(bot, ADMIN, "/members 1")).count("lead liaison secretary") == 2


async def test_setgroup_binds_the_leadership_group_and_topic(bot: Harness) -> None:
    """/setgroup in a forum topic binds that topic; /setgroup <id> binds for one project."""
    await bot.send(ADMIN, "/newproject P")
    await bot.send(ADMIN, "/language en", group=GROUP)  # the group's language, for its replies
    assert "leadership group for all projects" in await text_of(
        bot, ADMIN, "/setgroup", group=GROUP
    )
    reply = await text_of(bot, ADMIN, "/setgroup 1", group=GROUP, thread_id=77)
    assert "leadership group of project 1" in reply and "this topic" in reply
    binding = await bot.services.projects.group_of(1)
    assert binding is not None and binding.thread_id == 77 and binding.chat_id == GROUP.id
    fallback = await bot.services.projects.group_of(2)
    assert fallback is not None and fallback.project_id is None
    assert "leadership group chat" in await text_of(bot, ADMIN, "/setgroup")
    assert "Only admins" in await text_of(bot, STRANGER, "/setgroup", group=GROUP)
    assert "领导小组" in await text_of(bot, ADMIN, "/project 1")


async def test_admin_invite_and_admin_list(bot: Harness) -> None:
    newcomer = FakeUser(6001, "Wang", "wang", "en")
    await invite_and_join(bot, None, "admin", newcomer)
    assert "Project 1" not in await text_of(bot, newcomer, "/projects")
    admins = await text_of(bot, ADMIN, "/admins")
    assert "Ada (@ada_admin) (id 1001) — from configuration" in admins
    assert "Wang (@wang) (id 6001)" in admins


async def test_invites_expire_and_bad_tokens_are_throttled(bot: Harness) -> None:
    """Expired links are refused; after five bad tokens even a good one waits."""
    await bot.send(ADMIN, "/newproject P")
    reply = await text_of(bot, ADMIN, "/invite 1 secretary")
    token = reply.rsplit("start=", 1)[1].strip()
    bot.clock.advance(timedelta(days=7, seconds=1))
    assert "expired" in await text_of(bot, SECRETARY, f"/start {token}")
    for _ in range(4):
        assert "not valid" in await text_of(bot, SECRETARY, "/start forged_token_123")
    fresh = (await text_of(bot, ADMIN, "/invite 1 secretary")).rsplit("start=", 1)[1].strip()
    assert "Too many" in await text_of(bot, SECRETARY, f"/start {fresh}")
    bot.clock.advance(timedelta(minutes=11))
    assert "You are now lead liaison secretary" in await text_of(bot, SECRETARY, f"/start {fresh}")


async def test_start_help_and_language(bot: Harness) -> None:
    """Newcomers learn what the bot is; help lists only their commands; language sticks."""
    start = await text_of(bot, STRANGER, "/start")
    assert "Bangban" in start and "no role yet" in start
    help_text = await text_of(bot, STRANGER, "/help")
    assert "/language" in help_text and "/newproject" not in help_text
    assert "/newproject" in await text_of(bot, ADMIN, "/help")
    assert "语言已设置为中文" in await text_of(bot, STRANGER, "/language zh")
    assert "您还没有任何身份" in await text_of(bot, STRANGER, "/start")
    assert "/language 中文|英文" in await text_of(bot, STRANGER, "/language klingon")
    assert "English" in await text_of(bot, STRANGER, "/language 英文")
    assert "don't know that command" in await text_of(bot, STRANGER, "/frobnicate")


async def test_command_menus_are_published_per_language_and_role(bot: Harness) -> None:
    """Default menus in zh and en; admins and new members get their role's commands."""
    menus = [c for c in bot.api.calls if c.method == "setMyCommands"]
    languages = {c.params.get("language_code") for c in menus}
    assert {"zh", "en"} <= languages
    admin_menu = next(c for c in menus if c.params.get("scope", {}).get("chat_id") == ADMIN.id)
    assert "newproject" in {command["command"] for command in admin_menu.params["commands"]}
    default = next(c for c in menus if c.params.get("language_code") == "en")
    assert "newproject" not in {command["command"] for command in default.params["commands"]}


async def test_unexpected_errors_apologise_and_report_to_admins(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in a handler gives the user a short apology and the admins a report."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.services.projects, "overview", broken)
    assert "something went wrong" in await text_of(bot, ADMIN, "/projects")
    # The apology comes first; the report is queued right after and delivered by the outbox.
    await bot.api.wait_for(
        lambda c: c.params.get("chat_id") == ADMIN.id and "disk on fire" in c.params.get("text", "")
    )
    reports = [
        c.params["text"] for c in bot.api.sent_to(ADMIN.id) if "disk on fire" in c.params["text"]
    ]
    assert len(reports) == 1 and "Traceback" not in reports[0]


async def test_an_apology_in_a_forum_topic_comes_in_that_topic(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not in the group's General topic, where nobody asked anything."""

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    await bot.send(ADMIN, "/newproject Plant")
    monkeypatch.setattr(bot.services.projects, "bind_group", broken)
    reply = await bot.send(ADMIN, "/setgroup 1", group=GROUP, thread_id=7)
    assert "something went wrong" in reply.params["text"]
    assert reply.params.get("message_thread_id") == 7
