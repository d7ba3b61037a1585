"""End to end: listings that outgrow one message are paged; nothing is cut off or refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

from storage.access import MEMBER, Need
from tests.conftest import ADMIN, Harness
from tests.fakebot import ApiCall, FakeUser, buttons_of
from tests.test_e2e_admin import STRANGER

SECRETARIES = 300
NAME = "Secretary with a fairly long name number {:03d}"


async def _big_project(bot: Harness) -> None:
    await bot.send(ADMIN, "/newproject Plant")
    people = [(10_000 + n, NAME.format(n), f"sec{n:03d}", "en") for n in range(SECRETARIES)]
    await bot.services.repos.members.import_members(
        1, "secretary", people, ADMIN.id, bot.clock.now()
    )


async def _all_pages(bot: Harness, first: ApiCall) -> list[str]:
    """Follow the 'next' buttons from the first page; the texts of every page."""
    texts = [first.params["text"]]
    current = first
    while nxt := [data for label, data in buttons_of(current) if "Next" in label]:
        await bot.press(ADMIN, current, nxt[0])
        edited = bot.api.message_of(current)
        texts.append(edited["text"])
        markup = edited.get("reply_markup")
        current = ApiCall("edit", {**current.params, "reply_markup": markup}, first.result)
        assert len(texts) < 50
    return texts


def _names_in(texts: list[str]) -> set[str]:
    return {m for text in texts for m in re.findall(r"number \d{3}", text)}


async def test_members_and_status_of_300_secretaries_are_paged(bot: Harness) -> None:
    await _big_project(bot)
    first = await bot.send(ADMIN, "/members 1")
    assert "Page 1 of" in first.params["text"] and len(first.params["text"]) <= 4096
    pages = await _all_pages(bot, first)
    assert len(pages) > 1 and len(_names_in(pages)) == SECRETARIES

    now = bot.clock.now()
    await bot.services.repos.rounds.open_round(
        1, now, date(2026, 3, 2), now + timedelta(hours=8), "manual", now
    )
    status = await bot.send(ADMIN, "/status 1")
    pages = await _all_pages(bot, status)
    assert len(pages) > 1 and len(_names_in(pages)) == SECRETARIES
    assert all("Pending: " in page for page in pages)

    card = (await bot.send(ADMIN, "/project 1")).params["text"]
    assert "and 290 more (/members 1)" in card and len(card) <= 4096


async def test_problems_and_holidays_are_paged(bot: Harness) -> None:
    await _big_project(bot)
    for n in range(SECRETARIES):
        await bot.services.repos.problems.create(
            Need(10_000 + n, MEMBER, 1),
            f"Problem number {n:03d}: " + "details " * 20,
            bot.clock.now() + timedelta(days=3),
            bot.clock.now(),
            timedelta(minutes=10),
        )
    pages = await _all_pages(bot, await bot.send(ADMIN, "/problems"))
    assert len(pages) > 1 and len(_names_in(pages)) == SECRETARIES
    assert "Page 1 of" in pages[0]

    await bot.send(ADMIN, "/holiday 2026-01-01 to 2026-12-31")
    pages = await _all_pages(bot, await bot.send(ADMIN, "/holidays 2026"))
    assert len(pages) > 1 and sum(page.count("— holiday") for page in pages) == 365


async def test_page_buttons_check_the_presser(bot: Harness) -> None:
    await _big_project(bot)
    first = await bot.send(ADMIN, "/members 1")
    nxt = next(data for label, data in buttons_of(first) if "Next" in label)
    await bot.send(STRANGER, "/start")
    refused = await bot.press(STRANGER, first, nxt)
    assert "Only admins" in refused.params["text"]
    assert "out of date" in (await bot.press(ADMIN, first, "pg:nope:1:1")).params["text"]
    # A forged page of a year the calendar cannot hold is refused like a typed one.
    forged = await bot.press(ADMIN, first, "pg:holidays:0:0")
    assert "2000" in forged.params["text"] and "2100" in forged.params["text"]


async def test_start_of_someone_serving_many_projects_arrives_whole(bot: Harness) -> None:
    """/start lists every project a person serves: split over messages, none cut off."""
    leader = (20_001, "Zhang Wei", "zhangwei", "en")
    for number in range(1, 41):
        project = await bot.services.projects.create_project(
            ADMIN.id, f"{number:03d} " + "long project name " * 8
        )
        await bot.services.repos.members.import_members(
            project.id, "leader", [leader], ADMIN.id, bot.clock.now()
        )
    mark = len(bot.api.calls)
    await bot.api.send_text(FakeUser(*leader[:3]), "/start")
    last = await bot.api.wait_for(
        lambda c: c.params.get("chat_id") == leader[0] and "/help" in c.params["text"], after=mark
    )
    texts = [c.params["text"] for c in bot.api.calls[mark:] if c.params.get("chat_id") == leader[0]]
    assert len(texts) > 1 and texts[-1] == last.params["text"]
    whole = "\n".join(texts)
    assert [n for n in range(1, 41) if f"“{n:03d} long project name" not in whole] == []
    assert not bot.api.refusals
