"""Moving a deployment between engines: ``migrate-to-postgres`` and back, ``export-sqlite``."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import StorageSettings
from storage import Database, StorageError
from storage.backup import backup_file
from storage.pg import PgDatabase
from storage.transfer import copy_all

Opener = Callable[[], Awaitable[Database]]


async def _copy(command: str, source: Opener, target: Opener, done: str) -> int:
    """Open both, copy every table, check it, report; one line and exit 1 if anything fails."""
    try:
        from_db = await source()
        try:
            to_db = await target()
            try:
                checks = await copy_all(from_db, to_db)
            finally:
                await to_db.close()
        finally:
            await from_db.close()
    except StorageError as exc:
        print(f"bangban {command}: {exc}", file=sys.stderr)
        return 1
    print(f"{done}; every table checked (rows and digest):")
    for found in checks:
        print(f"  {found.table:<16} {found.rows:>9} rows  digest {found.digest[:16]}")
    return 0


async def migrate_to_postgres(settings: StorageSettings, source: Path) -> int:
    """Copy the SQLite file ``source`` (a bot may be running on it: a consistent snapshot is
    copied) into the empty PostgreSQL database at DATABASE_URL, and check the copy."""
    url = settings.database_url
    if url is None:
        print("bangban migrate-to-postgres: set DATABASE_URL to the target", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        snapshot = Path(folder) / "snapshot.db"

        async def snapshot_of_source() -> Database:
            await asyncio.to_thread(backup_file, source, snapshot)
            return await Database.open(snapshot)  # brought to this version's schema

        async def postgres() -> Database:
            return await PgDatabase.connect(url.get_secret_value())

        code = await _copy(
            "migrate-to-postgres", snapshot_of_source, postgres, f"Copied {source} into PostgreSQL"
        )
    if code == 0:
        print("Stop the bot, copy again if it ran meanwhile, then start it with DATABASE_URL set.")
    return code


async def export_sqlite(settings: StorageSettings, target: Path) -> int:
    """Copy the PostgreSQL database at DATABASE_URL into a new SQLite file, and check it."""
    url = settings.database_url
    if url is None:
        print("bangban export-sqlite: set DATABASE_URL to the source", file=sys.stderr)
        return 2
    if await asyncio.to_thread(target.exists):
        print(f"bangban export-sqlite: {target} exists; choose a new file", file=sys.stderr)
        return 1

    async def postgres() -> Database:
        return await PgDatabase.connect(url.get_secret_value())

    async def new_file() -> Database:
        return await Database.open(target)

    code = await _copy("export-sqlite", postgres, new_file, f"Copied PostgreSQL into {target}")
    if code == 0:
        print("To run on it: unset DATABASE_URL and set DATABASE_PATH to it.")
    return code
