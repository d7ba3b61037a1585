"""The weekly dispatch digest (每周调度) and its notice (通报): the week's figures, read in a
few aggregate queries, and the records that make each period's digest go out once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from storage.access import Access, Need
from storage.db import Database, first_row, from_db, to_db
from storage.events import append_event
from storage.models import official_name, person_label
from storage.notice_numbers import notice_number, numbered
from storage.outbox import OutgoingMessage, enqueue


@dataclass(slots=True)
class ProjectWeek:
    """One project's week."""

    project_id: int
    name: str
    answered: int = 0
    expected: int = 0  # check-ins that were due, leave excluded
    missed: dict[str, int] = field(default_factory=dict)  # secretary → times
    contacts: int = 0  # leaders' weekly prompts answered
    contacts_expected: int = 0
    contact_missed: list[str] = field(default_factory=list)
    new: int = 0
    resolved: int = 0
    overdue: int = 0
    extensions: int = 0
    extended: dict[int, int] = field(default_factory=dict)  # problem → times extended
    oldest_overdue: tuple[int, str, datetime] | None = None  # id, text, deadline
    leaders: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)  # supporting (帮扶部门)
    # How the notice names people: label (with @handle) → unit, title and name.
    official: dict[str, str] = field(default_factory=dict)
    leaders_official: list[str] = field(default_factory=list)
    overdue_items: list[tuple[int, str, datetime]] = field(default_factory=list)  # all of them
    stage: str | None = None
    milestones_on_time: int = 0  # of those due by the period's last day (形象进度)
    milestones_due: int = 0
    milestones_behind: list[tuple[str, date]] = field(default_factory=list)  # undone, past due
    investment_year: int | None = None  # completed this year to the period's month, yuan
    investment_plan: int | None = None  # this year's plan, yuan
    explained: list[str] = field(default_factory=list)  # 说明原因 given in the period

    @property
    def rate(self) -> float | None:
        return self.answered / self.expected if self.expected else None


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    period: str
    status: str
    payload: list[OutgoingMessage]
    number: str | None = None  # 〔2027〕第3期, once published


def _in(column: str, ids: Sequence[int] | None) -> str:
    return "" if ids is None else f" AND {column} IN ({','.join('?' * len(ids)) or 'NULL'})"


class DigestRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def week(
        self,
        first: date,
        last: date,
        start: datetime,
        end: datetime,
        project_ids: Sequence[int] | None,
        *,
        scheduled_globally: bool = False,
        overdue_at: datetime | None = None,
    ) -> list[ProjectWeek]:
        """The figures of active projects (these, or all; with ``scheduled_globally`` only
        those without a digest slot of their own) for the days ``first``..``last``, whose
        moments are ``start`` (inclusive) to ``end`` (exclusive). Problems still open count
        as overdue if due by ``overdue_at`` (default ``end``; earlier for a period not over)."""
        ids = list(project_ids) if project_ids is not None else []
        # Projects created after the period have nothing to report in it.
        projects = await self._db.fetchall(
            "SELECT id, name FROM projects WHERE status = 'active' AND created_at < ?"
            + (" AND digest IS NULL" if scheduled_globally else "")
            + _in("id", project_ids)
            + " ORDER BY id",
            [to_db(end), *ids],
        )
        weeks = {r["id"]: ProjectWeek(r["id"], r["name"]) for r in projects}
        if not weeks:
            return []
        checkins = await self._db.fetchall(
            "SELECT r.project_id, r.audience, c.status, p.display_name, p.username, p.unit,"
            " p.title"
            " FROM rounds r JOIN checkins c ON c.round_id = r.id"
            " JOIN people p ON p.user_id = c.user_id"
            " WHERE r.status != 'skipped' AND r.local_date BETWEEN ? AND ?"
            " AND c.status IN ('answered', 'missed')" + _in("r.project_id", project_ids),
            [first.isoformat(), last.isoformat(), *ids],
        )
        for row in checkins:
            week = weeks.get(row["project_id"])
            if week is None:
                continue
            who = person_label(row["display_name"], row["username"])
            week.official[who] = official_name(row["display_name"], row["unit"], row["title"])
            if row["audience"] == "leader":
                week.contacts_expected += 1
                week.contacts += row["status"] == "answered"
                if row["status"] == "missed":
                    week.contact_missed.append(who)
            else:
                week.expected += 1
                week.answered += row["status"] == "answered"
                if row["status"] == "missed":
                    week.missed[who] = week.missed.get(who, 0) + 1
        span = {"s": to_db(start), "e": to_db(end), "o": to_db(overdue_at or end)}
        problems = await self._db.fetchall(
            "SELECT project_id,"
            " sum(CASE WHEN created_at >= :s AND created_at < :e THEN 1 ELSE 0 END) AS new,"
            " sum(CASE WHEN resolved_at >= :s AND resolved_at < :e THEN 1 ELSE 0 END)"
            " AS resolved, sum(CASE WHEN status IN ('open', 'in_progress') AND deadline <= :o"
            " THEN 1 ELSE 0 END) AS overdue"
            " FROM problems GROUP BY project_id",
            span,
        )
        for row in problems:
            if (week := weeks.get(row["project_id"])) is not None:
                week.new, week.resolved = int(row["new"] or 0), int(row["resolved"] or 0)
                week.overdue = int(row["overdue"] or 0)
        extensions = await self._db.fetchall(
            "SELECT project_id, subject_id, count(*) AS times FROM events"
            " WHERE kind = 'problem.extended' AND at >= :s AND at < :e"
            " GROUP BY project_id, subject_id",
            span,
        )
        for row in extensions:
            if (week := weeks.get(row["project_id"])) is not None:
                week.extended[row["subject_id"]] = row["times"]
                week.extensions += row["times"]
        overdue = await self._db.fetchall(
            "SELECT project_id, id, text, deadline FROM problems"
            " WHERE status IN ('open', 'in_progress') AND deadline <= :o ORDER BY deadline, id",
            span,
        )
        for row in overdue:
            week = weeks.get(row["project_id"])
            if week is not None:
                week.overdue_items.append((row["id"], row["text"], from_db(row["deadline"])))
            if week is not None and week.oldest_overdue is None:
                week.oldest_overdue = (row["id"], row["text"], from_db(row["deadline"]))
        leaders = await self._db.fetchall(
            "SELECT m.project_id, p.display_name, p.unit, p.title FROM memberships m"
            " JOIN people p ON p.user_id = m.user_id"
            " WHERE m.role = 'leader' AND m.removed_at IS NULL ORDER BY m.id"
        )
        for row in leaders:
            if (week := weeks.get(row["project_id"])) is not None:
                week.leaders.append(row["display_name"])
                week.leaders_official.append(
                    official_name(row["display_name"], row["unit"], row["title"])
                )
        supporting = await self._db.fetchall(
            "SELECT pd.project_id, d.name FROM project_departments pd"
            " JOIN departments d ON d.id = pd.department_id ORDER BY pd.added_at, d.id"
        )
        for row in supporting:
            if (week := weeks.get(row["project_id"])) is not None:
                week.departments.append(row["name"])
        await self._plans(weeks, last, start, end)
        return list(weeks.values())

    async def _plans(
        self, weeks: dict[int, ProjectWeek], last: date, start: datetime, end: datetime
    ) -> None:
        """Each project's stage, 形象进度 and milestones behind as at ``last``, investment
        completed this year, and the explanations given in the period."""
        ids = list(weeks)
        marks = ",".join("?" * len(ids))
        for row in await self._db.fetchall(
            f"SELECT project_id, stage, year_investment FROM project_plans"
            f" WHERE project_id IN ({marks})",
            ids,
        ):
            week = weeks[row["project_id"]]
            week.stage, week.investment_plan = row["stage"], row["year_investment"]
        for row in await self._db.fetchall(
            "SELECT project_id, name, planned_on, done_on FROM milestones"
            f" WHERE removed_at IS NULL AND planned_on <= ? AND project_id IN ({marks})"
            " ORDER BY planned_on, id",
            [last.isoformat(), *ids],
        ):
            week = weeks[row["project_id"]]
            planned = date.fromisoformat(row["planned_on"])
            done = date.fromisoformat(row["done_on"]) if row["done_on"] else None
            week.milestones_due += 1
            if done is not None and done <= planned:
                week.milestones_on_time += 1
            if (done is None or done > last) and planned < last:
                week.milestones_behind.append((row["name"], planned))
        for row in await self._db.fetchall(
            "SELECT project_id, sum(amount) AS total FROM investments"
            f" WHERE month >= ? AND month <= ? AND project_id IN ({marks}) GROUP BY project_id",
            [f"{last.year}-01", f"{last:%Y-%m}", *ids],
        ):
            weeks[row["project_id"]].investment_year = int(row["total"])
        for row in await self._db.fetchall(
            "SELECT project_id, text FROM explanations WHERE answered_at >= ?"
            f" AND answered_at < ? AND project_id IN ({marks}) ORDER BY answered_at",
            [to_db(start), to_db(end), *ids],
        ):
            weeks[row["project_id"]].explained.append(row["text"])

    async def open_at(self, moment: datetime, project_ids: Sequence[int] | None) -> int:
        """Problems reported before ``moment`` and not crossed off by then."""
        ids = list(project_ids) if project_ids is not None else []
        row = await self._db.fetchone(
            "SELECT count(*) AS n FROM problems WHERE created_at < ?"
            " AND (resolved_at IS NULL OR resolved_at >= ?)" + _in("project_id", project_ids),
            [to_db(moment), to_db(moment), *ids],
        )
        return int(row["n"]) if row else 0

    async def resolutions(
        self, start: datetime, end: datetime, project_ids: Sequence[int] | None
    ) -> dict[int, list[tuple[datetime, datetime, datetime]]]:
        """Problems crossed off between ``start`` and ``end``, by project: (reported,
        crossed off, deadline)."""
        ids = list(project_ids) if project_ids is not None else []
        rows = await self._db.fetchall(
            "SELECT project_id, created_at, resolved_at, deadline FROM problems"
            " WHERE status = 'resolved' AND resolved_at >= ? AND resolved_at < ?"
            + _in("project_id", project_ids),
            [to_db(start), to_db(end), *ids],
        )
        found: dict[int, list[tuple[datetime, datetime, datetime]]] = {}
        for row in rows:
            found.setdefault(row["project_id"], []).append(
                (from_db(row["created_at"]), from_db(row["resolved_at"]), from_db(row["deadline"]))
            )
        return found

    async def own_slots(self) -> list[tuple[int, str, str]]:
        """Active projects with a digest slot of their own: (id, slot, time zone)."""
        rows = await self._db.fetchall(
            "SELECT id, digest, timezone FROM projects WHERE status = 'active'"
            " AND digest IS NOT NULL AND digest != 'off' ORDER BY id"
        )
        return [(row["id"], row["digest"], row["timezone"]) for row in rows]

    async def set_slot(self, need: Need, slot: str | None, now: datetime) -> None:
        """A project's own digest slot ('fri 17:00'), 'off', or None (the global one)."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute(
                "UPDATE projects SET digest = ? WHERE id = ?", (slot, need.project_id)
            )
            await append_event(
                conn, now, need.user_id, "project.digest", need.project_id, slot=slot
            )

    async def sent(self, period: str) -> bool:
        row = await self._db.fetchone("SELECT 1 FROM digests WHERE period = ?", (period,))
        return row is not None

    async def record(
        self,
        period: str,
        messages: Sequence[OutgoingMessage],
        notice: Sequence[OutgoingMessage],
        drafts: Sequence[OutgoingMessage],
        now: datetime,
    ) -> int | None:
        """Record the period's digest and queue ``messages``, once. ``notice`` is what
        publishing the notice posts: kept as a draft (``drafts`` go to the admins, their
        buttons naming the notice) or, without drafts, queued at once. Returns the notice id
        (None if the period was recorded before, or there is no notice)."""
        async with self._db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO digests (period, sent_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (period, to_db(now)),
            )
            if cursor.rowcount == 0:
                return None
            await enqueue(conn, messages, now)
            if not notice:
                return None
            status = "draft" if drafts else "published"
            payload = json.dumps([_message_json(m) for m in notice], ensure_ascii=False)
            row = await first_row(
                conn,
                "INSERT INTO notices (period, status, payload, created_at) VALUES (?, ?, ?, ?)"
                " RETURNING id",
                (period, status, payload, to_db(now)),
            )
            notice_id = cast(int, row["id"]) if row else 0
            if drafts:
                await enqueue(conn, [_with_notice_id(m, notice_id) for m in drafts], now)
            else:
                await enqueue(conn, await numbered(conn, notice_id, notice, now), now)
            return notice_id

    async def notice(self, notice_id: int) -> Notice | None:
        row = await self._db.fetchone("SELECT * FROM notices WHERE id = ?", (notice_id,))
        if row is None:
            return None
        payload = [_message_from_json(m) for m in json.loads(row["payload"])]
        number = notice_number(row["year"], row["number"]) if row["number"] else None
        return Notice(row["id"], row["period"], row["status"], payload, number)

    async def decide(self, need: Need, notice_id: int, publish: bool, now: datetime) -> bool:
        """Publish (queue what the draft fixed) or discard a draft notice, once; False if it
        was decided before. The actor must be an admin, checked in the transaction."""
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            status = "published" if publish else "discarded"
            row = await first_row(
                conn,
                "UPDATE notices SET status = ?, decided_by = ?, decided_at = ?"
                " WHERE id = ? AND status = 'draft' RETURNING payload, period",
                (status, need.user_id, to_db(now), notice_id),
            )
            if row is None:
                return False
            if publish:
                messages = [_message_from_json(j) for j in json.loads(row["payload"])]
                await enqueue(conn, await numbered(conn, notice_id, messages, now), now)
            await append_event(
                conn, now, need.user_id, f"notice.{status}", None, notice_id, period=row["period"]
            )
            return True


def _with_notice_id(message: OutgoingMessage, notice_id: int) -> OutgoingMessage:
    """Drafts are made before the notice has its id: their buttons say ``{notice}``."""
    buttons = tuple(
        tuple(type(b)(b.text, b.data.replace("{notice}", str(notice_id))) for b in row)
        for row in message.buttons
    )
    return OutgoingMessage(
        message.key.replace("{notice}", str(notice_id)),
        message.chat_id,
        message.text,
        thread_id=message.thread_id,
        user_id=message.user_id,
        buttons=buttons,
        project_id=message.project_id,
    )


def _message_json(message: OutgoingMessage) -> dict[str, object]:
    return {
        "key": message.key,
        "chat_id": message.chat_id,
        "thread_id": message.thread_id,
        "user_id": message.user_id,
        "text": message.text,
    }


def _message_from_json(data: dict[str, object]) -> OutgoingMessage:
    thread = data.get("thread_id")
    user = data.get("user_id")
    return OutgoingMessage(
        str(data["key"]),
        int(cast(int, data["chat_id"])),
        str(data["text"]),
        thread_id=int(cast(int, thread)) if thread is not None else None,
        user_id=int(cast(int, user)) if user is not None else None,
    )
