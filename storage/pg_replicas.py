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
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import asyncpg

from storage.leader import LeaderLock, Turn, UpdateTurns

if TYPE_CHECKING:
    from storage.pg import PgDatabase

log = logging.getLogger(__name__)

LEADER_LOCK = 7_000_003  # held by the replica that runs the scheduler and sends the outbox
TURN_LOCKS = 7_000_004  # with a chat: held while a replica decides whose turn it is there
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


def _chat_lock(chat_id: int) -> int:
    """A chat id folded into the second key of a two-key advisory lock (32 bits)."""
    return chat_id % 2_147_483_647


class PgUpdateTurns(UpdateTurns):
    def __init__(self, db: PgDatabase, replica_id: str) -> None:
        self._db = db
        self._replica_id = replica_id

    async def arrive(self, update_id: int, chat_id: int, *, take: bool = True) -> Turn:
        async def note_and_take(conn: asyncpg.Connection) -> Turn:
            await conn.execute(
                "INSERT INTO update_turns (update_id, chat_id, received_at) VALUES ($1, $2, now())"
                " ON CONFLICT (update_id) DO NOTHING",
                update_id,
                chat_id,
            )
            if take:
                return await self._take(conn, update_id, chat_id)
            return await self._state(conn, update_id)

        return await self._db.with_chat_locked(TURN_LOCKS, _chat_lock(chat_id), note_and_take)

    async def take(self, update_id: int, chat_id: int) -> Turn:
        async def take(conn: asyncpg.Connection) -> Turn:
            return await self._take(conn, update_id, chat_id)

        return await self._db.with_chat_locked(TURN_LOCKS, _chat_lock(chat_id), take)

    async def _take(self, conn: asyncpg.Connection, update_id: int, chat_id: int) -> Turn:
        # Under the chat's lock, so two replicas never both see the chat free.
        taken = await conn.fetchval(
            "UPDATE update_turns AS u SET holder = $1, taken_until = now() + $4::interval"
            " WHERE u.update_id = $2 AND u.done_at IS NULL"
            " AND (u.holder IS NULL OR u.taken_until < now())"
            " AND NOT EXISTS (SELECT 1 FROM update_turns AS e WHERE e.chat_id = $3"
            " AND e.done_at IS NULL AND e.update_id <> u.update_id"
            " AND ((e.holder IS NOT NULL AND e.taken_until > now())"
            " OR (e.holder IS NULL AND e.update_id < u.update_id"
            " AND e.received_at > now() - $4::interval)))"
            " RETURNING 1",
            self._replica_id,
            update_id,
            chat_id,
            TURN_LEASE,
        )
        return Turn.GO if taken else await self._state(conn, update_id)

    async def _state(self, conn: asyncpg.Connection, update_id: int) -> Turn:
        done = await conn.fetchval(
            "SELECT done_at IS NOT NULL FROM update_turns WHERE update_id = $1", update_id
        )
        return Turn.DONE if done else Turn.WAIT

    async def finish(self, update_id: int) -> None:
        await self._db.execute(
            "UPDATE update_turns SET done_at = now(), holder = NULL, taken_until = NULL"
            " WHERE update_id = ?",
            (update_id,),
        )

    async def prune(self) -> int:
        return await self._db.execute(
            "DELETE FROM update_turns WHERE coalesce(done_at, received_at) < now() - ?::interval",
            (KEPT,),
        )


def without_password(exc: BaseException) -> str:
    """An error's text without anything that looks like a URL's password."""
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@", r"\1***@", str(exc))
