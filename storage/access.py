"""Roles checked inside the write transaction that makes the change.

A check made before the transaction can be stale by the time the change is written (the person
was removed, the project archived a moment ago). Every repository method that changes state on
someone's behalf takes a :class:`Need` and calls :meth:`Access.require` after ``BEGIN
IMMEDIATE``, so the check and the change see the same database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from storage.db import Tx, first_row

Reason = Literal["not_admin", "not_member", "unknown_project", "archived", "extension_limit"]

ADMIN = frozenset({"admin"})
SECRETARY = frozenset({"secretary"})
MEMBER = frozenset({"secretary", "leader", "admin"})
LEAD = frozenset({"leader", "admin"})
DEPT = frozenset({"liaison", "head"})  # a department's people (部门联络员, 部门负责人)


class Denied(Exception):
    """The actor may not make this change (any more); nothing was written."""

    def __init__(self, reason: Reason, project_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.project_id = project_id


@dataclass(frozen=True, slots=True)
class Need:
    """What must hold for ``user_id`` to act: one of ``roles``, on ``project_id`` if given.

    ``admin`` in ``roles`` admits admins whatever the project; ``secretary`` and ``leader``
    need a current membership in that role (in any project when ``project_id`` is None).
    ``active`` also requires the project not to be archived. ``liaison`` and ``head`` need
    a current role in a department: ``department_id`` if given, else one the problem
    ``problem_id`` is handed to (and not handed back).
    """

    user_id: int
    roles: frozenset[str]
    project_id: int | None = None
    active: bool = True
    department_id: int | None = None
    problem_id: int | None = None


class Access:
    """Evaluates :class:`Need` on a connection; knows the admins from configuration."""

    def __init__(self, config_admins: Iterable[int]) -> None:
        self.config_admins = frozenset(config_admins)

    async def is_admin(self, conn: Tx, user_id: int) -> bool:
        if user_id in self.config_admins:
            return True
        return (
            await first_row(conn, "SELECT 1 FROM admins WHERE user_id = ?", (user_id,)) is not None
        )

    async def require(self, conn: Tx, need: Need) -> None:
        """Raise :class:`Denied` unless ``need`` holds now (one query).

        To anyone but an admin, a project that does not exist and one they do not serve look
        the same, so project ids cannot be probed.
        """
        member_roles = sorted(need.roles - ADMIN - DEPT)
        dept_roles = sorted(need.roles & DEPT)
        marks = ",".join("?" * len(member_roles)) or "NULL"
        in_project = "" if need.project_id is None else " AND project_id = ?"
        # Department roles are asked for by few changes: the others' check (every write) reads
        # no department table.
        in_department_sql, department_params = "0 AS in_department", []
        if dept_roles:
            scope, scope_params = _department_scope(need)
            in_department_sql = (
                "EXISTS (SELECT 1 FROM department_members WHERE user_id = ?"
                f" AND removed_at IS NULL AND role IN ({','.join('?' * len(dept_roles))}){scope})"
                " AS in_department"
            )
            department_params = [need.user_id, *dept_roles, *scope_params]
        row = await first_row(
            conn,
            "SELECT (SELECT status FROM projects WHERE id = ?) AS status,"
            f" EXISTS (SELECT 1 FROM admins a WHERE a.user_id = ? AND {_admin_reach(need)})"
            " AS admin,"
            " EXISTS (SELECT 1 FROM memberships WHERE user_id = ? AND removed_at IS NULL"
            f" AND role IN ({marks}){in_project}) AS serves, " + in_department_sql,
            [
                need.project_id,
                need.user_id,
                *([] if need.project_id is None else [need.project_id]),
                need.user_id,
                *member_roles,
                *([] if need.project_id is None else [need.project_id]),
                *department_params,
            ],
        )
        assert row is not None
        admin = "admin" in need.roles and (need.user_id in self.config_admins or bool(row["admin"]))
        department = bool(dept_roles) and bool(row["in_department"])
        if not admin and not (member_roles and row["serves"]) and not department:
            only_admins = not member_roles and need.project_id is None
            raise Denied("not_admin" if only_admins else "not_member", need.project_id)
        if need.project_id is None:
            return
        if row["status"] is None:
            raise Denied("unknown_project", need.project_id)
        if need.active and row["status"] != "active":
            raise Denied("archived", need.project_id)


def _admin_reach(need: Need) -> str:
    """An admin scoped to a work line or locality (项目到线) acts only on its projects, and not
    for the whole county (no project named); one without a scope acts anywhere."""
    if need.project_id is None:
        return "a.scope_kind IS NULL"
    return f"(a.scope_kind IS NULL OR {IN_SCOPE})"


# Whether project ``?`` is in the scope of admin ``a`` (its plan's work line or locality).
IN_SCOPE = (
    "EXISTS (SELECT 1 FROM project_plans pp WHERE pp.project_id = ?"
    " AND ((a.scope_kind = 'line' AND pp.work_line = a.scope_value)"
    " OR (a.scope_kind = 'area' AND pp.locality = a.scope_value)))"
)


def _department_scope(need: Need) -> tuple[str, list[int]]:
    """Which departments count for a department role: the one named, or those the problem is
    handed to now (a department person acts only on what their department holds)."""
    if need.department_id is not None:
        return " AND department_id = ?", [need.department_id]
    if need.problem_id is not None:
        return (
            " AND department_id IN (SELECT department_id FROM handovers WHERE problem_id = ?"
            " AND status IN ('handed', 'signed', 'done'))",
            [need.problem_id],
        )
    return "", []
