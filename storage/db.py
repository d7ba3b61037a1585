"""One aiosqlite connection per process: WAL, foreign keys, busy timeout, migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class StorageError(Exception):
    """The database cannot be opened or migrated."""


def to_db(value: datetime) -> str:
    """Store an aware datetime as fixed-width UTC text, which sorts chronologically."""
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    return value.astimezone(UTC).strftime(_TS_FORMAT)


def from_db(value: str) -> datetime:
    """Read back a timestamp written by :func:`to_db`."""
    return datetime.strptime(value, _TS_FORMAT).replace(tzinfo=UTC)


def opt_from_db(value: str | None) -> datetime | None:
    """Like :func:`from_db` for nullable columns."""
    return None if value is None else from_db(value)


class Database:
    """Owns the connection. Writes go through :meth:`write`, one transaction at a time."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed), configure and migrate the database at ``path``."""
        pending = aiosqlite.connect(str(path), isolation_level=None)
        try:
            conn = await pending
        except aiosqlite.Error as exc:
            # aiosqlite stops its worker thread after a failed connect but does not wait for it;
            # if the event loop closes first, the thread prints an 'Event loop is closed'
            # traceback. Wait for it, so the operator sees only our one line.
            await asyncio.to_thread(pending._thread.join, 5)
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        db = cls(conn)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await db._migrate()
        except aiosqlite.Error as exc:
            await conn.close()
            raise StorageError(f"cannot use database {path}: {exc}") from exc
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            log.info("applying migration %d", version)
            # executescript commits on its own; wrap it so a failure leaves the old version.
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={version};\nCOMMIT;"
            )

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One explicit write transaction; concurrent writers in this process queue here."""
        async with self._write_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns lastrowid."""
        async with self.write() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.lastrowid or 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.write() as conn:
            await conn.executemany(sql, rows)
