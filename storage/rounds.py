"""Rounds, check-ins and answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import aiosqlite

from storage.access import SECRETARY, Access, Need
from storage.db import Database, from_db, opt_from_db, to_db
from storage.events import append_event
from storage.models import person_label
from storage.outbox import OutgoingMessage, enqueue
from storage.pending import clear_pending
from storage.problems import insert_problem


@dataclass(frozen=True, slots=True)
class RoundRow:
    id: int
    project_id: int
    slot_at: datetime
    local_date: date
    closes_at: datetime
    status: str
    origin: str


@dataclass(frozen=True, slots=True)
class CheckinRow:
    """A check-in with what is needed to talk about it: its round and project."""

    id: int
    user_id: int
    status: str
    outcome: str | None
    next_question: int
    reminders_sent: int
    answered_at: datetime | None
    round: RoundRow
    project_name: str
    project_timezone: str
    language: str | None
    display_name: str
    username: str | None
    # The person is still a secretary of the project, and the project is active.
    serving: bool = True
    # When the prompt of this check-in was delivered (reminders count from then).
    prompted_at: datetime | None = None

    @property
    def label(self) -> str:
        return person_label(self.display_name, self.username)


def _round(row: aiosqlite.Row, prefix: str = "") -> RoundRow:
    return RoundRow(
        id=row[f"{prefix}id"],
        project_id=row[f"{prefix}project_id"],
        slot_at=from_db(row[f"{prefix}slot_at"]),
        local_date=date.fromisoformat(row[f"{prefix}local_date"]),
        closes_at=from_db(row[f"{prefix}closes_at"]),
        status=row[f"{prefix}status"],
        origin=row[f"{prefix}origin"],
    )


_CHECKIN_SELECT = """
    SELECT c.id, c.user_id, c.status, c.outcome, c.next_question, c.reminders_sent,
           c.answered_at, r.id AS r_id, r.project_id AS r_project_id, r.slot_at AS r_slot_at,
           r.local_date AS r_local_date, r.closes_at AS r_closes_at, r.status AS r_status,
           r.origin AS r_origin, pr.name AS project_name, pr.timezone AS project_timezone,
           p.language, p.display_name, p.username,
           pr.status = 'active' AND EXISTS (SELECT 1 FROM memberships m
               WHERE m.project_id = r.project_id AND m.user_id = c.user_id
               AND m.role = 'secretary' AND m.removed_at IS NULL) AS serving,
           NULL AS prompted_at
    FROM checkins c
    JOIN rounds r ON r.id = c.round_id
    JOIN projects pr ON pr.id = r.project_id
    JOIN people p ON p.user_id = c.user_id
