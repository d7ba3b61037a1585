"""Check-ins and their answers: who is asked in each round, what they said, who is reminded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from storage.access import Access, Denied
from storage.attachments import IncomingFile, Owner, insert_files
from storage.db import Database, Tx, first_row, from_db, opt_from_db, to_db
from storage.events import append_event
from storage.models import person_label
from storage.outbox import OutgoingMessage, enqueue
from storage.pending import clear_pending
from storage.problems import Announce, insert_problem
from storage.rounds import RoundRow, round_from_row


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
    # The person still serves the project in the round's audience (secretary, or leader for
    # the weekly contact), and the project is active.
    serving: bool = True
    # When the prompt of this check-in was delivered (reminders count from then).
    prompted_at: datetime | None = None
    # How many questions of its own the project asks (0: the default question), and how many
    # of its problems are unresolved: what the prompt lists is read only when there is some.
    questions: int = 0
    open_problems: int = 0
    milestones_due: int = 0  # undone, planned by the round's day: the prompt's 节点完成

    @property
    def label(self) -> str:
        return person_label(self.display_name, self.username)


_CHECKIN_SELECT = """
    SELECT c.id, c.user_id, c.status, c.outcome, c.next_question, c.reminders_sent,
           c.answered_at, r.id AS r_id, r.project_id AS r_project_id, r.slot_at AS r_slot_at,
           r.local_date AS r_local_date, r.closes_at AS r_closes_at, r.status AS r_status,
           r.origin AS r_origin, r.audience AS r_audience, pr.name AS project_name,
           pr.timezone AS project_timezone,
           p.language, p.display_name, p.username,
           pr.status = 'active' AND EXISTS (SELECT 1 FROM memberships m
               WHERE m.project_id = r.project_id AND m.user_id = c.user_id
               AND m.role = r.audience AND m.removed_at IS NULL) AS serving,
           (SELECT count(*) FROM questions q WHERE q.project_id = r.project_id) AS questions,
           (SELECT count(*) FROM problems pb WHERE pb.project_id = r.project_id
               AND pb.status IN ('open', 'in_progress')) AS open_problems,
           (SELECT count(*) FROM milestones ms WHERE ms.project_id = r.project_id
               AND ms.done_at IS NULL AND ms.removed_at IS NULL
               AND ms.planned_on <= r.local_date) AS milestones_due,
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
        round=round_from_row(row, "r_"),
        project_name=row["project_name"],
        project_timezone=row["project_timezone"],
        language=row["language"],
        display_name=row["display_name"],
        username=row["username"],
        serving=bool(row["serving"]),
        prompted_at=opt_from_db(row["prompted_at"]),
        questions=row["questions"],
        open_problems=row["open_problems"],
        milestones_due=row["milestones_due"],
    )


class CheckinRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def checkin(self, checkin_id: int) -> CheckinRow | None:
        row = await self._db.fetchone(_CHECKIN_SELECT + " WHERE c.id = ?", (checkin_id,))
        return _checkin(row) if row else None

    async def checkins_of_rounds(self, round_ids: Sequence[int]) -> list[CheckinRow]:
        """The check-ins of several rounds in one query."""
        if not round_ids:
            return []
        rows = await self._db.fetchall(
            _CHECKIN_SELECT
            + f" WHERE c.round_id IN ({','.join('?' * len(round_ids))}) ORDER BY c.id",
            list(round_ids),
        )
        return [_checkin(row) for row in rows]

    async def checkins_of_round(self, round_id: int) -> list[CheckinRow]:
        rows = await self._db.fetchall(
            _CHECKIN_SELECT + " WHERE c.round_id = ? ORDER BY c.id", (round_id,)
        )
        return [_checkin(row) for row in rows]

    async def open_checkins_of(self, user_id: int) -> list[CheckinRow]:
        """Check-ins of open rounds of projects the user serves as secretary now."""
        rows = await self._db.fetchall(
            "SELECT * FROM (" + _CHECKIN_SELECT + " WHERE c.user_id = ? AND r.status = 'open'"
            " AND c.status != 'removed') AS found WHERE serving ORDER BY r_slot_at, r_project_id",
            (user_id,),
        )
        return [_checkin(row) for row in rows]

    async def closed_since_sent(self, user_id: int, sent_at: datetime) -> CheckinRow | None:
        """The person's check-in of a round that was open when they sent a message at
        ``sent_at`` and has closed since, in a project they still serve."""
        sent = to_db(sent_at)
        return await self._latest_closed(
            user_id, "r.opened_at <= ? AND r.closes_at >= ?", sent, sent
        )

    async def last_closed(self, user_id: int, since: datetime, now: datetime) -> CheckinRow | None:
        """The person's latest check-in whose window ended between ``since`` and ``now``, in a
        project they still serve (to tell someone who answers late why nothing was recorded;
        a round closed early by archiving, or a project they left, is not mentioned)."""
        window = "r.closes_at > ? AND r.closes_at <= ?"
        return await self._latest_closed(user_id, window, to_db(since), to_db(now))

    async def _latest_closed(self, user_id: int, window: str, *params: str) -> CheckinRow | None:
        row = await self._db.fetchone(
            "SELECT * FROM (" + _CHECKIN_SELECT + " WHERE c.user_id = ? AND r.status = 'closed'"
            " AND r.audience = 'secretary' AND c.status != 'removed' AND " + window + ") AS found"
            " WHERE serving ORDER BY r_closes_at DESC LIMIT 1",
            (user_id, *params),
        )
        return _checkin(row) if row else None

    async def replace_answer(
        self, user_id: int, message_id: int, text: str, now: datetime
    ) -> int | None:
        """An edited message: the progress text (or answer to a question) it carried becomes
        ``text``, in place, so every reader sees only the new one; the old text stays in the
        event log. Only while the round is open and the person one of the project's
        secretaries. Returns the check-in's id, or None when nothing was replaced."""

        async def write(conn: Tx) -> int | None:
            row = await first_row(
                conn,
                "SELECT a.id, a.checkin_id, a.text, r.project_id FROM answers a"
                " JOIN checkins c ON c.id = a.checkin_id JOIN rounds r ON r.id = c.round_id"
                " WHERE a.message_id = ? AND c.user_id = ? AND a.kind IN ('progress', 'answer')"
                # Archiving a project closes its open rounds, so 'open' also means active.
                " AND r.status = 'open'"
                " AND EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = r.project_id"
                "   AND m.user_id = c.user_id AND m.role = 'secretary' AND m.removed_at IS NULL)"
                " ORDER BY a.id DESC LIMIT 1",
                (message_id, user_id),
            )
            if row is None or row["text"] == text:
                return None
            await conn.execute("UPDATE answers SET text = ? WHERE id = ?", (text, row["id"]))
            await append_event(
                conn,
                now,
                user_id,
                "answer.edited",
                row["project_id"],
                row["id"],
                before=row["text"],
                after=text,
            )
            return int(row["checkin_id"])

        return await self._db.at_once(write)

    async def needing_prompt(self, now: datetime, limit: int, after: int = 0) -> list[CheckinRow]:
        """Pending check-ins of open, due rounds whose prompt is not in the outbox yet; the
        first ``limit`` of them by id, after the check-in ``after``."""
        rows = await self._db.fetchall(
            _CHECKIN_SELECT + " WHERE r.status = 'open' AND r.slot_at <= ? AND c.status = 'pending'"
            " AND pr.status = 'active' AND c.id > ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'prompt:' || c.id)"
            " ORDER BY c.id LIMIT ?",
            (to_db(now), after, limit),
        )
        return [_checkin(row) for row in rows]

    async def enqueue(self, messages: Sequence[OutgoingMessage], now: datetime) -> int:
        async with self._db.write() as conn:
            return await enqueue(conn, messages, now)

    async def add_due_reminders(
        self,
        now: datetime,
        every: timedelta,
        most: int,
        message_for: Callable[[CheckinRow, int], OutgoingMessage | None],
    ) -> int:
        """Queue the reminders that are due, once each, in one transaction: the n-th reminder
        of an unanswered check-in is due ``n * every`` after its prompt was delivered.

        Read and written in the same transaction, so an answer that came a moment ago is not
        reminded. ``message_for`` may return None: that reminder is counted but not sent.
        Returns how many were queued.
        """
        if most <= 0:
            return 0
        due = " OR ".join("(c.reminders_sent = ? AND o.sent_at <= ?)" for _ in range(most))
        params: list[object] = []
        for sent in range(most):
            params += [sent, to_db(now - every * (sent + 1))]
        select = _CHECKIN_SELECT.replace("NULL AS prompted_at", "o.sent_at AS prompted_at", 1)
        async with self._db.write() as conn:
            checkins = [
                _checkin(row)
                for row in await conn.execute_fetchall(
                    select
                    + " JOIN outbox o ON o.dedupe_key = 'prompt:' || c.id AND o.status = 'sent'"
                    " WHERE r.status = 'open' AND c.status = 'pending' AND pr.status = 'active'"
                    f" AND r.closes_at > ? AND ({due})",
                    [to_db(now), *params],
                )
            ]
            if not checkins:
                return 0
            # The reminder due by now; a round caught up late may owe more than one: one is sent.
            numbers = [
                min(int((now - c.prompted_at) / every), most) if c.prompted_at else 1
                for c in checkins
            ]
            await conn.executemany(
                "UPDATE checkins SET reminders_sent = ? WHERE id = ?",
                [(number, c.id) for c, number in zip(checkins, numbers, strict=True)],
            )
            messages = [message_for(c, n) for c, n in zip(checkins, numbers, strict=True)]
            return await enqueue(conn, [m for m in messages if m is not None], now)

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
        used_input: bool = False,
        files: Sequence[IncomingFile] = (),
        announce: Announce | None = None,
        sent_at: datetime | None = None,
    ) -> int | None:
        """Store one answer while the round is open. Returns the new problem's id, or 0.

        ``sent_at``: when the person sent it, for a message handled after its round closed
        (the bot was down at the close): taken if it was sent before the round closed.

        ``problem`` is (text, deadline) for a problem reported with this answer. Returns None
        when the round has closed (nothing is stored); raises :class:`Denied` when the person no
        longer serves the project or it was archived (the same rule as ``Need(person,
        SECRETARY, project)``, checked with the round in one query). ``used_input``: what the
        bot waited for from the person is used up by the same transaction. ``files`` are
        attached to the problem, if one is reported, else to the answer.
        """
        serving = (
            " EXISTS (SELECT 1 FROM rounds r JOIN projects pr ON pr.id = r.project_id"
            " WHERE r.id = checkins.round_id AND pr.status = 'active'"
            " AND (r.status = 'open' OR (r.status = 'closed' AND r.closes_at >= ?))"
            " AND EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = r.project_id"
            "   AND m.user_id = checkins.user_id AND m.role = 'secretary'"
            "   AND m.removed_at IS NULL))"
        )

        async def write(conn: Tx) -> int | None:
            # Written only if the round is open, the project active and the person still one
            # of its secretaries; the reason is looked up only when it was not.
            row = await first_row(
                conn,
                "UPDATE checkins SET status = ?, outcome = coalesce(?, outcome), answered_at = ?,"
                " next_question = coalesce(?, next_question) WHERE id = ? AND"
                + serving
                + " RETURNING user_id, (SELECT project_id FROM rounds r"
                " WHERE r.id = checkins.round_id) AS project_id",
                (
                    status,
                    outcome,
                    to_db(now),
                    next_question,
                    checkin_id,
                    to_db(sent_at) if sent_at is not None else None,
                ),
            )
            if row is None:
                await self._refuse(conn, checkin_id)
                return None
            user_id, project_id = row["user_id"], row["project_id"]
            answer = await first_row(
                conn,
                "INSERT INTO answers (checkin_id, kind, question_no, text, at, message_id)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (checkin_id, kind, question_no, text, to_db(now), message_id),
            )
            assert answer is not None
            problem_id = 0
            if problem is not None:
                problem_text, deadline = problem
                problem_id = await insert_problem(
                    conn, project_id, user_id, problem_text, deadline, now, checkin_id, announce
                )
            if files:
                owner = Owner(problem_id=problem_id) if problem_id else Owner(answer_id=answer[0])
                await insert_files(conn, owner, user_id, files, now)
            if used_input:
                await clear_pending(conn, user_id)
            return problem_id

        # The hot path of every answer and press: the whole transaction in one round trip.
        return await self._db.at_once(write)

    @staticmethod
    async def _refuse(conn: Tx, checkin_id: int) -> None:
        """Why an answer was not written: nothing to raise if its round has closed (or there is
        no such check-in), :class:`Denied` if the person no longer serves or the project is
        archived."""
        row = await first_row(
            conn,
            "SELECT r.project_id, r.status AS round_status, pr.status AS project_status,"
            " EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = r.project_id"
            "   AND m.user_id = c.user_id AND m.role = 'secretary' AND m.removed_at IS NULL)"
            " AS serves FROM checkins c JOIN rounds r ON r.id = c.round_id"
            " JOIN projects pr ON pr.id = r.project_id WHERE c.id = ?",
            (checkin_id,),
        )
        if row is None or row["round_status"] != "open":
            return
        if not row["serves"]:
            raise Denied("not_member", row["project_id"])
        raise Denied("archived", row["project_id"])

    async def answers(self, checkin_id: int) -> list[tuple[str, int | None, str | None, datetime]]:
        rows = await self._db.fetchall(
            "SELECT kind, question_no, text, at FROM answers WHERE checkin_id = ? ORDER BY id",
            (checkin_id,),
        )
        return [(r["kind"], r["question_no"], r["text"], from_db(r["at"])) for r in rows]
