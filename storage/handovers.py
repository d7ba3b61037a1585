"""Problems handed to departments (交办): signing (签收), handing back, finishing (办结), and
the reminders and escalations that chase a late department, each recorded once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from storage.access import DEPT, Access, Need
from storage.db import Database, Tx, first_row, from_db, insert_id, opt_from_db, to_db
from storage.events import append_event
from storage.outbox import OutgoingMessage, enqueue


@dataclass(frozen=True, slots=True)
class Handover:
    id: int
    problem_id: int
    department_id: int
    department_name: str
    project_id: int
    project_timezone: str
    lead: bool
    status: str
    handed_at: datetime
    handed_by: int
    deadline: datetime
    sign_due: datetime
    signed_at: datetime | None
    signed_by: int | None
    signed_by_name: str | None
    done_at: datetime | None
    reason: str | None
    problem_status: str = "open"


_SELECT = """
    SELECT h.*, d.name AS department_name, pb.project_id, pr.timezone AS project_timezone,
           pb.status AS problem_status, sp.display_name AS signed_by_name
    FROM handovers h
    JOIN departments d ON d.id = h.department_id
    JOIN problems pb ON pb.id = h.problem_id
    JOIN projects pr ON pr.id = pb.project_id
    LEFT JOIN people sp ON sp.user_id = h.signed_by
