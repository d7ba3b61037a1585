"""What the bot is waiting for from a person (a problem's text, a project choice, a note).

Kept in the database so a restart between question and answer loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, to_db


@dataclass(frozen=True, slots=True)
class PendingInput:
    user_id: int
    kind: str
    checkin_id: int | None
    project_id: int | None
    text: str | None
    problem_id: int | None


class PendingRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> PendingInput | None:
        row = await self._db.fetchone("SELECT * FROM pending_inputs WHERE user_id = ?", (user_id,))
        if row is None:
            return None
        return PendingInput(
            row["user_id"],
            row["kind"],
            row["checkin_id"],
            row["project_id"],
            row["text"],
            row["problem_id"],
        )

    async def set(
        self,
        user_id: int,
        kind: str,
        now: datetime,
        *,
        checkin_id: int | None = None,
        project_id: int | None = None,
        text: str | None = None,
        problem_id: int | None = None,
    ) -> None:
        """Wait for ``kind`` from the user, replacing whatever was awaited before."""
        await self._db.execute(
            "INSERT OR REPLACE INTO pending_inputs (user_id, kind, checkin_id, project_id, text,"
            " problem_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (user_id, kind, checkin_id, project_id, text, problem_id, to_db(now)),
        )

    async def clear(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM pending_inputs WHERE user_id = ?", (user_id,))
