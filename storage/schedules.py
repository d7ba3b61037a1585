"""Check-in schedules, custom questions, leave and the admins' calendar entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, to_db
from storage.events import append_event

UNKNOWN = ""  # next_due not worked out yet; sorts before every time, so it is due at once
NEVER = "9999-12-31T00:00:00.000000Z"  # no slot in the coming year

# Who a schedule prompts: the project's secretaries (check-ins) or its leaders (the weekly
# contact with the enterprise). The values are the membership roles.
Audience = Literal["secretary", "leader"]


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    project_id: int
    kind: str
    at_time: str
    weekdays: str
    timezone: str
    window_seconds: int | None
    active_since: datetime
    # The next slot the tick will handle; None until it is worked out (a new schedule, a
    # calendar change).
    next_due: datetime | None = None
    audience: Audience = "secretary"


class ScheduleRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    @staticmethod
    def _schedule(row: aiosqlite.Row) -> ScheduleRow:
        return ScheduleRow(
            row["project_id"],
            row["kind"],
            row["at_time"],
            row["weekdays"],
            row["timezone"],
            row["window_seconds"],
            from_db(row["active_since"]),
            None if row["next_due"] in (UNKNOWN, NEVER) else from_db(row["next_due"]),
            row["audience"],
        )

    async def schedule(
        self, project_id: int, audience: Audience = "secretary"
    ) -> ScheduleRow | None:
        row = await self._db.fetchone(
            "SELECT * FROM schedules WHERE project_id = ? AND audience = ?", (project_id, audience)
        )
        return self._schedule(row) if row else None

    async def active_schedules(self) -> list[ScheduleRow]:
        """Schedules of active projects."""
        rows = await self._db.fetchall(
            "SELECT s.* FROM schedules s JOIN projects p ON p.id = s.project_id"
            " WHERE p.status = 'active' ORDER BY s.project_id, s.audience DESC"
        )
        return [self._schedule(row) for row in rows]

    async def due(self, now: datetime) -> list[ScheduleRow]:
        """Schedules of active projects whose next slot has come, or is not worked out yet."""
        rows = await self._db.fetchall(
            "SELECT s.* FROM schedules s JOIN projects p ON p.id = s.project_id"
            " WHERE s.next_due <= ? AND p.status = 'active'",
            (to_db(now),),
        )
        return [self._schedule(row) for row in rows]

    async def next_wakeup(self) -> datetime | None:
        """The earliest next slot of any active project (the epoch if one is not worked out
        yet); None when no project has a schedule."""
        row = await self._db.fetchone(
            "SELECT s.next_due FROM schedules s JOIN projects p ON p.id = s.project_id"
            " WHERE p.status = 'active' ORDER BY s.next_due LIMIT 1"
        )
        if row is None or row["next_due"] == NEVER:
            return None
        if row["next_due"] == UNKNOWN:
            return datetime(1970, 1, 1, tzinfo=UTC)
        return from_db(row["next_due"])

    async def forget_next_due(self, kind: str) -> None:
        """The calendar changed: schedules of this kind work out their next slot again."""
        await self._db.execute("UPDATE schedules SET next_due = ? WHERE kind = ?", (UNKNOWN, kind))

    async def set_schedule(
        self,
        need: Need,
        kind: str,
        at_time: str,
        weekdays: str,
        timezone: str,
        now: datetime,
        audience: Audience = "secretary",
    ) -> bool:
        """Set the project's schedule; False (nothing written) if it is already exactly this,
        so a retried command does not restart the schedule."""
        project_id, actor = need.project_id, need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            if (
                await first_row(
                    conn,
                    "SELECT 1 FROM schedules WHERE project_id = ? AND audience = ? AND kind = ?"
                    " AND at_time = ? AND weekdays = ? AND timezone = ?",
                    (project_id, audience, kind, at_time, weekdays, timezone),
                )
                is not None
            ):
                return False
            await conn.execute(
                "INSERT INTO schedules (project_id, audience, kind, at_time, weekdays, timezone,"
                " active_since, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(project_id, audience) DO UPDATE SET kind = excluded.kind,"
                " at_time = excluded.at_time, weekdays = excluded.weekdays,"
                " timezone = excluded.timezone, active_since = excluded.active_since,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by,"
                " next_due = ''",
                (
                    project_id,
                    audience,
                    kind,
                    at_time,
                    weekdays,
                    timezone,
                    to_db(now),
                    to_db(now),
                    actor,
                ),
            )
            await append_event(
                conn,
                now,
                actor,
                "schedule.set",
                project_id,
                audience=audience,
                schedule=kind,
                time=at_time,
                weekdays=weekdays,
                timezone=timezone,
            )
            return True

    async def clear_schedule(
        self, need: Need, now: datetime, audience: Audience = "secretary"
    ) -> bool:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "DELETE FROM schedules WHERE project_id = ? AND audience = ?",
                (need.project_id, audience),
            )
            if cursor.rowcount:
                await append_event(
                    conn, now, need.user_id, "schedule.off", need.project_id, audience=audience
                )
            return cursor.rowcount > 0

    async def set_window(self, need: Need, seconds: int, now: datetime) -> bool:
        """The secretaries' check-in window (the leaders' weekly contact keeps its default)."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            cursor = await conn.execute(
                "UPDATE schedules SET window_seconds = ? WHERE project_id = ?"
                " AND audience = 'secretary'",
                (seconds, need.project_id),
            )
            if cursor.rowcount:
                await append_event(
                    conn, now, need.user_id, "schedule.window", need.project_id, seconds=seconds
                )
            return cursor.rowcount > 0

    # --- questions, leave, calendar -----------------------------------------------------------

    async def questions(self, project_id: int) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT text FROM questions WHERE project_id = ? ORDER BY position", (project_id,)
        )
        return [row["text"] for row in rows]

    async def questions_of_open_rounds(self) -> dict[int, list[str]]:
        """The questions of every project with an open round, in one query."""
        rows = await self._db.fetchall(
            "SELECT project_id, text FROM questions WHERE project_id IN"
            " (SELECT project_id FROM rounds WHERE status = 'open')"
            " ORDER BY project_id, position"
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row["project_id"], []).append(row["text"])
        return found

    async def set_questions(self, need: Need, texts: Sequence[str], now: datetime) -> None:
        project_id, actor_id = need.project_id, need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute("DELETE FROM questions WHERE project_id = ?", (project_id,))
            await conn.executemany(
                "INSERT INTO questions (project_id, position, text) VALUES (?, ?, ?)",
                [(project_id, n, text) for n, text in enumerate(texts, start=1)],
            )
            await append_event(conn, now, actor_id, "questions.set", project_id, count=len(texts))

    async def add_leave(self, need: Need, first: date, last: date, now: datetime) -> None:
        """Record leave and mark pending check-ins of those days as on leave (once: the same
        leave declared again changes nothing)."""
        user_id = need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            if (
                await first_row(
                    conn,
                    "SELECT 1 FROM leaves WHERE user_id = ? AND from_date = ? AND to_date = ?",
                    (user_id, first.isoformat(), last.isoformat()),
                )
                is not None
            ):
                return
            await conn.execute(
                "INSERT INTO leaves (user_id, from_date, to_date, created_at) VALUES (?, ?, ?, ?)",
                (user_id, first.isoformat(), last.isoformat(), to_db(now)),
            )
            await conn.execute(
                "UPDATE checkins SET status = 'on_leave', outcome = 'leave', answered_at = ?"
                " WHERE user_id = ? AND status = 'pending' AND round_id IN (SELECT id FROM rounds"
                " WHERE status = 'open' AND local_date BETWEEN ? AND ?)",
                (to_db(now), user_id, first.isoformat(), last.isoformat()),
            )
            await append_event(
                conn,
                now,
                user_id,
                "leave.declared",
                None,
                user_id,
                first=first.isoformat(),
                last=last.isoformat(),
            )

    async def calendar_overrides(self) -> dict[date, str]:
        rows = await self._db.fetchall("SELECT day, kind FROM calendar_days")
        return {date.fromisoformat(row["day"]): row["kind"] for row in rows}

    async def set_calendar_days(
        self, need: Need, days: Sequence[date], kind: str, now: datetime
    ) -> None:
        actor_id = need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.executemany(
                "INSERT INTO calendar_days (day, kind, set_at, set_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, set_at = excluded.set_at,"
                " set_by = excluded.set_by",
                [(day.isoformat(), kind, to_db(now), actor_id) for day in days],
            )
            await append_event(
                conn,
                now,
                actor_id,
                f"calendar.{kind}",
                None,
                None,
                days=[d.isoformat() for d in days],
            )
