"""Scheduler jobs follow the database: escalation at the next deadline, pruning of old rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs import OUTBOX_KEEP
from bot.web.access import Unauthorized
from storage.outbox import OutgoingMessage
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import FakeUser

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
# The scheduler runs on real time: dates ahead of it keep the jobs pending.
FUTURE = datetime(2030, 1, 7, 0, 30, tzinfo=UTC)


def _escalation_job(bot: Harness) -> datetime | None:
    job = bot.app.job_queue.scheduler.get_job("escalate")  # type: ignore[union-attr]
    return None if job is None else job.next_run_time


async def test_the_escalation_job_waits_for_the_next_deadline(bot: Harness) -> None:
    bot.clock.set(FUTURE)
    await project_with(bot, "Plant", [S1])
    await invite_and_join(bot, 1, "leader", LEADER)
    assert _escalation_job(bot) is None
    reported = await bot.send(S1, "/newproblem 1 Crane broken")
    assert _escalation_job(bot) == FUTURE + timedelta(days=3)  # the default deadline
    await bot.press(S1, reported, "pb:d1:1")
    assert _escalation_job(bot) == FUTURE + timedelta(days=1)

    bot.clock.advance(timedelta(days=1, seconds=1))
    job = bot.app.job_queue.get_jobs_by_name("escalate")[0]  # type: ignore[union-attr]
    await job.run(bot.app)  # the card goes out at once, not at the next sweep
    assert [c for c in bot.api.sent_to(LEADER.id) if "Level 1 (chief leader" in c.params["text"]]
    # Next: level 2, two days after level 1.
    assert _escalation_job(bot) == FUTURE + timedelta(days=3, seconds=1)
    await bot.send(LEADER, "/resolve 1 fixed")
    assert _escalation_job(bot) is None


async def test_old_delivered_messages_are_pruned_and_pending_ones_kept(bot: Harness) -> None:
    now = bot.clock.now()
    old = now - OUTBOX_KEEP - timedelta(days=1)
    await bot.send(ADMIN, "/start")
    await bot.services.repos.outbox.enqueue([OutgoingMessage("old", ADMIN.id, "old")], old)
    await bot.services.outbox.drain()
    await bot.services.repos.outbox.enqueue([OutgoingMessage("new", ADMIN.id, "new")], now)
    await bot.services.outbox.drain()
    await bot.services.repos.outbox.enqueue([OutgoingMessage("waiting", ADMIN.id, "w")], old)
    row = await bot.db.fetchone("SELECT id FROM outbox WHERE dedupe_key = 'waiting'")
    assert row is not None
    await bot.services.repos.outbox.mark_retry(row["id"], now + timedelta(hours=1), "flood")
    job = bot.app.job_queue.get_jobs_by_name("prune")[0]  # type: ignore[union-attr]
    await job.run(bot.app)
    rows = await bot.db.fetchall("SELECT dedupe_key, status FROM outbox ORDER BY id")
    keys = [row["dedupe_key"] for row in rows]
    assert "old" not in keys and "new" in keys and "waiting" in keys


async def test_a_large_slot_is_queued_in_bounded_batches_and_sending_starts_after_the_first(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prompts are rendered and queued a batch at a time (memory stays bounded however large
    the slot), the first a small one, and the outbox is asked to send after each batch, not
    only after the last."""
    from bot.checkins import rounds
    from tests.test_e2e_checkins import SLOT

    monkeypatch.setattr(rounds, "PROMPT_BATCH", 2)
    monkeypatch.setattr(rounds, "FIRST_BATCH", 1)
    secretaries = [FakeUser(6000 + n, f"S{n}", f"s{n}", "en") for n in range(6)]
    await project_with(bot, "Plant", secretaries, "daily 09:00")
    fetched: list[int] = []
    needing = bot.services.repos.checkins.needing_prompt

    afters: list[int] = []

    async def counted(now: datetime, limit: int, after: int = 0) -> list[object]:
        found = await needing(now, limit, after)
        fetched.append(len(found))
        afters.append(after)
        return list(found)

    monkeypatch.setattr(bot.services.repos.checkins, "needing_prompt", counted)
    asked: list[int] = []
    bot.clock.set(SLOT)
    report = await bot.services.rounds.tick(lambda: asked.append(1))
    assert report.prompts == 6
    # A small first batch (its prompts leave while the rest are rendered), then full ones.
    assert fetched == [1, 2, 2, 1] and len(asked) == 4
    # Each batch reads on from the last check-in of the one before, not from the first.
    assert afters[0] == 0 and afters == sorted(set(afters))
    await bot.services.outbox.drain()
    assert all(bot.api.sent_to(s.id) for s in secretaries)


