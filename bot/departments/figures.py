"""A department's figures for a period: items received, signed for in time, done on time,
overdue, the median time to sign and to finish, and 坐班 attendance. One function, used by
/depts, the weekly digest, the board and the export alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from bot.i18n import t
from storage.departments import Department, Sitin
from storage.handovers import Handover


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    department: Department
    received: int = 0  # handed to it in the period
    signed_in_time: int = 0  # of those, signed within DEPT_SIGN_WITHIN (working time)
    done: int = 0  # finished (办结) in the period
    done_on_time: int = 0  # of those, by the time limit
    open: int = 0  # held at the end of the period, not finished
    overdue: int = 0  # of those, past the time limit
    returned: int = 0  # handed back as not its own in the period
    median_sign: timedelta | None = None
    median_finish: timedelta | None = None
    sitins_due: int = 0
    sitins_present: int = 0

    @property
    def late(self) -> bool:
        """Named in the notice: something overdue, done late, or an absence."""
        return (
            self.overdue > 0
            or self.done_on_time < self.done
            or self.sitins_present < self.sitins_due
        )


def department_figures(
    departments: Sequence[Department],
    handovers: Sequence[Handover],
    sitins: Sequence[Sitin],
    since: datetime,
    until: datetime,
) -> list[DepartmentFigures]:
    """Figures of each department over ``since`` ≤ t < ``until`` (open and overdue as at
    ``until``)."""
    found = []
    for department in departments:
        mine = [h for h in handovers if h.department_id == department.id]
        received = [h for h in mine if since <= h.handed_at < until]
        signed = [h for h in received if h.signed_at is not None]
        done = [h for h in mine if h.done_at is not None and since <= h.done_at < until]
        held = [
            h
            for h in mine
            if h.handed_at < until
            and (h.status in ("handed", "signed"))
            and h.problem_status != "resolved"
        ]
        days = [s for s in sitins if s.department_id == department.id and s.due_at < until]
        found.append(
            DepartmentFigures(
                department=department,
                received=len(received),
                signed_in_time=sum(
                    1 for h in signed if h.signed_at is not None and h.signed_at <= h.sign_due
                ),
                done=len(done),
                done_on_time=sum(
                    1 for h in done if h.done_at is not None and h.done_at <= h.deadline
                ),
                open=len(held),
                overdue=sum(1 for h in held if h.deadline <= until),
                returned=sum(
                    1 for h in mine if h.status == "returned" and since <= h.handed_at < until
                ),
                median_sign=_median(
                    [h.signed_at - h.handed_at for h in signed if h.signed_at is not None]
                ),
                median_finish=_median(
                    [h.done_at - h.handed_at for h in done if h.done_at is not None]
                ),
                sitins_due=sum(1 for s in days if s.status != "pending"),
                sitins_present=sum(1 for s in days if s.status == "present"),
            )
        )
    return found


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(v.total_seconds() for v in values))


def _span(value: timedelta | None, lang: str) -> str:
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    return t(lang, "digest.hours", hours=f"{hours:.1f}")


def department_lines(figures: Sequence[DepartmentFigures], lang: str) -> list[str]:
    """The digest's department table (部门办理情况): one line per department that had
    anything to do in the period."""
    busy = [f for f in figures if f.received or f.open or f.done or f.sitins_due]
    if not busy:
        return []
    lines = [t(lang, "digest.departments")]
    for f in busy:
        lines.append(
            t(
                lang,
                "digest.department",
                id=f.department.id,
                name=f.department.name,
                received=f.received,
                signed=f.signed_in_time,
                done=f.done,
                on_time=f.done_on_time,
                overdue=f.overdue,
                sign=_span(f.median_sign, lang),
                finish=_span(f.median_finish, lang),
                present=f.sitins_present,
                due=f.sitins_due,
            )
        )
    return lines


def late_departments(figures: Sequence[DepartmentFigures], lang: str) -> list[str]:
    """The departments the notice names: items overdue or done late, or 坐班 absences."""
    return [
        t(
            lang,
            "notice.department_name",
            name=f.department.name,
            overdue=f.overdue,
            late=f.done - f.done_on_time,
            absent=f.sitins_due - f.sitins_present,
        )
        for f in figures
        if f.late
    ]
