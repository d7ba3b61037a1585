"""The problem ledger (帮办台帐): problems, their history, and escalations."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.access import Access, Denied, Need
from storage.attachments import IncomingFile, Owner, insert_files
from storage.db import Database, Tx, first_row, from_db, insert_id, to_db
from storage.events import append_event
from storage.handovers import reset_done
from storage.outbox import OutgoingMessage, enqueue
from storage.pending import clear_pending
from storage.problem_rows import (
    PROBLEM_SELECT,
    OpenProblem,
    Problem,
    ProblemEvent,
    problem_from_row,
)

# The messages that announce a new problem, given its id (queued in its transaction).
Announce = Callable[[int], Sequence[OutgoingMessage]]


async def insert_problem(
    conn: Tx,
    project_id: int,
    reporter_id: int,
    text: str,
    deadline: datetime,
    now: datetime,
    checkin_id: int | None = None,
    announce: Announce | None = None,
) -> int:
    """Add a problem and its 'reported' event inside the caller's transaction, and queue the
    messages that ``announce`` makes for it (its leaders hear of it at once)."""
    problem_id = await insert_id(
        conn,
        "INSERT INTO problems (project_id, reporter_id, checkin_id, text, created_at, deadline)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (project_id, reporter_id, checkin_id, text, to_db(now), to_db(deadline)),
    )
    assert problem_id is not None
    await append_event(
        conn,
        now,
        reporter_id,
        "problem.reported",
        project_id,
        problem_id,
        deadline=to_db(deadline),
        checkin_id=checkin_id,
    )
    if announce is not None:
        await enqueue(conn, announce(problem_id), now)
    return problem_id


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a problem. Unset fields stay as they are.

    ``only_if`` lists the statuses the problem must have for the change to apply, which makes
    a stale or repeated button press a no-op instead of a second change. ``roles`` are the
    roles on the problem's project that may make the change.
    """

    kind: str
    only_if: tuple[str, ...]
    roles: frozenset[str]  # who may make it, checked in its transaction
    status: str | None = None
    deadline: datetime | None = None
    assignee: str | None = None
    text: str | None = None
    coordination: str | None = None
    proposal: str | None = None
    # An extension counts against ``extension_limit`` (when set) unless an admin makes it.
    extension: bool = False
    extension_limit: int | None = None


class ProblemRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def create(
        self,
        need: Need,
        text: str,
        deadline: datetime,
        now: datetime,
        repeat_window: timedelta,
        files: Sequence[IncomingFile] = (),
        announce: Announce | None = None,
    ) -> tuple[int, bool]:
        """Record a problem reported by ``need.user_id``; (id, True if new).

        The same text from the same person in the same project, unresolved and reported within
        ``repeat_window``, is the earlier problem: a retry after a lost reply records nothing.
        """
        assert need.project_id is not None
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await clear_pending(conn, need.user_id)
            same = await first_row(
                conn,
                "SELECT id FROM problems WHERE project_id = ? AND reporter_id = ? AND text = ?"
                " AND status IN ('open', 'in_progress') AND created_at >= ?"
                " ORDER BY id DESC LIMIT 1",
                (need.project_id, need.user_id, text, to_db(now - repeat_window)),
            )
            if same is not None:
                problem_id, new = int(same["id"]), False
            else:
                problem_id, new = (
                    await insert_problem(
                        conn, need.project_id, need.user_id, text, deadline, now, None, announce
                    ),
                    True,
                )
            await insert_files(conn, Owner(problem_id=problem_id), need.user_id, files, now)
            return problem_id, new

    async def get(self, problem_id: int) -> Problem | None:
        row = await self._db.fetchone(PROBLEM_SELECT + " WHERE pb.id = ?", (problem_id,))
        return problem_from_row(row) if row else None

    async def open_for_project(self, project_id: int) -> list[OpenProblem]:
        rows = await self._db.fetchall(
            "SELECT id, text, deadline, status FROM problems"
            " WHERE project_id = ? AND status IN ('open', 'in_progress') ORDER BY deadline, id",
            (project_id,),
        )
        return [OpenProblem(r["id"], r["text"], from_db(r["deadline"]), r["status"]) for r in rows]

    async def open_in_open_rounds(self) -> dict[int, list[OpenProblem]]:
        """The unresolved problems of every project with an open round, in one query."""
        rows = await self._db.fetchall(
            "SELECT project_id, id, text, deadline, status FROM problems"
            " WHERE status IN ('open', 'in_progress') AND project_id IN"
            " (SELECT project_id FROM rounds WHERE status = 'open')"
            " ORDER BY project_id, deadline, id"
        )
        found: dict[int, list[OpenProblem]] = {}
        for r in rows:
            problem = OpenProblem(r["id"], r["text"], from_db(r["deadline"]), r["status"])
            found.setdefault(r["project_id"], []).append(problem)
        return found

    async def unresolved(
        self, project_ids: Sequence[int] | None, *, active_only: bool = False
    ) -> list[Problem]:
        """Problems not crossed off (open, in progress, awaiting confirmation), earliest deadline
        first; None means every project (``active_only``: except archived ones)."""
        sql = PROBLEM_SELECT + " WHERE pb.status IN ('open', 'in_progress', 'awaiting')"
        if active_only:
            sql += " AND pr.status = 'active'"
        params: list[Any] = []
        if project_ids is not None:
            if not project_ids:
                return []
            sql += f" AND pb.project_id IN ({','.join('?' * len(project_ids))})"
            params = list(project_ids)
        rows = await self._db.fetchall(sql + " ORDER BY pb.deadline, pb.id", params)
        return [problem_from_row(row) for row in rows]

    async def handed_to(self, department_ids: Sequence[int]) -> list[Problem]:
        """Problems not crossed off that are handed to any of these departments now."""
        if not department_ids:
            return []
        marks = ",".join("?" * len(department_ids))
        rows = await self._db.fetchall(
            PROBLEM_SELECT + " WHERE pb.status IN ('open', 'in_progress', 'awaiting')"
            " AND pb.id IN (SELECT problem_id FROM handovers WHERE status IN"
            f" ('handed', 'signed', 'done') AND department_id IN ({marks}))"
            " ORDER BY pb.deadline, pb.id",
            list(department_ids),
        )
        return [problem_from_row(row) for row in rows]

    async def history(self, problem_id: int) -> list[ProblemEvent]:
        rows = await self._db.fetchall(
            "SELECT e.at, e.actor_id, e.kind, e.detail, p.display_name FROM events e"
            " LEFT JOIN people p ON p.user_id = e.actor_id"
            " WHERE e.subject_id = ? AND e.kind LIKE 'problem.%' ORDER BY e.id",
            (problem_id,),
        )
        return [
            ProblemEvent(
                from_db(r["at"]),
                r["actor_id"],
                r["display_name"],
                r["kind"],
                json.loads(r["detail"]),
            )
            for r in rows
        ]

    async def apply(
        self,
        problem_id: int,
        change: Change,
        actor_id: int,
        now: datetime,
        notices: Sequence[OutgoingMessage] = (),
        *,
        used_input: bool = False,
        files: Sequence[IncomingFile] = (),
        **detail: Any,
    ) -> bool:
        """Apply a change, record it in the history and queue ``notices``, all or nothing;
        ``files`` (sent with a note) are attached to the problem and the change.

        False (and nothing written) when the problem's status is not in ``change.only_if``;
        :class:`Denied` when the actor may not make it (checked in the same transaction).
        ``used_input`` uses up what the bot waited for from the actor.
        """
        async with self._db.write() as conn:
            row = await first_row(
                conn,
                "SELECT project_id, status, deadline, extensions FROM problems WHERE id = ?",
                (problem_id,),
            )
            if row is None:
                return False
            await self._access.require(
                conn, Need(actor_id, change.roles, row["project_id"], problem_id=problem_id)
            )
            if used_input:
                await clear_pending(conn, actor_id)
            if row["status"] not in change.only_if:
                return False
            sets: list[str] = []
            params: list[Any] = []
            if change.status is not None:
                sets.append("status = ?")
                params.append(change.status)
                detail.update(old_status=row["status"], new_status=change.status)
                if change.status == "resolved":
                    sets += ["resolved_at = ?", "resolved_by = ?"]
                    params += [to_db(now), actor_id]
                elif row["status"] == "resolved":
                    sets += ["resolved_at = NULL", "resolved_by = NULL"]
                if change.status == "awaiting":
                    sets += ["claimed_by = ?", "claimed_at = ?"]
                    params += [actor_id, to_db(now)]
                elif row["status"] == "awaiting" and change.status != "resolved":
                    sets += ["claimed_by = NULL", "claimed_at = NULL"]
            if change.extension:
                limit = change.extension_limit
                if (
                    limit is not None
                    and row["extensions"] >= limit
                    and not await self._access.is_admin(conn, actor_id)
                ):
                    raise Denied("extension_limit", row["project_id"])
                sets.append("extensions = extensions + 1")
                detail.update(count=row["extensions"] + 1)
            if change.deadline is not None:
                sets.append("deadline = ?")
                params.append(to_db(change.deadline))
                detail.update(old_deadline=row["deadline"], new_deadline=to_db(change.deadline))
            if change.assignee is not None:
                sets.append("assignee = ?")
                params.append(change.assignee)
                detail.update(assignee=change.assignee)
            for column in ("coordination", "proposal"):
                value = getattr(change, column)
                if value is not None:
                    sets.append(f"{column} = ?")
                    params.append(value)
                    detail.update(text=value)
            if change.text is not None:
                detail.update(text=change.text)
            if sets:
                await conn.execute(
                    f"UPDATE problems SET {', '.join(sets)} WHERE id = ?", (*params, problem_id)
                )
            if row["status"] in ("awaiting", "resolved") and change.status == "open":
                await reset_done(conn, problem_id)
            event_id = await append_event(
                conn,
                now,
                actor_id,
                f"problem.{change.kind}",
                row["project_id"],
                problem_id,
                **detail,
            )
            owner = Owner(problem_id=problem_id, event_id=event_id)
            await insert_files(conn, owner, actor_id, files, now)
            await enqueue(conn, notices, now)
            return True

    # --- project default ----------------------------------------------------------------------

    async def deadline_default(self, project_id: int) -> timedelta | None:
        row = await self._db.fetchone(
            "SELECT deadline_default_seconds FROM projects WHERE id = ?", (project_id,)
        )
        seconds = row["deadline_default_seconds"] if row else None
        return timedelta(seconds=seconds) if seconds else None

    async def set_deadline_default(self, need: Need, value: timedelta, now: datetime) -> None:
        project_id, actor_id = need.project_id, need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute(
                "UPDATE projects SET deadline_default_seconds = ? WHERE id = ?",
                (int(value.total_seconds()), project_id),
            )
            await append_event(
                conn,
                now,
                actor_id,
                "project.deadline_default",
                project_id,
                seconds=int(value.total_seconds()),
            )
