"""End to end: an admin sets up a project and people join through invite links."""

from __future__ import annotations

import re

from tests.conftest import ADMIN, Harness
from tests.fakebot import BOT_USERNAME, FakeUser, buttons_of

SECRETARY = FakeUser(2001, "Li Wei", "liwei", "zh-hans")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)")


def link_in(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def test_admin_creates_project_invites_people_and_links_work_once(bot: Harness) -> None:
    """The issue's 'done when': create, invite, redeem, list; a second use is refused."""
    reply = await bot.send(ADMIN, "/newproject 城南污水处理厂")
    assert (
        "城南污水处理厂" in reply.params["text"] and "/invite 1 secretary" in reply.params["text"]
    )

    secretary_link = link_in((await bot.send(ADMIN, "/invite 1 secretary")).params["text"])
    leader_link = link_in((await bot.send(ADMIN, "/invite 1 leader")).params["text"])
    assert secretary_link != leader_link and len(secretary_link) >= 22

    welcome = await bot.send(SECRETARY, f"/start {secretary_link}")
    assert "首办秘书" in welcome.params["text"]  # zh-hans Telegram client → Chinese
    welcome = await bot.send(LEADER, f"/start {leader_link}")
    assert "chief leader in charge" in welcome.params["text"]

    listing = (await bot.send(ADMIN, "/projects")).params["text"]
    assert "Li Wei (@liwei)" in listing and "Zhang San (@zhangsan)" in listing

    again = await bot.send(FakeUser(4001, "Mallory", None, "en"), f"/start {secretary_link}")
    assert "already been used" in again.params["text"]
    again = await bot.send(SECRETARY, f"/start {leader_link}")
    assert "已被使用" in again.params["text"]
    members = (await bot.send(ADMIN, "/members 1")).params["text"]
    assert members.count("@") == 2 and "Mallory" not in members

    # The admins are told who joined.
    await bot.services.outbox.drain()
    told = [c.params["text"] for c in bot.api.sent_to(ADMIN.id)]
    assert any("Li Wei joined project 1" in text for text in told)


async def test_projects_list_is_paged_with_buttons(bot: Harness) -> None:
    """More projects than fit one page get Next/Previous buttons that edit the list."""
    for number in range(10):
        await bot.send(ADMIN, f"/newproject Project {number}")
    first = await bot.send(ADMIN, "/projects")
    assert "page 1 of 2" in first.params["text"] and "Project 0" in first.params["text"]
    assert buttons_of(first) == [("Next ▶", "pj:1")]
    await bot.press(ADMIN, first, "pj:1")
    page_two = bot.api.message_of(first)
    assert "page 2 of 2" in page_two["text"] and "Project 9" in page_two["text"]


async def test_an_invite_can_say_how_official_documents_name_the_person(bot: Harness) -> None:
    """/invite 1 leader 单位 县住建局 职务 局长: whoever joins by the link is named so in the
    notice (as /person would set it); words before a field name are a usage error."""
    await bot.send(ADMIN, "/newproject South Road")
    bad = (await bot.send(ADMIN, "/invite 1 leader 县住建局")).params["text"]
    assert "Usage" in bad
    text = (await bot.send(ADMIN, "/invite 1 leader 单位 县住建局 职务 局长")).params["text"]
    token = text.rsplit("start=", 1)[1].split()[0]
    await bot.send(LEADER, f"/start {token}")
    person = await bot.services.repos.people.get(LEADER.id)
    assert person is not None and (person.unit, person.title) == ("县住建局", "局长")
    assert person.official == "县住建局局长Zhang San"
    # A plain invite leaves what is known as it is.
    plain = (await bot.send(ADMIN, "/invite 1 secretary")).params["text"]
    await bot.send(SECRETARY, "/start " + plain.rsplit("start=", 1)[1].split()[0])
    secretary = await bot.services.repos.people.get(SECRETARY.id)
    assert secretary is not None and (secretary.unit, secretary.title) == (None, None)
