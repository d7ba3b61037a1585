"""Backups while the bot runs, checked restores, and the maintenance commands."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.backup import BackupService
from storage import StorageError
from storage.access import MEMBER, Need
from storage.backup import backup_live, check_file, restore_file, running_lock
from tests.conftest import ADMIN, TOKEN, process_env, start_harness, stop_harness
from tests.e2e_helpers import project_with
from tests.fakebot import BOT_USERNAME, FakeBotAPI, FakeClock
from tests.test_config import _run_bot
from tests.test_e2e_ledger import SECRETARY

# About SQLite itself (its file, locks and planner): the SQLite leg runs it.
pytestmark = pytest.mark.sqlite_only


async def test_a_backup_taken_during_a_burst_of_writes_restores(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "live.db")
    try:
        await project_with(bot, "South Road", [SECRETARY])
        problems = bot.services.repos.problems

        started = asyncio.Event()

        async def burst() -> None:
            for n in range(400):
                if n == 10:
                    started.set()  # well into the burst
                await problems.create(
                    Need(SECRETARY.id, MEMBER, 1),
                    f"Problem {n}",
                    clock.now() + timedelta(days=3),
                    clock.now(),
                    timedelta(minutes=10),
                )

        writing = asyncio.create_task(burst())
        await started.wait()
        await backup_live(bot.db, tmp_path / "copy.db")
        assert not writing.done()
        await writing
    finally:
        await stop_harness(bot)
    assert check_file(tmp_path / "copy.db") > 0
    conn = sqlite3.connect(tmp_path / "copy.db")
    copied = conn.execute("SELECT count(*) FROM problems").fetchone()[0]
    events = conn.execute("SELECT count(*) FROM events WHERE kind = 'problem.reported'").fetchone()
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert 10 <= copied < 400 and events[0] == copied  # a snapshot: every problem with its event

    restored = tmp_path / "restored.db"
    assert restore_file(tmp_path / "copy.db", restored) > 0
    bot = await start_harness(api, clock, restored)
    try:
        listing = (await bot.send(ADMIN, "/problems")).params["text"]
        assert f"({copied})" in listing
    finally:
        await stop_harness(bot)


def test_restore_checks_the_file_and_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    target = tmp_path / "live.db"
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(StorageError):
        restore_file(damaged, target)
    stranger = tmp_path / "other.db"
    sqlite3.connect(stranger).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StorageError, match="not a Bangban database"):
        restore_file(stranger, target)


async def test_daily_backups_keep_the_newest(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "live.db")
    try:
        service = BackupService(bot.db, clock, tmp_path / "backups", keep=2)
        for _ in range(3):
            await service.run()
            clock.advance(timedelta(days=1))
        kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
        assert kept == ["bangban-20260303-003000.db", "bangban-20260304-003000.db"]
        assert check_file(tmp_path / "backups" / kept[-1]) > 0
    finally:
        await stop_harness(bot)


def _cli(tmp_path: Path, api: FakeBotAPI, *args: str) -> subprocess.CompletedProcess[str]:
    env = process_env(api, tmp_path / "live.db")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


async def test_the_maintenance_commands(api: FakeBotAPI, clock: FakeClock, tmp_path: Path) -> None:
    bot = await start_harness(api, clock, tmp_path / "live.db")
    await project_with(bot, "South Road", [])
    await stop_harness(bot)

    version = await asyncio.to_thread(_cli, tmp_path, api, "--version")
    assert version.returncode == 0 and version.stdout.startswith("bangban ")
    checked = await asyncio.to_thread(_cli, tmp_path, api, "check-config")
    assert checked.returncode == 0, checked.stderr
    assert f"the bot is @{BOT_USERNAME}" in checked.stdout and TOKEN not in checked.stdout

    backup = await asyncio.to_thread(_cli, tmp_path, api, "backup", str(tmp_path / "b.db"))
    assert backup.returncode == 0 and check_file(tmp_path / "b.db") > 0
    again = await asyncio.to_thread(_cli, tmp_path, api, "backup", str(tmp_path / "b.db"))
    assert again.returncode == 1 and "exists" in again.stderr

    with running_lock(tmp_path / "live.db"):  # as a running bot holds it
        refused = await asyncio.to_thread(_cli, tmp_path, api, "restore", str(tmp_path / "b.db"))
    assert refused.returncode == 1 and "a bot is running" in refused.stderr
    restored = await asyncio.to_thread(_cli, tmp_path, api, "restore", str(tmp_path / "b.db"))
    assert restored.returncode == 0, restored.stderr
    wrong = await asyncio.to_thread(_cli, tmp_path, api, "frobnicate")
    assert wrong.returncode == 2 and "usage" in wrong.stderr
    with contextlib.suppress(FileNotFoundError):
        (tmp_path / "b.db").unlink()


class _HeldVacuum:
    """A sqlite3 connection whose VACUUM INTO waits until released (a large file's copy)."""

    def __init__(self, conn: sqlite3.Connection, entered: Any, release: Any) -> None:
        self._conn, self._entered, self._release = conn, entered, release

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("VACUUM"):
            self._entered.set()
            self._release.wait(10)
        return self._conn.execute(sql, *args)

    def close(self) -> None:
        self._conn.close()


async def test_the_bot_answers_queries_while_a_backup_is_being_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from storage import Database

    entered, release = threading.Event(), threading.Event()
    db = await Database.open(tmp_path / "live.db")
    connect = sqlite3.connect  # patched after the bot's own connection is open
    monkeypatch.setattr(
        "storage.backup.sqlite3.connect",
        lambda *a, **k: _HeldVacuum(connect(*a, **k), entered, release),
    )
    try:
        copying = asyncio.create_task(backup_live(db, tmp_path / "copy.db"))
        assert await asyncio.to_thread(entered.wait, 5)
        # Mid-copy: a write and a read of the bot's own are answered at once.
        await asyncio.wait_for(db.execute("PRAGMA user_version"), 2)
        async with asyncio.timeout(2), db.write() as conn:
            await conn.execute("CREATE TABLE meanwhile (x)")
        release.set()
        await copying
        assert check_file(tmp_path / "copy.db") == await db.schema_version()
    finally:
        release.set()
        await db.close()


async def test_commands_that_never_talk_to_telegram_need_no_token(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """An operator's cron job, or a restore on a spare machine, has only the database path."""
    bot = await start_harness(api, clock, tmp_path / "live.db")
    await project_with(bot, "South Road", [])
    await stop_harness(bot)
    env = {
        key: value
        for key, value in process_env(api, tmp_path / "live.db").items()
        if key != "BOT_TOKEN"
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return _run_bot(env, tmp_path, *args)

    backup = await asyncio.to_thread(cli, "backup", str(tmp_path / "b.db"))
    assert backup.returncode == 0, backup.stderr
    restored = await asyncio.to_thread(cli, "restore", str(tmp_path / "b.db"))
    assert restored.returncode == 0, restored.stderr
    migrated = await asyncio.to_thread(cli, "migrate")
    assert migrated.returncode == 0 and "up to date" in migrated.stdout, migrated.stderr
    checked = await asyncio.to_thread(cli, "check-config")
    assert checked.returncode == 1, checked.stderr
    assert "DATABASE_PATH:" in checked.stdout and "BOT_TOKEN: not set" in checked.stdout
    serve = await asyncio.to_thread(cli)
    assert serve.returncode == 2 and "Setting BOT_TOKEN is required" in serve.stderr
