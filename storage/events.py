"""The append-only event log: who changed what, and when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.db import Database, Tx, from_db, insert_id, to_db
from storage.models import (
    Event,
)


async def append_event(
    conn: Tx,
    at: datetime,
    actor_id: int | None,
    kind: str,
    project_id: int | None = None,
    subject_id: int | None = None,
    **detail: Any,
) -> int:
    """Add one row to the append-only event log inside the caller's transaction; its id."""
    event_id = await insert_id(
        conn,
        "INSERT INTO events (at, actor_id, kind, project_id, subject_id, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (to_db(at), actor_id, kind, project_id, subject_id, json.dumps(detail, ensure_ascii=False)),
    )
    assert event_id is not None
    return event_id


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
        return [_event(row) for row in rows]

    async def of_kind(self, kind: str, since: datetime, until: datetime) -> list[Event]:
        """Events of one kind in a period, oldest first (a meeting's decisions, say)."""
        rows = await self._db.fetchall(
            "SELECT * FROM events WHERE kind = ? AND at >= ? AND at < ? ORDER BY id",
            (kind, to_db(since), to_db(until)),
        )
        return [_event(row) for row in rows]


def _event(row: Any) -> Event:
    return Event(
        row["id"],
        from_db(row["at"]),
        row["actor_id"],
        row["kind"],
        row["project_id"],
        row["subject_id"],
        row["detail"],
    )
