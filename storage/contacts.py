"""Leaders' contacts with the enterprise (首席负责人每周与企业对接): how and when, what was
settled, with photos; a contact answers the leader's open weekly prompt of that project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import aiosqlite

from storage.access import Access, Need
from storage.attachments import IncomingFile, Owner, insert_files
from storage.db import Database, first_row, from_db, insert_id, to_db
from storage.events import append_event
from storage.models import person_label
from storage.pending import clear_pending


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    project_id: int
    leader_id: int
    leader_label: str
    how: str  # visit, meeting, call
    held_on: date
    text: str
    at: datetime
    attachments: int = 0


def _contact(row: aiosqlite.Row) -> Contact:
    return Contact(
        row["id"],
        row["project_id"],
        row["leader_id"],
        person_label(row["display_name"] or str(row["leader_id"]), row["username"]),
        row["how"],
        date.fromisoformat(row["held_on"]),
        row["text"],
        from_db(row["at"]),
        row["attachments"],
    )


class ContactRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def record(
        self,
        need: Need,
        how: str,
        held_on: date,
        text: str,
        message_id: int | None,
        files: Sequence[IncomingFile],
        now: datetime,
    ) -> tuple[int, bool]:
        """Record a contact by ``need.user_id`` (a leader of ``need.project_id``, checked in the
        transaction) and answer their open weekly prompt of that project; (id, True if new).

        The same message delivered twice is one contact.
        """
        assert need.project_id is not None
        leader_id, project_id = need.user_id, need.project_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await clear_pending(conn, leader_id)
            if message_id is not None:
                same = await first_row(
                    conn,
                    "SELECT id FROM contacts WHERE leader_id = ? AND message_id = ?",
                    (leader_id, message_id),
                )
                if same is not None:
                    return int(same["id"]), False
            checkin = await first_row(
                conn,
                "SELECT c.id FROM checkins c JOIN rounds r ON r.id = c.round_id"
                " WHERE c.user_id = ? AND c.status = 'pending' AND r.project_id = ?"
                " AND r.audience = 'leader' AND r.status = 'open'"
                " ORDER BY r.slot_at DESC LIMIT 1",
                (leader_id, project_id),
            )
            checkin_id = int(checkin["id"]) if checkin else None
            contact_id = await insert_id(
                conn,
                "INSERT INTO contacts (project_id, leader_id, checkin_id, how, held_on, text,"
                " message_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    leader_id,
                    checkin_id,
                    how,
                    held_on.isoformat(),
                    text,
                    message_id,
                    to_db(now),
                ),
            )
            assert contact_id is not None
            if checkin_id is not None:
                await conn.execute(
                    "UPDATE checkins SET status = 'answered', outcome = 'contact',"
                    " answered_at = ? WHERE id = ?",
                    (to_db(now), checkin_id),
                )
            await insert_files(conn, Owner(contact_id=contact_id), leader_id, files, now)
            await append_event(
                conn,
                now,
                leader_id,
                "contact.recorded",
                project_id,
                contact_id,
                how=how,
                held_on=held_on.isoformat(),
                checkin_id=checkin_id,
            )
            return contact_id, True

    async def of_project(self, project_id: int, since: date, limit: int = 50) -> list[Contact]:
        """The project's contacts held on or after ``since``, newest first."""
        rows = await self._db.fetchall(
            "SELECT ct.*, p.display_name, p.username,"
            " (SELECT count(*) FROM attachments a WHERE a.contact_id = ct.id) AS attachments"
            " FROM contacts ct LEFT JOIN people p ON p.user_id = ct.leader_id"
            " WHERE ct.project_id = ? AND ct.held_on >= ? ORDER BY ct.held_on DESC, ct.id DESC"
            " LIMIT ?",
            (project_id, since.isoformat(), limit),
        )
        return [_contact(row) for row in rows]

    async def get(self, contact_id: int) -> Contact | None:
        row = await self._db.fetchone(
            "SELECT ct.*, p.display_name, p.username,"
            " (SELECT count(*) FROM attachments a WHERE a.contact_id = ct.id) AS attachments"
            " FROM contacts ct LEFT JOIN people p ON p.user_id = ct.leader_id WHERE ct.id = ?",
            (contact_id,),
        )
        return _contact(row) if row else None
