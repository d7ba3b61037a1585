"""The PostgreSQL engine: the same repositories over asyncpg.

The repositories' SQL is written once, for both engines; what PostgreSQL spells differently is
translated here, in one place: ``?`` and ``:name`` parameters become ``$n``, and a few SQLite
functions become PostgreSQL's (``group_concat`` → ``string_agg``, ``json_extract`` → ``->>``,
``json_object`` → ``json_build_object``, ``julianday`` → epoch days), while SQLite's planner hints
(``INDEXED BY``) and the ``temp.`` schema prefix are dropped. Timestamps stay fixed-width UTC text
(``to_db``), so comparisons and ordering read the same on both engines.

Like the SQLite engine, one connection and one lock per process: every statement of a
transaction goes through it, so a read never sees another coroutine's uncommitted rows.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

import asyncpg

from storage.db import (
    PATIENCE,
    Body,
    Database,
    Params,
    StorageError,
    T,
    Tx,
    Written,
)
from storage.leader import LeaderLock, UpdateTurns, new_replica_id
from storage.migrations import migrations
from storage.pg_replicas import LOST, NUDGE, PgLeaderLock, PgUpdateTurns
from storage.pg_replicas import without_password as _without_password

log = logging.getLogger(__name__)

BOT_LOCK = 7_000_002  # held by the one bot on a database (before replicas)
MIGRATION_LOCK = 7_000_001
# One pass over the SQL: string literals are kept whole, parameters are numbered.
_TOKENS = re.compile(r"'(?:[^']|'')*'|::|\?|:[A-Za-z_][A-Za-z0-9_]*")
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bINDEXED BY \w+", re.IGNORECASE), ""),
    (re.compile(r"\btemp\.(?=\w)"), ""),
    (re.compile(r"\bgroup_concat\("), "string_agg("),
    (re.compile(r"\bifnull\("), "coalesce("),
    (re.compile(r"\bjson_object\("), "json_build_object("),
    (re.compile(r"\bjson_extract\(([\w.]+), '\$\.(\w+)'\)"), r"(\1::json ->> '\2')"),
    (re.compile(r"\bjulianday\(([\w.]+)\)"), r"(extract(epoch from \1::timestamptz) / 86400.0)"),
)


def translate(sql: str, params: Params) -> tuple[str, list[Any]]:
    """SQLite-flavoured SQL and its parameters as asyncpg takes them."""
    text, order = _compiled(sql)
    if not order:
        return text, []
    if isinstance(params, dict):
        return text, [params[key] for key in order]
    if order[0] != "?":
        raise TypeError(f"named parameter :{order[0]} without a mapping")
    values = list(params)
    if len(values) < len(order):
        raise TypeError(f"{len(order)} parameters wanted, {len(values)} given")
    return text, values[: len(order)]


@functools.lru_cache(maxsize=4096)
def _compiled(sql: str) -> tuple[str, tuple[str, ...]]:
    """The translated SQL and, for each ``$n``, the name it stands for (``?`` for the next
    positional one). Cached: a statement is translated once, not on every call (the regular
    expressions were a tenth of an update's CPU on PostgreSQL)."""
    for pattern, replacement in _REWRITES:
        sql = pattern.sub(replacement, sql)
    order: list[str] = []
    named: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'") or token == "::":
            return token
        if token == "?":
            assert not named, "positional and named parameters in one statement"
            order.append("?")
            return f"${len(order)}"
        name = token[1:]
        if name not in named:
            assert "?" not in order, "positional and named parameters in one statement"
            order.append(name)
            named[name] = len(order)
        return f"${named[name]}"

    return _TOKENS.sub(number, sql), tuple(order)


class _Status:
    """What a write statement tells, from asyncpg's command tag (``UPDATE 3``)."""

    def __init__(self, tag: str) -> None:
        last = tag.rsplit(" ", 1)[-1]
        self.rowcount = int(last) if last.isdigit() else -1
        self.lastrowid: int | None = None  # use RETURNING id (storage.db.insert_id)


class _PgTx:
    """A :class:`storage.db.Tx` on an asyncpg connection."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, parameters: Params = ()) -> Written:
        query, values = translate(sql, parameters)
        return _Status(await self._conn.execute(query, *values))

    async def executemany(self, sql: str, parameters: Iterable[Params]) -> Written:
        # asyncpg's executemany reports no row counts, and callers count new rows (the outbox):
        # fetchmany sends every row in one pipeline and RETURNING 1 counts the rows changed.
        batch = [translate(sql, params) for params in parameters]
        written = _Status("")
        written.rowcount = 0
        if not batch:
            return written
        query = batch[0][0]
        if " RETURNING " not in query.upper():
            query += " RETURNING 1"
        rows = await self._conn.fetchmany(query, [values for _, values in batch])
        written.rowcount = len(rows)
        return written

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[Any]:
        query, values = translate(sql, parameters)
        return list(await self._conn.fetch(query, *values))


def pg_migrations() -> tuple[str, ...]:
    """The PostgreSQL migrations, ``storage/schema/postgres/NNNN_what.sql``, in order."""
    return migrations("postgres")


class PgDatabase(Database):
    """:class:`storage.db.Database` on PostgreSQL (``DATABASE_URL``).

    A lost connection (the server restarted, a network blip) is opened again on the next use:
    the statement in flight fails, the ones after it work. With ``exclusive`` the bot's lock is
    taken again with it; if another bot took it meanwhile, every use fails until a restart.
    """

    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, patience: timedelta, exclusive: bool) -> None:
        # Not Database.__init__: there is no SQLite connection. The same attributes, though.
        self._url = url
        self._pg: asyncpg.Connection | None = None
        self._patience = patience
        self._exclusive = exclusive
        self._lock = asyncio.Lock()
        self.path = None
        self.check_deferred = False
        self.replica_id = new_replica_id()
        self._turns: PgUpdateTurns | None = None

    @classmethod
    async def connect(
        cls, url: str, *, patience: timedelta = PATIENCE, exclusive: bool = False
    ) -> PgDatabase:
        """Connect, and bring the schema up to date; one :class:`StorageError` line if not.
        ``exclusive``: hold a lock for as long as the connection lives, refusing a second bot
        on the same database (as the SQLite file's lock does), until replicas share the work."""
        db = cls(url, patience, exclusive)
        await db._live()
        try:
            await db._migrate()
        except (asyncpg.PostgresError, StorageError) as exc:
            await db.close()
            raise StorageError(f"cannot use the database: {exc}") from exc
        return db

    async def _live(self) -> asyncpg.Connection:
        """The connection, opened again if it was lost."""
        if self._pg is not None and not self._pg.is_closed():
            return self._pg
        try:
            conn = await asyncpg.connect(self._url, timeout=10)
        except (TimeoutError, OSError, asyncpg.PostgresError, ValueError) as exc:
            raise StorageError(f"cannot connect to the database: {_without_password(exc)}") from exc
        if self._exclusive and not await conn.fetchval("SELECT pg_try_advisory_lock($1)", BOT_LOCK):
            await conn.close()
            raise StorageError("a bot is running on this database")
        if self._pg is not None:
            log.warning("the connection to PostgreSQL was lost; connected again")
        self._pg = conn
        return conn

    @asynccontextmanager
    async def _using(self) -> AsyncIterator[asyncpg.Connection]:
        """The live connection, under the lock. One that breaks on the way is dropped, so the
        next use connects again, and the failure reads as the storage error it is."""
        async with self._lock:
            conn = await self._live()
            try:
                yield conn
            except LOST as exc:
                conn.terminate()
                raise StorageError(f"the connection to the database was lost: {exc}") from exc

    async def schema_version(self) -> int:
        conn = await self._live()
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def _migrate(self) -> None:
        scripts = await asyncio.to_thread(pg_migrations)
        async with self._lock:
            conn = await self._live()
            # One migrating process at a time, whatever the number of replicas starting.
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                current = await self.schema_version()
                if current > len(scripts):
                    raise StorageError(
                        f"the database comes from a newer Bangban (migration {current}, this"
                        f" one knows {len(scripts)})"
                    )
                for version, script in enumerate(scripts, start=1):
                    if version <= current:
                        continue
                    log.info("applying PostgreSQL migration %d", version)
                    async with conn.transaction():
                        await conn.execute(script)
                        await conn.execute(
                            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)"
                        )
                        await conn.execute(
                            "INSERT INTO schema_version (version) VALUES ($1)", version
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def close(self) -> None:
        if self._turns is not None:
            await self._turns.close()
        if self._pg is not None:
            await self._pg.close()

    async def trace(self, callback: Any) -> None:
        """Statement tracing is SQLite's (the hot-query plans are checked there)."""

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self._using() as conn, conn.transaction():
            yield cast(Tx, _PgTx(conn))

    async def at_once(self, body: Body[T]) -> T:
        async with self._using() as conn, conn.transaction():
            return await body(cast(Tx, _PgTx(conn)))

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        async with self._using() as conn:
            return await _PgTx(conn).execute_fetchall(sql, params)

    async def fetch_with_columns(
        self, sql: str, params: Params = ()
    ) -> tuple[list[str], list[Any]]:
        query, values = translate(sql, params)
        async with self._using() as conn:
            statement = await conn.prepare(query)
            rows = list(await statement.fetch(*values))
            return [attribute.name for attribute in statement.get_attributes()], rows

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self._using() as conn:
            return (await _PgTx(conn).execute(sql, params)).rowcount

    async def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        async with self._using() as conn, conn.transaction():
            await conn.copy_records_to_table(
                table, records=[tuple(row) for row in rows], columns=list(columns)
            )

    async def after_copy(self, tables_with_ids: Sequence[str]) -> None:
        """Move each identity past the copied ids, so new rows do not collide with them."""
        async with self._using() as conn:
            for table in tables_with_ids:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )

    def leader_lock(self) -> LeaderLock:
        return PgLeaderLock(self._url, self.replica_id)

    def update_turns(self) -> UpdateTurns | None:
        if self._turns is None:
            self._turns = PgUpdateTurns(self._url, self.replica_id)
        return self._turns

    async def nudge_leader(self) -> None:
        await self.execute(f"NOTIFY {NUDGE}")

    async def ping(self) -> None:
        """A trivial read: raises StorageError when the server cannot be reached."""
        try:
            await self.fetchone("SELECT 1")
        except asyncpg.PostgresError as exc:
            raise StorageError(str(exc)) from exc
