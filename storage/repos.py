"""Repositories: every SQL statement of the bot lives here or in the modules it imports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast

import aiosqlite

from storage.db import Database, from_db, opt_from_db, to_db
from storage.models import (
    Admin,
    Event,
    GroupBinding,
    Invite,
    InviteRole,
    Member,
    Person,
    Project,
    ProjectStatus,
    Role,
)
from storage.outbox import OutboxRepo
from storage.pending import PendingRepo


def _project(row: aiosqlite.Row) -> Project:
    return Project(
        id=row["id"],
        name=row["name"],
        timezone=row["timezone"],
        status=cast(ProjectStatus, row["status"]),
        created_at=from_db(row["created_at"]),
    )


def _person(row: aiosqlite.Row, prefix: str = "") -> Person:
    return Person(
        user_id=row[f"{prefix}user_id"],
        display_name=row[f"{prefix}display_name"],
        username=row[f"{prefix}username"],
        language=row[f"{prefix}language"],
        reachable=bool(row[f"{prefix}reachable"]),
    )


async def append_event(
    conn: aiosqlite.Connection,
    at: datetime,
    actor_id: int | None,
    kind: str,
    project_id: int | None = None,
    subject_id: int | None = None,
    **detail: Any,
) -> None:
    """Add one row to the append-only event log inside the caller's transaction."""
    await conn.execute(
        "INSERT INTO events (at, actor_id, kind, project_id, subject_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (to_db(at), actor_id, kind, project_id, subject_id, json.dumps(detail, ensure_ascii=False)),
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


class PersonRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, user_id: int) -> Person | None:
        row = await self._db.fetchone("SELECT * FROM people WHERE user_id = ?", (user_id,))
        return _person(row) if row else None

    async def find_by_username(self, username: str) -> Person | None:
        row = await self._db.fetchone(
            "SELECT * FROM people WHERE lower(username) = lower(?)", (username.lstrip("@"),)
        )
        return _person(row) if row else None

    async def touch(
        self, user_id: int, display_name: str, username: str | None, now: datetime
    ) -> None:
        """Keep name and username of a known person current; unknown people are not created."""
        await self._db.execute(
            "UPDATE people SET display_name = ?, username = ?, updated_at = ?"
            " WHERE user_id = ? AND (display_name != ? OR username IS NOT ?)",
            (display_name, username, to_db(now), user_id, display_name, username),
        )

    async def set_language(self, user_id: int, language: str, now: datetime) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE people SET language = ?, updated_at = ? WHERE user_id = ?",
                (language, to_db(now), user_id),
            )
            return cursor.rowcount > 0

    async def set_reachable(self, user_id: int, reachable: bool, now: datetime) -> bool:
        """Flip the reachable flag; True when it changed."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE people SET reachable = ?, updated_at = ?"
                " WHERE user_id = ? AND reachable != ?",
                (int(reachable), to_db(now), user_id, int(reachable)),
            )
            if cursor.rowcount:
                kind = "person.reachable" if reachable else "person.unreachable"
                await append_event(conn, now, None, kind, None, user_id)
            return cursor.rowcount > 0


async def upsert_person(
    conn: aiosqlite.Connection,
    user_id: int,
    display_name: str,
    username: str | None,
    language: str | None,
    now: datetime,
) -> None:
    """Create or refresh a person inside the caller's transaction; keeps a chosen language."""
    await conn.execute(
        "INSERT INTO people (user_id, display_name, username, language, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(user_id) DO UPDATE SET display_name = excluded.display_name,"
        " username = excluded.username, reachable = 1, updated_at = excluded.updated_at,"
        " language = coalesce(people.language, excluded.language)",
        (user_id, display_name, username, language, to_db(now), to_db(now)),
    )


class MemberRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    _SELECT = (
        "SELECT m.project_id, m.role, m.added_at, p.* FROM memberships m"
        " JOIN people p ON p.user_id = m.user_id WHERE m.removed_at IS NULL"
    )

    @staticmethod
    def _member(row: aiosqlite.Row) -> Member:
        return Member(
            person=_person(row),
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
                "INSERT OR IGNORE INTO memberships (project_id, user_id, role, added_at, added_by)"
                " VALUES (?, ?, ?, ?, ?)",
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

    async def remove(self, project_id: int, user_id: int, actor_id: int, now: datetime) -> int:
        """End every current role of the person in the project; returns how many ended."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "SELECT role FROM memberships"
                " WHERE project_id = ? AND user_id = ? AND removed_at IS NULL",
                (project_id, user_id),
            )
            rows = list(await cursor.fetchall())
            await conn.execute(
                "UPDATE memberships SET removed_at = ?, removed_by = ?"
                " WHERE project_id = ? AND user_id = ? AND removed_at IS NULL",
                (to_db(now), actor_id, project_id, user_id),
            )
            for row in rows:
                await append_event(
                    conn, now, actor_id, "member.removed", project_id, user_id, role=row["role"]
                )
            # Someone who no longer serves the project is not counted as missing its round.
            await conn.execute(
                "UPDATE checkins SET status = 'removed' WHERE user_id = ? AND status = 'pending'"
                " AND round_id IN (SELECT id FROM rounds WHERE project_id = ? AND status = 'open')",
                (user_id, project_id),
            )
            return len(rows)


class AdminRepo:
    def __init__(self, db: Database, config_admins: Sequence[int]) -> None:
        self._db = db
        self._config_admins = frozenset(config_admins)

    async def is_admin(self, user_id: int) -> bool:
        if user_id in self._config_admins:
            return True
        row = await self._db.fetchone("SELECT 1 FROM admins WHERE user_id = ?", (user_id,))
        return row is not None

    async def all(self) -> list[Admin]:
        rows = await self._db.fetchall(
            "SELECT a.user_id AS admin_id, p.* FROM admins a"
            " LEFT JOIN people p ON p.user_id = a.user_id ORDER BY a.added_at"
        )
        stored = {
            row["admin_id"]: (_person(row) if row["user_id"] is not None else None) for row in rows
        }
        ids = sorted(self._config_admins) + [
            uid for uid in stored if uid not in self._config_admins
        ]
        result = []
        for uid in ids:
            person = stored.get(uid)
            if person is None and uid not in stored:
                row = await self._db.fetchone("SELECT * FROM people WHERE user_id = ?", (uid,))
                person = _person(row) if row else None
            result.append(Admin(uid, person, uid in self._config_admins))
        return result

    async def ids(self) -> list[int]:
        rows = await self._db.fetchall("SELECT user_id FROM admins")
        return sorted(self._config_admins | {row["user_id"] for row in rows})


class RedeemResult(Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ARCHIVED = "archived"
    ALREADY = "already"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class Redeemed:
    result: RedeemResult
    invite: Invite | None


def _invite(row: aiosqlite.Row) -> Invite:
    return Invite(
        id=row["id"],
        project_id=row["project_id"],
        role=cast(InviteRole, row["role"]),
        expires_at=from_db(row["expires_at"]),
        used_by=row["used_by"],
        used_at=opt_from_db(row["used_at"]),
    )


class InviteRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        token_hash: str,
        project_id: int | None,
        role: InviteRole,
        actor_id: int,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO invites (token_hash, project_id, role, created_at, created_by,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, project_id, role, to_db(now), actor_id, to_db(expires_at)),
            )
            await append_event(
                conn, now, actor_id, "invite.created", project_id, cursor.lastrowid, role=role
            )

    async def redeem(
        self,
        token_hash: str,
        user_id: int,
        display_name: str,
        username: str | None,
        language: str | None,
        now: datetime,
    ) -> Redeemed:
        """Check and use an invite in one transaction, granting its role."""
        async with self._db.write() as conn:
            row = await (
                await conn.execute("SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
            ).fetchone()
            if row is None:
                return Redeemed(RedeemResult.UNKNOWN, None)
            invite = _invite(row)
            if invite.used_at is not None:
                return Redeemed(RedeemResult.USED, invite)
            if invite.expires_at <= now:
                return Redeemed(RedeemResult.EXPIRED, invite)
            if invite.project_id is not None:
                status = await (
                    await conn.execute(
                        "SELECT status FROM projects WHERE id = ?", (invite.project_id,)
                    )
                ).fetchone()
                if status is None or status["status"] != "active":
                    return Redeemed(RedeemResult.ARCHIVED, invite)
            await upsert_person(conn, user_id, display_name, username, language, now)
            if invite.role == "admin":
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO admins (user_id, added_at, added_by)"
                    " SELECT ?, ?, created_by FROM invites WHERE id = ?",
                    (user_id, to_db(now), invite.id),
                )
            else:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO memberships (project_id, user_id, role, added_at,"
                    " added_by) SELECT project_id, ?, role, ?, created_by FROM invites"
                    " WHERE id = ?",
                    (user_id, to_db(now), invite.id),
                )
            if cursor.rowcount == 0:
                # Already holds the role: keep the link for whoever it was meant for.
                return Redeemed(RedeemResult.ALREADY, invite)
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?",
                (user_id, to_db(now), invite.id),
            )
            await append_event(
                conn, now, user_id, "invite.redeemed", invite.project_id, user_id, role=invite.role
            )
            return Redeemed(RedeemResult.OK, invite)

    async def record_failure(self, user_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO start_failures (user_id, at) VALUES (?, ?)", (user_id, to_db(now))
        )

    async def failures_since(self, user_id: int, since: datetime) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM start_failures WHERE user_id = ? AND at >= ?",
            (user_id, to_db(since)),
        )
        return int(row[0]) if row else 0


class GroupRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def bind(
        self,
        project_id: int | None,
        chat_id: int,
        thread_id: int | None,
        title: str | None,
        actor_id: int,
        now: datetime,
    ) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                "INSERT INTO group_bindings (project_id, chat_id, thread_id, title, bound_at,"
                " bound_by) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(ifnull(project_id, 0)) DO UPDATE SET chat_id = excluded.chat_id,"
                " thread_id = excluded.thread_id, title = excluded.title,"
                " bound_at = excluded.bound_at, bound_by = excluded.bound_by",
                (project_id, chat_id, thread_id, title, to_db(now), actor_id),
            )
            await append_event(
                conn, now, actor_id, "group.bound", project_id, chat_id, thread_id=thread_id
            )

    async def for_project(self, project_id: int | None) -> GroupBinding | None:
        """The project's own leadership group, else the bot-wide one."""
        row = await self._db.fetchone(
            "SELECT * FROM group_bindings WHERE project_id IS ? OR project_id IS NULL"
            " ORDER BY project_id IS NULL LIMIT 1",
            (project_id,),
        )
        if row is None:
            return None
        return GroupBinding(row["project_id"], row["chat_id"], row["thread_id"], row["title"])

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self._db.execute(
            "UPDATE group_bindings SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
        )


class EventRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        at: datetime,
        actor_id: int | None,
        kind: str,
        project_id: int | None = None,
        subject_id: int | None = None,
        **detail: Any,
    ) -> None:
        async with self._db.write() as conn:
            await append_event(conn, at, actor_id, kind, project_id, subject_id, **detail)

    async def for_project(self, project_id: int, limit: int = 50) -> list[Event]:
        rows = await self._db.fetchall(
            "SELECT * FROM events WHERE project_id = ? ORDER BY id DESC LIMIT ?",
            (project_id, limit),
        )
        return [
            Event(
                row["id"],
                from_db(row["at"]),
                row["actor_id"],
                row["kind"],
                row["project_id"],
                row["subject_id"],
                row["detail"],
            )
            for row in rows
        ]


class Repositories:
    """All repositories over one database, handed to the services."""

    def __init__(self, db: Database, config_admins: Sequence[int] = ()) -> None:
        self.db = db
        self.projects = ProjectRepo(db)
        self.people = PersonRepo(db)
        self.members = MemberRepo(db)
        self.admins = AdminRepo(db, config_admins)
        self.invites = InviteRepo(db)
        self.groups = GroupRepo(db)
        self.events = EventRepo(db)
        self.outbox = OutboxRepo(db)
        self.pending = PendingRepo(db)
