"""Invite links: stored hashed, single-use, expiring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import cast

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, insert_id, opt_from_db, to_db
from storage.events import append_event
from storage.models import (
    Invite,
    InviteRole,
)
from storage.outbox import OutgoingMessage, enqueue
from storage.people import upsert_person


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
        department_id=row["department_id"],
    )


class InviteRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def create(
        self,
        need: Need,
        token_hash: str,
        role: InviteRole,
        now: datetime,
        expires_at: datetime,
        department_id: int | None = None,
        unit: str | None = None,
        title: str | None = None,
    ) -> None:
        """An invite to a project role, to a department (``department_id``) or as an admin;
        ``unit`` and ``title`` are recorded for whoever joins by it."""
        project_id, actor_id = need.project_id, need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            invite_id = await insert_id(
                conn,
                "INSERT INTO invites (token_hash, project_id, department_id, role, created_at,"
                " created_by, expires_at, unit, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_hash,
                    project_id,
                    department_id,
                    role,
                    to_db(now),
                    actor_id,
                    to_db(expires_at),
                    unit,
                    title,
                ),
            )
            await append_event(
                conn,
                now,
                actor_id,
                "invite.created",
                project_id,
                invite_id,
                role=role,
                department_id=department_id,
            )

    async def peek(self, token_hash: str) -> Invite | None:
        row = await self._db.fetchone("SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
        return _invite(row) if row else None

    async def redeem(
        self,
        token_hash: str,
        user_id: int,
        display_name: str,
        username: str | None,
        language: str | None,
        now: datetime,
        notices: Sequence[OutgoingMessage] = (),
    ) -> Redeemed:
        """Check and use an invite in one transaction, granting its role and queueing
        ``notices`` (the admins are told) only if it was granted."""
        async with self._db.write() as conn:
            row = await first_row(conn, "SELECT * FROM invites WHERE token_hash = ?", (token_hash,))
            if row is None:
                return Redeemed(RedeemResult.UNKNOWN, None)
            invite = _invite(row)
            if invite.used_at is not None:
                return Redeemed(RedeemResult.USED, invite)
            if invite.expires_at <= now:
                return Redeemed(RedeemResult.EXPIRED, invite)
            if invite.project_id is not None:
                status = await first_row(
                    conn, "SELECT status FROM projects WHERE id = ?", (invite.project_id,)
                )
                if status is None or status["status"] != "active":
                    return Redeemed(RedeemResult.ARCHIVED, invite)
            if invite.department_id is not None:
                status = await first_row(
                    conn, "SELECT status FROM departments WHERE id = ?", (invite.department_id,)
                )
                if status is None or status["status"] != "active":
                    return Redeemed(RedeemResult.ARCHIVED, invite)
            await upsert_person(conn, user_id, display_name, username, language, now)
            if invite.role == "admin" and await self._access.is_admin(conn, user_id):
                return Redeemed(RedeemResult.ALREADY, invite)
            if invite.role == "admin":
                cursor = await conn.execute(
                    "INSERT INTO admins (user_id, added_at, added_by)"
                    " SELECT CAST(? AS BIGINT), CAST(? AS TEXT), created_by FROM invites"
                    " WHERE id = ? ON CONFLICT DO NOTHING",
                    (user_id, to_db(now), invite.id),
                )
            elif invite.department_id is not None:
                cursor = await conn.execute(
                    "INSERT INTO department_members (department_id, user_id, role, added_at,"
                    " added_by) SELECT department_id, CAST(? AS BIGINT), role, CAST(? AS TEXT),"
                    " created_by FROM invites WHERE id = ? ON CONFLICT DO NOTHING",
                    (user_id, to_db(now), invite.id),
                )
            else:
                cursor = await conn.execute(
                    "INSERT INTO memberships (project_id, user_id, role, added_at,"
                    " added_by) SELECT project_id, CAST(? AS BIGINT), role, CAST(? AS TEXT),"
                    " created_by FROM invites WHERE id = ? ON CONFLICT DO NOTHING",
                    (user_id, to_db(now), invite.id),
                )
            if cursor.rowcount == 0:
                # Already holds the role: keep the link for whoever it was meant for.
                return Redeemed(RedeemResult.ALREADY, invite)
            if row["unit"] is not None or row["title"] is not None:
                await conn.execute(
                    "UPDATE people SET unit = coalesce(?, unit), title = coalesce(?, title)"
                    " WHERE user_id = ?",
                    (row["unit"], row["title"], user_id),
                )
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?",
                (user_id, to_db(now), invite.id),
            )
            await append_event(
                conn, now, user_id, "invite.redeemed", invite.project_id, user_id, role=invite.role
            )
            await enqueue(conn, notices, now)
            return Redeemed(RedeemResult.OK, invite)

    async def record_failure(self, user_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO start_failures (user_id, at) VALUES (?, ?)", (user_id, to_db(now))
        )

    async def forget_failures(self, before: datetime) -> int:
        """Bad tokens older than the throttling window no longer matter."""
        return await self._db.execute("DELETE FROM start_failures WHERE at < ?", (to_db(before),))

    async def failures_since(self, user_id: int, since: datetime) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM start_failures WHERE user_id = ? AND at >= ?",
            (user_id, to_db(since)),
        )
        return int(row[0]) if row else 0