async def test_a_large_slot_is_opened_in_batches_each_prompted_before_the_next(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rounds of a slot are opened a batch of schedules at a time, the first a small one, and
    each batch's prompts are queued (and sending asked for) before the next batch is opened:
    the first prompts do not wait for every project of the slot to be opened."""
    from bot.checkins import rounds
    from tests.test_e2e_checkins import SLOT

    monkeypatch.setattr(rounds, "FIRST_OPEN", 1)
    monkeypatch.setattr(rounds, "OPEN_BATCH", 2)
    secretaries = [FakeUser(6100 + n, f"S{n}", f"s{n}", "en") for n in range(5)]
    for n, secretary in enumerate(secretaries):
        await project_with(bot, f"Plant {n}", [secretary], "daily 09:00")
    steps: list[str] = []
    open_due = bot.services.repos.rounds.open_due

    async def recorded(plans: list[object], *args: object) -> tuple[int, int]:
        steps.append(f"open {len(plans)}")
        return await open_due(plans, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(bot.services.repos.rounds, "open_due", recorded)
    bot.clock.set(SLOT)
    report = await bot.services.rounds.tick(lambda: steps.append("send"))
    assert (report.opened, report.prompts) == (5, 5)
    assert steps == ["open 1", "send", "open 2", "send", "open 2", "send"]
    await bot.services.outbox.drain()
    assert all(bot.api.sent_to(s.id) for s in secretaries)
    # The next tick of the same minute opens nothing again.
    assert (await bot.services.rounds.tick()).opened == 0


async def test_check_ins_needing_a_prompt_are_read_on_from_a_given_one(bot: Harness) -> None:
    secretaries = [FakeUser(6200 + n, f"S{n}", f"s{n}", "en") for n in range(3)]
    await project_with(bot, "Plant", secretaries)
    now = bot.clock.now()
    opened = await bot.services.repos.rounds.open_round(
        1, now, now.date(), now + timedelta(hours=4), "manual", now
    )
    assert opened is not None
    checkins = bot.services.repos.checkins
    every = [c.id for c in await checkins.needing_prompt(now, 10)]
    assert len(every) == 3
    assert [c.id for c in await checkins.needing_prompt(now, 10, every[0])] == every[1:]
    assert [c.id for c in await checkins.needing_prompt(now, 1, every[0])] == every[1:2]


async def test_the_daily_prune_forgets_expired_board_links_and_sessions(bot: Harness) -> None:
    access = bot.services.web_access
    await access.open_session(await access.login_token(ADMIN.id))
    unused = await access.login_token(ADMIN.id)
    bot.clock.advance(access.session_ttl + timedelta(minutes=1))  # both expired
    live = await access.open_session(await access.login_token(ADMIN.id))
    job = bot.app.job_queue.get_jobs_by_name("prune")[0]  # type: ignore[union-attr]
    await job.run(bot.app)
    for table in ("web_sessions", "web_logins"):
        rows = await bot.db.fetchall(f"SELECT token_hash FROM {table}")
        assert len(rows) == 1, table  # the live one
    assert (await access.from_session(live)).user_id == ADMIN.id
    with pytest.raises(Unauthorized):
        await access.open_session(unused)
