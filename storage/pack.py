"""What the weekly dispatch meeting's material (调度会材料) is made of, read for one week: each
project's reports (answers under their question's label), and what the meeting is asked to
decide or should know changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from storage.db import Database, to_db


@dataclass
class WeekReports:
    """One project's progress reports of the week: (day, who, label or None, text)."""

    entries: list[tuple[str, str, int | None, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Submission:
    """A matter put to the meeting (提请会议研究事项)."""

    kind: str  # level2, extension, returned
    problem_id: int
    project: str
    text: str
    detail: str


class PackRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reports(
        self, start: datetime, end: datetime, project_ids: Sequence[int]
    ) -> dict[int, WeekReports]:
        """Answers of the week's rounds, with the question number they answer."""
        found: dict[int, WeekReports] = {pid: WeekReports() for pid in project_ids}
        if not project_ids:
            return found
        marks = ",".join("?" * len(project_ids))
        rows = await self._db.fetchall(
            "SELECT r.project_id, r.local_date, p.display_name, a.question_no, a.text"
            " FROM answers a JOIN checkins c ON c.id = a.checkin_id"
            " JOIN rounds r ON r.id = c.round_id JOIN people p ON p.user_id = c.user_id"
            " WHERE a.at >= ? AND a.at < ? AND a.text IS NOT NULL"
            " AND a.kind IN ('progress', 'answer', 'problem')"
            f" AND r.project_id IN ({marks}) ORDER BY r.project_id, r.local_date, a.id",
            [to_db(start), to_db(end), *project_ids],
        )
        for row in rows:
            found[row["project_id"]].entries.append(
                (row["local_date"], row["display_name"], row["question_no"], row["text"])
            )
        return found

    async def questions(self, project_ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {pid: [] for pid in project_ids}
        if not project_ids:
            return found
        marks = ",".join("?" * len(project_ids))
        rows = await self._db.fetchall(
            f"SELECT project_id, text FROM questions WHERE project_id IN ({marks})"
            " ORDER BY project_id, position",
            list(project_ids),
        )
        for row in rows:
            found[row["project_id"]].append(row["text"])
        return found

    async def submissions(self, start: datetime, end: datetime) -> list[Submission]:
        """Problems at level 2, extensions asked for, items departments handed back: in the
        week, problems still not crossed off."""
        rows = await self._db.fetchall(
            "SELECT 'level2' AS kind, pb.id, pr.name, pb.text, e.deadline AS detail"
            " FROM escalations e JOIN problems pb ON pb.id = e.problem_id"
            " JOIN projects pr ON pr.id = pb.project_id"
            " WHERE e.level = 2 AND e.created_at < ? AND pb.status <> 'resolved'"
            " UNION ALL SELECT 'extension', pb.id, pr.name, pb.text,"
            "   json_extract(ev.detail, '$.text') FROM events ev"
            " JOIN problems pb ON pb.id = ev.subject_id JOIN projects pr ON pr.id = pb.project_id"
            " WHERE ev.kind = 'problem.extended' AND ev.at >= ? AND ev.at < ?"
            " UNION ALL SELECT 'returned', pb.id, pr.name, pb.text, d.name || '：' || h.reason"
            " FROM handovers h JOIN problems pb ON pb.id = h.problem_id"
            " JOIN projects pr ON pr.id = pb.project_id"
            " JOIN departments d ON d.id = h.department_id"
            " WHERE h.status = 'returned' AND h.closed_at >= ? AND h.closed_at < ?",
            (to_db(end), to_db(start), to_db(end), to_db(start), to_db(end)),
        )
        return [
            Submission(r["kind"], r["id"], r["name"], r["text"], str(r["detail"] or ""))
            for r in rows
        ]

    async def changes(
        self, start: datetime, end: datetime
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[int, str]]]:
        """Problems new, crossed off and newly overdue in the week: (id, text) each."""

        async def ids(sql: str) -> list[tuple[int, str]]:
            rows = await self._db.fetchall(sql, (to_db(start), to_db(end)))
            return [(r["id"], r["text"]) for r in rows]

        new = await ids(
            "SELECT id, text FROM problems WHERE created_at >= ? AND created_at < ? ORDER BY id"
        )
        resolved = await ids(
            "SELECT id, text FROM problems WHERE resolved_at >= ? AND resolved_at < ? ORDER BY id"
        )
        overdue = await ids(
            "SELECT id, text FROM problems WHERE deadline >= ? AND deadline < ?"
            " AND status IN ('open', 'in_progress') ORDER BY id"
        )
        return new, resolved, overdue
