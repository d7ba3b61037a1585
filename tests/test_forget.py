"""/forget: a person's name goes, what they reported stays."""

from __future__ import annotations

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.test_e2e_ledger import LEADER, SECRETARY


async def test_a_forgotten_person_is_a_placeholder_everywhere_and_stays_one(
    bot: Harness,
) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    events = await bot.db.fetchall("SELECT count(*) AS n FROM events")

    refused = await bot.send(LEADER, f"/forget {SECRETARY.id}")
    assert "Only admins" in refused.params["text"]
    done = (await bot.send(ADMIN, f"/forget {SECRETARY.id}")).params["text"]
    assert "（已删除人员 2001）" in done
    assert "knows no user 99" in (await bot.send(ADMIN, "/forget 99")).params["text"]

    shown = (await bot.send(LEADER, "/problem 1")).params["text"]
    assert "Li Wei" not in shown and "liwei" not in shown
    assert "Reported by （已删除人员 2001）" in shown
    members = (await bot.send(ADMIN, "/members 1")).params["text"]
    assert "Li Wei" not in members and "（已删除人员 2001）" in members
    # Telegram still sends the old name with their messages: it is not taken back.
    await bot.send(SECRETARY, "/problems")
    assert "Li Wei" not in (await bot.send(ADMIN, "/members 1")).params["text"]
    # The ledger keeps its history and counts: one more event, the forgetting.
    after = await bot.db.fetchall("SELECT count(*) AS n FROM events")
    assert after[0]["n"] == events[0]["n"] + 1
    assert len(await bot.services.repos.problems.unresolved(None)) == 1
