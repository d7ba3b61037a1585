"""What the web board reads that no chat command does: the ledger searched and filtered, and
the notices published so far."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.attachments import Attachment, attachment_from_row
from storage.db import Database, from_db, opt_from_db, to_db
from storage.problem_rows import PROBLEM_SELECT, Problem, problem_from_row

STATUSES = {
    "unresolved": ("open", "in_progress", "awaiting"),
    "open": ("open", "in_progress"),
    "awaiting": ("awaiting",),
    "resolved": ("resolved",),
    "all": ("open", "in_progress", "awaiting", "resolved"),
}
LIVE_HANDOVER = "('handed', 'signed', 'done')"


@dataclass(frozen=True, slots=True)
class ProblemQuery:
    """Which problems: ``project_ids`` None is every project (an admin); ``department_ids``
    adds what those departments hold now (a department's people)."""

    project_ids: Sequence[int] | None
    department_ids: Sequence[int] = ()
    status: str = "unresolved"
    project_id: int | None = None
    department_id: int | None = None
    overdue_at: datetime | None = None  # only those past their deadline at this moment
    text: str = ""  # a substring of the problem, its coordination or its proposal
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True, slots=True)
class PublishedNotice:
    id: int
    period: str
    year: int | None
    number: int | None
    published_at: datetime | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


class WebBoardRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def problems(self, query: ProblemQuery) -> tuple[int, list[Problem]]:
        """The total that match and one page of them, the most pressing deadline first.

        The text filter is a substring match (LIKE on both engines): it needs no word
        boundaries, so Chinese is found as typed; at a county's size (thousands of problems)
        the scan costs milliseconds (bench/web.py)."""
        where, params = self._where(query)
        count = await self._db.fetchone(
            "SELECT count(*) AS n FROM problems pb JOIN projects pr ON pr.id = pb.project_id"
            + where,
            params,
        )
        rows = await self._db.fetchall(
            PROBLEM_SELECT + where + " ORDER BY pb.status = 'resolved', pb.deadline, pb.id"
            " LIMIT ? OFFSET ?",
            [*params, query.limit, query.offset],
        )
        return (int(count["n"]) if count else 0), [problem_from_row(r) for r in rows]

    def _where(self, query: ProblemQuery) -> tuple[str, list[Any]]:
        statuses = STATUSES.get(query.status, STATUSES["unresolved"])
        clauses = [f"pb.status IN ({','.join('?' * len(statuses))})"]
        params: list[Any] = list(statuses)
        if query.project_ids is not None:
            seen = [
                f"pb.project_id IN ({','.join('?' * len(query.project_ids)) or 'NULL'})",
            ]
            params += query.project_ids
            if query.department_ids:
                marks = ",".join("?" * len(query.department_ids))
                seen.append(
                    "pb.id IN (SELECT problem_id FROM handovers WHERE status IN"
                    f" {LIVE_HANDOVER} AND department_id IN ({marks}))"
                )
                params += query.department_ids
            clauses.append("(" + " OR ".join(seen) + ")")
        if query.project_id is not None:
            clauses.append("pb.project_id = ?")
            params.append(query.project_id)
        if query.department_id is not None:
            clauses.append(
                "pb.id IN (SELECT problem_id FROM handovers WHERE department_id = ?"
                f" AND status IN {LIVE_HANDOVER})"
            )
            params.append(query.department_id)
        if query.overdue_at is not None:
            clauses.append("pb.status <> 'resolved' AND pb.deadline < ?")
            params.append(to_db(query.overdue_at))
        if query.text:
            clauses.append(
                "(lower(pb.text) LIKE ? ESCAPE '\\' OR lower(coalesce(pb.coordination, ''))"
                " LIKE ? ESCAPE '\\' OR lower(coalesce(pb.proposal, '')) LIKE ? ESCAPE '\\')"
            )
            params += [_like(query.text)] * 3
        return " WHERE " + " AND ".join(clauses), params

    async def unresolved_counts(self, project_ids: Sequence[int] | None) -> dict[int, int]:
        """Problems not crossed off, counted per project (every project: None)."""
        where = ""
        if project_ids is not None:
            where = f" AND project_id IN ({','.join('?' * len(project_ids)) or 'NULL'})"
        rows = await self._db.fetchall(
            "SELECT project_id, count(*) AS n FROM problems"
            " WHERE status IN ('open', 'in_progress', 'awaiting')" + where + " GROUP BY project_id",
            list(project_ids or []),
        )
        return {int(r["project_id"]): int(r["n"]) for r in rows}

    async def digest_periods(self, limit: int = 52) -> list[tuple[str, datetime]]:
        """The weeks whose dispatch digest went out, newest first."""
        rows = await self._db.fetchall(
            "SELECT period, sent_at FROM digests ORDER BY period DESC LIMIT ?", (limit,)
        )
        return [(str(r["period"]), from_db(r["sent_at"])) for r in rows]

    async def published_notices(self, limit: int = 52) -> list[PublishedNotice]:
        rows = await self._db.fetchall(
            "SELECT id, period, year, number, decided_at, created_at FROM notices"
            " WHERE status = 'published' ORDER BY coalesce(decided_at, created_at) DESC, id DESC"
            " LIMIT ?",
            (limit,),
        )
        return [
            PublishedNotice(
                r["id"],
                r["period"],
                r["year"],
                r["number"],
                opt_from_db(r["decided_at"] or r["created_at"]),
            )
            for r in rows
        ]

    async def attachment(
        self, attachment_id: int
    ) -> tuple[Attachment, int | None, int | None, int | None] | None:
        """A file with what it belongs to: its problem, the check-in of its answer, or the
        project of the milestone it is evidence of."""
        row = await self._db.fetchone(
            "SELECT a.*, an.checkin_id AS of_checkin, ms.project_id AS of_milestone"
            " FROM attachments a LEFT JOIN answers an ON an.id = a.answer_id"
            " LEFT JOIN milestones ms ON ms.id = a.milestone_id WHERE a.id = ?",
            (attachment_id,),
        )
        if row is None:
            return None
        return (
            attachment_from_row(row),
            row["problem_id"],
            row["of_checkin"],
            row["of_milestone"],
        )
