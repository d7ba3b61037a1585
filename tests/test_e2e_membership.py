"""End to end: access follows membership at the moment of the act."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN, Harness, start_harness
from tests.e2e_helpers import (
    edit_answered,
    invite_and_join,
    project_with,
    prompts_to,
    run_jobs,
    send_answered,
)
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser, buttons_of

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
S2 = FakeUser(2002, "Wang Fang", "wangfang", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
STRANGER = FakeUser(5001, "Eve", "eve", "en")
SECOND_ADMIN = FakeUser(1002, "Bo", "bo_admin", "en")


async def _round(bot: Harness) -> None:
    from tests.test_e2e_checkins import SLOT

    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)


async def _recorded(bot: Harness, user_id: int) -> list[Any]:
    return await bot.db.fetchall(
        "SELECT a.kind FROM answers a JOIN checkins c ON c.id = a.checkin_id WHERE c.user_id = ?",
        (user_id,),
    )


async def test_help_lists_the_commands_of_the_roles_held_now(bot: Harness) -> None:
    """/help shows a secretary's section to a secretary, not to a stranger, and not once the
    secretary is removed; the admins' section only to admins."""
    await _round(bot)
    sections = ("Secretaries", "Leaders", "Admins")

    async def shown(user: FakeUser) -> list[str]:
        text = (await bot.send(user, "/help")).params["text"]
        return [s for s in sections if f"\n{s}\n" in text]

    assert await shown(S1) == ["Secretaries"]
    assert await shown(STRANGER) == []
    assert await shown(ADMIN) == ["Admins"]
    await bot.send(ADMIN, "/remove 1 @liwei")
    assert await shown(S1) == []


async def test_a_removed_secretary_can_do_nothing_in_the_project(bot: Harness) -> None:
    """Old buttons, a pending problem text, /checkin, /newproblem and free text are refused,
    nothing is recorded, and nothing of the project is shown."""
    await _round(bot)
    prompt = prompts_to(bot, S1)
    assert prompt
    call = [c for c in bot.api.sent_to(S1.id) if "Check-in:" in c.params["text"]][-1]
    await bot.press(S1, call, buttons_of(call)[1][1])  # "Report a problem": waiting for text
    assert "removed" not in (await bot.send(ADMIN, "/remove 1 @liwei")).params["text"].lower()

    pressed = await bot.press(S1, call, buttons_of(call)[0][1])
    assert "no longer serve this project" in pressed.params["text"]
    text = (await bot.send(S1, "Crane broken on site")).params["text"]
    assert "only from project secretaries" in text and "Plant" not in text
    assert "lead liaison secretaries" in (await bot.send(S1, "/checkin")).params["text"]
    assert "not a member of project 1" in (await bot.send(S1, "/newproblem 1 x")).params["text"]
    assert "serve no project" in (await bot.send(S1, "/problems")).params["text"]

    assert await _recorded(bot, S1.id) == []
    assert await bot.services.repos.problems.unresolved(None) == []
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "Li Wei" not in status


async def test_a_removed_secretary_cannot_change_an_answer_by_editing_it(bot: Harness) -> None:
    await _round(bot)
    sent, _ = await send_answered(bot, S1, "Level 3 at 40%")
    await bot.send(ADMIN, "/remove 1 @liwei")
    reply = (await edit_answered(bot, S1, sent, "Level 3 at 90%")).params["text"]
    assert "does not change what was recorded" in reply and "Plant" not in reply
    rows = await bot.db.fetchall("SELECT text FROM answers")
    assert [r["text"] for r in rows] == ["Level 3 at 40%"]


async def test_a_late_answer_names_no_project_the_person_left(bot: Harness) -> None:
    """Someone still serving another project, writing after the round of the one they were
    removed from closed, is not told about that project."""
    from tests.test_e2e_checkins import SLOT

    await project_with(bot, "Plant", [S1], "daily 09:00")
    await project_with(bot, "Depot", [S1])
    bot.clock.set(SLOT)
    await run_jobs(bot)
    bot.clock.set(SLOT + timedelta(hours=15, minutes=5))  # 00:04 the next day: closed
    await run_jobs(bot)
    assert "Plant" in (await bot.send(S1, "late")).params["text"]  # still serving: told
    await bot.send(ADMIN, "/remove 1 @liwei")
    text = (await bot.send(S1, "late again")).params["text"]
    assert "No check-in is open" in text and "Plant" not in text


