"""One aiosqlite connection per process: WAL, foreign keys, busy timeout, migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import aiosqlite

from storage.leader import LeaderLock, UpdateTurns, new_replica_id
from storage.migrations import migrations
from storage.sqlite_thread import transaction_in_thread

if TYPE_CHECKING:  # only types: sqlite3 itself runs in aiosqlite's thread, never on the loop
    import sqlite3

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class Written(Protocol):
    """What a write statement tells: the rows it changed, the id it inserted."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...


class Tx(Protocol):
    """The connection as the statements of a transaction see it: aiosqlite's, or the database
    thread's own (:meth:`Database.at_once`)."""

    def execute(self, sql: str, parameters: Params = ...) -> Awaitable[Written]: ...

    def executemany(self, sql: str, parameters: Iterable[Params]) -> Awaitable[Written]: ...

    def execute_fetchall(
        self, sql: str, parameters: Params = ...
    ) -> Awaitable[Iterable[sqlite3.Row]]: ...


Body = Callable[[Tx], Coroutine[Any, Any, T]]


class StorageError(Exception):
    """The database cannot be opened or migrated."""


class StorageBusy(StorageError):
    """Another process held the database longer than we were willing to wait; nothing was
    written."""


BUSY_TIMEOUT = timedelta(seconds=5)  # SQLite waits this long for a lock, each attempt
PATIENCE = timedelta(seconds=60)  # a write keeps trying for this long before giving up


def to_db(value: datetime) -> str:
    """Store an aware datetime as fixed-width UTC text (2026-11-26T01:30:00.000000Z), which
    sorts chronologically."""
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be stored")
    # isoformat is faster than strftime and gives the same text.
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def from_db(value: str) -> datetime:
    """Read back a timestamp written by :func:`to_db` (fromisoformat: 40 times faster than
    strptime, which showed in the update benchmark's profile)."""
    return datetime.fromisoformat(value)


def opt_from_db(value: str | None) -> datetime | None:
    """Like :func:`from_db` for nullable columns."""
    return None if value is None else from_db(value)


async def insert_id(conn: Tx, sql: str, params: Params = ()) -> int | None:
    """Run one INSERT and return the id of the row it added (None: it added none, as after ON
    CONFLICT DO NOTHING). ``RETURNING id`` works on both engines, where a cursor's lastrowid
    exists only on SQLite's."""
    row = await first_row(conn, sql + " RETURNING id", params)
    return None if row is None else int(row[0])


