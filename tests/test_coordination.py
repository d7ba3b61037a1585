"""What replicas on one database coordinate through: outbox claims (skipped, not waited for,
by another replica), a chat's updates taking turns in update order, and the count of live
replicas that shares the bot's rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.outbox import CLAIM_LEASE
from bot.turns import ChatTurns
from handlers.ratelimit import PriorityRateLimiter
from storage import Database
from storage.leader import Turn
from storage.outbox import OutboxRepo, OutgoingMessage
from storage.pg import PgDatabase
from storage.pg_replicas import PgLeaderLock, PgUpdateTurns
from tests import pgcluster

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _queued(db: Database, chats: range) -> list[int]:
    repo = OutboxRepo(db)
    await repo.enqueue([OutgoingMessage(f"m:{c}", c, "notice") for c in chats], NOW)
    return [m.id for m in await repo.due(NOW, 100)]


async def test_a_row_claimed_by_another_process_is_left_to_it_until_its_claim_runs_out(
    db: Database,
) -> None:
    repo = OutboxRepo(db)
    ids = await _queued(db, range(1, 4))
    assert await repo.claim(ids, NOW, CLAIM_LEASE) == set(ids)
    assert await repo.claim(ids, NOW, CLAIM_LEASE) == set(ids)  # its own, again
    db.replica_id = "another replica"
    assert await repo.due(NOW, 100) == []
    assert await repo.claim(ids, NOW, CLAIM_LEASE) == set()
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)  # the first sender died meanwhile
    assert [m.id for m in await repo.due(later, 100)] == ids
    assert await repo.claim(ids, later, CLAIM_LEASE) == set(ids)


async def test_a_retry_gives_its_claim_up(db: Database) -> None:
    repo = OutboxRepo(db)
    ids = await _queued(db, range(1, 2))
    await repo.claim(ids, NOW, CLAIM_LEASE)
    await repo.mark_retry(ids[0], NOW, "5xx")
    db.replica_id = "the next leader"
    assert await repo.claim(ids, NOW, CLAIM_LEASE) == set(ids)


@pytest.mark.sqlite_only
async def test_claims_an_earlier_process_left_on_the_file_are_void(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "b.db")
    ids = await _queued(db, range(1, 4))
    await OutboxRepo(db).claim(ids, NOW, CLAIM_LEASE)
    await db.close()
    again = await Database.open(tmp_path / "b.db")  # a new process: a new replica id
    try:
        assert [m.id for m in await OutboxRepo(again).due(NOW, 100)] == ids
    finally:
        await again.close()


@pytest.fixture
async def pg_url(pg_cluster: pgcluster.Cluster) -> AsyncIterator[str]:
    name = f"coord{id(object())}"
    admin = await asyncpg.connect(pg_cluster.url)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_cluster.url_of(name)
    finally:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture
async def turns(pg_url: str) -> AsyncIterator[tuple[PgUpdateTurns, PgUpdateTurns]]:
    """Two replicas' turns on one database."""
    await (await PgDatabase.connect(pg_url)).close()  # the schema
    first, second = PgUpdateTurns(pg_url, "a"), PgUpdateTurns(pg_url, "b")
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
async def two(pg_url: str) -> AsyncIterator[tuple[PgDatabase, PgDatabase]]:
    """Two replicas' connections to one database."""
    first = await PgDatabase.connect(pg_url)
    second = await PgDatabase.connect(pg_url)
    yield first, second
    await first.close()
    await second.close()


async def test_a_claim_skips_rows_another_replica_is_claiming_instead_of_waiting(
    two: tuple[PgDatabase, PgDatabase], pg_url: str
) -> None:
    first, second = two
    ids = await _queued(first, range(1, 4))
    busy = await asyncpg.connect(pg_url)  # a replica in the middle of its claim
    try:
        async with busy.transaction():
            await busy.execute("SELECT id FROM outbox WHERE id = $1 FOR UPDATE", ids[0])
            got = await asyncio.wait_for(OutboxRepo(second).claim(ids, NOW, CLAIM_LEASE), 5)
            assert got == set(ids[1:])
    finally:
        await busy.close()


