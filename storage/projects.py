"""Projects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, Tx, first_row, from_db, insert_id, to_db
from storage.events import append_event
from storage.models import (
    Project,
    ProjectStatus,
)
from storage.outbox import cancel
from storage.pending import clear_pending_of_project


def project_from_row(row: aiosqlite.Row) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        timezone=row["timezone"],
        status=cast(ProjectStatus, row["status"]),
        created_at=from_db(row["created_at"]),
    )


class NameTaken(Exception):
    """Another project already has this name."""

    def __init__(self, project: Project) -> None:
        super().__init__(project.name)
        self.project = project


class ProjectRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    @staticmethod
    async def _same_name(conn: Tx, name: str, other_than: int | None = None) -> Project | None:
        row = await first_row(
            conn,
            "SELECT * FROM projects WHERE lower(name) = lower(?) AND id IS DISTINCT FROM ? LIMIT 1",
            (name, other_than),
        )
        return project_from_row(row) if row else None

    async def create(self, need: Need, name: str, timezone: str, now: datetime) -> Project:
        """A new project; :class:`NameTaken` if one has the name (so a retry creates nothing)."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            existing = await self._same_name(conn, name)
            if existing is not None:
                raise NameTaken(existing)
            project_id = await insert_id(
                conn,
                "INSERT INTO projects (name, timezone, created_at, created_by) VALUES (?, ?, ?, ?)",
                (name, timezone, to_db(now), need.user_id),
            )
            assert project_id is not None
            await append_event(conn, now, need.user_id, "project.created", project_id, name=name)
        project = await self.get(project_id)
        assert project is not None
        return project

    async def get(self, project_id: int) -> Project | None:
        row = await self._db.fetchone("SELECT * FROM projects WHERE id = ?", (project_id,))
        return project_from_row(row) if row else None

    async def active(self) -> list[Project]:
        """Every active project, by id, however many: what a sweep or the meeting's material
        reads (``list`` is a page, 1,000 by default)."""
        rows = await self._db.fetchall("SELECT * FROM projects WHERE status = 'active' ORDER BY id")
        return [project_from_row(row) for row in rows]

    async def list(
        self, *, offset: int = 0, limit: int = 1000, ids: Sequence[int] | None = None
    ) -> list[Project]:
        """Projects, active first; only ``ids`` if given."""
        where, params = _only(ids)
        rows = await self._db.fetchall(
            f"SELECT * FROM projects{where} ORDER BY status = 'archived', id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [project_from_row(row) for row in rows]

    async def count(self, ids: Sequence[int] | None = None) -> int:
        where, params = _only(ids)
        row = await self._db.fetchone(f"SELECT count(*) FROM projects{where}", params)
        return int(row[0]) if row else 0

    async def rename(self, need: Need, name: str, now: datetime) -> None:
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            existing = await self._same_name(conn, name, need.project_id)
            if existing is not None:
                raise NameTaken(existing)
            row = await first_row(
                conn, "SELECT name FROM projects WHERE id = ?", (need.project_id,)
            )
            await conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, need.project_id))
            old = row["name"] if row else None
            await append_event(
                conn, now, need.user_id, "project.renamed", need.project_id, old=old, new=name
            )

    async def set_status(self, need: Need, status: ProjectStatus, now: datetime) -> bool:
        """Archive or reactivate; False if it already was. Archiving closes the project's open
        rounds (their unanswered check-ins count for nobody), cancels its unsent prompts,
        reminders and cards, and drops what the bot waited for in it."""
        project_id = need.project_id
        assert project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE projects SET status = ? WHERE id = ? AND status != ?",
                (status, project_id, status),
            )
            if cursor.rowcount == 0:
                return False
            if status == "archived":
                await conn.execute(
                    "UPDATE checkins SET status = 'removed' WHERE status = 'pending' AND round_id"
                    " IN (SELECT id FROM rounds WHERE project_id = ? AND status = 'open')",
                    (project_id,),
                )
                await conn.execute(
                    "UPDATE rounds SET status = 'closed', closed_at = ?"
                    " WHERE project_id = ? AND status = 'open'",
                    (to_db(now), project_id),
                )
                await cancel(conn, project_id)
                await clear_pending_of_project(conn, project_id)
            await append_event(conn, now, need.user_id, f"project.{status}", project_id)
            return True


def _only(ids: Sequence[int] | None) -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    return f" WHERE id IN ({','.join('?' * len(ids)) or 'NULL'})", list(ids)
