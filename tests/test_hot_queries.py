"""The scheduler's work costs a fixed number of database round trips however many projects are
due, and every query it makes uses an index (a missing one fails here, not in production)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from storage import Database
from storage.access import ADMIN as ADMIN_ROLE
from storage.access import MEMBER, Need
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import project_with, run_jobs
from tests.fakebot import buttons_of
from tests.test_e2e_checkins import S1, SLOT, last_prompt

# About SQLite itself (its file, locks and planner): the SQLite leg runs it.
pytestmark = pytest.mark.sqlite_only

# Tables a hot query may read whole: temporary ones, and the admins' small configuration (the
# county's few dozen departments among it).
MAY_SCAN = {"d", "temp.due_slots", "CONSTANT", "calendar_days", "admins", "departments"}


async def _projects(bot: Harness, count: int, first: int) -> None:
    """``count`` projects, each with two secretaries and a daily 09:00 schedule."""
    schedules, repos, now = bot.services.schedules, bot.services.repos, bot.clock.now()
    for n in range(first, first + count):
        project = await repos.projects.create(
            Need(ADMIN.id, ADMIN_ROLE), f"Project {n}", "Asia/Shanghai", now
        )
        people = [(100_000 + 2 * n + k, f"S{n}-{k}", None, "en") for k in range(2)]
        await repos.members.import_members(project.id, "secretary", people, ADMIN.id, now)
        await schedules.set_schedule(ADMIN.id, [str(project.id), "daily", "09:00"])
        # Each round closes as the next opens, so a tick closes it on time (and queues its
        # summary then, not after the wait for messages held while the bot was down).
        await schedules.set_window(ADMIN.id, [str(project.id), "24h"])
        await repos.problems.create(
            Need(ADMIN.id, MEMBER, project.id), "open issue", now, now, timedelta(0)
        )


@contextmanager
def round_trips(db: Database) -> Iterator[Counter[str]]:
    """Count the calls that cross to the database thread while the block runs, by what crossed
    (aiosqlite hands every call to its thread through ``_execute``)."""
    conn: Any = db._conn
    counts: Counter[str] = Counter()
    original = conn._execute

    def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        counts[getattr(function, "__name__", "call")] += 1
        return original(function, *args, **kwargs)

    conn._execute = counting
    try:
        yield counts
    finally:
        del conn._execute


async def _tick_cost(bot: Harness) -> int:
    """Round trips of one tick that opens every due round, queues every prompt and reminder,
    and closes rounds."""
    with round_trips(bot.db) as counts:
        report = await bot.services.rounds.tick()
    assert report.opened > 0 and report.prompts > 0
    return sum(counts.values())


async def test_a_tick_costs_the_same_for_5_or_50_projects(bot: Harness) -> None:
    """Each measured tick closes yesterday's rounds (and queues their summaries) and opens
    today's: for 5 projects, then for 50."""
    day = timedelta(days=1)
    bot.clock.set(SLOT - timedelta(minutes=30))
    await _projects(bot, 5, 0)
    bot.clock.set(SLOT)
    await bot.services.rounds.tick()
    bot.clock.set(SLOT + day)
    small = await _tick_cost(bot)
    bot.clock.set(SLOT + day * 2 - timedelta(minutes=30))
    await _projects(bot, 45, 5)
    bot.clock.set(SLOT + day * 2)
    await bot.services.rounds.tick()
    bot.clock.set(SLOT + day * 3)
    large = await _tick_cost(bot)
    assert large == small, (small, large)


async def test_an_answer_or_a_press_costs_three_round_trips(bot: Harness) -> None:
    """Per update: who is asking, which check-in, and the whole transaction in one trip (it was
    seven, one per statement, which the update benchmark showed as a fifth of the time)."""
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, S1)
    with round_trips(bot.db) as answer:
        assert "Progress recorded" in (await bot.send(S1, "Level 3", drain=False)).params["text"]
    with round_trips(bot.db) as press:
        await bot.press(S1, prompt, buttons_of(prompt)[0][1], drain=False)
    assert sum(answer.values()) == 3, answer
    assert sum(press.values()) == 3, press


async def test_every_hot_query_uses_an_index(bot: Harness) -> None:
    bot.clock.set(SLOT - timedelta(minutes=30))
    await _projects(bot, 3, 0)
    await bot.send(ADMIN, "/newdept Housing Bureau")
    await bot.send(ADMIN, "/sitin d1 workdays 09:00")
    await bot.send(ADMIN, "/assign 1 d1 1d")
    await bot.send(ADMIN, "/assign 2 d1 2d")
    statements: list[str] = []
    await bot.db.trace(statements.append)
    try:
        bot.clock.set(SLOT)
        await bot.services.rounds.tick()
        await bot.services.outbox.drain()
        bot.clock.advance(timedelta(hours=3))  # reminders
        await bot.services.rounds.tick()
        bot.clock.advance(timedelta(days=4))  # closing, skipped slots, escalations
        await bot.services.rounds.tick()
        await bot.services.escalation.tick()
        await bot.services.chasing.tick()
        await bot.services.chasing.next_due()
        await bot.services.sitins.tick()
        bot.clock.advance(timedelta(days=2))  # the departments' level 2
        await bot.services.chasing.tick()
        await bot.services.chasing.next_due()
        await bot.services.outbox.drain()
    finally:
        await bot.db.trace(None)
    queries = {s for s in statements if s.split()[0].upper() in {"SELECT", "UPDATE", "DELETE"}}
    queries |= {s for s in statements if s.upper().startswith("INSERT") and " SELECT " in s}
    # A partial index holds only the rows a hot query looks for (unsent messages, rounds
    # waiting for their summary): reading it whole in order is what it is for.
    partial = {
        row["name"]
        for row in await bot.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
        )
    }
    scanned = {}
    plans = {}
    for sql in queries:
        plan = [row["detail"] for row in await bot.db.fetchall("EXPLAIN QUERY PLAN " + sql)]
        plans[sql] = plan
        # "SCAN t" reads a whole table (or index); "SEARCH t USING INDEX" does not.
        scans = {
            detail.split()[1]
            for detail in plan
            if detail.startswith("SCAN ") and detail.split()[-1] not in partial
        }
        if scans - MAY_SCAN:
            scanned[sql[:120]] = sorted(scans)
    assert scanned == {}
    # The quiet sweep's summary query reads only the rounds waiting for a summary; on
    # rounds_open it read every closed round ever (18 ms at 100,000, 49 ms at 300,000).
    summaries = [plan for sql, plan in plans.items() if "summary_to FROM rounds" in sql]
    assert summaries
    for plan in summaries:
        assert any("rounds_unsummarized" in detail for detail in plan), plan
    assert len(queries) > 20  # the tick, reminders, closing and escalation all ran
