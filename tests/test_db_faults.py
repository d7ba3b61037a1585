"""A busy or damaged database: reads go on, writes wait and retry, nothing is reported done that
was not, and a file that cannot work stops the bot at start-up with one line."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from storage import Database, StorageError
from tests.conftest import ADMIN, Harness, make_settings, start_harness
from tests.e2e_helpers import project_with, run_jobs
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser
from tests.test_config import _run_bot
from tests.test_e2e_checkins import SLOT

# About SQLite itself (its file, locks and planner): the SQLite leg runs it.
pytestmark = pytest.mark.sqlite_only

S1 = FakeUser(2001, "Li Wei", "liwei", "en")


@contextmanager
def held(path: Path) -> Iterator[threading.Event]:
    """Another process's connection holds the write lock until the yielded event is set."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(30)
        conn.rollback()
        conn.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join(5)


async def _harness(api: FakeBotAPI, clock: FakeClock, path: Path, patience: float) -> Harness:
    """A bot whose database gives up a write after ``patience`` seconds of another lock."""
    options = {"busy_timeout": timedelta(milliseconds=200), "patience": timedelta(seconds=patience)}
    return await start_harness(api, clock, path, database=options)


async def test_reading_does_not_wait_for_another_writer(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await _harness(api, clock, path, patience=0.5)
    await project_with(bot, "Plant", [S1], "daily 09:00")
    with held(path):
        for command, expected in (("/projects", "Plant"), ("/status 1", "no round yet")):
            assert expected in (await bot.send(ADMIN, command)).params["text"]
        assert "Plant" in (await bot.send(S1, "/start")).params["text"]


async def _sent_during_a_short_lock(api: FakeBotAPI, path: Path, user: FakeUser, text: str) -> str:
    """``user`` sends ``text`` while another process holds the database for longer than
    SQLite's own busy timeout; the bot's answer once the lock is gone."""
    with held(path) as release:
        mark = len(api.calls)
        await api.send_text(user, text)
        await asyncio.sleep(1)
        release.set()
        reply = await api.reply_to(user.id, after=mark, timeout=10)
    return str(reply.params["text"])


async def test_a_write_waits_out_a_short_lock(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await _harness(api, clock, path, patience=10)
    await bot.send(ADMIN, "/start")
    assert "“Plant” created" in await _sent_during_a_short_lock(
        api, path, ADMIN, "/newproject Plant"
    )
    assert await bot.services.repos.projects.count() == 1


async def test_an_answer_waits_out_a_short_lock(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """A progress answer (written in one round trip to the database thread) is retried while
    another process holds the database, then recorded once."""
    path = tmp_path / "b.db"
    bot = await _harness(api, clock, path, patience=10)
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    reply = await _sent_during_a_short_lock(api, path, S1, "Level 3 poured")
    assert "Progress recorded for “Plant”" in reply
    checkin = (await bot.services.repos.checkins.open_checkins_of(S1.id))[0]
    answers = await bot.services.repos.checkins.answers(checkin.id)
    assert [(kind, text) for kind, _, text, _ in answers] == [("progress", "Level 3 poured")]


async def test_a_write_that_cannot_wait_longer_says_nothing_was_saved(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await _harness(api, clock, path, patience=0.5)
    await bot.send(ADMIN, "/start")
    with held(path):
        reply = (await bot.send(ADMIN, "/newproject Plant")).params["text"]
    assert "nothing was saved" in reply and "created" not in reply
    assert await bot.services.repos.projects.count() == 0
    assert "created" in (await bot.send(ADMIN, "/newproject Plant")).params["text"]


async def test_the_apology_comes_even_if_the_report_cannot_be_queued(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(bot.services.projects, "overview", broken)
    monkeypatch.setattr(bot.services.registry, "notify_admins", broken)
    assert "something went wrong" in (await bot.send(ADMIN, "/projects")).params["text"]


def _damage(path: Path) -> None:
    """Make the header's count of free pages wrong: every table still reads, only an integrity
    check notices (SQLite: 'Main freelist: size is 0 but should be 50')."""
    data = bytearray(path.read_bytes())
    data[36:40] = (50).to_bytes(4, "big")
    path.write_bytes(bytes(data))


async def _refused(path: Path) -> str:
    """The reason Database.open refuses the file; a file it accepts is closed again (an open
    connection's thread would keep the test run from ending) and fails the test."""
    try:
        db = await Database.open(path)
    except StorageError as exc:
        return str(exc)
    await db.close()
    raise AssertionError(f"{path.name} was accepted")


async def test_damaged_or_foreign_files_are_refused_at_start(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, just some text" * 200)
    assert "not a database" in await _refused(garbage)

    # Damaged after a crash (no clean stop recorded): refused before the first update.
    damaged = tmp_path / "damaged.db"
    db = await Database.open(damaged)
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    await db._conn.close()  # as a crash leaves it: no clean stop
    await asyncio.to_thread(_damage, damaged)
    assert "damaged" in await _refused(damaged)


async def test_after_a_clean_stop_the_integrity_check_runs_after_start_and_tells_the_admins(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """The check grows with the file (6.6 s at 2 GB), so after a clean stop it does not stand
    between a start and the first answer: it runs in a worker, and a damaged file is reported
    to the admins while the bot goes on."""
    from storage.backup import integrity_problem

    path = tmp_path / "b.db"
    db = await Database.open(path)
    assert not db.check_deferred  # a new file: checked at once
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()
    db = await Database.open(path)
    assert db.check_deferred and await integrity_problem(db) is None
    await db.fetchone("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.close()
    await asyncio.to_thread(_damage, path)

    api.known_chats.add(ADMIN.id)
    bot = await start_harness(api, clock, path)
    assert bot.db.check_deferred
    told = await api.wait_for(  # in DEFAULT_LANGUAGE: the admin never wrote to the bot yet
        lambda c: c.params.get("chat_id") == ADMIN.id and "完整性检查" in c.params["text"]
    )
    assert "freelist" in told.params["text"].lower()
    assert "No projects yet" in (await bot.send(ADMIN, "/projects")).params["text"]  # goes on


def test_a_damaged_file_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"not a database " * 500)
    settings = make_settings(FakeBotAPI(), path)
    result = _run_bot({"BOT_TOKEN": "1:x", "DATABASE_PATH": str(settings.database_path)}, tmp_path)
    assert result.returncode == 2
    assert "Setting DATABASE_PATH" in result.stderr and "not a database" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_a_failed_commit_is_rolled_back_and_later_writes_work(tmp_path: Path) -> None:
    """A COMMIT that fails (here a deferred constraint; in production a full disk) leaves
    SQLite's transaction open: without a rollback every later write failed until a restart."""
    db = await Database.open(tmp_path / "b.db")
    try:
        await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        await db.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent(id))")

        async def broken(conn: Any) -> None:
            await conn.execute("PRAGMA defer_foreign_keys=ON")
            await conn.execute("INSERT INTO child VALUES (42)")  # fails only at COMMIT

        with pytest.raises(sqlite3.IntegrityError):
            async with db.write() as conn:
                await broken(conn)
        with pytest.raises(sqlite3.IntegrityError):
            await db.at_once(broken)
        async with db.write() as conn:
            await conn.execute("INSERT INTO parent VALUES (1)")

        async def sound(conn: Any) -> None:
            await conn.execute("INSERT INTO child VALUES (1)")

        await db.at_once(sound)
        assert await db.fetchall("SELECT * FROM child") != []
        assert await db.fetchall("SELECT * FROM child WHERE parent_id = 42") == []
    finally:
        await db.close()