async def first_row(conn: Tx, sql: str, params: Params = ()) -> sqlite3.Row | None:
    """The first row of a query inside a transaction, in one round trip to the database
    thread (a cursor's execute, fetchone and close would be three)."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


class Database:
    """Owns the connection. Writes go through :meth:`write`, one transaction at a time.

    Every statement, reads included, runs under one lock: on a single connection a read
    issued while another coroutine's transaction is open would see that transaction's
    uncommitted rows (and act on them even if it then rolls back).
    """

    # Appended to a SELECT that claims rows: PostgreSQL's replicas skip each other's claims;
    # SQLite has one writer at a time and no such clause.
    skip_locked = ""

    def __init__(
        self, conn: aiosqlite.Connection, patience: timedelta, path: Path | None = None
    ) -> None:
        self._conn = conn
        self.path = path  # the file (None: in memory)
        self._patience = patience
        self._lock = asyncio.Lock()
        # The integrity check was left for a worker (the last stop was clean).
        self.check_deferred = False
        self.replica_id = new_replica_id()

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        busy_timeout: timedelta = BUSY_TIMEOUT,
        patience: timedelta = PATIENCE,
    ) -> Database:
        """Open (creating if needed), configure, check and migrate the database at ``path``.

        A file that is not a database, is damaged or cannot be written is refused here with one
        :class:`StorageError`, instead of failing every update later.
        """
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
        db = cls(conn, patience, None if str(path) == ":memory:" else Path(path))
        try:
            await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout.total_seconds() * 1000)}")
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            # After a clean stop the integrity check, which grows with the file (6.6 s at
            # 2 GB), is left to a worker (storage.backup.integrity_problem); after a crash, or
            # on a file that never recorded a clean stop, it runs here, before any update.
            db.check_deferred = await db._stopped_cleanly()
            if not db.check_deferred:
                await db._check_integrity()
            await db._check_writable()
            await db._migrate()
            await db._note_running()
        except (aiosqlite.Error, StorageError) as exc:
            await conn.close()
            raise StorageError(f"cannot use database {path}: {exc}") from exc
        return db

    async def _stopped_cleanly(self) -> bool:
        try:
            row = await self.fetchone("SELECT value FROM meta WHERE key = 'clean_stop'")
        except aiosqlite.OperationalError:  # a database from before migration 16
            return False
        return row is not None

    async def _note_running(self) -> None:
        """Until close() says otherwise, a stop counts as a crash. The file is this process's
        alone, so claims on outbox rows an earlier process left are void: sent at once, not
        after their lease."""
        async with self.write() as conn:
            await conn.execute("DELETE FROM meta WHERE key = 'clean_stop'")
            await conn.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                " WHERE claimed_by IS NOT NULL AND status = 'pending'"
            )

    async def _check_integrity(self) -> None:
        row = await self.fetchone("PRAGMA quick_check")
        if row is None or row[0] != "ok":
            raise StorageError(f"the file is damaged ({row[0] if row else 'no answer'})")

    async def _check_writable(self) -> None:
        """Writable: a write that changes nothing, rolled back."""
        version = await self.schema_version()
        await self._begin()
        try:
            await self._conn.execute(f"PRAGMA user_version={version}")
        finally:
            await self._conn.execute("ROLLBACK")

    async def trace(self, callback: Callable[[str], None] | None) -> None:
        """Call ``callback`` with every statement run, parameters filled in (profiling, and the
        test that every hot query uses an index); None stops it."""
        await self._conn.set_trace_callback(cast(Callable[..., Any], callback))

    async def close(self) -> None:
        """Note the clean stop (the next start checks the file in the background), then close."""
        try:
            await self.execute(
                "INSERT INTO meta (key, value) VALUES ('clean_stop', 'yes')"
                " ON CONFLICT (key) DO NOTHING"
            )
        except (aiosqlite.Error, StorageError) as exc:  # a full disk: the next start checks
            log.warning("clean stop not recorded: %s", exc)
        await self._conn.close()

    async def ping(self) -> None:
        """A trivial read: raises if the database cannot be reached."""
        await self.fetchone("SELECT 1")

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        scripts = await asyncio.to_thread(migrations)  # files: read off the event loop
        for version, script in enumerate(scripts, start=1):
            if version <= current:
                continue
            log.info("applying migration %d", version)
            await self._apply(version, script)

    async def _apply(self, version: int, script: str) -> None:
        """One migration in one transaction, so a failure leaves the previous version.

        Foreign keys are off meanwhile (SQLite's way to rebuild a table that others refer to:
        create the new one, copy, drop, rename) and checked before the commit, so a migration
        that breaks a reference is rolled back instead of committed.
        """
        conn = self._conn
        await conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        try:
            # executescript would commit an open transaction first: begin inside the script.
            await conn.executescript(f"BEGIN IMMEDIATE;\n{script}")
            broken = await conn.execute_fetchall("PRAGMA foreign_key_check")
            if broken:
                first = tuple(next(iter(broken)))
                raise StorageError(f"migration {version} breaks a reference: {first}")
            await conn.execute(f"PRAGMA user_version={version}")
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        finally:
            await conn.execute("PRAGMA foreign_keys=ON")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """One explicit write transaction; concurrent writers in this process queue here.

        If another process holds the database, SQLite waits BUSY_TIMEOUT; we then try again
        until PATIENCE has passed, and only then give up with :class:`StorageBusy`. Nothing has
        been done before the transaction begins, so trying again is always safe.
        """
        async with self._lock:
            await self._begin()
            try:
                yield self._conn
                await self._conn.execute("COMMIT")
            except BaseException:
                # Also after a failed COMMIT (a full disk, a deferred constraint), which leaves
                # the transaction open: every later write would fail until a restart.
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise

    async def at_once(self, body: Body[T]) -> T:
        """A write transaction run whole in the database thread: BEGIN, every statement of
        ``body`` and COMMIT cost one round trip to that thread instead of one each, which the
        update benchmark shows on the hot paths (answers, presses). ``body`` may await only its
        connection; it runs again from the start if another process held the database."""
        async with self._lock:
            raw = self._conn._conn  # the sqlite3 connection, used only in its own thread
            return await self._patiently(lambda: self._in_thread(transaction_in_thread, raw, body))

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        # aiosqlite's way to run a call in its thread; it has no public one.
        run = cast(Callable[..., Awaitable[T]], self._conn._execute)
        return await run(function, *args)

    async def _begin(self) -> None:
        await self._patiently(lambda: self._conn.execute("BEGIN IMMEDIATE"))

    async def _patiently(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` (which did nothing if it failed as busy), trying again while another
        process holds the database (SQLite itself waits busy_timeout each time), until PATIENCE
        has passed."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._patience.total_seconds()
        pause = 0.05
        while True:
            try:
                return await attempt()
            except aiosqlite.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if loop.time() >= give_up:
                    raise StorageBusy(str(exc)) from exc
                log.warning("database busy, trying again: %s", exc)
                await asyncio.sleep(min(pause, max(give_up - loop.time(), 0)))
                pause = min(pause * 2, 1.0)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_with_columns(
        self, sql: str, params: Params = ()
    ) -> tuple[list[str], list[aiosqlite.Row]]:
        """The column names (known even when no row matches) and the rows."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            rows = list(await cursor.fetchall())
            return [column[0] for column in cursor.description], rows

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock:
            return await first_row(self._conn, sql, params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement as a transaction of its own; returns the rows it changed.

        A single statement needs no BEGIN/COMMIT (SQLite makes it atomic by itself), which saves
        two round trips to the database thread on hot paths such as marking a message sent.
        """
        async with self._lock:
            cursor = await self._patiently(lambda: self._conn.execute(sql, params))
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.write() as conn:
            await conn.executemany(sql, rows)

    async def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Rows into a table as they are, in one transaction (copying between engines)."""
        marks = ", ".join("?" * len(columns))
        await self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [tuple(r) for r in rows]
        )

    def leader_lock(self) -> LeaderLock:
        """Who runs the scheduler and sends the outbox: on SQLite the process is alone on its
        file (the running lock), so it always leads."""
        return LeaderLock()

    def update_turns(self) -> UpdateTurns | None:
        """Whose turn among a chat's updates across processes: none here, one process orders
        its own (handlers/updates.py)."""
        return None

    async def nudge_leader(self) -> None:
        """Tell the process that leads that messages were queued (no-op: this one leads)."""

    async def after_copy(self, tables_with_ids: Sequence[str]) -> None:
        """After rows were copied in with their ids: SQLite picks the next id by itself."""
