"""Escalations of the problem ledger: which problems are due for level 1 or 2, and recording
one with its cards, once per problem, level and deadline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from storage.db import Database, from_db, to_db
from storage.events import append_event
from storage.outbox import OutgoingMessage, enqueue
from storage.problem_rows import PROBLEM_SELECT, Problem, problem_from_row


class EscalationRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def due_level1(self, now: datetime) -> list[Problem]:
        """Unresolved past their deadline, not yet escalated for that deadline."""
        rows = await self._db.fetchall(
            PROBLEM_SELECT + " WHERE pb.status IN ('open', 'in_progress') AND pb.deadline <= ?"
            " AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.problem_id = pb.id"
            "   AND e.level = 1 AND e.deadline = pb.deadline)"
            " ORDER BY pb.deadline, pb.id",
            (to_db(now),),
        )
        return [problem_from_row(row) for row in rows]

    async def due_level2(self, now: datetime, after: timedelta) -> list[Problem]:
        """Unresolved ``after`` past their level-1 escalation for the current deadline."""
        rows = await self._db.fetchall(
            PROBLEM_SELECT + " JOIN escalations e1 ON e1.problem_id = pb.id AND e1.level = 1"
            "   AND e1.deadline = pb.deadline"
            " WHERE pb.status IN ('open', 'in_progress') AND e1.created_at <= ?"
            " AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.problem_id = pb.id"
            "   AND e.level = 2 AND e.deadline = pb.deadline)"
            " ORDER BY pb.deadline, pb.id",
            (to_db(now - after),),
        )
        return [problem_from_row(row) for row in rows]

    async def next_escalation(self, after: timedelta) -> datetime | None:
        """When the next escalation falls due (a deadline, or a level 1 ``after`` ago), given
        nothing changes; None when none is pending."""
        unescalated = await self._db.fetchone(
            "SELECT pb.deadline FROM problems pb JOIN projects pr ON pr.id = pb.project_id"
            " WHERE pb.status IN ('open', 'in_progress') AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.problem_id = pb.id"
            "   AND e.level = 1 AND e.deadline = pb.deadline)"
            " ORDER BY pb.deadline LIMIT 1"
        )
        waiting = await self._db.fetchone(
            "SELECT e1.created_at FROM escalations e1 JOIN problems pb ON pb.id = e1.problem_id"
            " AND pb.deadline = e1.deadline JOIN projects pr ON pr.id = pb.project_id"
            " WHERE e1.level = 1 AND pb.status IN ('open', 'in_progress')"
            " AND pr.status = 'active' AND NOT EXISTS (SELECT 1 FROM escalations e"
            "   WHERE e.problem_id = pb.id AND e.level = 2 AND e.deadline = pb.deadline)"
            " ORDER BY e1.created_at LIMIT 1"
        )
        times = []
        if unescalated is not None:
            times.append(from_db(unescalated["deadline"]))
        if waiting is not None:
            times.append(from_db(waiting["created_at"]) + after)
        return min(times, default=None)

    async def escalate(
        self,
        problem: Problem,
        level: int,
        messages: Sequence[OutgoingMessage],
        now: datetime,
        recipients: str,
    ) -> bool:
        """Record the escalation and queue its cards in one transaction; once per deadline."""
        async with self._db.write() as conn:
            # Only while the problem is as it was read: unresolved, with this deadline, in an
            # active project. Resolved or extended a moment ago, it gets no card.
            cursor = await conn.execute(
                "INSERT INTO escalations (problem_id, level, deadline, created_at)"
                " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT)"
                " WHERE EXISTS (SELECT 1 FROM problems pb"
                "   JOIN projects pr ON pr.id = pb.project_id WHERE pb.id = ?"
                "   AND pb.status IN ('open', 'in_progress') AND pb.deadline = ?"
                "   AND pr.status = 'active') ON CONFLICT DO NOTHING",
                (
                    problem.id,
                    level,
                    to_db(problem.deadline),
                    to_db(now),
                    problem.id,
                    to_db(problem.deadline),
                ),
            )
            if cursor.rowcount == 0:
                return False
            await enqueue(conn, messages, now)
            await append_event(
                conn,
                now,
                None,
                "problem.escalated",
                problem.project_id,
                problem.id,
                level=level,
                deadline=to_db(problem.deadline),
                recipients=recipients,
            )
            return True

    async def escalation_levels(self, problem: Problem) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT level FROM escalations WHERE problem_id = ? AND deadline = ?",
            (problem.id, to_db(problem.deadline)),
        )
        return {row["level"] for row in rows}
