"""A problem of the ledger as the repositories return it, and the query that reads one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import from_db, opt_from_db


@dataclass(frozen=True, slots=True)
class OpenProblem:
    id: int
    text: str
    deadline: datetime
    status: str


@dataclass(frozen=True, slots=True)
class Problem:
    id: int
    project_id: int
    project_name: str
    project_timezone: str
    reporter_id: int
    reporter_name: str
    checkin_id: int | None
    text: str
    created_at: datetime
    deadline: datetime
    status: str
    assignee: str | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolved_by_name: str | None
    coordination: str | None = None  # the coordination the reporter says it needs
    proposal: str | None = None  # the solution the reporter proposes (拿出办法)
    extensions: int = 0
    claimed_by: int | None = None  # who said it is solved, while that awaits confirmation
    claimed_at: datetime | None = None
    claimed_by_name: str | None = None
    attachments: int = 0


@dataclass(frozen=True, slots=True)
class ProblemEvent:
    at: datetime
    actor_id: int | None
    actor_name: str | None
    kind: str
    detail: dict[str, Any]


PROBLEM_SELECT = """
    SELECT pb.*, pr.name AS project_name, pr.timezone AS project_timezone,
           coalesce(rp.display_name, CAST(pb.reporter_id AS TEXT)) AS reporter_name,
           rs.display_name AS resolved_by_name, cl.display_name AS claimed_by_name,
           (SELECT count(*) FROM attachments a WHERE a.problem_id = pb.id) AS attachments
    FROM problems pb
    JOIN projects pr ON pr.id = pb.project_id
    LEFT JOIN people rp ON rp.user_id = pb.reporter_id
    LEFT JOIN people rs ON rs.user_id = pb.resolved_by
    LEFT JOIN people cl ON cl.user_id = pb.claimed_by
"""


def problem_from_row(row: aiosqlite.Row) -> Problem:
    return Problem(
        id=row["id"],
        project_id=row["project_id"],
        project_name=row["project_name"],
        project_timezone=row["project_timezone"],
        reporter_id=row["reporter_id"],
        reporter_name=row["reporter_name"],
        checkin_id=row["checkin_id"],
        text=row["text"],
        created_at=from_db(row["created_at"]),
        deadline=from_db(row["deadline"]),
        status=row["status"],
        assignee=row["assignee"],
        resolved_at=opt_from_db(row["resolved_at"]),
        resolved_by=row["resolved_by"],
        resolved_by_name=row["resolved_by_name"],
        coordination=row["coordination"],
        proposal=row["proposal"],
        extensions=row["extensions"],
        claimed_by=row["claimed_by"],
        claimed_at=opt_from_db(row["claimed_at"]),
        claimed_by_name=row["claimed_by_name"],
        attachments=row["attachments"],
    )
