"""Each project's plan (三明确): stage, investment, work line, locality, dates and the year's
target; its milestones (节点); the monthly investment reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, insert_id, opt_from_db, to_db
from storage.events import append_event

STAGES = ("negotiating", "signed", "preparing", "building", "operating")
# The plan's columns people may set, and how each is stored.
PLAN_FIELDS = {
    "stage": "text",
    "total_investment": "money",
    "year_investment": "money",
    "work_line": "text",
    "locality": "text",
    "planned_start": "date",
    "planned_completion": "date",
    "year_target": "text",
}


@dataclass(frozen=True, slots=True)
class Plan:
    project_id: int
    stage: str | None = None
    stage_since: date | None = None
    total_investment: int | None = None  # yuan
    year_investment: int | None = None  # yuan
    work_line: str | None = None
    locality: str | None = None
    planned_start: date | None = None
    planned_completion: date | None = None
    year_target: str | None = None


@dataclass(frozen=True, slots=True)
class Milestone:
    id: int
    project_id: int
    name: str
    planned_on: date
    responsible_user: int | None
    responsible_department: int | None
    done_on: date | None
    done_at: datetime | None
    evidence: str | None
    responsible_name: str | None = None

    @property
    def done(self) -> bool:
        return self.done_on is not None

    def on_time(self) -> bool:
        return self.done_on is not None and self.done_on <= self.planned_on


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _plan(row: aiosqlite.Row) -> Plan:
    return Plan(
        project_id=row["project_id"],
        stage=row["stage"],
        stage_since=_date(row["stage_since"]),
        total_investment=row["total_investment"],
        year_investment=row["year_investment"],
        work_line=row["work_line"],
        locality=row["locality"],
        planned_start=_date(row["planned_start"]),
        planned_completion=_date(row["planned_completion"]),
        year_target=row["year_target"],
    )


_MILESTONES = (
    "SELECT m.*, coalesce(p.display_name, d.name) AS responsible_name FROM milestones m"
    " LEFT JOIN people p ON p.user_id = m.responsible_user"
    " LEFT JOIN departments d ON d.id = m.responsible_department"
    " WHERE m.removed_at IS NULL"
)


def _milestone(row: aiosqlite.Row) -> Milestone:
    return Milestone(
        id=row["id"],
        project_id=row["project_id"],
        name=row["name"],
        planned_on=date.fromisoformat(row["planned_on"]),
        responsible_user=row["responsible_user"],
        responsible_department=row["responsible_department"],
        done_on=_date(row["done_on"]),
        done_at=opt_from_db(row["done_at"]),
        evidence=row["evidence"],
        responsible_name=row["responsible_name"],
    )


class PlanRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    # --- the plan -------------------------------------------------------------------------------

    async def plans(self, project_ids: Sequence[int] | None = None) -> dict[int, Plan]:
        sql = "SELECT * FROM project_plans"
        params: list[Any] = []
        if project_ids is not None:
            if not project_ids:
                return {}
            sql += f" WHERE project_id IN ({','.join('?' * len(project_ids))})"
            params = list(project_ids)
        return {r["project_id"]: _plan(r) for r in await self._db.fetchall(sql, params)}

    async def plan(self, project_id: int) -> Plan:
        return (await self.plans([project_id])).get(project_id) or Plan(project_id)

    async def set_field(
        self, need: Need, field: str, value: str | int | None, today: date, now: datetime
    ) -> bool:
        """Set one field of the project's plan, in its history; False when it already had the
        value (a retry). A new stage is dated ``today``."""
        assert need.project_id is not None and field in PLAN_FIELDS
        project_id = need.project_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            row = await first_row(
                conn, f"SELECT {field} FROM project_plans WHERE project_id = ?", (project_id,)
            )
            old = row[field] if row is not None else None
            if old == value:
                return False
            if row is None:
                await conn.execute(
                    "INSERT INTO project_plans (project_id, updated_at, updated_by)"
                    " VALUES (?, ?, ?)",
                    (project_id, to_db(now), need.user_id),
                )
            sets = f"{field} = ?, updated_at = ?, updated_by = ?"
            params: list[Any] = [value, to_db(now), need.user_id]
            if field == "stage":
                sets += ", stage_since = ?"
                params.append(today.isoformat())
            await conn.execute(
                f"UPDATE project_plans SET {sets} WHERE project_id = ?", (*params, project_id)
            )
            await append_event(
                conn, now, need.user_id, "project.plan", project_id, field=field, old=old, new=value
            )
            return True

    async def lines(self) -> list[tuple[str, int]]:
        """Work lines in use, with how many projects each has."""
        rows = await self._db.fetchall(
            "SELECT work_line, count(*) AS n FROM project_plans WHERE work_line IS NOT NULL"
            " GROUP BY work_line ORDER BY work_line"
        )
        return [(r["work_line"], r["n"]) for r in rows]

    # --- milestones (节点) -----------------------------------------------------------------------

    async def add_milestone(
        self,
        need: Need,
        name: str,
        planned_on: date,
        now: datetime,
        *,
        responsible_user: int | None = None,
        responsible_department: int | None = None,
    ) -> int:
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            milestone_id = await insert_id(
                conn,
                "INSERT INTO milestones (project_id, name, planned_on, responsible_user,"
                " responsible_department, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    need.project_id,
                    name,
                    planned_on.isoformat(),
                    responsible_user,
                    responsible_department,
                    to_db(now),
                    need.user_id,
                ),
            )
            assert milestone_id is not None
            await append_event(
                conn,
                now,
                need.user_id,
                "milestone.added",
                need.project_id,
                milestone_id,
                name=name,
                planned_on=planned_on.isoformat(),
            )
            return milestone_id

    async def milestone(self, milestone_id: int) -> Milestone | None:
        row = await self._db.fetchone(_MILESTONES + " AND m.id = ?", (milestone_id,))
        return _milestone(row) if row else None

    async def milestones(self, project_ids: Sequence[int] | None = None) -> list[Milestone]:
        sql = _MILESTONES
        params: list[Any] = []
        if project_ids is not None:
            if not project_ids:
                return []
            sql += f" AND m.project_id IN ({','.join('?' * len(project_ids))})"
            params = list(project_ids)
        rows = await self._db.fetchall(sql + " ORDER BY m.project_id, m.planned_on, m.id", params)
        return [_milestone(r) for r in rows]

    async def due_of_project(self, project_id: int, by: date) -> list[Milestone]:
        rows = await self._db.fetchall(
            _MILESTONES + " AND m.project_id = ? AND m.done_at IS NULL AND m.planned_on <= ?"
            " ORDER BY m.planned_on, m.id",
            (project_id, by.isoformat()),
        )
        return [_milestone(r) for r in rows]

    async def undone_before(self, day: date) -> list[Milestone]:
        """Milestones not done whose planned day is before ``day`` (in any zone's terms: the
        caller checks each against its project's own date)."""
        rows = await self._db.fetchall(
            _MILESTONES + " AND m.done_at IS NULL AND m.planned_on < ? ORDER BY m.planned_on, m.id",
            (day.isoformat(),),
        )
        return [_milestone(r) for r in rows]

    async def mark_done(
        self,
        need: Need,
        milestone_id: int,
        done_on: date,
        now: datetime,
        evidence: str | None,
    ) -> bool:
        """Mark a milestone done, with its evidence; False if it already was."""
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE milestones SET done_on = ?, done_at = ?, done_by = ?, evidence = ?"
                " WHERE id = ? AND project_id = ? AND done_at IS NULL AND removed_at IS NULL",
                (
                    done_on.isoformat(),
                    to_db(now),
                    need.user_id,
                    evidence,
                    milestone_id,
                    need.project_id,
                ),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(
                conn,
                now,
                need.user_id,
                "milestone.done",
                need.project_id,
                milestone_id,
                done_on=done_on.isoformat(),
                text=evidence,
            )
            return True

    async def last_progress(self, project_ids: Sequence[int]) -> dict[int, datetime]:
        """When each project last showed progress: a progress report, a milestone done, an
        investment reported (for 'no progress for STALL_AFTER')."""
        if not project_ids:
            return {}
        marks = ",".join("?" * len(project_ids))
        rows = await self._db.fetchall(
            "SELECT project_id, max(at) AS at FROM ("
            " SELECT r.project_id, a.at FROM answers a JOIN checkins c ON c.id = a.checkin_id"
            "   JOIN rounds r ON r.id = c.round_id"
            f"   WHERE a.kind IN ('progress', 'answer') AND r.project_id IN ({marks})"
            " UNION ALL SELECT project_id, done_at FROM milestones"
            f"   WHERE done_at IS NOT NULL AND project_id IN ({marks})"
            " UNION ALL SELECT project_id, reported_at FROM investments"
            f"   WHERE project_id IN ({marks})"
            ") progress GROUP BY project_id",
            [*project_ids, *project_ids, *project_ids],
        )
        return {r["project_id"]: from_db(r["at"]) for r in rows if r["at"]}
