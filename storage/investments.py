"""The monthly investment reports (累计完成投资): one figure per project and month, the
project's reporting day, and the prompts sent for it, once a month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.access import Access, Need
from storage.db import Database, first_row, to_db
from storage.events import append_event
from storage.outbox import OutgoingMessage, enqueue


class InvestmentRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def record_investment(
        self, need: Need, month: str, amount: int, now: datetime
    ) -> int | None:
        """The investment completed in ``month`` (yuan); a second report of the month replaces
        the first. Returns the amount it replaced, if any."""
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            row = await first_row(
                conn,
                "SELECT amount FROM investments WHERE project_id = ? AND month = ?",
                (need.project_id, month),
            )
            await conn.execute(
                "INSERT INTO investments (project_id, month, amount, reported_by, reported_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, month) DO UPDATE SET"
                " amount = excluded.amount, reported_by = excluded.reported_by,"
                " reported_at = excluded.reported_at",
                (need.project_id, month, amount, need.user_id, to_db(now)),
            )
            await append_event(
                conn,
                now,
                need.user_id,
                "project.investment",
                need.project_id,
                month=month,
                amount=amount,
            )
            return int(row["amount"]) if row is not None else None

    async def investment_by_year(
        self, year: int, project_ids: Sequence[int] | None = None
    ) -> dict[int, int]:
        """Investment completed in ``year`` (yuan), per project."""
        sql = "SELECT project_id, sum(amount) AS total FROM investments WHERE month LIKE ?"
        params: list[Any] = [f"{year}-%"]
        if project_ids is not None:
            if not project_ids:
                return {}
            sql += f" AND project_id IN ({','.join('?' * len(project_ids))})"
            params += list(project_ids)
        rows = await self._db.fetchall(sql + " GROUP BY project_id", params)
        return {r["project_id"]: int(r["total"]) for r in rows}

    async def set_investment_schedule(
        self, need: Need, day: int | None, at: str | None, now: datetime
    ) -> None:
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            if day is None:
                await conn.execute(
                    "DELETE FROM investment_schedules WHERE project_id = ?", (need.project_id,)
                )
            else:
                await conn.execute(
                    "INSERT INTO investment_schedules (project_id, day, at_time, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET"
                    " day = excluded.day, at_time = excluded.at_time,"
                    " updated_at = excluded.updated_at",
                    (need.project_id, day, at, to_db(now)),
                )
            await append_event(
                conn,
                now,
                need.user_id,
                "project.investment_schedule",
                need.project_id,
                day=day,
                time=at,
            )

    async def investment_schedules(self) -> list[tuple[int, int, str, str]]:
        """(project id, day, HH:MM, timezone) of active projects with a monthly report."""
        rows = await self._db.fetchall(
            "SELECT s.project_id, s.day, s.at_time, p.timezone FROM investment_schedules s"
            " JOIN projects p ON p.id = s.project_id WHERE p.status = 'active'"
            " ORDER BY s.project_id"
        )
        return [(r["project_id"], r["day"], r["at_time"], r["timezone"]) for r in rows]

    async def prompted(self, project_id: int, month: str) -> set[int]:
        """The secretaries already asked for the month's figure."""
        rows = await self._db.fetchall(
            "SELECT user_id FROM investment_prompts WHERE project_id = ? AND month = ?",
            (project_id, month),
        )
        return {int(r["user_id"]) for r in rows}

    async def prompt_investment(
        self,
        project_id: int,
        month: str,
        prompts: Sequence[tuple[int, OutgoingMessage]],
        now: datetime,
    ) -> int:
        """Queue each secretary's monthly prompt once per month."""
        sent = 0
        async with self._db.write() as conn:
            for user_id, message in prompts:
                cursor = await conn.execute(
                    "INSERT INTO investment_prompts (project_id, month, user_id, sent_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (project_id, month, user_id, to_db(now)),
                )
                if cursor.rowcount:
                    sent += 1
                    await enqueue(conn, [message], now)
        return sent
