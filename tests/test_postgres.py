"""PostgreSQL as an operator meets it: ``python -m bot`` with DATABASE_URL serves, and a bad URL,
a wrong password, an unreachable server, a database of a newer schema or a second bot each stop
it with one clear line, a non-zero exit, and nothing written."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest

from tests import pgcluster
from tests.conftest import ADMIN, process_env
from tests.fakebot import FakeBotAPI
from tests.test_config import _run_bot
from tests.test_crash import start_bot


async def _fresh(cluster: pgcluster.Cluster, name: str) -> str:
    admin = await asyncpg.connect(cluster.url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return cluster.url_of(name)


async def _tables(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        return [row[0] for row in rows]
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://db/bangban", "Setting DATABASE_URL must be postgresql://"),
        ("postgresql://", "Setting DATABASE_URL must be postgresql://"),
        ("postgresql://db:port/bangban", "Setting DATABASE_URL has a port that is not a number"),
        ("postgresql://db:5432", "Setting DATABASE_URL must name the database"),
    ],
)
def test_a_malformed_database_url_stops_with_one_line(
    url: str, expected: str, tmp_path: Path
) -> None:
    result = _run_bot({"BOT_TOKEN": "1:x", "DATABASE_URL": url}, tmp_path)
    assert result.returncode == 2 and expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


async def test_a_server_that_refuses_stops_the_bot_with_one_line_and_writes_nothing(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    url = await _fresh(pg_cluster, "refusals")
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE ROLE {pgcluster.PASSWORD_ROLE} LOGIN PASSWORD 'right'")
    await admin.close()
    env = process_env(api, tmp_path / "unused.db")
    port = pg_cluster.port
    cases = {
        f"postgresql://{pgcluster.PASSWORD_ROLE}:wrong@127.0.0.1:{port}/refusals": "password",
        "postgresql://postgres@127.0.0.1:1/refusals": "cannot connect",
    }
    for url_, expected in cases.items():
        result = await asyncio.to_thread(_run_bot, {**env, "DATABASE_URL": url_}, tmp_path)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Setting DATABASE_URL" in lines[0], lines
        assert expected in lines[0] and "wrong" not in lines[0], lines  # no password shown
    assert await _tables(url) == []


async def test_a_newer_schema_is_refused(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    url = await _fresh(pg_cluster, "newer")
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE schema_version (version INTEGER)")
    await conn.execute("INSERT INTO schema_version VALUES (999)")
    await conn.close()
    env = {**process_env(api, tmp_path / "unused.db"), "DATABASE_URL": url}
    result = await asyncio.to_thread(_run_bot, env, tmp_path)
    assert result.returncode == 2
    assert "comes from a newer Bangban (migration 999" in result.stderr
    assert await _tables(url) == ["schema_version"]


async def test_python_m_bot_serves_on_postgres(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    url = await _fresh(pg_cluster, "served")
    first = await start_bot(api, tmp_path / "unused.db", DATABASE_URL=url)
    try:
        mark = len(api.calls)
        await api.send_text(ADMIN, "/newproject Plant")
        reply = await api.reply_to(ADMIN.id, after=mark, timeout=30)
        assert "Project 1 “Plant” created" in reply.params["text"]
    finally:
        first.terminate()
        await api.release_polls()
        await asyncio.wait_for(first.wait(), 30)
    assert first.returncode == 0
    conn = await asyncpg.connect(url)
    assert await conn.fetchval("SELECT name FROM projects") == "Plant"
    await conn.close()


async def test_a_deployment_moves_to_postgres_and_back_whole(
    pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    """migrate-to-postgres copies every table (history, outbox, events, attachments' ids) and
    checks rows and digests; it refuses a target that holds anything; new rows get new ids;
    export-sqlite brings it all back into a new file, checked the same way."""
    from datetime import UTC, datetime, timedelta

    from storage import Database, Repositories
    from storage.access import ADMIN as ADMIN_ROLE
    from storage.access import MEMBER, Need
    from storage.handovers import NewHandover
    from storage.outbox import OutgoingMessage
    from storage.pg import PgDatabase
    from storage.transfer import TABLES, check

    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    source = tmp_path / "live.db"
    db = await Database.open(source)
    try:  # a failure here must not leave the file's thread to hold the run open at exit
        repos = Repositories(db, [ADMIN.id])
        for n in range(3):
            project = await repos.projects.create(Need(ADMIN.id, ADMIN_ROLE), f"P{n}", "UTC", now)
            people = [(2000 + 10 * n + k, f"S{n}{k}", None, "zh-CN") for k in range(2)]
            await repos.members.import_members(project.id, "secretary", people, ADMIN.id, now)
            await repos.problems.create(
                Need(ADMIN.id, MEMBER, project.id), f"问题 {n} 😀", now, now, timedelta(days=1)
            )
        await repos.outbox.enqueue([OutgoingMessage("k1", 2000, "你好")], now)
        department = await repos.departments.create(Need(ADMIN.id, ADMIN_ROLE), "住建局", now)
        await repos.departments.support(Need(ADMIN.id, ADMIN_ROLE, 1), department.id, now)
        handed = NewHandover(department.id, department.name, now, now)
        await repos.handovers.hand(Need(ADMIN.id, ADMIN_ROLE, 1), 1, [handed], now, lambda *_: [])
        plan = Need(ADMIN.id, ADMIN_ROLE, 1)
        await repos.plans.set_field(plan, "total_investment", 320_000_000, now.date(), now)
        await repos.plans.add_milestone(plan, "管网开挖完成", now.date(), now)
        before = {table: await check(db, table) for table in TABLES}
        assert before["handovers"].rows == 1 and before["project_departments"].rows == 1
        assert before["project_plans"].rows == 1 and before["milestones"].rows == 1
    finally:
        await db.close()

    url = await _fresh(pg_cluster, "moved")
    env = {"DATABASE_URL": url}
    moved = await asyncio.to_thread(_run_bot, env, tmp_path, "migrate-to-postgres", source)
    assert moved.returncode == 0, moved.stderr
    assert "every table checked" in moved.stdout and "problems" in moved.stdout
    again = await asyncio.to_thread(_run_bot, env, tmp_path, "migrate-to-postgres", source)
    assert again.returncode == 1 and "the target is not empty" in again.stderr

    pg = await PgDatabase.connect(url)
    try:
        assert {table: await check(pg, table) for table in TABLES} == before
        fresh = await Repositories(pg, [ADMIN.id]).projects.create(
            Need(ADMIN.id, ADMIN_ROLE), "After the move", "UTC", now
        )
        assert fresh.id == 4  # past the copied ids
    finally:
        await pg.close()

    back = tmp_path / "back.db"
    exported = await asyncio.to_thread(_run_bot, env, tmp_path, "export-sqlite", back)
    assert exported.returncode == 0, exported.stderr
    db = await Database.open(back)
    try:
        assert (await check(db, "problems")) == before["problems"]
        assert (await db.fetchone("SELECT count(*) FROM projects"))[0] == 4  # type: ignore[index]
    finally:
        await db.close()


async def test_a_lost_connection_is_opened_again_and_the_bot_lock_taken_again(
    pg_cluster: pgcluster.Cluster,
) -> None:
    """The server drops the bot's connection (a restart, a blip): the statement in flight may
    fail, the next one reconnects, and the one-bot lock is held again."""
    from storage import StorageError
    from storage.pg import BOT_LOCK, PgDatabase

    url = await _fresh(pg_cluster, "dropped")
    db = await PgDatabase.connect(url, exclusive=True)
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = 'dropped' AND pid != pg_backend_pid()"
        )
        with contextlib.suppress(StorageError):
            await db.ping()  # the statement that met the drop
        await db.ping()
        assert (await db.fetchone("SELECT count(*) FROM projects"))[0] == 0
        assert not await admin.fetchval("SELECT pg_try_advisory_lock($1)", BOT_LOCK)
    finally:
        await admin.close()
        await db.close()


def test_sql_is_translated_once_and_its_parameters_every_time() -> None:
    """``?`` and ``:name`` become ``$n`` (a literal's ``?`` and a cast's ``::`` stay); the
    translation is cached by statement, the values are taken afresh from each call."""
    from storage.pg import _compiled, translate

    sql = "SELECT '?', x::text FROM t WHERE a = ? AND b = ? AND c IN (?)"
    assert translate(sql, (1, 2, 3)) == (
        "SELECT '?', x::text FROM t WHERE a = $1 AND b = $2 AND c IN ($3)",
        [1, 2, 3],
    )
    assert translate(sql, [4, 5, 6])[1] == [4, 5, 6]
    named = "UPDATE t SET a = :now WHERE b < :now AND c = :id"
    assert translate(named, {"id": 7, "now": "t1"}) == (
        "UPDATE t SET a = $1 WHERE b < $1 AND c = $2",
        ["t1", 7],
    )
    assert translate(named, {"id": 8, "now": "t2"})[1] == ["t2", 8]
    assert _compiled.cache_info().hits >= 2
    with pytest.raises(TypeError):
        translate(sql, (1, 2))  # one short
    with pytest.raises(TypeError):
        translate(named, ("t1", 7))  # names without a mapping
