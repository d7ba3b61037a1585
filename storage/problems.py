"""The problem ledger (帮办台帐) tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import aiosqlite

from storage.db import Database, from_db, to_db
from storage.repos import append_event


async def insert_problem(
    conn: aiosqlite.Connection,
    project_id: int,
    reporter_id: int,
    text: str,
    deadline: datetime,
    now: datetime,
    checkin_id: int | None = None,
) -> int:
    """Add a problem and its 'reported' event inside the caller's transaction."""
    cursor = await conn.execute(
        "INSERT INTO problems (project_id, reporter_id, checkin_id, text, created_at, deadline)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (project_id, reporter_id, checkin_id, text, to_db(now), to_db(deadline)),
    )
    problem_id = cast(int, cursor.lastrowid)
    await append_event(
        conn,
        now,
        reporter_id,
        "problem.reported",
        project_id,
        problem_id,
        deadline=to_db(deadline),
        checkin_id=checkin_id,
    )
    return problem_id


class ProblemRepo:
    """Reads and writes of the ledger (extended by the ledger service)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        project_id: int,
        reporter_id: int,
        text: str,
        deadline: datetime,
        now: datetime,
        checkin_id: int | None = None,
    ) -> int:
        async with self._db.write() as conn:
            return await insert_problem(
                conn, project_id, reporter_id, text, deadline, now, checkin_id
            )

    async def open_for_project(self, project_id: int) -> list[OpenProblem]:
        rows = await self._db.fetchall(
            "SELECT id, text, deadline, status FROM problems"
            " WHERE project_id = ? AND status != 'resolved' ORDER BY deadline, id",
            (project_id,),
        )
        return [OpenProblem(r["id"], r["text"], from_db(r["deadline"]), r["status"]) for r in rows]


@dataclass(frozen=True, slots=True)
class OpenProblem:
    id: int
    text: str
    deadline: datetime
    status: str
