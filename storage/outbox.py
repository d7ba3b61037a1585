"""The outbox table: proactive messages recorded before sending and marked after."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from storage.db import Database, Tx, from_db, to_db


@dataclass(frozen=True, slots=True)
class OutgoingButton:
    text: str
    data: str


Kind = Literal["prompt", "reminder", "escalation", "notice", "document", "edit"]
# An edit's key names the message it edits: edit:<what>:<the message's own key>.
EDIT_PREFIX = "edit:"


def edit_key(what: str, key: str) -> str:
    return f"{EDIT_PREFIX}{what}:{key}"


def edited_key(key: str) -> str:
    """The key of the message an edit row edits."""
    return key.split(":", 2)[2]


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to enqueue; ``key`` makes it unique, so enqueueing twice sends once.

    ``project_id`` lets the message be cancelled when its recipient leaves the project or the
    project is archived; ``fallback`` sends it to the admins when it cannot be delivered.
    """

    key: str
    chat_id: int
    text: str
    thread_id: int | None = None
    user_id: int | None = None
    buttons: tuple[tuple[OutgoingButton, ...], ...] = ()
    kind: Kind = "notice"
    project_id: int | None = None
    fallback: bool = False
    not_before: datetime | None = None  # held until then (quiet hours)


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    key: str
    chat_id: int
    thread_id: int | None
    user_id: int | None
    text: str
    buttons: tuple[tuple[OutgoingButton, ...], ...]
    attempts: int
    kind: Kind
    project_id: int | None
    fallback: bool


def _buttons_json(buttons: tuple[tuple[OutgoingButton, ...], ...]) -> str | None:
    if not buttons:
        return None
    return json.dumps([[[b.text, b.data] for b in row] for row in buttons], ensure_ascii=False)


def _buttons(raw: str | None) -> tuple[tuple[OutgoingButton, ...], ...]:
    if not raw:
        return ()
    return tuple(tuple(OutgoingButton(text, data) for text, data in row) for row in json.loads(raw))


async def enqueue(conn: Tx, messages: Sequence[OutgoingMessage], now: datetime) -> int:
    """Insert messages inside the caller's transaction, in one statement; returns how many
    were new (a key already queued is not queued again)."""
    if not messages:
        return 0
    stamp = to_db(now)
    cursor = await conn.executemany(
        "INSERT INTO outbox (dedupe_key, kind, project_id, fallback, chat_id,"
        " thread_id, user_id, text, buttons, next_attempt_at, queued_for, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        # Only a key queued before is skipped: OR IGNORE would also drop, silently, a message
        # that breaks a NOT NULL or CHECK constraint.
        " ON CONFLICT (dedupe_key) DO NOTHING",
        [
            (
                message.key,
                message.kind,
                message.project_id,
                int(message.fallback),
                message.chat_id,
                message.thread_id,
                message.user_id,
                message.text,
                _buttons_json(message.buttons),
                due,
                due,  # its place in the chat's queue, whatever retries do to next_attempt_at
                stamp,
            )
            for message in messages
            for due in [to_db(max(message.not_before, now)) if message.not_before else stamp]
        ],
    )
    return cursor.rowcount


CANCELLABLE: tuple[Kind, ...] = ("prompt", "reminder", "escalation")


async def cancel(conn: Tx, project_id: int, user_id: int | None = None) -> int:
    """Cancel unsent prompts, reminders and cards of a project (to one person, if given)."""
    sql = (
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' AND project_id = ?"
        f" AND kind IN ({','.join('?' * len(CANCELLABLE))})"
    )
    params: list[object] = [project_id, *CANCELLABLE]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    cursor = await conn.execute(sql, params)
    return cursor.rowcount


class OutboxRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        async with self._db.write() as conn:
            return await enqueue(conn, messages, now)

    async def depth(self) -> tuple[int, datetime | None]:
        """How many messages wait to be sent, and since when the oldest has."""
        row = await self._db.fetchone(
            "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE status = 'pending'"
        )
        if row is None or not row["n"]:
            return 0, None
        return int(row["n"]), from_db(row["oldest"])

    async def due(self, now: datetime, limit: int) -> list[PendingMessage]:
        """The head of each chat's queue, where it is due, oldest first: a chat's messages
        leave in the order they were queued (one waiting for a retry holds back the ones
        behind it), and a long backlog to one chat cannot hide the messages to every other."""
        rows = await self._db.fetchall(
            "SELECT * FROM outbox AS o WHERE status = 'pending' AND next_attempt_at <= ?"
            " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS e WHERE e.status = 'pending'"
            " AND e.chat_id = o.chat_id AND (e.queued_for < o.queued_for"
            " OR (e.queued_for = o.queued_for AND e.id < o.id)))"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (to_db(now), self._db.replica_id, to_db(now), limit),
        )
        return [
            PendingMessage(
                row["id"],
                row["dedupe_key"],
                row["chat_id"],
                row["thread_id"],
                row["user_id"],
                row["text"],
                _buttons(row["buttons"]),
                row["attempts"],
                row["kind"],
                row["project_id"],
                bool(row["fallback"]),
            )
            for row in rows
        ]

    async def claim(self, ids: Sequence[int], now: datetime, lease: timedelta) -> set[int]:
        """Claim these rows for this process to send, for ``lease``; the ones it got. A row
        another process claimed (and still may be sending) is skipped, not waited for."""
        if not ids:
            return set()
        me = self._db.replica_id
        async with self._db.write() as conn:
            rows = await conn.execute_fetchall(
                "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN"
                f" (SELECT id FROM outbox WHERE id IN ({','.join('?' * len(ids))})"
                " AND status = 'pending'"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)"
                f"{self._db.skip_locked}) RETURNING id",
                (me, to_db(now + lease), *ids, me, to_db(now)),
            )
        return {int(row["id"]) for row in rows}

    async def mark_sent(self, message_id: int, telegram_message_id: int, now: datetime) -> None:
        # A delivered row keeps what exactly-once and the audit need (its key, chat, Telegram's
        # message id, the times), not its text and keyboard: those were 70 % of a year-old
        # database, kept 14 days for nobody.
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?,"
            " attempts = attempts + 1, text = '', buttons = NULL WHERE id = ?",
            (telegram_message_id, to_db(now), message_id),
        )

    async def mark_retry(self, message_id: int, next_attempt_at: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (to_db(next_attempt_at), error[:500], message_id),
        )

    async def mark_failed(
        self,
        message_id: int,
        error: str,
        now: datetime,
        instead: Sequence[OutgoingMessage] = (),
    ) -> None:
        """Give up on a message, queueing what goes ``instead`` in the same transaction."""
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, error = ?"
                " WHERE id = ? AND status = 'pending'",
                (error[:500], message_id),
            )
            await enqueue(conn, instead, now)

    async def drop_thread(self, message_id: int, error: str) -> None:
        """Send to the chat's general stream instead of a topic that no longer exists."""
        await self._db.execute(
            "UPDATE outbox SET thread_id = NULL, attempts = attempts + 1, error = ?,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (error[:500], message_id),
        )

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._db.execute(
            "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status = 'pending'",
            (new_chat_id, old_chat_id),
        )

    async def state_of(self, key: str) -> tuple[str, int | None] | None:
        """A queued message's status and, once sent, its Telegram message id."""
        row = await self._db.fetchone(
            "SELECT status, message_id FROM outbox WHERE dedupe_key = ?", (key,)
        )
        return None if row is None else (str(row["status"]), row["message_id"])

    async def existing(self, keys: Sequence[str]) -> list[tuple[str, int]]:
        """Which of these keys were queued (whatever became of them), with their chats."""
        if not keys:
            return []
        rows = await self._db.fetchall(
            "SELECT dedupe_key, chat_id FROM outbox"
            f" WHERE dedupe_key IN ({','.join('?' * len(keys))}) ORDER BY id",
            list(keys),
        )
        return [(str(r["dedupe_key"]), int(r["chat_id"])) for r in rows]

    async def sent_message_id(self, key: str) -> int | None:
        row = await self._db.fetchone(
            "SELECT message_id FROM outbox WHERE dedupe_key = ? AND status = 'sent'", (key,)
        )
        return int(row["message_id"]) if row else None

    async def prune(self, before: datetime) -> int:
        """Forget messages sent, cancelled or failed before ``before`` (the database stays
        bounded); pending ones are kept whatever their age."""
        return await self._db.execute(
            "DELETE FROM outbox WHERE status != 'pending' AND created_at < ?", (to_db(before),)
        )

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {row["status"]: row["n"] for row in rows}
