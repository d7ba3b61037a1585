"""Memberships: who serves which project, in which role."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, from_db, to_db
from storage.events import append_event
from storage.models import (
    Member,
    Person,
    Role,
)
from storage.outbox import cancel
from storage.pending import clear_pending_of_project
from storage.people import person_from_row, upsert_person


class MemberRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    _SELECT = (
        "SELECT m.project_id, m.role, m.added_at, p.* FROM memberships m"
        " JOIN people p ON p.user_id = m.user_id WHERE m.removed_at IS NULL"
    )

    @staticmethod
    def _member(row: aiosqlite.Row) -> Member:
        return Member(
            person=person_from_row(row),
            project_id=row["project_id"],
            role=cast(Role, row["role"]),
            added_at=from_db(row["added_at"]),
        )

    async def of_project(self, project_id: int, role: Role | None = None) -> list[Member]:
        sql = self._SELECT + " AND m.project_id = ?"
        params: list[Any] = [project_id]
        if role:
            sql += " AND m.role = ?"
            params.append(role)
        rows = await self._db.fetchall(sql + " ORDER BY m.role DESC, m.id", params)
        return [self._member(row) for row in rows]

    async def of_projects(self, project_ids: Sequence[int]) -> dict[int, list[Member]]:
        """Current members of several projects at once, keyed by project id."""
        result: dict[int, list[Member]] = {pid: [] for pid in project_ids}
        if not project_ids:
            return result
        marks = ",".join("?" * len(project_ids))
        rows = await self._db.fetchall(
            self._SELECT + f" AND m.project_id IN ({marks}) ORDER BY m.role DESC, m.id",
            list(project_ids),
        )
        for row in rows:
            result[row["project_id"]].append(self._member(row))
        return result

    async def former_of_project(self, project_id: int) -> list[tuple[Person, datetime]]:
        """People who served the project and no longer do, with when they last stopped."""
        rows = await self._db.fetchall(
            "SELECT max(m.removed_at) AS stopped_at, p.* FROM memberships m"
            " JOIN people p ON p.user_id = m.user_id"
            " WHERE m.project_id = ? AND m.removed_at IS NOT NULL AND NOT EXISTS ("
            "   SELECT 1 FROM memberships c WHERE c.project_id = m.project_id"
            "   AND c.user_id = m.user_id AND c.removed_at IS NULL)"
            " GROUP BY m.user_id, p.user_id ORDER BY m.user_id",
            (project_id,),
        )
        return [(person_from_row(row), from_db(row["stopped_at"])) for row in rows]

    async def of_user(self, user_id: int) -> list[Member]:
        rows = await self._db.fetchall(
            self._SELECT + " AND m.user_id = ? ORDER BY m.project_id, m.role", (user_id,)
        )
        return [self._member(row) for row in rows]

    async def import_members(
        self,
        project_id: int,
        role: Role,
        people: Sequence[tuple[int, str, str | None, str | None]],
        actor_id: int,
        now: datetime,
    ) -> None:
        """Add many (user id, name, username, language) at once, in one transaction."""
        async with self._db.write() as conn:
            for user_id, name, username, language in people:
                await upsert_person(conn, user_id, name, username, language, now)
            await conn.executemany(
                "INSERT INTO memberships (project_id, user_id, role, added_at, added_by)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(project_id, p[0], role, to_db(now), actor_id) for p in people],
            )
            await append_event(
                conn,
                now,
                actor_id,
                "members.imported",
                project_id,
                None,
                role=role,
                count=len(people),
            )

    async def remove(self, need: Need, user_id: int, now: datetime) -> int:
        """End every current role of the person in the project; returns how many ended.

        Their access ends with the same transaction: unsent prompts, reminders and cards to them
        are cancelled, what the bot waited for from them in this project is dropped, and their
        unanswered check-ins of open rounds count for nobody.
        """
        project_id = need.project_id
        assert project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            rows = list(
                await conn.execute_fetchall(
                    "SELECT role FROM memberships"
                    " WHERE project_id = ? AND user_id = ? AND removed_at IS NULL",
                    (project_id, user_id),
                )
            )
            if not rows:
                return 0
            await conn.execute(
                "UPDATE memberships SET removed_at = ?, removed_by = ?"
                " WHERE project_id = ? AND user_id = ? AND removed_at IS NULL",
                (to_db(now), need.user_id, project_id, user_id),
            )
            for row in rows:
                await append_event(
                    conn, now, need.user_id, "member.removed", project_id, user_id, role=row["role"]
                )
            await conn.execute(
                "UPDATE checkins SET status = 'removed' WHERE user_id = ? AND status = 'pending'"
                " AND round_id IN (SELECT id FROM rounds WHERE project_id = ? AND status = 'open')",
                (user_id, project_id),
            )
            await cancel(conn, project_id, user_id)
            await clear_pending_of_project(conn, project_id, user_id)
            return len(rows)
