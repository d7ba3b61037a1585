"""What an export holds: the tables of some projects, read as plain rows.

Times come back as aware UTC datetimes (the service shows them in each project's zone); days
stay ``date``. Each table is one query, whatever the number of projects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import aiosqlite

from storage.db import Database, opt_from_db, to_db

Row = dict[str, Any]

# Columns holding stored UTC times, turned into datetimes.
TIME_COLUMNS = frozenset(
    {
        "created_at",
        "added_at",
        "removed_at",
        "answered_at",
        "deadline",
        "resolved_at",
        "claimed_at",
        "at",
        "handed_at",
        "dept_deadline",
        "signed_at",
        "done_at",
    }
)

# Each file with the project it belongs to (by its answer's round, its problem or its contact)
# and who sent it (p).
ATTACHMENTS_BY_PROJECT = (
    " FROM attachments f"
    " LEFT JOIN answers a ON a.id = f.answer_id"
    " LEFT JOIN checkins c ON c.id = a.checkin_id"
    " LEFT JOIN rounds r ON r.id = c.round_id"
    " LEFT JOIN problems pb ON pb.id = f.problem_id"
    " LEFT JOIN contacts ct ON ct.id = f.contact_id"
    " LEFT JOIN milestones ms ON ms.id = f.milestone_id"
    " JOIN projects pr"
    "   ON pr.id = coalesce(r.project_id, pb.project_id, ct.project_id, ms.project_id)"
    " LEFT JOIN people p ON p.user_id = f.user_id"
)

_QUERIES: dict[str, str] = {
    "projects": (
        "SELECT projects.id AS project_id, name AS project, status, timezone,"
        " projects.created_at,"
        " (SELECT group_concat(d.name, '、') FROM project_departments pd"
        "   JOIN departments d ON d.id = pd.department_id WHERE pd.project_id = projects.id)"
        " AS supporting_departments,"
        " pl.stage, pl.work_line, pl.locality, pl.total_investment / 10000.0 AS total_wan,"
        " pl.year_investment / 10000.0 AS year_plan_wan,"
        " (SELECT sum(i.amount) / 10000.0 FROM investments i WHERE i.project_id = projects.id"
        "   AND i.month >= {year_start}) AS year_done_wan,"
        " (SELECT count(*) FROM milestones m WHERE m.project_id = projects.id"
        "   AND m.removed_at IS NULL AND m.planned_on <= {today}) AS milestones_due,"
        " (SELECT count(*) FROM milestones m WHERE m.project_id = projects.id"
        "   AND m.removed_at IS NULL AND m.planned_on <= {today}"
        "   AND m.done_on IS NOT NULL AND m.done_on <= m.planned_on) AS milestones_on_time,"
        " (SELECT count(*) FROM milestones m WHERE m.project_id = projects.id"
        "   AND m.removed_at IS NULL AND m.planned_on < {today} AND m.done_on IS NULL)"
        " AS milestones_overdue"
        " FROM projects LEFT JOIN project_plans pl ON pl.project_id = projects.id"
        " WHERE projects.id IN ({ids}) ORDER BY projects.id"
    ),
    "members": (
        "SELECT m.project_id, pr.name AS project, m.user_id, p.display_name AS name, p.username,"
        " m.role, m.added_at, m.removed_at FROM memberships m"
        " JOIN projects pr ON pr.id = m.project_id JOIN people p ON p.user_id = m.user_id"
        " WHERE m.project_id IN ({ids}) ORDER BY m.project_id, m.role DESC, m.id"
    ),
    "checkins": (
        "SELECT r.project_id, pr.name AS project, r.local_date, r.audience, c.user_id,"
        " p.display_name AS name, c.status, c.outcome, c.answered_at,"
        # Each answer under its question's label (形象进度：…), as the office reads it.
        " (SELECT group_concat(coalesce(q.text || '：', '') || a.text, ' / ') FROM answers a"
        "   LEFT JOIN questions q ON q.project_id = r.project_id AND q.position = a.question_no"
        "   WHERE a.checkin_id = c.id AND a.text IS NOT NULL) AS answers,"
        " (SELECT count(*) FROM attachments f JOIN answers a ON a.id = f.answer_id"
        "   WHERE a.checkin_id = c.id) AS attachments"
        " FROM checkins c JOIN rounds r ON r.id = c.round_id"
        " JOIN projects pr ON pr.id = r.project_id JOIN people p ON p.user_id = c.user_id"
        " WHERE r.project_id IN ({ids}) ORDER BY r.local_date, r.project_id, c.id"
    ),
    "problems": (
        "SELECT pb.id AS problem_id, pb.project_id, pr.name AS project,"
        " rp.display_name AS reporter, pb.text, pb.coordination, pb.proposal, pb.created_at,"
        " pb.deadline, pb.status, pb.assignee, pb.extensions, cl.display_name AS claimed_by,"
        " pb.claimed_at, rs.display_name AS resolved_by, pb.resolved_at,"
        " (SELECT count(*) FROM attachments f WHERE f.problem_id = pb.id) AS attachments,"
        " d.name AS department, h.handed_at, h.deadline AS dept_deadline,"
        " sg.display_name AS signed_by, h.signed_at, h.done_at,"
        " CASE WHEN h.id IS NULL THEN NULL"
        "   WHEN h.done_at IS NOT NULL THEN CASE WHEN h.done_at > h.deadline THEN 1 ELSE 0 END"
        "   WHEN h.status IN ('handed', 'signed') AND h.deadline <= {now} THEN 1"
        "   ELSE 0 END AS dept_overdue"
        " FROM problems pb JOIN projects pr ON pr.id = pb.project_id"
        " LEFT JOIN people rp ON rp.user_id = pb.reporter_id"
        " LEFT JOIN people cl ON cl.user_id = pb.claimed_by"
        " LEFT JOIN people rs ON rs.user_id = pb.resolved_by"
        # The department leading it (the latest, if it was handed more than once).
        " LEFT JOIN handovers h ON h.id = (SELECT max(x.id) FROM handovers x"
        "   WHERE x.problem_id = pb.id AND x.lead = 1)"
        " LEFT JOIN departments d ON d.id = h.department_id"
        " LEFT JOIN people sg ON sg.user_id = h.signed_by"
        " WHERE pb.project_id IN ({ids}) ORDER BY pb.id"
    ),
    "history": (
        "SELECT e.subject_id AS problem_id, e.project_id, pr.name AS project, e.at,"
        " p.display_name AS who, e.actor_id, substr(e.kind, 9) AS event,"
        " json_extract(e.detail, '$.level') AS level,"
        " json_extract(e.detail, '$.text') AS text, e.detail"
        " FROM events e JOIN projects pr ON pr.id = e.project_id"
        " LEFT JOIN people p ON p.user_id = e.actor_id"
        " WHERE e.project_id IN ({ids}) AND e.kind LIKE 'problem.%' ORDER BY e.id"
    ),
    "contacts": (
        "SELECT ct.id AS contact_id, ct.project_id, pr.name AS project,"
        " p.display_name AS leader, ct.held_on, ct.how, ct.text, ct.at,"
        " (SELECT count(*) FROM attachments f WHERE f.contact_id = ct.id) AS attachments"
        " FROM contacts ct JOIN projects pr ON pr.id = ct.project_id"
        " LEFT JOIN people p ON p.user_id = ct.leader_id"
        " WHERE ct.project_id IN ({ids}) ORDER BY ct.held_on, ct.id"
    ),
    "attachments": (
        "SELECT f.id AS attachment_id, pr.id AS project_id, pr.name AS project,"
        " CASE WHEN f.answer_id IS NOT NULL THEN 'report'"
        "   WHEN f.problem_id IS NOT NULL THEN 'problem'"
        "   WHEN f.milestone_id IS NOT NULL THEN 'milestone' ELSE 'contact' END AS belongs_to,"
        " coalesce(f.answer_id, f.problem_id, f.contact_id, f.milestone_id) AS owner_id,"
        " f.kind, f.file_name,"
        " f.file_id, p.display_name AS sent_by, f.at"
        + ATTACHMENTS_BY_PROJECT
        + " WHERE pr.id IN ({ids}) ORDER BY f.id"
    ),
}

TABLES: tuple[str, ...] = tuple(_QUERIES)


def _row(row: aiosqlite.Row) -> Row:
    values: Row = {}
    for key in row.keys():  # noqa: SIM118 - sqlite rows iterate values, not keys
        value = row[key]
        if key in TIME_COLUMNS:
            value = opt_from_db(value)
        elif key in {"local_date", "held_on"} and value is not None:
            value = date.fromisoformat(value)
        values[key] = value
    return values


class ExportRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def project_ids(self) -> list[int]:
        rows = await self._db.fetchall("SELECT id FROM projects ORDER BY id")
        return [int(row["id"]) for row in rows]

    async def table(
        self, name: str, project_ids: Sequence[int], now: datetime
    ) -> tuple[list[str], list[Row]]:
        """One table of the export, for these projects (as at ``now``): its columns and
        rows."""
        marks = ",".join("?" * len(project_ids)) or "NULL"
        # A fixed-width UTC text (storage.db.to_db), safe to inline.
        today = now.date().isoformat()
        sql = _QUERIES[name].format(
            ids=marks, now=f"'{to_db(now)}'", today=f"'{today}'", year_start=f"'{now.year}-01'"
        )
        columns, rows = await self._db.fetch_with_columns(sql, list(project_ids))
        return columns, [_row(row) for row in rows]

    async def files(self, project_ids: Sequence[int], start: datetime, end: datetime) -> list[Row]:
        """The files people sent in these projects between two moments, oldest first: what
        each is (kind, Telegram file id, name) and whose and when, to fetch and file them."""
        marks = ",".join("?" * len(project_ids)) or "NULL"
        rows = await self._db.fetchall(
            "SELECT f.id, f.kind, f.file_id, f.file_name, f.at, pr.id AS project_id,"
            " pr.name AS project, pr.timezone, coalesce(p.display_name, CAST(f.user_id AS TEXT))"
            " AS person"
            + ATTACHMENTS_BY_PROJECT
            + f" WHERE pr.id IN ({marks}) AND f.at >= ? AND f.at < ? ORDER BY f.id",
            [*project_ids, to_db(start), to_db(end)],
        )
        return [_row(r) for r in rows]
