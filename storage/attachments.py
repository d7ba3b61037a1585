"""Photos and files sent with answers, problems and notes: Telegram's file ids, not the bytes
(Telegram keeps the files; a file id sends the same file again)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database, Tx, from_db, to_db


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """One file in a person's message, as Telegram describes it."""

    kind: str  # photo, video, document, audio, voice, video_note
    file_id: str
    file_unique_id: str
    message_id: int
    file_name: str | None = None
    media_group_id: str | None = None  # several photos sent at once share one


@dataclass(frozen=True, slots=True)
class Owner:
    """What files belong to: an answer, a problem (and the note they came with), or a leader's
    contact with the enterprise."""

    answer_id: int | None = None
    problem_id: int | None = None
    event_id: int | None = None
    contact_id: int | None = None
    milestone_id: int | None = None  # evidence of a milestone done (节点佐证)


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    kind: str
    file_id: str
    file_name: str | None
    user_id: int
    at: datetime


async def insert_files(
    conn: Tx,
    owner: Owner,
    user_id: int,
    files: Sequence[IncomingFile],
    now: datetime,
) -> None:
    """Attach ``files`` inside the caller's transaction; a message seen before attaches
    nothing (Telegram may deliver an update twice)."""
    if not files:
        return
    await conn.executemany(
        "INSERT INTO attachments (answer_id, problem_id, event_id, contact_id, milestone_id,"
        " user_id, kind, file_id, file_unique_id, file_name, media_group_id, message_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        # Only a message seen before is skipped, never a file of a kind the table refuses.
        " ON CONFLICT (user_id, message_id) DO NOTHING",
        [
            (
                owner.answer_id,
                owner.problem_id,
                owner.event_id,
                owner.contact_id,
                owner.milestone_id,
                user_id,
                f.kind,
                f.file_id,
                f.file_unique_id,
                f.file_name,
                f.media_group_id,
                f.message_id,
                to_db(now),
            )
            for f in files
        ],
    )


def attachment_from_row(row: aiosqlite.Row) -> Attachment:
    return Attachment(
        row["id"], row["kind"], row["file_id"], row["file_name"], row["user_id"], from_db(row["at"])
    )


class AttachmentRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def album_owner(self, user_id: int, media_group_id: str) -> Owner | None:
        """What the first file of an album (photos sent at once) was attached to."""
        row = await self._db.fetchone(
            "SELECT answer_id, problem_id, event_id, contact_id, milestone_id FROM attachments"
            " WHERE user_id = ? AND media_group_id = ? ORDER BY id LIMIT 1",
            (user_id, media_group_id),
        )
        if row is None:
            return None
        return Owner(
            row["answer_id"],
            row["problem_id"],
            row["event_id"],
            row["contact_id"],
            row["milestone_id"],
        )

    async def add(
        self, owner: Owner, user_id: int, files: Sequence[IncomingFile], now: datetime
    ) -> None:
        async with self._db.write() as conn:
            await insert_files(conn, owner, user_id, files, now)

    async def of_problem(self, problem_id: int) -> list[Attachment]:
        """Files of a problem, its report's and its notes', in the order they came."""
        rows = await self._db.fetchall(
            "SELECT * FROM attachments WHERE problem_id = ? ORDER BY id", (problem_id,)
        )
        return [attachment_from_row(row) for row in rows]

    async def of_milestone(self, milestone_id: int) -> list[Attachment]:
        rows = await self._db.fetchall(
            "SELECT * FROM attachments WHERE milestone_id = ? ORDER BY id", (milestone_id,)
        )
        return [attachment_from_row(row) for row in rows]

    async def of_contact(self, contact_id: int) -> list[Attachment]:
        rows = await self._db.fetchall(
            "SELECT * FROM attachments WHERE contact_id = ? ORDER BY id", (contact_id,)
        )
        return [attachment_from_row(row) for row in rows]

    async def of_answer(self, answer_id: int) -> tuple[int | None, list[Attachment]]:
        """The check-in an answer belongs to (None: no such answer), and its files."""
        rows = await self._db.fetchall(
            "SELECT an.checkin_id, a.* FROM answers an"
            " LEFT JOIN attachments a ON a.answer_id = an.id WHERE an.id = ? ORDER BY a.id",
            (answer_id,),
        )
        if not rows:
            return None, []
        return rows[0]["checkin_id"], [attachment_from_row(r) for r in rows if r["id"] is not None]
