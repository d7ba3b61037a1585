"""项目到线: an admin scoped to a work line (or locality) sees and manages only its projects,
gets only their digest and new-problem cards, and appears so in /admins; county-wide admins
see everything as before."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.conftest import ADMIN, Harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser
from tests.web_helpers import as_user, web_bot

SECRETARY = FakeUser(2001, "Li Wei", "liwei", "en")
OTHER_SECRETARY = FakeUser(2002, "Sun Li", "sunli", "en")
OFFICER = FakeUser(4001, "Wang Qiang", "wangqiang", "en")  # the industry line's office admin


def _texts(bot: Harness, user: FakeUser, words: str) -> list[str]:
    return [c.params["text"] for c in bot.api.sent_to(user.id) if words in c.params.get("text", "")]


async def _two_lines(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await project_with(bot, "North Bridge", [OTHER_SECRETARY])
    await bot.send(ADMIN, "/plan 1 line 工业线")
    await bot.send(ADMIN, "/plan 2 line 交通线")
    await invite_and_join(bot, None, "admin", OFFICER)
    scoped = (await bot.send(ADMIN, "/admin @wangqiang line 工业线")).params["text"]
    assert "only the projects of work line 工业线" in scoped, scoped


async def test_a_scoped_admin_sees_and_manages_only_their_line(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot, base = await web_bot(api, clock, tmp_path / "b.db")
    try:
        await _two_lines(bot)
        listed = (await bot.send(ADMIN, "/admins")).params["text"]
        assert "Wang Qiang" in listed and "work line 工业线 only" in listed
        await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
        await bot.send(SECRETARY, "/cancel")
        await bot.send(OTHER_SECRETARY, "/newproblem 2 Bridge permit missing")
        await bot.send(OTHER_SECRETARY, "/cancel")
        await bot.services.outbox.drain()
        # The new-problem card of their line only; county-wide admins get both.
        assert _texts(bot, OFFICER, "Power line blocks") != []
        assert _texts(bot, OFFICER, "Bridge permit") == []
        assert _texts(bot, ADMIN, "Bridge permit") != []

        problems = (await bot.send(OFFICER, "/problems")).params["text"]
        assert "Power line" in problems and "Bridge permit" not in problems
        listed = (await bot.send(OFFICER, "/projects")).params["text"]
        assert "South Road" in listed and "North Bridge" not in listed
        assert "North Bridge" in (await bot.send(ADMIN, "/projects")).params["text"]
        unseen = (await bot.send(OFFICER, "/problem 2")).params["text"]
        assert "Bridge permit" not in unseen
        # Managing: their line's project yes, the other line's and the county's no.
        done = (await bot.send(OFFICER, "/plan 1 stage 在建")).params["text"]
        assert "under construction" in done, done
        refused = (await bot.send(OFFICER, "/plan 2 stage 在建")).params["text"]
        assert "under construction" not in refused
        assert (await bot.services.repos.plans.plan(2)).stage is None
        assert "“" not in (await bot.send(OFFICER, "/newproject Elsewhere")).params["text"]
        assert len(await bot.services.repos.exports.project_ids()) == 2
        widened = (await bot.send(OFFICER, "/admin @wangqiang all")).params["text"]
        assert "whole county" not in widened
        assert await bot.services.repos.admins.scope(OFFICER.id) == ("line", "工业线")

        # The board shows them their line only, checked on the server.
        async with httpx.AsyncClient(base_url=base) as client:
            me = as_user(OFFICER, bot.clock)
            projects = (await client.get("/api/projects", headers=me)).json()["projects"]
            assert [p["id"] for p in projects] == [1]
            assert (await client.get("/api/problems/2", headers=me)).status_code == 404
            assert (await client.get("/api/problems/1", headers=me)).status_code == 200

        # Their digest names their projects only.
        bot.clock.set(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # Monday 09:00, week 11
        await bot.services.digest.tick()
        await bot.services.outbox.drain()
        digest = _texts(bot, OFFICER, "Weekly dispatch")
        assert digest and "South Road" in digest[0] and "North Bridge" not in digest[0]
        county = _texts(bot, ADMIN, "Weekly dispatch")
        assert county and "North Bridge" in "".join(county)

        # Back to the whole county.
        cleared = (await bot.send(ADMIN, "/admin @wangqiang all")).params["text"]
        assert "whole county again" in cleared
        problems = (await bot.send(OFFICER, "/problems")).params["text"]
        assert "Bridge permit" in problems
    finally:
        await stop_harness(bot)


async def test_admins_from_configuration_are_never_scoped(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    refused = (await bot.send(ADMIN, f"/admin {ADMIN.id} line 工业线")).params["text"]
    assert "ADMIN_IDS" in refused
    assert "Usage" in (await bot.send(ADMIN, "/admin @liwei")).params["text"]
    not_admin = (await bot.send(ADMIN, "/admin @liwei line 工业线")).params["text"]
    assert "is not an admin" in not_admin


async def test_a_scoped_admins_meeting_material_is_of_their_projects(bot: Harness) -> None:
    """/pack made on demand follows the scope as the weekly digest's material does: a work
    line's admin gets their line (another line is refused), a locality's admin their
    locality; a county-wide admin still gets every project."""
    from tests.test_e2e_pack import _read

    await _two_lines(bot)
    await bot.send(OFFICER, "/pack")
    assert bot.api.uploads[-1].filename.endswith("-工业线.docx")
    paragraphs, _ = _read(bot.api.uploads[-1].data)
    assert any("South Road" in p for p in paragraphs)
    assert not any("North Bridge" in p for p in paragraphs)
    refused = (await bot.send(OFFICER, "/pack 交通线")).params["text"]
    assert "You look after work line “工业线”" in refused
    uploads = len(bot.api.uploads)

    await bot.send(ADMIN, "/plan 2 area 城关镇")
    await bot.send(ADMIN, "/admin @wangqiang area 城关镇")
    await bot.send(OFFICER, "/pack")
    assert len(bot.api.uploads) == uploads + 1
    assert bot.api.uploads[-1].filename.endswith("-城关镇.docx")
    paragraphs, _ = _read(bot.api.uploads[-1].data)
    assert any("North Bridge" in p for p in paragraphs) and "locality 城关镇" in paragraphs[1]
    assert not any("South Road" in p for p in paragraphs)

    await bot.send(ADMIN, "/pack")
    paragraphs, _ = _read(bot.api.uploads[-1].data)
    assert any("South Road" in p for p in paragraphs)
    assert any("North Bridge" in p for p in paragraphs)

    # The weekly digest brings the locality's admin their locality's material too.
    before, documents = len(bot.api.uploads), len(bot.api.sent_to(OFFICER.id, "sendDocument"))
    bot.clock.set(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # Monday 09:00, week 11
    await bot.services.digest.tick()
    await bot.services.outbox.drain()
    assert len(bot.api.sent_to(OFFICER.id, "sendDocument")) == documents + 1
    names = [u.filename for u in bot.api.uploads[before:]]
    assert "调度会材料-2026-W10-城关镇.docx" in names, names


async def test_what_cannot_be_delivered_goes_to_the_admins_of_its_project(bot: Harness) -> None:
    """A card that cannot reach its leader goes to the admins instead: a scoped admin gets
    those of their projects only, and nothing of no project (the county's own messages)."""
    from storage.outbox import OutgoingMessage

    await _two_lines(bot)
    gone = 9_100_001
    bot.api.blocked.add(gone)
    cards = [
        OutgoingMessage("card:1", gone, "Card of South Road", project_id=1, fallback=True),
        OutgoingMessage("card:2", gone, "Card of North Bridge", project_id=2, fallback=True),
        OutgoingMessage("card:county", gone, "County notice", fallback=True),
    ]
    await bot.services.repos.outbox.enqueue(cards, bot.clock.now())
    await bot.services.outbox.drain()
    await bot.services.outbox.drain()  # what goes instead
    for text in ("Card of South Road", "Card of North Bridge", "County notice"):
        assert _texts(bot, ADMIN, text), text
    assert _texts(bot, OFFICER, "Card of South Road")
    assert not _texts(bot, OFFICER, "Card of North Bridge")
    assert not _texts(bot, OFFICER, "County notice")
