"""What the bot is waiting for from a person (a problem's text, a project choice, a note).

Kept in the database so a restart between question and answer loses nothing. A wait expires:
readers pass the oldest creation time still valid, rounds that close drop theirs, and the
transaction that uses the input deletes it (:func:`clear_pending`), so it is used once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from storage.db import Database, Tx, to_db

PendingKind = Literal[
    "problem",
    "choose",
    "note",
    "extend",
    "sendback",
    "coordination",
    "proposal",
    "contact",
    "deadline",
    "dept_return",
    "dept_done",
    "investment",
    "explain",
    "decide",
    "milestone_photo",
]


@dataclass(frozen=True, slots=True)
class PendingInput:
    user_id: int
    kind: PendingKind
    checkin_id: int | None
    project_id: int | None
    text: str | None
    problem_id: int | None
    detail: dict[str, Any] = field(default_factory=dict)


async def clear_pending(conn: Tx, user_id: int) -> None:
    """Forget what the bot waited for from ``user_id``, inside the caller's transaction."""
    await conn.execute("DELETE FROM pending_inputs WHERE user_id = ?", (user_id,))


async def clear_pending_of_project(conn: Tx, project_id: int, user_id: int | None = None) -> None:
    """Forget waits that belong to a project (of one person, if given): it was archived, or
    the person no longer serves it."""
    sql = (
        "DELETE FROM pending_inputs WHERE (project_id = ?"
        " OR problem_id IN (SELECT id FROM problems WHERE project_id = ?)"
        " OR checkin_id IN (SELECT c.id FROM checkins c JOIN rounds r ON r.id = c.round_id"
        "   WHERE r.project_id = ?))"
    )
    params: list[object] = [project_id, project_id, project_id]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    await conn.execute(sql, params)


class PendingRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int, since: datetime) -> PendingInput | None:
        """The wait for ``user_id`` created after ``since``; older ones have expired."""
        row = await self._db.fetchone(
            "SELECT * FROM pending_inputs WHERE user_id = ? AND created_at > ?",
            (user_id, to_db(since)),
        )
        if row is None:
            return None
        return PendingInput(
            row["user_id"],
            row["kind"],
            row["checkin_id"],
            row["project_id"],
            row["text"],
            row["problem_id"],
            json.loads(row["detail"]),
        )

    async def set(
        self,
        user_id: int,
        kind: PendingKind,
        now: datetime,
        *,
        checkin_id: int | None = None,
        project_id: int | None = None,
        text: str | None = None,
        problem_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Wait for ``kind`` from the user, replacing whatever was awaited before."""
        await self._db.execute(
            "INSERT INTO pending_inputs (user_id, kind, checkin_id, project_id, text,"
            " problem_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET kind = excluded.kind,"
            " checkin_id = excluded.checkin_id, project_id = excluded.project_id,"
            " text = excluded.text, problem_id = excluded.problem_id,"
            " detail = excluded.detail, created_at = excluded.created_at",
            (
                user_id,
                kind,
                checkin_id,
                project_id,
                text,
                problem_id,
                json.dumps(detail or {}, ensure_ascii=False),
                to_db(now),
            ),
        )

    async def clear(self, user_id: int) -> bool:
        """Forget the user's wait; True if there was one. Writes only when there is one."""
        exists = await self._db.fetchone(
            "SELECT 1 FROM pending_inputs WHERE user_id = ?", (user_id,)
        )
        if exists is None:
            return False
        async with self._db.write() as conn:
            await clear_pending(conn, user_id)
        return True
