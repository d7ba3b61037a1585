"""Rounds: opened on schedule (all the projects due at once), by an admin or early by a
secretary; closed when their window ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, insert_id, to_db
from storage.events import append_event
from storage.schedules import NEVER, Audience


@dataclass(frozen=True, slots=True)
class RoundRow:
    id: int
    project_id: int
    slot_at: datetime
    local_date: date
    closes_at: datetime
    status: str
    origin: str
    audience: Audience = "secretary"


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """A slot the tick handles: a round to open, or (too old to prompt) to record as skipped."""

    project_id: int
    slot_at: datetime
    local_date: date
    closes_at: datetime
    skip: bool = False
    audience: Audience = "secretary"


def round_from_row(row: aiosqlite.Row, prefix: str = "") -> RoundRow:
    return RoundRow(
        id=row[f"{prefix}id"],
        project_id=row[f"{prefix}project_id"],
        slot_at=from_db(row[f"{prefix}slot_at"]),
        local_date=date.fromisoformat(row[f"{prefix}local_date"]),
        closes_at=from_db(row[f"{prefix}closes_at"]),
        status=row[f"{prefix}status"],
        origin=row[f"{prefix}origin"],
        audience=row[f"{prefix}audience"],
    )


class RoundOpen(Exception):
    """The project already has an open round; a second one would prompt everyone twice."""

    def __init__(self, round_: RoundRow) -> None:
        super().__init__(round_.id)
        self.round = round_


class RoundRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def last_scheduled_slots(
        self, project_ids: Sequence[int]
    ) -> dict[tuple[int, str], datetime]:
        """The latest scheduled slot of each of these projects and audiences that has one, in
        one query."""
        if not project_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT project_id, audience, max(slot_at) AS last FROM rounds"
            " WHERE origin = 'schedule'"
            f" AND project_id IN ({','.join('?' * len(project_ids))})"
            " GROUP BY project_id, audience",
            list(project_ids),
        )
        return {(row["project_id"], row["audience"]): from_db(row["last"]) for row in rows}

    async def open_due(
        self,
        plans: Sequence[SlotPlan],
        next_dues: Sequence[tuple[int, Audience, datetime | None]],
        now: datetime,
    ) -> tuple[int, int]:
        """Open (or record as skipped) every planned slot and move each schedule's next slot on,
        in one transaction and a fixed number of statements however many projects are due.

        Returns how many rounds were opened and how many slots skipped; a slot that already has
        its round (a second tick, an early /checkin) adds nothing.
        """
        stamp = to_db(now)
        async with self._db.write() as conn:
            await conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS due_slots (project_id INTEGER,"
                " audience TEXT, slot_at TEXT, local_date TEXT, closes_at TEXT, skip INTEGER)"
            )
            await conn.execute("DELETE FROM temp.due_slots")
            await conn.executemany(
                "INSERT INTO temp.due_slots VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        p.project_id,
                        p.audience,
                        to_db(p.slot_at),
                        p.local_date.isoformat(),
                        to_db(p.slot_at if p.skip else p.closes_at),
                        int(p.skip),
                    )
                    for p in plans
                ],
            )
            await conn.execute(
                "INSERT INTO rounds (project_id, audience, slot_at, local_date,"
                " closes_at, status, origin, opened_at, closed_at) SELECT project_id, audience,"
                " slot_at, local_date, closes_at,"
                " CASE WHEN skip = 1 THEN 'skipped' ELSE 'open' END, 'schedule', :now,"
                " CASE WHEN skip = 1 THEN :now END FROM temp.due_slots"
                # SQLite reads ON CONFLICT after a bare FROM as a join: WHERE true parts them.
                " WHERE true ON CONFLICT DO NOTHING",
                {"now": stamp},
            )
            # The rounds made just now: those of these slots opened at this instant.
            new = (
                " FROM temp.due_slots d JOIN rounds r ON r.project_id = d.project_id"
                " AND r.audience = d.audience AND r.slot_at = d.slot_at"
                " AND r.origin = 'schedule' AND r.opened_at = :now"
            )
            on_leave = (
                "EXISTS (SELECT 1 FROM leaves l WHERE l.user_id = m.user_id"
                " AND r.local_date BETWEEN l.from_date AND l.to_date)"
            )
            await conn.execute(
                "INSERT INTO checkins (round_id, user_id, status, outcome)"
                f" SELECT r.id, m.user_id, CASE WHEN {on_leave} THEN 'on_leave' ELSE 'pending' END,"
                f" CASE WHEN {on_leave} THEN 'leave' END" + new + " JOIN memberships m"
                " ON m.project_id = r.project_id AND m.role = r.audience"
                " AND m.removed_at IS NULL WHERE r.status = 'open'"
                " AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.round_id = r.id)",
                {"now": stamp},
            )
            await conn.execute(
                "INSERT INTO events (at, actor_id, kind, project_id, subject_id, detail)"
                " SELECT :now, NULL, CASE r.status WHEN 'open' THEN 'round.opened'"
                " ELSE 'round.skipped' END, r.project_id, r.id,"
                " json_object('origin', 'schedule', 'slot', r.slot_at, 'audience', r.audience)"
                + new,
                {"now": stamp},
            )
            counts = await first_row(
                conn,
                "SELECT sum(CASE WHEN r.status = 'open' THEN 1 ELSE 0 END) AS opened,"
                " sum(CASE WHEN r.status = 'skipped' THEN 1 ELSE 0 END) AS skipped" + new,
                {"now": stamp},
            )
            await conn.executemany(
                "UPDATE schedules SET next_due = ? WHERE project_id = ? AND audience = ?",
                [
                    (to_db(due) if due else NEVER, project_id, audience)
                    for project_id, audience, due in next_dues
                ],
            )
        if counts is None:
            return 0, 0
        return int(counts["opened"] or 0), int(counts["skipped"] or 0)

    async def open_round(
        self,
        project_id: int,
        slot_at: datetime,
        local_date: date,
        closes_at: datetime,
        origin: str,
        now: datetime,
        need: Need | None = None,
        audience: Audience = "secretary",
    ) -> int | None:
        """Open a round with one check-in per current secretary (or leader, for the weekly
        contact); None if it exists already.

        Secretaries on leave that day start as on leave. Opened on someone's behalf (``need``),
        it is refused with :class:`RoundOpen` while the project has an open round.
        """
        async with self._db.write() as conn:
            if need is not None:
                await self._access.require(conn, need)
                already = await first_row(
                    conn,
                    "SELECT * FROM rounds WHERE project_id = ? AND audience = ?"
                    " AND status = 'open' ORDER BY slot_at DESC LIMIT 1",
                    (project_id, audience),
                )
                if already is not None:
                    raise RoundOpen(round_from_row(already))
            round_id = await insert_id(
                conn,
                "INSERT INTO rounds (project_id, audience, slot_at, local_date,"
                " closes_at, status, origin, opened_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)"
                " ON CONFLICT DO NOTHING",
                (
                    project_id,
                    audience,
                    to_db(slot_at),
                    local_date.isoformat(),
                    to_db(closes_at),
                    origin,
                    to_db(now),
                ),
            )
            if round_id is None:  # that slot's round exists already
                return None
            await conn.execute(
                "INSERT INTO checkins (round_id, user_id, status, outcome)"
                " SELECT ?, m.user_id,"
                "   CASE WHEN l.id IS NULL THEN 'pending' ELSE 'on_leave' END,"
                "   CASE WHEN l.id IS NULL THEN NULL ELSE 'leave' END"
                " FROM memberships m"
                " LEFT JOIN leaves l ON l.id = (SELECT id FROM leaves WHERE user_id = m.user_id"
                "   AND ? BETWEEN from_date AND to_date LIMIT 1)"
                " WHERE m.project_id = ? AND m.role = ? AND m.removed_at IS NULL",
                (round_id, local_date.isoformat(), project_id, audience),
            )
            await append_event(
                conn,
                now,
                need.user_id if need is not None else None,
                "round.opened",
                project_id,
                round_id,
                origin=origin,
                slot=to_db(slot_at),
                audience=audience,
            )
            return round_id

    async def round(self, round_id: int) -> RoundRow | None:
        row = await self._db.fetchone("SELECT * FROM rounds WHERE id = ?", (round_id,))
        return round_from_row(row) if row else None

    async def open_rounds(
        self, project_id: int, audience: Audience = "secretary"
    ) -> list[RoundRow]:
        rows = await self._db.fetchall(
            "SELECT * FROM rounds WHERE project_id = ? AND audience = ? AND status = 'open'"
            " ORDER BY slot_at",
            (project_id, audience),
        )
        return [round_from_row(row) for row in rows]

    async def latest_round(
        self, project_id: int, audience: Audience = "secretary"
    ) -> RoundRow | None:
        row = await self._db.fetchone(
            "SELECT * FROM rounds WHERE project_id = ? AND audience = ? AND status != 'skipped'"
            " ORDER BY slot_at DESC LIMIT 1",
            (project_id, audience),
        )
        return round_from_row(row) if row else None

    async def close_due(self, now: datetime) -> list[RoundRow]:
        """Close every round whose window has ended, in a fixed number of statements:
        unanswered check-ins become missed, and what the bot waited for in those rounds (a
        problem's text, a project choice) ends with them."""
        due = " FROM rounds WHERE status = 'open' AND closes_at <= :now"
        params = {"now": to_db(now)}
        async with self._db.write() as conn:
            await conn.execute(
                "UPDATE checkins SET status = 'missed' WHERE status = 'pending'"
                " AND round_id IN (SELECT id" + due + ")",
                params,
            )
            await conn.execute(
                "DELETE FROM pending_inputs WHERE checkin_id IN (SELECT c.id FROM checkins c"
                " WHERE c.round_id IN (SELECT id" + due + "))",
                params,
            )
            await conn.execute(
                "INSERT INTO events (at, actor_id, kind, project_id, subject_id, detail)"
                " SELECT :now, NULL, 'round.closed', project_id, id, '{}'" + due,
                params,
            )
            closed = await conn.execute_fetchall(
                "UPDATE rounds SET status = 'closed', closed_at = :now"
                " WHERE status = 'open' AND closes_at <= :now RETURNING *",
                params,
            )
            return [round_from_row(row) for row in closed]
