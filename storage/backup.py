"""Backups: consistent copies of a live database (``VACUUM INTO`` reads one snapshot, so writes
going on meanwhile are either wholly in it or not at all), checks of a copy, and restores.

The functions that take paths are synchronous (for the command line, or a worker thread).
:func:`backup_live` runs one of them in a worker thread on a connection of its own: on the bot's
connection the copy held every query of every update for as long as it took (seconds for a
large file). In WAL mode the copy's read snapshot does not block the bot's writes. SQLite's
online-backup API, stepping a few pages at a time, was the other way; but a write by any other
connection restarts it from the first page, so a busy bot could keep a large backup from ever
finishing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from storage.db import Database, StorageError
from storage.migrations import migrations


async def backup_live(db: Database, target: Path) -> None:
    """Copy the open database into ``target`` (which must not exist) without stopping it, or
    holding up its queries meanwhile."""
    if db.path is None:
        raise StorageError("an in-memory database has no file to back up")
    await asyncio.to_thread(backup_file, db.path, target)


async def integrity_problem(db: Database) -> str | None:
    """The integrity check a clean start left for later (``db.check_deferred``), on a
    connection of its own in a worker thread, so the bot's queries go on meanwhile: None when
    the file is sound, else what SQLite found."""
    if db.path is None:
        return None
    return await asyncio.to_thread(_quick_check_file, db.path)


def _quick_check_file(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    found = "; ".join(str(row[0]) for row in rows)
    return None if found == "ok" else found


def backup_file(source: Path, target: Path) -> None:
    """Copy the database at ``source`` (a bot may be running on it) into ``target``."""
    if target.exists():
        raise StorageError(f"{target} exists; choose a new file")
    if not source.exists():
        raise StorageError(f"no database at {source}")
    conn = sqlite3.connect(source, timeout=30)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as exc:
        raise StorageError(f"cannot back up {source}: {exc}") from exc
    finally:
        conn.close()


def check_file(path: Path) -> int:
    """The copy's schema version, if it is a sound Bangban database this version can run."""
    if not path.is_file():
        raise StorageError(f"no file {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StorageError(f"{path} is not a database: {exc}") from exc
    if result is None or result[0] != "ok":
        raise StorageError(f"{path} is damaged: {result[0] if result else 'no answer'}")
    if "projects" not in tables or version < 1:
        raise StorageError(f"{path} is not a Bangban database")
    if version > len(migrations()):
        raise StorageError(
            f"{path} comes from a newer Bangban (migration {version}, this one knows "
            f"{len(migrations())})"
        )
    return version


@contextlib.contextmanager
def running_lock(database: Path) -> Iterator[None]:
    """Held while a bot runs on ``database``: a second bot, or a restore, is refused."""
    lock_path = database.with_name(database.name + ".lock")
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError(f"a bot is running on {database}") from None
        yield
    finally:
        os.close(handle)


def restore_file(source: Path, database: Path) -> int:
    """Replace ``database`` with the checked copy ``source``; refused while a bot runs on it.
    Returns the copy's schema version (start-up migrates it if it is older)."""
    version = check_file(source)
    with running_lock(database):
        for suffix in ("-wal", "-shm"):
            stale = database.with_name(database.name + suffix)
            stale.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(database)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    return version
