"""Round summaries: what each secretary answered in a closed round, sent to its leaders (or
group) once, caught up after a restart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, to_db
from storage.events import append_event
from storage.outbox import OutgoingMessage, enqueue
from storage.rounds import RoundRow, round_from_row

SUMMARY_TARGETS = ("leaders", "group", "both", "off")


@dataclass(frozen=True, slots=True)
class RoundAnswer:
    id: int
    checkin_id: int
    kind: str
    question_no: int | None
    text: str | None
    attachments: int


@dataclass(frozen=True, slots=True)
class RaisedProblem:
    id: int
    text: str
    reporter_id: int


@dataclass(frozen=True, slots=True)
class AnswerLine:
    """One check-in read back: the day, who, how it ended, and an answer of it (if any)."""

    local_date: date
    checkin_id: int
    user_id: int
    display_name: str
    username: str | None
    status: str
    outcome: str | None
    answer_id: int | None
    kind: str | None
    text: str | None
    attachments: int
    label: str | None = None  # the question it answers (形象进度), for a project's own questions


def _round_of(message: OutgoingMessage) -> int:
    """The round a summary message belongs to (its key is ``summary:<round>:...``)."""
    return int(message.key.split(":")[1])


class SummaryRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def unsummarized(
        self, settled: datetime, late: timedelta, limit: int = 200
    ) -> list[tuple[RoundRow, str]]:
        """Closed secretaries' rounds whose summary is not queued yet, with where it goes. A
        round closed more than ``late`` after its window ended (the bot was down then) waits
        until it was closed by ``settled``: the messages Telegram held meanwhile count first."""
        rows = await self._db.fetchall(
            # Without INDEXED BY the planner takes rounds_open (status = 'closed': nearly every
            # round ever), so the quiet sweep grew with history; the partial index holds only
            # the rounds still waiting for their summary.
            "SELECT r.*, p.summary_to FROM rounds r INDEXED BY rounds_unsummarized"
            " JOIN projects p ON p.id = r.project_id"
            " WHERE r.summarized_at IS NULL AND r.status = 'closed'"
            " AND (r.closed_at IS NULL OR r.closed_at <= ?"
            "   OR (julianday(r.closed_at) - julianday(r.closes_at)) * 86400 <= ?)"
            " ORDER BY r.id LIMIT ?",
            (to_db(settled), late.total_seconds(), limit),
        )
        return [(round_from_row(row), str(row["summary_to"])) for row in rows]

    async def answers_of_rounds(self, round_ids: Sequence[int]) -> list[RoundAnswer]:
        """The answers of these rounds, in one query."""
        if not round_ids:
            return []
        rows = await self._db.fetchall(
            "SELECT a.id, a.checkin_id, a.kind, a.question_no, a.text,"
            " (SELECT count(*) FROM attachments f WHERE f.answer_id = a.id) AS files"
            " FROM answers a JOIN checkins c ON c.id = a.checkin_id"
            f" WHERE c.round_id IN ({','.join('?' * len(round_ids))}) ORDER BY a.id",
            list(round_ids),
        )
        return [
            RoundAnswer(
                r["id"], r["checkin_id"], r["kind"], r["question_no"], r["text"], r["files"]
            )
            for r in rows
        ]

    async def answers_of_checkin(self, checkin_id: int) -> list[tuple[RoundAnswer, datetime]]:
        rows = await self._db.fetchall(
            "SELECT a.id, a.checkin_id, a.kind, a.question_no, a.text, a.at,"
            " (SELECT count(*) FROM attachments f WHERE f.answer_id = a.id) AS files"
            " FROM answers a WHERE a.checkin_id = ? ORDER BY a.id",
            (checkin_id,),
        )
        return [
            (
                RoundAnswer(
                    r["id"], r["checkin_id"], r["kind"], r["question_no"], r["text"], r["files"]
                ),
                from_db(r["at"]),
            )
            for r in rows
        ]

    async def answer_lines(
        self,
        project_id: int,
        first: date,
        last: date,
        user_id: int | None,
        limit: int = 3000,
    ) -> list[AnswerLine]:
        """The secretaries' check-ins of a project between two days (of one person, if given),
        newest first, each with its text answers."""
        sql = (
            "SELECT r.local_date, c.id AS checkin_id, c.user_id, p.display_name, p.username,"
            " c.status, c.outcome, a.id AS answer_id, a.kind, a.text, q.text AS label,"
            " (SELECT count(*) FROM attachments f WHERE f.answer_id = a.id) AS files"
            " FROM rounds r JOIN checkins c ON c.round_id = r.id"
            " JOIN people p ON p.user_id = c.user_id"
            " LEFT JOIN answers a ON a.checkin_id = c.id AND a.kind IN ('progress', 'answer')"
            " LEFT JOIN questions q ON q.project_id = r.project_id AND q.position = a.question_no"
            " WHERE r.project_id = ? AND r.audience = 'secretary' AND r.status != 'skipped'"
            " AND r.local_date BETWEEN ? AND ? AND c.status != 'removed'"
        )
        params: list[object] = [project_id, first.isoformat(), last.isoformat()]
        if user_id is not None:
            sql += " AND c.user_id = ?"
            params.append(user_id)
        rows = await self._db.fetchall(
            sql + " ORDER BY r.local_date DESC, r.id DESC, c.id, a.id LIMIT ?", [*params, limit]
        )
        return [
            AnswerLine(
                date.fromisoformat(r["local_date"]),
                r["checkin_id"],
                r["user_id"],
                r["display_name"],
                r["username"],
                r["status"],
                r["outcome"],
                r["answer_id"],
                r["kind"],
                r["text"],
                r["files"],
                r["label"],
            )
            for r in rows
        ]

    async def problems_of_rounds(self, round_ids: Sequence[int]) -> dict[int, list[RaisedProblem]]:
        """The problems raised in these rounds, by round, in one query."""
        if not round_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT c.round_id, pb.id, pb.text, pb.reporter_id FROM problems pb"
            " JOIN checkins c ON c.id = pb.checkin_id"
            f" WHERE c.round_id IN ({','.join('?' * len(round_ids))}) ORDER BY pb.id",
            list(round_ids),
        )
        found: dict[int, list[RaisedProblem]] = {}
        for r in rows:
            found.setdefault(r["round_id"], []).append(
                RaisedProblem(r["id"], r["text"], r["reporter_id"])
            )
        return found

    async def mark_summarized(
        self, round_ids: Sequence[int], messages: Sequence[OutgoingMessage], now: datetime
    ) -> set[int]:
        """Queue the summaries and mark their rounds, in one transaction; rounds marked before
        (by a concurrent tick) are not queued again. Returns the rounds marked now."""
        if not round_ids:
            return set()
        async with self._db.write() as conn:
            marks = ",".join("?" * len(round_ids))
            fresh = {
                row[0]
                for row in await conn.execute_fetchall(
                    f"SELECT id FROM rounds WHERE id IN ({marks}) AND summarized_at IS NULL",
                    list(round_ids),
                )
            }
            await conn.execute(
                f"UPDATE rounds SET summarized_at = ? WHERE id IN ({marks})"
                " AND summarized_at IS NULL",
                [to_db(now), *round_ids],
            )
            await enqueue(conn, [m for m in messages if _round_of(m) in fresh], now)
            return fresh

    async def target(self, project_id: int) -> str:
        row = await self._db.fetchone("SELECT summary_to FROM projects WHERE id = ?", (project_id,))
        return str(row["summary_to"]) if row else "leaders"

    async def set_target(self, need: Need, target: str, now: datetime) -> None:
        assert target in SUMMARY_TARGETS
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            current = await first_row(
                conn, "SELECT summary_to FROM projects WHERE id = ?", (need.project_id,)
            )
            if current is not None and current["summary_to"] == target:
                return
            await conn.execute(
                "UPDATE projects SET summary_to = ? WHERE id = ?", (target, need.project_id)
            )
            await append_event(
                conn, now, need.user_id, "project.summary_to", need.project_id, target=target
            )