"""


def _checkin(row: aiosqlite.Row) -> CheckinRow:
    return CheckinRow(
        id=row["id"],
        user_id=row["user_id"],
        status=row["status"],
        outcome=row["outcome"],
        next_question=row["next_question"],
        reminders_sent=row["reminders_sent"],
        answered_at=opt_from_db(row["answered_at"]),
        round=_round(row, "r_"),
        project_name=row["project_name"],
        project_timezone=row["project_timezone"],
        language=row["language"],
        display_name=row["display_name"],
        username=row["username"],
        serving=bool(row["serving"]),
        prompted_at=opt_from_db(row["prompted_at"]),
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

    async def last_scheduled_slot(self, project_id: int) -> datetime | None:
        row = await self._db.fetchone(
            "SELECT max(slot_at) AS last FROM rounds WHERE project_id = ? AND origin = 'schedule'",
            (project_id,),
        )
        return opt_from_db(row["last"]) if row else None

    async def open_round(
        self,
        project_id: int,
        slot_at: datetime,
        local_date: date,
        closes_at: datetime,
        origin: str,
        now: datetime,
        need: Need | None = None,
    ) -> int | None:
        """Open a round with one check-in per current secretary; None if it exists already.

        Secretaries on leave that day start as on leave. Opened on someone's behalf (``need``),
        it is refused with :class:`RoundOpen` while the project has an open round.
        """
        async with self._db.write() as conn:
            if need is not None:
                await self._access.require(conn, need)
                cursor = await conn.execute(
                    "SELECT * FROM rounds WHERE project_id = ? AND status = 'open'"
                    " ORDER BY slot_at DESC LIMIT 1",
                    (project_id,),
                )
                already = await cursor.fetchone()
                if already is not None:
                    raise RoundOpen(_round(already))
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO rounds (project_id, slot_at, local_date, closes_at, status,"
                " origin, opened_at) VALUES (?, ?, ?, ?, 'open', ?, ?)",
                (
                    project_id,
                    to_db(slot_at),
                    local_date.isoformat(),
                    to_db(closes_at),
                    origin,
                    to_db(now),
                ),
            )
            if cursor.rowcount == 0:
                return None
            round_id = cast(int, cursor.lastrowid)
            await conn.execute(
                "INSERT INTO checkins (round_id, user_id, status, outcome)"
                " SELECT ?, m.user_id,"
                "   CASE WHEN l.id IS NULL THEN 'pending' ELSE 'on_leave' END,"
                "   CASE WHEN l.id IS NULL THEN NULL ELSE 'leave' END"
                " FROM memberships m"
                " LEFT JOIN leaves l ON l.id = (SELECT id FROM leaves WHERE user_id = m.user_id"
                "   AND ? BETWEEN from_date AND to_date LIMIT 1)"
                " WHERE m.project_id = ? AND m.role = 'secretary' AND m.removed_at IS NULL",
                (round_id, local_date.isoformat(), project_id),
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
            )
            return round_id

    async def record_skipped(
        self, project_id: int, slot_at: datetime, local_date: date, now: datetime
    ) -> None:
        """A slot that fell due too long ago (the bot was down): kept, not prompted."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO rounds (project_id, slot_at, local_date, closes_at, status,"
                " origin, opened_at, closed_at) VALUES (?, ?, ?, ?, 'skipped', 'schedule', ?, ?)",
                (
                    project_id,
                    to_db(slot_at),
                    local_date.isoformat(),
                    to_db(slot_at),
                    to_db(now),
                    to_db(now),
                ),
            )
            if cursor.rowcount:
                await append_event(
                    conn,
                    now,
                    None,
                    "round.skipped",
                    project_id,
                    cursor.lastrowid,
                    slot=to_db(slot_at),
                )

    async def round(self, round_id: int) -> RoundRow | None:
        row = await self._db.fetchone("SELECT * FROM rounds WHERE id = ?", (round_id,))
        return _round(row) if row else None

    async def open_rounds(self, project_id: int) -> list[RoundRow]:
        rows = await self._db.fetchall(
            "SELECT * FROM rounds WHERE project_id = ? AND status = 'open' ORDER BY slot_at",
            (project_id,),
        )
        return [_round(row) for row in rows]

    async def latest_round(self, project_id: int) -> RoundRow | None:
        row = await self._db.fetchone(
            "SELECT * FROM rounds WHERE project_id = ? AND status != 'skipped'"
            " ORDER BY slot_at DESC LIMIT 1",
            (project_id,),
        )
        return _round(row) if row else None

    async def close_due(self, now: datetime) -> list[int]:
        """Close rounds whose window has ended; unanswered check-ins become missed."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "SELECT id, project_id FROM rounds WHERE status = 'open' AND closes_at <= ?",
                (to_db(now),),
            )
            due = list(await cursor.fetchall())
            for row in due:
                await conn.execute(
                    "UPDATE checkins SET status = 'missed'"
                    " WHERE round_id = ? AND status = 'pending'",
                    (row["id"],),
                )
                await conn.execute(
                    "UPDATE rounds SET status = 'closed', closed_at = ? WHERE id = ?",
                    (to_db(now), row["id"]),
                )
                # What the bot waited for in this round (a problem's text, a project choice)
                # ends with it: a late message is then taken for what it is.
                await conn.execute(
                    "DELETE FROM pending_inputs WHERE checkin_id IN"
                    " (SELECT id FROM checkins WHERE round_id = ?)",
                    (row["id"],),
                )
                await append_event(conn, now, None, "round.closed", row["project_id"], row["id"])
            return [row["id"] for row in due]

    # --- check-ins --------------------------------------------------------------------------

    async def checkin(self, checkin_id: int) -> CheckinRow | None:
        row = await self._db.fetchone(_CHECKIN_SELECT + " WHERE c.id = ?", (checkin_id,))
        return _checkin(row) if row else None

    async def checkins_of_round(self, round_id: int) -> list[CheckinRow]:
        rows = await self._db.fetchall(
            _CHECKIN_SELECT + " WHERE c.round_id = ? ORDER BY c.id", (round_id,)
        )
        return [_checkin(row) for row in rows]

    async def open_checkins_of(self, user_id: int) -> list[CheckinRow]:
        """Check-ins of open rounds of projects the user serves as secretary now."""
        rows = await self._db.fetchall(
            "SELECT * FROM (" + _CHECKIN_SELECT + " WHERE c.user_id = ? AND r.status = 'open'"
            " AND c.status != 'removed') WHERE serving ORDER BY r_slot_at, r_project_id",
            (user_id,),
        )
        return [_checkin(row) for row in rows]

    async def answer_to_message(self, user_id: int, message_id: int) -> tuple[int, str] | None:
        """(check-in id, kind) of the text answer that came in message ``message_id``, while
        its round is open."""
        row = await self._db.fetchone(
            "SELECT a.checkin_id, a.kind FROM answers a JOIN checkins c ON c.id = a.checkin_id"
            " JOIN rounds r ON r.id = c.round_id WHERE a.message_id = ? AND c.user_id = ?"
            " AND r.status = 'open' ORDER BY a.id DESC LIMIT 1",
            (message_id, user_id),
        )
        return (row["checkin_id"], row["kind"]) if row else None

    async def needing_prompt(self, now: datetime) -> list[CheckinRow]:
        """Pending check-ins of open, due rounds whose prompt is not in the outbox yet."""
        rows = await self._db.fetchall(
            _CHECKIN_SELECT + " WHERE r.status = 'open' AND r.slot_at <= ? AND c.status = 'pending'"
            " AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'prompt:' || c.id)"
            " ORDER BY c.id",
            (to_db(now),),
        )
        return [_checkin(row) for row in rows]

    async def reminder_candidates(self, max_reminders: int) -> list[CheckinRow]:
        """Unanswered check-ins whose prompt was delivered, with when it was."""
        select = _CHECKIN_SELECT.replace("NULL AS prompted_at", "o.sent_at AS prompted_at", 1)
        rows = await self._db.fetchall(
            select + " JOIN outbox o ON o.dedupe_key = 'prompt:' || c.id AND o.status = 'sent'"
            " WHERE r.status = 'open' AND c.status = 'pending' AND pr.status = 'active'"
            " AND c.reminders_sent < ? ORDER BY c.id",
            (max_reminders,),
        )
        return [_checkin(row) for row in rows]

    async def enqueue(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        async with self._db.write() as conn:
            return await enqueue(conn, messages, now)

    async def add_reminder(
        self, checkin_id: int, previous: int, number: int, message: OutgoingMessage, now: datetime
    ) -> bool:
        """Move the reminder count from ``previous`` to ``number`` and queue one reminder, once."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "UPDATE checkins SET reminders_sent = ? WHERE id = ? AND reminders_sent = ?"
                " AND status = 'pending'",
                (number, checkin_id, previous),
            )
            if cursor.rowcount == 0:
                return False
            await enqueue(conn, [message], now)
            return True

    async def record_answer(
        self,
        checkin_id: int,
        kind: str,
        now: datetime,
        *,
        text: str | None = None,
        question_no: int | None = None,
        status: str = "answered",
        outcome: str | None = None,
        next_question: int | None = None,
        problem: tuple[str, datetime] | None = None,
        message_id: int | None = None,
    ) -> int | None:
        """Store one answer while the round is open. Returns the new problem's id, or 0.

        ``problem`` is (text, deadline) for a problem reported with this answer. Returns None
        when the round has closed (nothing is stored); raises :class:`Denied` when the person no
        longer serves the project or it was archived. Whatever the bot waited for from the
        person is used up by the same transaction.
        """
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "SELECT c.user_id, r.project_id FROM checkins c JOIN rounds r ON r.id = c.round_id"
                " WHERE c.id = ? AND r.status = 'open'",
                (checkin_id,),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            user_id, project_id = row["user_id"], row["project_id"]
            await self._access.require(conn, Need(user_id, SECRETARY, project_id))
            await conn.execute(
                "INSERT INTO answers (checkin_id, kind, question_no, text, at, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (checkin_id, kind, question_no, text, to_db(now), message_id),
            )
            await conn.execute(
                "UPDATE checkins SET status = ?, outcome = coalesce(?, outcome), answered_at = ?,"
                " next_question = coalesce(?, next_question) WHERE id = ?",
                (status, outcome, to_db(now), next_question, checkin_id),
            )
            problem_id = 0
            if problem is not None:
                problem_text, deadline = problem
                problem_id = await insert_problem(
                    conn, project_id, user_id, problem_text, deadline, now, checkin_id
                )
            await clear_pending(conn, user_id)
            return problem_id

    async def answers(self, checkin_id: int) -> list[tuple[str, int | None, str | None, datetime]]:
        rows = await self._db.fetchall(
            "SELECT kind, question_no, text, at FROM answers WHERE checkin_id = ? ORDER BY id",
            (checkin_id,),
        )
        return [(r["kind"], r["question_no"], r["text"], from_db(r["at"])) for r in rows]
