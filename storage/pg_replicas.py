"""Several replicas on one PostgreSQL database: who leads, how many are alive, and whose turn
it is among a chat's updates.

The leader holds an advisory lock on a connection of its own (held while that connection lives,
so a leader that dies lets another take over at its next try); the same connection notes every
few seconds that the replica is alive, so the replicas share the send rate. A chat's updates
take turns through ``update_turns``: one at a time, the smallest update id first, whichever
replica each reached; an update posted twice (a retried webhook) is handled once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg

from storage.db import StorageError
from storage.leader import LeaderLock, Turn, UpdateTurns

log = logging.getLogger(__name__)

LEADER_LOCK = 7_000_003  # held by the replica that runs the scheduler and sends the outbox
TURN_CONNECTIONS = 4  # a replica's pool for turns, beside its main connection
NUDGE = "bangban_outbox"  # NOTIFY channel: messages were queued for the leader to send
# A replica not seen for this long is taken for dead (it notes itself every two seconds).
ALIVE_WITHIN = timedelta(seconds=6)
# An update being handled holds its chat this long at most: a replica that died while handling
# one holds up the chat's next updates no longer than this.
TURN_LEASE = timedelta(seconds=30)
KEPT = timedelta(days=1)  # handled updates remembered, so one posted again is skipped
# What a connection that broke raises.
LOST = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)


class PgLeaderLock(LeaderLock):
    """The lead and the heartbeat, on a connection of the replica's own."""

    def __init__(self, url: str, replica_id: str) -> None:
        self._url = url
        self._replica_id = replica_id
        self._conn: asyncpg.Connection | None = None
        self._leading = False
        self._callbacks: list[Callable[[], None]] = []

    async def _connection(self) -> asyncpg.Connection | None:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        self._conn, self._leading = None, False
        try:
            conn = await asyncpg.connect(self._url, timeout=5)
            await conn.add_listener(NUDGE, self._nudged)
        except (TimeoutError, *LOST, asyncpg.PostgresError) as exc:
            log.warning("leader lock: cannot connect: %s", without_password(exc))
            return None
        self._conn = conn
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
        self._conn, self._leading = None, False

    async def take(self) -> bool:
        if await self.held():
            return True
        conn = await self._connection()
        if conn is None:
            return False
        try:
            taken = await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK)
            self._leading = bool(taken)
        except (*LOST, asyncpg.PostgresError):
            self._drop()
        return self._leading

    async def held(self) -> bool:
        if not self._leading:
            return False
        conn = self._conn
        if conn is None or conn.is_closed():
            self._drop()
            return False
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), 5)
        except (TimeoutError, *LOST, asyncpg.PostgresError):
            self._drop()
            return False
        return True

    async def beat(self) -> int:
        conn = await self._connection()
        if conn is None:
            return 1  # cannot tell: as if alone (the database's own errors say the rest)
        try:
            alive = await asyncio.wait_for(
                conn.fetchval(
                    "WITH me AS (INSERT INTO replicas (id, seen_at) VALUES ($1, now())"
                    " ON CONFLICT (id) DO UPDATE SET seen_at = now()),"
                    " gone AS (DELETE FROM replicas WHERE seen_at < now() - $3::interval)"
                    " SELECT 1 + count(*) FROM replicas"
                    " WHERE id <> $1 AND seen_at > now() - $2::interval",
                    self._replica_id,
                    ALIVE_WITHIN,
                    KEPT,
                ),
                5,
            )
        except (TimeoutError, *LOST, asyncpg.PostgresError) as exc:
            log.warning("replicas: cannot note this one alive: %s", without_password(exc))
            self._drop()
            return 1
        return int(alive)

    async def release(self) -> None:
        if self._conn is None:
            return
        conn, self._conn, self._leading = self._conn, None, False
        try:  # gone at once, so the others' share of the send rate grows now
            await conn.execute("DELETE FROM replicas WHERE id = $1", self._replica_id)
        except (*LOST, asyncpg.PostgresError):
            pass
        await conn.close()

    def on_nudge(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def _nudged(self, *_: object) -> None:
        for callback in self._callbacks:
            callback()


class PgUpdateTurns(UpdateTurns):
    """Turns decided by ``bangban_turn`` (migration 2), one round trip each, over a small pool
    of connections of their own: the turns of one update never wait behind another update's
    work on the replica's main connection."""

    def __init__(self, url: str, replica_id: str) -> None:
        self._url = url
        self._replica_id = replica_id
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def _pool_of_turns(self) -> AsyncIterator[asyncpg.Pool]:
        """The pool, opened on first use; whatever fails on the way reads as a StorageError."""
        try:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._url, min_size=0, max_size=TURN_CONNECTIONS, timeout=10
                    )
            yield self._pool
        except (TimeoutError, *LOST, asyncpg.PostgresError) as exc:
            raise StorageError(f"turns: {without_password(exc)}") from exc

    async def _turn(self, update_id: int, chat_id: int, *, note: bool, take: bool) -> Turn:
        async with self._pool_of_turns() as pool:
            answer = await pool.fetchval(
                "SELECT bangban_turn($1, $2, $3, $4, $5, $6)",
                update_id,
                chat_id,
                self._replica_id,
                TURN_LEASE,
                note,
                take,
            )
        return Turn(answer)

    async def arrive(self, update_id: int, chat_id: int, *, take: bool = True) -> Turn:
        return await self._turn(update_id, chat_id, note=True, take=take)

    async def take(self, update_id: int, chat_id: int) -> Turn:
        return await self._turn(update_id, chat_id, note=False, take=True)

    async def finish(self, update_id: int) -> None:
        async with self._pool_of_turns() as pool:
            await pool.execute(
                "UPDATE update_turns SET done_at = now(), holder = NULL, taken_until = NULL"
                " WHERE update_id = $1",
                update_id,
            )

    async def prune(self) -> int:
        async with self._pool_of_turns() as pool:
            tag = await pool.execute(
                "DELETE FROM update_turns"
                " WHERE coalesce(done_at, received_at) < now() - $1::interval",
                KEPT,
            )
        return int(tag.rsplit(" ", 1)[-1])

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


def without_password(exc: BaseException) -> str:
    """An error's text without anything that looks like a URL's password."""
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@", r"\1***@", str(exc))
