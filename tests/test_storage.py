"""Storage: pragmas, migrations, UTC timestamps, the append-only event log."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import Database, StorageError
from storage.db import Tx, from_db, insert_id, to_db
from storage.migrations import migrations
from storage.pg import PgDatabase, pg_migrations

# A refused write, as each engine reports it: a constraint, or the events table's trigger.
REFUSED = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError, asyncpg.RaiseError)


async def test_database_is_configured_and_migrated(db: Database) -> None:
    """SQLite: WAL, foreign keys and busy timeout are on. Either engine: every migration of its
    own is applied."""
    if isinstance(db, PgDatabase):
        assert await db.schema_version() == len(pg_migrations())
        return
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
    assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
    assert await db.schema_version() == len(migrations())


async def test_reopening_does_not_migrate_twice(tmp_path: Path) -> None:
    """A restart keeps the data and the schema version."""
    first = await Database.open(tmp_path / "x.db")
    await first.execute(
        "INSERT INTO projects (name, timezone, created_at) VALUES ('p', 'UTC', ?)",
        (to_db(datetime.now(UTC)),),
    )
    await first.close()
    second = await Database.open(tmp_path / "x.db")
    assert await second.schema_version() == len(migrations())
    assert (await second.fetchone("SELECT count(*) FROM projects"))[0] == 1  # type: ignore[index]
    await second.close()


def test_timestamps_are_stored_as_utc() -> None:
    """Any aware time is stored in UTC and sorts as text; naive times are refused."""
    beijing = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert to_db(beijing) == "2026-03-02T01:00:00.000000Z"
    assert from_db(to_db(beijing)) == beijing
    with pytest.raises(ValueError, match="naive"):
        to_db(datetime(2026, 3, 2, 9, 0))


moments = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(moments, moments)
def test_stored_times_read_back_exactly_and_sort_as_text(a: datetime, b: datetime) -> None:
    """Every moment reads back unchanged, and text order is time order (queries rely on it)."""
    assert from_db(to_db(a)) == a
    assert len(to_db(a)) == len("2026-03-02T01:00:00.000000Z")
    assert (to_db(a) < to_db(b)) == (a < b)


async def test_events_are_append_only(db: Database) -> None:
    """History cannot be edited or deleted, even by mistake."""
    await db.execute("INSERT INTO events (at, kind) VALUES (?, 'x')", (to_db(datetime.now(UTC)),))
    with pytest.raises(REFUSED, match="append-only"):
        await db.execute("UPDATE events SET kind = 'y'")
    with pytest.raises(REFUSED, match="append-only"):
        await db.execute("DELETE FROM events")


async def test_failed_transaction_leaves_nothing(db: Database) -> None:
    """A write that fails half-way is rolled back whole."""
    with pytest.raises(REFUSED):
        async with db.write() as conn:
            await conn.execute(
                "INSERT INTO projects (name, timezone, created_at) VALUES ('p', 'UTC', 'now')"
            )
            await conn.execute(
                "INSERT INTO memberships (project_id, user_id, role, added_at)"
                " VALUES (999, 999, 'secretary', 'now')"
            )
    assert (await db.fetchone("SELECT count(*) FROM projects"))[0] == 0  # type: ignore[index]


async def test_a_transaction_at_once_commits_whole_or_not_at_all(db: Database) -> None:
    """The one-round-trip transaction: committed when its body ends, rolled back whole when it
    raises, and refused (rolled back) when its body waits for anything but the database."""
    insert = "INSERT INTO projects (name, timezone, created_at) VALUES (?, 'UTC', 'now')"

    async def two(conn: Tx) -> int | None:
        await conn.execute(insert, ("a",))
        return await insert_id(conn, insert, ("b",))

    async def broken(conn: Tx) -> None:
        await conn.execute(insert, ("c",))
        await conn.execute(
            "INSERT INTO memberships (project_id, user_id, role, added_at)"
            " VALUES (999, 999, 'secretary', 'now')"
        )

    async def wandering(conn: Tx) -> None:
        await conn.execute(insert, ("d",))
        await asyncio.sleep(0)

    assert await db.at_once(two) == 2
    with pytest.raises(REFUSED):
        await db.at_once(broken)
    if not isinstance(db, PgDatabase):  # SQLite runs the body in its thread: no other awaits
        with pytest.raises(RuntimeError, match="waited for something else"):
            await db.at_once(wandering)
    names = [r[0] for r in await db.fetchall("SELECT name FROM projects ORDER BY id")]
    assert names == ["a", "b"]
    assert (await db.fetchone("SELECT 1"))[0] == 1  # type: ignore[index]  # still usable


async def test_a_migration_that_breaks_a_reference_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables are rebuilt with foreign keys off; a dangling reference stops the migration and
    leaves the database as it was."""
    path = tmp_path / "x.db"
    first = await Database.open(path)
    await first.execute(
        "INSERT INTO projects (name, timezone, created_at) VALUES ('p', 'UTC', ?)",
        (to_db(datetime.now(UTC)),),
    )
    await first.execute(
        "INSERT INTO rounds (project_id, slot_at, local_date, closes_at, status, origin,"
        " opened_at) VALUES (1, 'a', '2026-01-01', 'b', 'open', 'manual', 'c')"
    )
    await first.close()
    breaking = "CREATE TABLE projects_new (id INTEGER PRIMARY KEY); DROP TABLE projects;"
    rebuilding = (
        "CREATE TABLE projects_new (id INTEGER PRIMARY KEY, name TEXT, timezone TEXT,"
        " status TEXT, created_at TEXT, created_by INTEGER, deadline_default_seconds INTEGER,"
        " summary_to TEXT, digest TEXT);"
        " INSERT INTO projects_new SELECT * FROM projects; DROP TABLE projects;"
        " ALTER TABLE projects_new RENAME TO projects;"
    )
    known = migrations()
    monkeypatch.setattr("storage.db.migrations", lambda: (*known, breaking))
    try:
        opened = await Database.open(path)
    except StorageError as exc:
        assert f"migration {len(known) + 1} breaks" in str(exc)
    else:
        await opened.close()  # an open connection's thread would keep the run from ending
        pytest.fail("a migration that breaks a reference was committed")
    monkeypatch.setattr("storage.db.migrations", lambda: (*known, rebuilding))
    second = await Database.open(path)
    assert await second.schema_version() == len(known) + 1
    assert (await second.fetchone("SELECT count(*) FROM rounds"))[0] == 1  # type: ignore[index]
    assert (await second.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    await second.close()
