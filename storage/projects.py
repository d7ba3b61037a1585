"""Projects."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import aiosqlite

from storage.db import Database, from_db, to_db
from storage.events import append_event
from storage.models import (
    Project,
    ProjectStatus,
)


def _project(row: aiosqlite.Row) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        timezone=row["timezone"],
        status=cast(ProjectStatus, row["status"]),
        created_at=from_db(row["created_at"]),
    )


class ProjectRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, name: str, timezone: str, actor_id: int, now: datetime) -> Project:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO projects (name, timezone, created_at, created_by) VALUES (?, ?, ?, ?)",
                (name, timezone, to_db(now), actor_id),
            )
            project_id = cursor.lastrowid
            await append_event(conn, now, actor_id, "project.created", project_id, name=name)
        project = await self.get(cast(int, project_id))
        assert project is not None
        return project

    async def get(self, project_id: int) -> Project | None:
        row = await self._db.fetchone("SELECT * FROM projects WHERE id = ?", (project_id,))
        return _project(row) if row else None

    async def list(self, *, offset: int = 0, limit: int = 1000) -> list[Project]:
        rows = await self._db.fetchall(
            "SELECT * FROM projects ORDER BY status = 'archived', id LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_project(row) for row in rows]

    async def count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM projects")
        return int(row[0]) if row else 0

    async def rename(self, project_id: int, name: str, actor_id: int, now: datetime) -> None:
        async with self._db.write() as conn:
            row = await (
                await conn.execute("SELECT name FROM projects WHERE id = ?", (project_id,))
            ).fetchone()
            await conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
            old = row["name"] if row else None
            await append_event(
                conn, now, actor_id, "project.renamed", project_id, old=old, new=name
            )

    async def set_status(
        self, project_id: int, status: ProjectStatus, actor_id: int, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute("UPDATE projects SET status = ? WHERE id = ?", (status, project_id))
            await append_event(conn, now, actor_id, f"project.{status}", project_id)