"""


def _handover(row: aiosqlite.Row) -> Handover:
    return Handover(
        id=row["id"],
        problem_id=row["problem_id"],
        department_id=row["department_id"],
        department_name=row["department_name"],
        project_id=row["project_id"],
        project_timezone=row["project_timezone"],
        lead=bool(row["lead"]),
        status=row["status"],
        handed_at=from_db(row["handed_at"]),
        handed_by=row["handed_by"],
        deadline=from_db(row["deadline"]),
        sign_due=from_db(row["sign_due"]),
        signed_at=opt_from_db(row["signed_at"]),
        signed_by=row["signed_by"],
        signed_by_name=row["signed_by_name"],
        done_at=opt_from_db(row["done_at"]),
        reason=row["reason"],
        problem_status=row["problem_status"],
    )


@dataclass(frozen=True, slots=True)
class NewHandover:
    department_id: int
    department_name: str
    deadline: datetime
    sign_due: datetime


# The cards telling a department of a handover, given it, its id and whether it leads.
HandoverCards = Callable[[NewHandover, int, bool], Sequence[OutgoingMessage]]


class HandoverRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def get(self, handover_id: int) -> Handover | None:
        row = await self._db.fetchone(_SELECT + " WHERE h.id = ?", (handover_id,))
        return _handover(row) if row else None

    async def of_problem(self, problem_id: int, *, live_only: bool = True) -> list[Handover]:
        sql = _SELECT + " WHERE h.problem_id = ?"
        if live_only:
            sql += " AND h.status IN ('handed', 'signed', 'done')"
        rows = await self._db.fetchall(sql + " ORDER BY h.lead DESC, h.id", (problem_id,))
        return [_handover(r) for r in rows]

    async def of_department(self, department_id: int) -> list[Handover]:
        """What the department holds now: handed, signed, or done awaiting confirmation."""
        rows = await self._db.fetchall(
            _SELECT + " WHERE h.department_id = ? AND h.status IN ('handed', 'signed', 'done')"
            " AND pb.status <> 'resolved' ORDER BY h.deadline, h.id",
            (department_id,),
        )
        return [_handover(r) for r in rows]

    async def between(self, since: datetime, until: datetime) -> list[Handover]:
        """Every handover made before ``until`` that was still live at ``since`` or later (for
        the figures of a period)."""
        rows = await self._db.fetchall(
            _SELECT + " WHERE h.handed_at < ? AND (h.status IN ('handed', 'signed')"
            " OR h.done_at >= ? OR h.closed_at >= ? OR h.handed_at >= ?) ORDER BY h.id",
            (to_db(until), to_db(since), to_db(since), to_db(since)),
        )
        return [_handover(r) for r in rows]

    async def hand(
        self,
        need: Need,
        problem_id: int,
        departments: Sequence[NewHandover],
        now: datetime,
        cards: HandoverCards,
        notices: Sequence[OutgoingMessage] = (),
    ) -> list[int]:
        """Hand the problem to ``departments`` (the first leads, unless one already does) and
        queue each new handover's ``cards`` (made from its id, whether it leads); a department
        already holding the problem is skipped. Ids of the new handovers."""
        created: list[int] = []
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            problem = await first_row(
                conn, "SELECT status FROM problems WHERE id = ?", (problem_id,)
            )
            if problem is None or problem["status"] == "resolved":
                return []
            led = await first_row(
                conn,
                "SELECT 1 FROM handovers WHERE problem_id = ? AND lead = 1"
                " AND status IN ('handed', 'signed', 'done')",
                (problem_id,),
            )
            lead = led is None
            for new in departments:
                active = await first_row(
                    conn, "SELECT status FROM departments WHERE id = ?", (new.department_id,)
                )
                if active is None or active["status"] != "active":
                    continue
                held = await first_row(
                    conn,
                    "SELECT 1 FROM handovers WHERE problem_id = ? AND department_id = ?"
                    " AND status IN ('handed', 'signed', 'done')",
                    (problem_id, new.department_id),
                )
                if held is not None:
                    continue
                handover_id = await insert_id(
                    conn,
                    "INSERT INTO handovers (problem_id, department_id, lead, status, handed_at,"
                    " handed_by, deadline, sign_due) VALUES (?, ?, ?, 'handed', ?, ?, ?, ?)",
                    (
                        problem_id,
                        new.department_id,
                        1 if lead else 0,
                        to_db(now),
                        need.user_id,
                        to_db(new.deadline),
                        to_db(new.sign_due),
                    ),
                )
                assert handover_id is not None
                await append_event(
                    conn,
                    now,
                    need.user_id,
                    "problem.handed",
                    need.project_id,
                    problem_id,
                    department=new.department_name,
                    department_id=new.department_id,
                    lead=lead,
                    deadline=to_db(new.deadline),
                )
                created.append(handover_id)
                await enqueue(conn, cards(new, handover_id, lead), now)
                lead = False
            if created:
                await enqueue(conn, notices, now)
        return created

    async def _require_department(self, conn: Tx, actor_id: int, handover: Handover) -> None:
        await self._access.require(
            conn, Need(actor_id, DEPT, handover.project_id, department_id=handover.department_id)
        )

    async def change(
        self,
        handover: Handover,
        actor_id: int,
        kind: str,
        only_if: tuple[str, ...],
        now: datetime,
        notices: Sequence[OutgoingMessage] = (),
        *,
        office: bool = False,
        text: str | None = None,
        claim: bool = False,
    ) -> bool:
        """Move a handover on (``kind``: signed, returned, done, recalled), recorded in the
        problem's history with ``notices``; False (nothing written) unless its status is in
        ``only_if``. The actor must serve the department (or, with ``office``, be an admin),
        checked in the transaction. With ``claim``, a department's 办结 of the item it leads
        makes the problem await confirmation (销号 after a leader confirms)."""
        async with self._db.write() as conn:
            if office:
                await self._access.require(
                    conn, Need(actor_id, frozenset({"admin"}), handover.project_id, active=False)
                )
            else:
                await self._require_department(conn, actor_id, handover)
            sets = "status = ?"
            params: list[Any] = [kind]  # the kind of change names the status it leads to
            if kind == "signed":
                sets += ", signed_at = ?, signed_by = ?"
                params += [to_db(now), actor_id]
            elif kind == "done":
                sets += ", done_at = ?, done_by = ?, reason = ?"
                params += [to_db(now), actor_id, text]
            else:
                sets += ", closed_at = ?, reason = ?"
                params += [to_db(now), text]
            marks = ",".join("?" * len(only_if))
            cursor = await conn.execute(
                f"UPDATE handovers SET {sets} WHERE id = ? AND status IN ({marks})",
                (*params, handover.id, *only_if),
            )
            if cursor.rowcount == 0:
                return False
            detail: dict[str, Any] = {
                "department": handover.department_name,
                "department_id": handover.department_id,
            }
            if text:
                detail["text"] = text
            if claim:
                claimed = await conn.execute(
                    "UPDATE problems SET status = 'awaiting', claimed_by = ?, claimed_at = ?"
                    " WHERE id = ? AND status IN ('open', 'in_progress')",
                    (actor_id, to_db(now), handover.problem_id),
                )
                if claimed.rowcount:
                    detail.update(old_status=handover.problem_status, new_status="awaiting")
            await append_event(
                conn,
                now,
                actor_id,
                f"problem.dept_{kind}",
                handover.project_id,
                handover.problem_id,
                **detail,
            )
            await enqueue(conn, notices, now)
            return True

    # --- chasing ------------------------------------------------------------------------------

    async def due_sign(self, now: datetime) -> list[Handover]:
        """Handed, not signed by their signing time, not yet reminded."""
        rows = await self._db.fetchall(
            _SELECT + " WHERE h.status = 'handed' AND h.sign_due <= ?"
            " AND d.status = 'active' AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'sign' AND c.deadline = h.sign_due) ORDER BY h.sign_due, h.id",
            (to_db(now),),
        )
        return [_handover(r) for r in rows]

    async def due_level1(self, now: datetime) -> list[Handover]:
        """Not done by the department's time limit, problem not crossed off or claimed."""
        rows = await self._db.fetchall(
            _SELECT + " WHERE h.status IN ('handed', 'signed') AND h.deadline <= ?"
            " AND pb.status IN ('open', 'in_progress') AND d.status = 'active'"
            " AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'level1' AND c.deadline = h.deadline) ORDER BY h.deadline, h.id",
            (to_db(now),),
        )
        return [_handover(r) for r in rows]

    async def due_level2(self, now: datetime, after: timedelta) -> list[Handover]:
        rows = await self._db.fetchall(
            _SELECT + " JOIN handover_chases c1 ON c1.handover_id = h.id AND c1.kind = 'level1'"
            "   AND c1.deadline = h.deadline"
            " WHERE h.status IN ('handed', 'signed') AND c1.created_at <= ?"
            " AND pb.status IN ('open', 'in_progress') AND d.status = 'active'"
            " AND pr.status = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'level2' AND c.deadline = h.deadline) ORDER BY h.deadline, h.id",
            (to_db(now - after),),
        )
        return [_handover(r) for r in rows]

    async def next_due(self, after: timedelta) -> datetime | None:
        """When the next reminder or escalation of a department falls due."""
        times: list[datetime] = []
        for sql in (
            "SELECT min(h.sign_due) AS at FROM handovers h WHERE h.status = 'handed'"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'sign' AND c.deadline = h.sign_due)",
            "SELECT min(h.deadline) AS at FROM handovers h WHERE h.status IN ('handed', 'signed')"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'level1' AND c.deadline = h.deadline)",
            "SELECT min(c1.created_at) AS at FROM handover_chases c1"
            " JOIN handovers h ON h.id = c1.handover_id AND h.deadline = c1.deadline"
            " WHERE c1.kind = 'level1' AND h.status IN ('handed', 'signed')"
            " AND NOT EXISTS (SELECT 1 FROM handover_chases c WHERE c.handover_id = h.id"
            "   AND c.kind = 'level2' AND c.deadline = h.deadline)",
        ):
            row = await self._db.fetchone(sql)
            if row is not None and row["at"] is not None:
                at = from_db(row["at"])
                times.append(at + after if "c1.created_at" in sql else at)
        return min(times, default=None)

    async def chase(
        self,
        handover: Handover,
        kind: str,
        messages: Sequence[OutgoingMessage],
        now: datetime,
        recipients: str,
    ) -> bool:
        """Record one reminder or escalation with its cards, once per kind and time limit, and
        only while the handover is as it was read."""
        deadline = handover.sign_due if kind == "sign" else handover.deadline
        statuses = "('handed')" if kind == "sign" else "('handed', 'signed')"
        column = "sign_due" if kind == "sign" else "deadline"
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO handover_chases (handover_id, kind, deadline, created_at)"
                " SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT)"
                " WHERE EXISTS (SELECT 1 FROM handovers h WHERE h.id = ?"
                f"   AND h.status IN {statuses} AND h.{column} = ?) ON CONFLICT DO NOTHING",
                (handover.id, kind, to_db(deadline), to_db(now), handover.id, to_db(deadline)),
            )
            if cursor.rowcount == 0:
                return False
            await enqueue(conn, messages, now)
            await append_event(
                conn,
                now,
                None,
                "problem.dept_chased",
                handover.project_id,
                handover.problem_id,
                department=handover.department_name,
                department_id=handover.department_id,
                chase=kind,
                recipients=recipients,
            )
            return True


async def reset_done(conn: Tx, problem_id: int) -> None:
    """A crossing-off sent back (退回重办) goes back to the department that finished it."""
    await conn.execute(
        "UPDATE handovers SET status = 'signed', done_at = NULL, done_by = NULL"
        " WHERE problem_id = ? AND status = 'done'",
        (problem_id,),
    )
