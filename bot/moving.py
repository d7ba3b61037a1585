"""Moving a deployment between engines: ``migrate-to-postgres`` and back, ``export-sqlite``."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bot.config import StorageSettings
from storage import Database, StorageError
from storage.backup import backup_file
from storage.pg import PgDatabase
from storage.transfer import TableCheck, copy_all


def _report(checks: list[TableCheck]) -> None:
    for found in checks:
        print(f"  {found.table:<16} {found.rows:>9} rows  digest {found.digest[:16]}")


async def migrate_to_postgres(settings: StorageSettings, source: Path) -> int:
    """Copy the SQLite file ``source`` (a bot may be running on it: a consistent snapshot is
    copied) into the empty PostgreSQL database at DATABASE_URL, and check the copy."""
    if settings.database_url is None:
        print("bangban migrate-to-postgres: set DATABASE_URL to the target", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory() as folder:
            snapshot = Path(folder) / "snapshot.db"
            await asyncio.to_thread(backup_file, source, snapshot)
            sqlite = await Database.open(snapshot)  # brought to this version's schema
            try:
                target = await PgDatabase.connect(settings.database_url.get_secret_value())
                try:
                    checks = await copy_all(sqlite, target)
                finally:
                    await target.close()
            finally:
                await sqlite.close()
    except StorageError as exc:
        print(f"bangban migrate-to-postgres: {exc}", file=sys.stderr)
        return 1
    print(f"Copied {source} into PostgreSQL; every table checked (rows and digest):")
    _report(checks)
    print("Stop the bot, copy again if it ran meanwhile, then start it with DATABASE_URL set.")
    return 0


async def export_sqlite(settings: StorageSettings, target_path: Path) -> int:
    """Copy the PostgreSQL database at DATABASE_URL into a new SQLite file, and check it."""
    if settings.database_url is None:
        print("bangban export-sqlite: set DATABASE_URL to the source", file=sys.stderr)
        return 2
    if await asyncio.to_thread(target_path.exists):
        print(f"bangban export-sqlite: {target_path} exists; choose a new file", file=sys.stderr)
        return 1
    try:
        source = await PgDatabase.connect(settings.database_url.get_secret_value())
        try:
            target = await Database.open(target_path)
            try:
                checks = await copy_all(source, target)
            finally:
                await target.close()
        finally:
            await source.close()
    except StorageError as exc:
        print(f"bangban export-sqlite: {exc}", file=sys.stderr)
        return 1
    print(f"Copied PostgreSQL into {target_path}; every table checked (rows and digest):")
    _report(checks)
    print("To run on it: unset DATABASE_URL and set DATABASE_PATH to it.")
    return 0