async def test_removal_wins_over_a_press_read_a_moment_before(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The press was checked against the database, then the secretary was removed, then the
    answer was written: the write refuses, because it checks the role in its transaction."""
    await _round(bot)
    call = [c for c in bot.api.sent_to(S1.id) if "Check-in:" in c.params["text"]][-1]
    checkins = bot.services.repos.checkins
    record = checkins.record_answer

    async def removed_meanwhile(*args: Any, **kwargs: Any) -> int | None:
        await bot.services.projects.remove_member(ADMIN.id, 1, "@liwei")
        return await record(*args, **kwargs)

    monkeypatch.setattr(checkins, "record_answer", removed_meanwhile)
    pressed = await bot.press(S1, call, buttons_of(call)[0][1])
    assert "no longer serve this project" in pressed.params["text"]
    assert await _recorded(bot, S1.id) == []


async def test_queued_prompts_of_someone_removed_are_never_sent(bot: Harness) -> None:
    from tests.test_e2e_checkins import SLOT

    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    bot.clock.set(SLOT)
    await bot.services.rounds.tick()  # prompts written to the outbox, not yet sent
    await bot.send(ADMIN, "/remove 1 @liwei", drain=False)
    await bot.services.outbox.drain()
    assert prompts_to(bot, S1) == [] and len(prompts_to(bot, S2)) == 1
    # The removed person's menu no longer offers the secretary commands.
    menus = [
        c
        for c in bot.api.calls
        if c.method == "setMyCommands" and (c.params.get("scope") or {}).get("chat_id") == S1.id
    ]
    assert menus and "checkin" not in [cmd["command"] for cmd in menus[-1].params["commands"]]


async def test_archiving_stops_prompts_invites_and_answers(bot: Harness) -> None:
    from tests.test_e2e_checkins import SLOT

    await project_with(bot, "Plant", [S1], "daily 09:00")
    invite = (await bot.send(ADMIN, "/invite 1 secretary")).params["text"]
    token = invite.rsplit("start=", 1)[1].strip()
    bot.clock.set(SLOT)
    await bot.services.rounds.tick()
    assert "archived" in (await bot.send(ADMIN, "/archive 1", drain=False)).params["text"]
    await run_jobs(bot)
    assert prompts_to(bot, S1) == []  # queued before the archive, cancelled by it
    assert "archived" in (await bot.send(S2, f"/start {token}")).params["text"]
    assert "archived" in (await bot.send(ADMIN, "/invite 1 leader")).params["text"]
    assert "archived" in (await bot.send(ADMIN, "/checkinnow 1")).params["text"]
    assert "No check-in is open" in (await bot.send(S1, "all fine")).params["text"]
    bot.clock.advance(timedelta(days=1))
    await run_jobs(bot)
    assert prompts_to(bot, S1) == []


async def test_an_archived_projects_problems_leave_the_working_ledger(bot: Harness) -> None:
    """/problems lists what is still chased: not the open problems of an archived project,
    which stay readable by its id."""
    await project_with(bot, "Plant", [S1])
    await project_with(bot, "Depot", [S1])
    await bot.send(S1, "/newproblem 1 Crane broken")
    await bot.send(S1, "/newproblem 2 Gate stuck")
    await bot.send(ADMIN, "/archive 1")
    for user in (S1, ADMIN):
        listing = (await bot.send(user, "/problems")).params["text"]
        assert "Gate stuck" in listing and "Crane broken" not in listing, user
    assert "Crane broken" in (await bot.send(ADMIN, "/problems 1")).params["text"]


async def test_strangers_cannot_tell_which_project_ids_exist(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1])
    for command in ("/newproblem {} broken", "/problems {}"):
        existing = (await bot.send(STRANGER, command.format(1))).params["text"]
        missing = (await bot.send(STRANGER, command.format(99))).params["text"]
        assert existing.replace("1", "N") == missing.replace("99", "N"), (existing, missing)


async def test_a_secretary_cannot_act_on_cards_nor_reopen(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1])
    await invite_and_join(bot, 1, "leader", LEADER)
    reported = await bot.send(S1, "/newproblem 1 Crane broken")
    refused = await bot.press(S1, reported, "pb:ack:1")
    assert "not for you" in refused.params["text"]
    await bot.press(S1, reported, "pb:x3:1")
    assert (await bot.services.ledger.problem(1)).status == "open"
    assert "resolved" in (await bot.send(LEADER, "/resolve 1 fixed")).params["text"]
    assert "no role" in (await bot.send(S1, "/reopen 1 not really")).params["text"]
    assert (await bot.services.ledger.problem(1)).status == "resolved"


async def test_admin_invites_and_removing_admins(bot: Harness) -> None:
    """An admin invite used by an ADMIN_IDS admin changes nothing; /removeadmin never removes
    an ADMIN_IDS admin and is recorded."""
    text = (await bot.send(ADMIN, "/invite admin")).params["text"]
    token = text.rsplit("start=", 1)[1].strip()
    assert "already are an admin" in (await bot.send(ADMIN, f"/start {token}")).params["text"]
    assert await bot.db.fetchall("SELECT * FROM admins") == []
    assert "Welcome" in (await bot.send(SECOND_ADMIN, f"/start {token}")).params["text"]

    assert "Usage" in (await bot.send(ADMIN, "/removeadmin")).params["text"]
    assert "not a Telegram user id" in (await bot.send(ADMIN, "/removeadmin ²")).params["text"]
    assert "not an admin" in (await bot.send(ADMIN, "/removeadmin 777")).params["text"]
    refused = (await bot.send(SECOND_ADMIN, f"/removeadmin {ADMIN.id}")).params["text"]
    assert "ADMIN_IDS" in refused
    assert "Only admins" in (await bot.send(STRANGER, f"/removeadmin {ADMIN.id}")).params["text"]
    done = (await bot.send(ADMIN, f"/removeadmin {SECOND_ADMIN.id}")).params["text"]
    assert "no longer an admin" in done
    assert "Only admins" in (await bot.send(SECOND_ADMIN, "/projects")).params["text"]
    events = await bot.db.fetchall(
        "SELECT actor_id, subject_id FROM events WHERE kind = ?", ("admin.removed",)
    )
    assert [(e["actor_id"], e["subject_id"]) for e in events] == [(ADMIN.id, SECOND_ADMIN.id)]


async def test_the_last_admin_stays(api: FakeBotAPI, clock: FakeClock, tmp_path: Path) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", admin_ids=[])
    await bot.db.execute(
        "INSERT INTO admins (user_id, added_at) VALUES (?, '2026-01-01T00:00:00.000000Z')",
        (SECOND_ADMIN.id,),
    )
    last = (await bot.send(SECOND_ADMIN, f"/removeadmin {SECOND_ADMIN.id}")).params["text"]
    assert "last admin" in last
    assert await bot.services.registry.is_admin(SECOND_ADMIN.id)


@pytest.mark.sqlite_only  # reads the file's bytes; PostgreSQL's storage is the server's
async def test_invite_tokens_are_never_stored_in_clear(bot: Harness, tmp_path: Path) -> None:
    await project_with(bot, "Plant", [])
    text = (await bot.send(ADMIN, "/invite 1 secretary")).params["text"]
    token = text.rsplit("start=", 1)[1].strip()
    await bot.db.fetchone("PRAGMA wal_checkpoint(FULL)")
    assert await asyncio.to_thread(_places_holding, tmp_path, token) == []


def _places_holding(folder: Path, token: str) -> list[str]:
    """Database files, and tables read through SQLite, that contain ``token``."""
    found = [
        path.name for path in folder.glob("bangban.db*") if token.encode() in path.read_bytes()
    ]
    with sqlite3.connect(folder / "bangban.db") as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            rows = conn.execute(f"SELECT * FROM {table}").fetchall()
            if any(token in str(value) for row in rows for value in row):
                found.append(table)
    return found