async def test_a_chats_updates_take_turns_across_replicas_in_update_order(
    turns: tuple[PgUpdateTurns, PgUpdateTurns],
) -> None:
    a, b = turns
    assert await a.arrive(10, 7) is Turn.GO
    assert await b.arrive(11, 7) is Turn.WAIT  # 10 is being handled
    assert await b.arrive(50, 8) is Turn.GO  # another chat goes at once
    assert await a.arrive(12, 7, take=False) is Turn.WAIT
    await a.finish(10)
    assert await a.take(12, 7) is Turn.WAIT  # 11 came first and waits for its turn
    assert await b.take(11, 7) is Turn.GO
    await b.finish(11)
    assert await a.take(12, 7) is Turn.GO
    await a.finish(12)
    assert await b.arrive(10, 7) is Turn.DONE  # posted again: handled once


async def test_a_replica_that_died_holding_a_turn_holds_the_chat_no_longer_than_its_lease(
    turns: tuple[PgUpdateTurns, PgUpdateTurns], pg_url: str
) -> None:
    a, b = turns
    assert await a.arrive(20, 7) is Turn.GO  # and a dies
    assert await b.arrive(21, 7) is Turn.WAIT
    expire = await asyncpg.connect(pg_url)
    await expire.execute("UPDATE update_turns SET taken_until = now() - interval '1 second'")
    await expire.close()
    assert await b.take(21, 7) is Turn.GO
    # The dead replica's update, posted to b again, is handled there (it never was).
    await b.finish(21)
    assert await b.arrive(20, 7) is Turn.GO


async def test_two_replicas_handle_one_chats_updates_one_at_a_time_in_order(
    turns: tuple[PgUpdateTurns, PgUpdateTurns],
) -> None:
    replicas = [ChatTurns(replica) for replica in turns]
    handled: list[int] = []
    running = 0
    most = 0

    async def handle(update_id: int) -> None:
        nonlocal running, most
        turns = replicas[update_id % 2]
        assert await turns.begin(update_id, 99, noted=True)
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005)
        handled.append(update_id)
        running -= 1
        await turns.end(update_id)

    updates = range(100, 130)
    for update_id in updates:  # they arrive in order, alternately at either replica
        assert await replicas[update_id % 2].arrive(update_id, 99)
    await asyncio.gather(*(handle(u) for u in reversed(updates)))
    assert most == 1
    assert handled == list(updates)


async def test_replicas_count_each_other_alive_and_a_stopped_one_at_once(pg_url: str) -> None:
    await (await PgDatabase.connect(pg_url)).close()  # the schema
    first, second = PgLeaderLock(pg_url, "one"), PgLeaderLock(pg_url, "two")
    try:
        assert await first.beat() == 1
        assert await second.beat() == 2
        assert await first.beat() == 2
        await second.release()
        assert await first.beat() == 1
    finally:
        await first.release()
        await second.release()


async def _burst(limiter: PriorityRateLimiter) -> int:
    """How many sends go at once (the saved-up burst; the refill is far slower than this)."""
    bucket = limiter._overall
    assert bucket is not None
    taken = 0

    async def take_all() -> None:
        nonlocal taken
        while True:
            await bucket.take(False)
            taken += 1

    spending = asyncio.create_task(take_all())
    await asyncio.sleep(0.02)
    spending.cancel()
    return taken


@pytest.mark.parametrize(
    ("processes", "leading", "burst"), [(1, True, 40), (2, True, 30), (2, False, 10), (4, False, 5)]
)
async def test_replicas_share_the_bots_rate_the_leader_keeping_the_larger_part(
    processes: int, leading: bool, burst: int
) -> None:
    limiter = PriorityRateLimiter(per_second=40)
    await limiter.initialize()
    limiter.share_among(processes, leading)
    assert await _burst(limiter) == burst
    await limiter.shutdown()
