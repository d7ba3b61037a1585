"""The office's plan workbook, imported: checked rows kept until an admin presses 导入, then
applied in one transaction, idempotent by project name (a second import of the same workbook
changes nothing)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.access import Access, Need
from storage.db import Database, Tx, first_row, insert_id, to_db
from storage.events import append_event
from storage.plans import PLAN_FIELDS


@dataclass(frozen=True, slots=True)
class PendingImport:
    id: int
    user_id: int
    file_name: str
    payload: dict[str, Any]
    status: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    milestones: int


class ImportRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def existing(self) -> dict[str, dict[str, Any]]:
        """Every project's plan by lower-cased name: to tell new from changed in a preview."""
        rows = await self._db.fetchall(
            "SELECT p.id, p.name, pl.* FROM projects p"
            " LEFT JOIN project_plans pl ON pl.project_id = p.id"
        )
        return {
            str(r["name"]).lower(): {"id": r["id"], **{f: r[f] for f in PLAN_FIELDS}} for r in rows
        }

    async def milestone_keys(self) -> set[tuple[str, str, str]]:
        rows = await self._db.fetchall(
            "SELECT p.name AS project, m.name, m.planned_on FROM milestones m"
            " JOIN projects p ON p.id = m.project_id WHERE m.removed_at IS NULL"
        )
        return {(str(r["project"]).lower(), r["name"], r["planned_on"]) for r in rows}

    async def create(
        self, need: Need, file_name: str, payload: dict[str, Any], now: datetime
    ) -> int:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            import_id = await insert_id(
                conn,
                "INSERT INTO plan_imports (user_id, file_name, payload, created_at)"
                " VALUES (?, ?, ?, ?)",
                (need.user_id, file_name, json.dumps(payload, ensure_ascii=False), to_db(now)),
            )
            assert import_id is not None
            return import_id

    async def get(self, import_id: int) -> PendingImport | None:
        row = await self._db.fetchone("SELECT * FROM plan_imports WHERE id = ?", (import_id,))
        if row is None:
            return None
        return PendingImport(
            row["id"], row["user_id"], row["file_name"], json.loads(row["payload"]), row["status"]
        )

    async def cancel(self, need: Need, import_id: int, now: datetime) -> bool:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE plan_imports SET status = 'cancelled', decided_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (to_db(now), import_id),
            )
            return bool(cursor.rowcount)

    async def apply(
        self, need: Need, import_id: int, timezone: str, now: datetime
    ) -> ImportResult | None:
        """Apply a pending import once (None: it was decided already), all or nothing."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            row = await first_row(
                conn,
                "UPDATE plan_imports SET status = 'applied', decided_at = ?"
                " WHERE id = ? AND status = 'pending' RETURNING payload",
                (to_db(now), import_id),
            )
            if row is None:
                return None
            payload = json.loads(row["payload"])
            created: list[str] = []
            updated: list[str] = []
            unchanged: list[str] = []
            ids: dict[str, int] = {}
            for project in payload["projects"]:
                project_id, new = await _project(conn, project["name"], timezone, need, now)
                ids[project["name"].lower()] = project_id
                changed = await _plan(conn, project_id, project["fields"], need, now)
                (created if new else updated if changed else unchanged).append(project["name"])
            added = 0
            for milestone in payload["milestones"]:
                found = ids.get(milestone["project"].lower()) or await _project_id(
                    conn, milestone["project"]
                )
                if found is None:
                    continue  # checked in the preview; gone since: nothing to attach it to
                added += await _milestone(conn, found, milestone, need, now)
            await append_event(
                conn,
                now,
                need.user_id,
                "plan.imported",
                None,
                import_id,
                created=len(created),
                updated=len(updated),
                milestones=added,
            )
            return ImportResult(created, updated, unchanged, added)


async def _project_id(conn: Tx, name: str) -> int | None:
    row = await first_row(
        conn, "SELECT id FROM projects WHERE lower(name) = lower(?) LIMIT 1", (name,)
    )
    return int(row["id"]) if row else None


async def _project(
    conn: Tx, name: str, timezone: str, need: Need, now: datetime
) -> tuple[int, bool]:
    found = await _project_id(conn, name)
    if found is not None:
        return found, False
    project_id = await insert_id(
        conn,
        "INSERT INTO projects (name, timezone, created_at, created_by) VALUES (?, ?, ?, ?)",
        (name, timezone, to_db(now), need.user_id),
    )
    assert project_id is not None
    await append_event(conn, now, need.user_id, "project.created", project_id, name=name)
    return project_id, True


async def _plan(
    conn: Tx, project_id: int, fields: dict[str, Any], need: Need, now: datetime
) -> bool:
    """Set the plan's fields the row gives; True if any changed."""
    row = await first_row(conn, "SELECT * FROM project_plans WHERE project_id = ?", (project_id,))
    changes = {
        field: value
        for field, value in fields.items()
        if field in PLAN_FIELDS and (row is None or row[field] != value)
    }
    if not changes:
        return False
    if row is None:
        await conn.execute(
            "INSERT INTO project_plans (project_id, updated_at, updated_by) VALUES (?, ?, ?)",
            (project_id, to_db(now), need.user_id),
        )
    sets = ", ".join(f"{field} = ?" for field in changes)
    params: list[Any] = list(changes.values())
    if "stage" in changes:
        sets += ", stage_since = ?"
        params.append(now.date().isoformat())
    await conn.execute(
        f"UPDATE project_plans SET {sets}, updated_at = ?, updated_by = ? WHERE project_id = ?",
        (*params, to_db(now), need.user_id, project_id),
    )
    for field, value in changes.items():
        await append_event(
            conn,
            now,
            need.user_id,
            "project.plan",
            project_id,
            field=field,
            new=value,
            imported=True,
        )
    return True


async def _milestone(
    conn: Tx, project_id: int, milestone: dict[str, Any], need: Need, now: datetime
) -> int:
    """Add the milestone unless the project has it (same name and day); 1 if added."""
    same = await first_row(
        conn,
        "SELECT 1 FROM milestones WHERE project_id = ? AND name = ? AND planned_on = ?"
        " AND removed_at IS NULL",
        (project_id, milestone["name"], milestone["planned_on"]),
    )
    if same is not None:
        return 0
    await conn.execute(
        "INSERT INTO milestones (project_id, name, planned_on, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?)",
        (project_id, milestone["name"], milestone["planned_on"], to_db(now), need.user_id),
    )
    return 1
