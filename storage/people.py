"""People (everyone the bot knows) and admins."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import aiosqlite

from storage.access import IN_SCOPE, Access, Need
from storage.db import Database, Tx, first_row, to_db
from storage.events import append_event
from storage.models import (
    Admin,
    Person,
    person_label,
)
from storage.outbox import OutgoingMessage, enqueue
from storage.pending import PendingInput


def person_from_row(row: aiosqlite.Row, prefix: str = "") -> Person:
    return Person(
        user_id=row[f"{prefix}user_id"],
        display_name=row[f"{prefix}display_name"],
        username=row[f"{prefix}username"],
        language=row[f"{prefix}language"],
        reachable=bool(row[f"{prefix}reachable"]),
        unit=_optional(row, f"{prefix}unit"),
        title=_optional(row, f"{prefix}title"),
    )


def _optional(row: aiosqlite.Row, key: str) -> str | None:
    """A column some queries select and others do not."""
    try:
        value = row[key]
    except (IndexError, KeyError):
        return None
    return str(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class CallerRow:
    """Who sent an update, as one read: the person (None if unknown), whether the admins table
    lists them, and what the bot waits for from them (None if nothing, or expired)."""

    person: Person | None
    admin: bool
    pending: PendingInput | None
    roles: frozenset[str]  # on any project they serve, not removed


class PersonRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def caller(self, user_id: int, pending_since: datetime) -> CallerRow:
        """Everything an update needs to know about its sender, in one round trip."""
        row = await self._db.fetchone(
            "SELECT p.*, EXISTS (SELECT 1 FROM admins a WHERE a.user_id = q.uid) AS is_admin,"
            " (SELECT group_concat(d.role, ',') FROM (SELECT DISTINCT m.role FROM memberships m"
            "  WHERE m.user_id = q.uid AND m.removed_at IS NULL UNION SELECT 'department'"
            "  FROM department_members dm WHERE dm.user_id = q.uid AND dm.removed_at IS NULL) d)"
            " AS roles,"
            " w.kind AS w_kind, w.checkin_id AS w_checkin_id, w.project_id AS w_project_id,"
            " w.text AS w_text, w.problem_id AS w_problem_id, w.detail AS w_detail"
            " FROM (SELECT CAST(? AS BIGINT) AS uid) q LEFT JOIN people p ON p.user_id = q.uid"
            " LEFT JOIN pending_inputs w ON w.user_id = q.uid AND w.created_at > ?",
            (user_id, to_db(pending_since)),
        )
        assert row is not None
        person = person_from_row(row) if row["user_id"] is not None else None
        pending = None
        if row["w_kind"] is not None:
            pending = PendingInput(
                user_id,
                row["w_kind"],
                row["w_checkin_id"],
                row["w_project_id"],
                row["w_text"],
                row["w_problem_id"],
                json.loads(row["w_detail"]),
            )
        roles = frozenset(row["roles"].split(",")) if row["roles"] else frozenset()
        return CallerRow(person, bool(row["is_admin"]), pending, roles)

    async def get(self, user_id: int) -> Person | None:
        row = await self._db.fetchone("SELECT * FROM people WHERE user_id = ?", (user_id,))
        return person_from_row(row) if row else None

    async def find_by_username(self, username: str) -> Person | None:
        row = await self._db.fetchone(
            "SELECT * FROM people WHERE lower(username) = lower(?)", (username.lstrip("@"),)
        )
        return person_from_row(row) if row else None

    async def touch(
        self, user_id: int, display_name: str, username: str | None, now: datetime
    ) -> None:
        """Keep name and username of a known person current; unknown people are not created."""
        await self._db.execute(
            "UPDATE people SET display_name = ?, username = ?, updated_at = ?"
            " WHERE user_id = ? AND (display_name != ? OR username IS DISTINCT FROM ?)"
            " AND forgotten_at IS NULL",
            (display_name, username, to_db(now), user_id, display_name, username),
        )

    async def forget(self, need: Need, user_id: int, placeholder: str, now: datetime) -> bool:
        """Replace a person's name and username with ``placeholder`` everywhere they are kept,
        for good; their answers, problems and history stay (and keep counting). False if the
        bot does not know them."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            row = await first_row(
                conn, "SELECT display_name, username FROM people WHERE user_id = ?", (user_id,)
            )
            if row is None:
                return False
            await conn.execute(
                "UPDATE people SET display_name = ?, username = NULL, unit = NULL, title = NULL,"
                " forgotten_at = coalesce(forgotten_at, ?), updated_at = ? WHERE user_id = ?",
                (placeholder, to_db(now), to_db(now), user_id),
            )
            # Messages not yet sent that name them are reworded too.
            for old in {person_label(row["display_name"], row["username"]), row["display_name"]}:
                if old and old != placeholder:
                    await conn.execute(
                        "UPDATE outbox SET text = replace(text, ?, ?)"
                        " WHERE status = 'pending' AND replace(text, ?, '') != text",
                        (old, placeholder, old),
                    )
            await append_event(conn, now, need.user_id, "person.forgotten", None, user_id)
            return True

    async def set_official(
        self, need: Need, user_id: int, unit: str | None, title: str | None, now: datetime
    ) -> bool:
        """A person's unit and title (None: unchanged, "" clears); False if unknown."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE people SET"
                " unit = CASE WHEN CAST(? AS TEXT) IS NULL THEN unit"
                "   ELSE nullif(CAST(? AS TEXT), '') END,"
                " title = CASE WHEN CAST(? AS TEXT) IS NULL THEN title"
                "   ELSE nullif(CAST(? AS TEXT), '') END,"
                " updated_at = ? WHERE user_id = ?",
                (unit, unit, title, title, to_db(now), user_id),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(
                conn, now, need.user_id, "person.official", None, user_id, unit=unit, title=title
            )
            return True

    async def set_language(self, user_id: int, language: str, now: datetime) -> bool:
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE people SET language = ?, updated_at = ? WHERE user_id = ?",
                (language, to_db(now), user_id),
            )
            return cursor.rowcount > 0

    async def set_reachable(
        self,
        user_id: int,
        reachable: bool,
        now: datetime,
        notices: Sequence[OutgoingMessage] = (),
    ) -> bool:
        """Flip the reachable flag, queueing ``notices`` if it changed; True when it did."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE people SET reachable = ?, updated_at = ?"
                " WHERE user_id = ? AND reachable != ?",
                (int(reachable), to_db(now), user_id, int(reachable)),
            )
            if cursor.rowcount:
                kind = "person.reachable" if reachable else "person.unreachable"
                await append_event(conn, now, None, kind, None, user_id)
                await enqueue(conn, notices, now)
            return cursor.rowcount > 0


