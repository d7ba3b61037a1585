"""Functional departments (职能部门): their people, the projects they support (帮扶部门), and
their delegates' sign-ins when they sit in the 365 office (坐班)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, Tx, first_row, from_db, insert_id, opt_from_db, to_db
from storage.events import append_event
from storage.models import Person, Project
from storage.outbox import OutgoingMessage, enqueue
from storage.people import person_from_row
from storage.projects import project_from_row

DeptRole = Literal["liaison", "head"]
DeptStatus = Literal["active", "archived"]


@dataclass(frozen=True, slots=True)
class Department:
    id: int
    name: str
    status: DeptStatus
    created_at: datetime
    sitin_days: str | None = None  # 'workdays' or '0,2,4' (Monday 0)
    sitin_time: str | None = None  # HH:MM local


@dataclass(frozen=True, slots=True)
class DeptMember:
    person: Person
    department_id: int
    role: DeptRole
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Sitin:
    id: int
    department_id: int
    user_id: int
    local_date: str
    due_at: datetime
    closes_at: datetime
    status: str
    signed_at: datetime | None


class DepartmentNameTaken(Exception):
    def __init__(self, department: Department) -> None:
        super().__init__(department.name)
        self.department = department


def department_from_row(row: aiosqlite.Row) -> Department:
    return Department(
        id=row["id"],
        name=row["name"],
        status=cast(DeptStatus, row["status"]),
        created_at=from_db(row["created_at"]),
        sitin_days=row["sitin_days"],
        sitin_time=row["sitin_time"],
    )


def _sitin(row: aiosqlite.Row) -> Sitin:
    return Sitin(
        id=row["id"],
        department_id=row["department_id"],
        user_id=row["user_id"],
        local_date=row["local_date"],
        due_at=from_db(row["due_at"]),
        closes_at=from_db(row["closes_at"]),
        status=row["status"],
        signed_at=opt_from_db(row["signed_at"]),
    )


_MEMBERS = (
    "SELECT dm.department_id, dm.role, dm.added_at, p.* FROM department_members dm"
    " JOIN people p ON p.user_id = dm.user_id WHERE dm.removed_at IS NULL"
)


def _member(row: aiosqlite.Row) -> DeptMember:
    return DeptMember(
        person=person_from_row(row),
        department_id=row["department_id"],
        role=cast(DeptRole, row["role"]),
        added_at=from_db(row["added_at"]),
    )


class DepartmentRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    # --- the departments ----------------------------------------------------------------------

    @staticmethod
    async def _same_name(conn: Tx, name: str, other_than: int | None = None) -> Department | None:
        row = await first_row(
            conn,
            "SELECT * FROM departments WHERE lower(name) = lower(?) AND status = 'active'"
            " AND id IS DISTINCT FROM ? LIMIT 1",
            (name, other_than),
        )
        return department_from_row(row) if row else None

    async def create(self, need: Need, name: str, now: datetime) -> Department:
        """A new department; :class:`DepartmentNameTaken` if an active one has the name (a
        retried command creates nothing twice)."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            existing = await self._same_name(conn, name)
            if existing is not None:
                raise DepartmentNameTaken(existing)
            department_id = await insert_id(
                conn,
                "INSERT INTO departments (name, created_at, created_by) VALUES (?, ?, ?)",
                (name, to_db(now), need.user_id),
            )
            assert department_id is not None
            await append_event(
                conn, now, need.user_id, "department.created", None, department_id, name=name
            )
        found = await self.get(department_id)
        assert found is not None
        return found

    async def get(self, department_id: int) -> Department | None:
        row = await self._db.fetchone("SELECT * FROM departments WHERE id = ?", (department_id,))
        return department_from_row(row) if row else None

    async def all(self) -> list[Department]:
        """The active departments."""
        rows = await self._db.fetchall(
            "SELECT * FROM departments WHERE status = 'active' ORDER BY id"
        )
        return [department_from_row(r) for r in rows]

    async def rename(self, need: Need, department_id: int, name: str, now: datetime) -> None:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            existing = await self._same_name(conn, name, department_id)
            if existing is not None:
                raise DepartmentNameTaken(existing)
            await conn.execute(
                "UPDATE departments SET name = ? WHERE id = ?", (name, department_id)
            )
            await append_event(
                conn, now, need.user_id, "department.renamed", None, department_id, name=name
            )

    async def set_status(
        self, need: Need, department_id: int, status: DeptStatus, now: datetime
    ) -> bool:
        """Archive or reactivate; False when it already was. Archiving takes back what the
        department had not signed for yet (the office hands it elsewhere)."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE departments SET status = ? WHERE id = ? AND status <> ?",
                (status, department_id, status),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(conn, now, need.user_id, f"department.{status}", None, department_id)
            return True

    async def set_sitin(
        self, need: Need, department_id: int, days: str | None, at: str | None, now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute(
                "UPDATE departments SET sitin_days = ?, sitin_time = ? WHERE id = ?",
                (days, at, department_id),
            )
            await append_event(
                conn, now, need.user_id, "department.sitin", None, department_id, days=days, time=at
            )

    # --- its people ---------------------------------------------------------------------------

    async def members(self, department_id: int, role: DeptRole | None = None) -> list[DeptMember]:
        sql = _MEMBERS + " AND dm.department_id = ?"
        params: list[object] = [department_id]
        if role is not None:
            sql += " AND dm.role = ?"
            params.append(role)
        rows = await self._db.fetchall(sql + " ORDER BY dm.role DESC, dm.id", params)
        return [_member(r) for r in rows]

    async def of_user(self, user_id: int) -> list[DeptMember]:
        rows = await self._db.fetchall(
            _MEMBERS + " AND dm.user_id = ? ORDER BY dm.department_id, dm.role", (user_id,)
        )
        return [_member(r) for r in rows]

    async def remove_member(
        self,
        need: Need,
        department_id: int,
        user_id: int,
        now: datetime,
        notices: Sequence[OutgoingMessage] = (),
    ) -> int:
        """End the person's roles in the department; the items it holds stay with it."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE department_members SET removed_at = ?, removed_by = ?"
                " WHERE department_id = ? AND user_id = ? AND removed_at IS NULL",
                (to_db(now), need.user_id, department_id, user_id),
            )
            if cursor.rowcount == 0:
                return 0
            await append_event(
                conn,
                now,
                need.user_id,
                "department.member_removed",
                None,
                department_id,
                user_id=user_id,
            )
            await enqueue(conn, notices, now)
            return cursor.rowcount

    # --- projects it supports (帮扶部门) -------------------------------------------------------

    async def support(self, need: Need, department_id: int, now: datetime) -> bool:
        """Make the department one of the project's supporting departments; False if it was."""
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "INSERT INTO project_departments (project_id, department_id, added_at, added_by)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (need.project_id, department_id, to_db(now), need.user_id),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(
                conn,
                now,
                need.user_id,
                "project.department",
                need.project_id,
                department_id=department_id,
            )
            return True

    async def supporting(self, project_ids: Sequence[int]) -> dict[int, list[Department]]:
        """Each project's supporting departments, keyed by project id."""
        found: dict[int, list[Department]] = {pid: [] for pid in project_ids}
        if not project_ids:
            return found
        marks = ",".join("?" * len(project_ids))
        rows = await self._db.fetchall(
            "SELECT pd.project_id AS for_project, d.* FROM project_departments pd"
            " JOIN departments d ON d.id = pd.department_id"
            f" WHERE pd.project_id IN ({marks}) ORDER BY pd.added_at, d.id",
            list(project_ids),
        )
        for row in rows:
            found[row["for_project"]].append(department_from_row(row))
        return found

    async def projects_supported(self, department_id: int) -> list[Project]:
        rows = await self._db.fetchall(
            "SELECT p.* FROM project_departments pd JOIN projects p ON p.id = pd.project_id"
            " WHERE pd.department_id = ? ORDER BY p.id",
            (department_id,),
        )
        return [project_from_row(r) for r in rows]

    # --- sitting in the office (坐班) ---------------------------------------------------------

    async def with_sitin(self) -> list[Department]:
        rows = await self._db.fetchall(
            "SELECT * FROM departments WHERE status = 'active' AND sitin_days IS NOT NULL"
            " ORDER BY id"
        )
        return [department_from_row(r) for r in rows]

    async def open_sitins(
        self,
        department_id: int,
        local_date: str,
        due_at: datetime,
        closes_at: datetime,
        prompts: Sequence[tuple[int, OutgoingMessage]],
        now: datetime,
    ) -> int:
        """One sign-in per delegate for the day, each with its prompt; once per day."""
        opened = 0
        async with self._db.write() as conn:
            for user_id, prompt in prompts:
                cursor = await conn.execute(
                    "INSERT INTO sitins (department_id, user_id, local_date, due_at, closes_at,"
                    " status) VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING",
                    (department_id, user_id, local_date, to_db(due_at), to_db(closes_at)),
                )
                if cursor.rowcount:
                    opened += 1
                    await enqueue(conn, [prompt], now)
        return opened

    async def opened_on(self, department_id: int, local_date: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM sitins WHERE department_id = ? AND local_date = ? LIMIT 1",
            (department_id, local_date),
        )
        return row is not None

    async def pending_sitin(self, user_id: int, now: datetime) -> Sitin | None:
        row = await self._db.fetchone(
            "SELECT * FROM sitins WHERE user_id = ? AND status = 'pending' AND closes_at > ?"
            " ORDER BY due_at LIMIT 1",
            (user_id, to_db(now)),
        )
        return _sitin(row) if row else None

    async def sign_in(
        self, sitin_id: int, user_id: int, now: datetime, location: tuple[float, float] | None
    ) -> bool:
        """Mark the delegate present; False when the sign-in is not open (any more)."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE sitins SET status = 'present', signed_at = ?, latitude = ?, longitude = ?"
                " WHERE id = ? AND user_id = ? AND status = 'pending' AND closes_at > ?",
                (
                    to_db(now),
                    location[0] if location else None,
                    location[1] if location else None,
                    sitin_id,
                    user_id,
                    to_db(now),
                ),
            )
            if cursor.rowcount == 0:
                return False
            await append_event(conn, now, user_id, "sitin.present", None, sitin_id)
            return True

    async def close_sitins(self, now: datetime) -> int:
        """Sign-ins whose window passed unsigned count as absences."""
        return await self._db.execute(
            "UPDATE sitins SET status = 'absent' WHERE status = 'pending' AND closes_at <= ?",
            (to_db(now),),
        )

    async def sitins_between(self, since: datetime, until: datetime) -> list[Sitin]:
        rows = await self._db.fetchall(
            "SELECT * FROM sitins WHERE due_at >= ? AND due_at < ? ORDER BY department_id, due_at",
            (to_db(since), to_db(until)),
        )
        return [_sitin(r) for r in rows]
