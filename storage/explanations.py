"""Explanations asked of a project's leaders when it falls behind its plan (说明原因): once per
project, reason and subject; unanswered within EXPLAIN_WITHIN, to the leadership group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, from_db, insert_id, opt_from_db, to_db
from storage.events import append_event
from storage.outbox import OutgoingMessage, enqueue


@dataclass(frozen=True, slots=True)
class Explanation:
    id: int
    project_id: int
    reason: str  # milestone or stall
    subject: str  # the milestone's id, or the day the stall was found
    asked_at: datetime
    answered_at: datetime | None
    answered_by: int | None
    text: str | None
    escalated_at: datetime | None


def _explanation(row: aiosqlite.Row) -> Explanation:
    return Explanation(
        id=row["id"],
        project_id=row["project_id"],
        reason=row["reason"],
        subject=row["subject"],
        asked_at=from_db(row["asked_at"]),
        answered_at=opt_from_db(row["answered_at"]),
        answered_by=row["answered_by"],
        text=row["text"],
        escalated_at=opt_from_db(row["escalated_at"]),
    )


class ExplanationRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def asked(self, project_id: int, reason: str, subject: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM explanations WHERE project_id = ? AND reason = ? AND subject = ?",
            (project_id, reason, subject),
        )
        return row is not None

    async def ask(
        self,
        project_id: int,
        reason: str,
        subject: str,
        cards: Callable[[int], Sequence[OutgoingMessage]],
        now: datetime,
    ) -> int | None:
        """Record the question once, with its cards (made from its new id); None when it was
        asked before."""
        async with self._db.write() as conn:
            explanation_id = await insert_id(
                conn,
                "INSERT INTO explanations (project_id, reason, subject, asked_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (project_id, reason, subject, to_db(now)),
            )
            if explanation_id is None:
                return None
            await enqueue(conn, cards(explanation_id), now)
            await append_event(
                conn,
                now,
                None,
                "project.explain_asked",
                project_id,
                explanation_id,
                reason=reason,
                subject=subject,
            )
            return explanation_id

    async def get(self, explanation_id: int) -> Explanation | None:
        row = await self._db.fetchone("SELECT * FROM explanations WHERE id = ?", (explanation_id,))
        return _explanation(row) if row else None

    async def answer(self, need: Need, explanation_id: int, text: str, now: datetime) -> bool:
        """The leader's reason and catch-up measure; False if it was answered already."""
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE explanations SET answered_at = ?, answered_by = ?, text = ?"
                " WHERE id = ? AND project_id = ? AND answered_at IS NULL",
                (to_db(now), need.user_id, text, explanation_id, need.project_id),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(
                conn,
                now,
                need.user_id,
                "project.explained",
                need.project_id,
                explanation_id,
                text=text,
            )
            return True

    async def unanswered_since(self, before: datetime) -> list[Explanation]:
        rows = await self._db.fetchall(
            "SELECT * FROM explanations WHERE answered_at IS NULL AND escalated_at IS NULL"
            " AND asked_at <= ? ORDER BY asked_at, id",
            (to_db(before),),
        )
        return [_explanation(r) for r in rows]

    async def escalate(
        self, explanation: Explanation, messages: Sequence[OutgoingMessage], now: datetime
    ) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE explanations SET escalated_at = ?"
                " WHERE id = ? AND answered_at IS NULL AND escalated_at IS NULL",
                (to_db(now), explanation.id),
            )
            if cursor.rowcount == 0:
                return False
            await enqueue(conn, messages, now)
            await append_event(
                conn,
                now,
                None,
                "project.explain_escalated",
                explanation.project_id,
                explanation.id,
            )
            return True

    async def oldest_waiting(self) -> datetime | None:
        """When the oldest unanswered, unescalated question was asked."""
        row = await self._db.fetchone(
            "SELECT min(asked_at) AS at FROM explanations"
            " WHERE answered_at IS NULL AND escalated_at IS NULL"
        )
        return from_db(row["at"]) if row is not None and row["at"] else None