async def upsert_person(
    conn: Tx,
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
        " ON CONFLICT(user_id) DO UPDATE SET"
        " display_name = CASE WHEN people.forgotten_at IS NULL THEN excluded.display_name"
        "   ELSE people.display_name END,"
        " username = CASE WHEN people.forgotten_at IS NULL THEN excluded.username END,"
        " reachable = 1, updated_at = excluded.updated_at,"
        " language = coalesce(people.language, excluded.language)",
        (user_id, display_name, username, language, to_db(now), to_db(now)),
    )


class AdminRemoval(Enum):
    REMOVED = "removed"
    NOT_ADMIN = "not_admin"
    FROM_CONFIG = "from_config"
    LAST = "last"


class AdminRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access
        self._config_admins = access.config_admins

    def from_config(self, user_id: int) -> bool:
        return user_id in self._config_admins

    async def is_admin(self, user_id: int) -> bool:
        if user_id in self._config_admins:
            return True
        row = await self._db.fetchone("SELECT 1 FROM admins WHERE user_id = ?", (user_id,))
        return row is not None

    async def all(self) -> list[Admin]:
        rows = await self._db.fetchall(
            "SELECT a.user_id AS admin_id, a.scope_kind, a.scope_value, p.* FROM admins a"
            " LEFT JOIN people p ON p.user_id = a.user_id ORDER BY a.added_at"
        )
        stored = {
            row["admin_id"]: (person_from_row(row) if row["user_id"] is not None else None)
            for row in rows
        }
        scopes = {
            row["admin_id"]: (row["scope_kind"], row["scope_value"])
            for row in rows
            if row["scope_kind"] is not None
        }
        ids = sorted(self._config_admins) + [
            uid for uid in stored if uid not in self._config_admins
        ]
        result = []
        for uid in ids:
            person = stored.get(uid)
            if person is None and uid not in stored:
                row = await self._db.fetchone("SELECT * FROM people WHERE user_id = ?", (uid,))
                person = person_from_row(row) if row else None
            result.append(Admin(uid, person, uid in self._config_admins, scopes.get(uid)))
        return result

    async def ids(self, project_id: int | None = None) -> list[int]:
        """Every admin; with ``project_id``, those whose scope covers that project."""
        if project_id is None:
            rows = await self._db.fetchall("SELECT user_id FROM admins")
        else:
            rows = await self._db.fetchall(
                f"SELECT user_id FROM admins a WHERE a.scope_kind IS NULL OR {IN_SCOPE}",
                (project_id,),
            )
        return sorted(self._config_admins | {row["user_id"] for row in rows})

    async def county_wide_ids(self) -> list[int]:
        """The admins of the whole county: ADMIN_IDS and every admin with no scope."""
        rows = await self._db.fetchall("SELECT user_id FROM admins WHERE scope_kind IS NULL")
        return sorted(self._config_admins | {row["user_id"] for row in rows})

    async def admin_on(self, user_id: int, project_id: int) -> bool:
        """Whether this person is an admin of this project: county-wide, or scoped to its work
        line or locality (the rule ``Access.require`` applies to writes)."""
        if user_id in self._config_admins:
            return True
        row = await self._db.fetchone(
            f"SELECT 1 FROM admins a WHERE a.user_id = ? AND (a.scope_kind IS NULL OR {IN_SCOPE})",
            (user_id, project_id),
        )
        return row is not None

    async def scope(self, user_id: int) -> tuple[str, str] | None:
        """An admin's scope (None: the whole county; ADMIN_IDS have none)."""
        if user_id in self._config_admins:
            return None
        row = await self._db.fetchone(
            "SELECT scope_kind, scope_value FROM admins WHERE user_id = ?", (user_id,)
        )
        if row is None or row["scope_kind"] is None:
            return None
        return str(row["scope_kind"]), str(row["scope_value"])

    async def projects_in(self, scope: tuple[str, str]) -> list[int]:
        column = "work_line" if scope[0] == "line" else "locality"
        rows = await self._db.fetchall(
            f"SELECT project_id FROM project_plans WHERE {column} = ? ORDER BY project_id",
            (scope[1],),
        )
        return [int(r["project_id"]) for r in rows]

    async def set_scope(
        self, need: Need, user_id: int, scope: tuple[str, str] | None, now: datetime
    ) -> AdminRemoval | None:
        """Scope an admin added by invite (None: the whole county again). FROM_CONFIG and
        NOT_ADMIN say why nothing changed; the actor must be a county-wide admin."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            if user_id in self._config_admins:
                return AdminRemoval.FROM_CONFIG
            kind, value = scope if scope is not None else (None, None)
            cursor = await conn.execute(
                "UPDATE admins SET scope_kind = ?, scope_value = ? WHERE user_id = ?",
                (kind, value, user_id),
            )
            if cursor.rowcount == 0:
                return AdminRemoval.NOT_ADMIN
            await append_event(
                conn, now, need.user_id, "admin.scoped", None, user_id, scope=kind, value=value
            )
            return None

    async def remove(self, need: Need, user_id: int, now: datetime) -> AdminRemoval:
        """Take away an admin added by invite; never one from ADMIN_IDS, never the last."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            if user_id in self._config_admins:
                return AdminRemoval.FROM_CONFIG
            row = await first_row(
                conn, "SELECT count(*) FROM admins WHERE user_id != ?", (user_id,)
            )
            others = (int(row[0]) if row else 0) + len(self._config_admins - {user_id})
            if await first_row(conn, "SELECT 1 FROM admins WHERE user_id = ?", (user_id,)) is None:
                return AdminRemoval.NOT_ADMIN
            if others == 0:
                return AdminRemoval.LAST
            await conn.execute("DELETE FROM admins WHERE user_id = ?", (user_id,))
            await append_event(conn, now, need.user_id, "admin.removed", None, user_id)
            return AdminRemoval.REMOVED
