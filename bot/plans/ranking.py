"""The board's ranking (一季度一公开，比进展): each project's weighted score over a period from
milestones on time, investment against plan, problems solved within their time limits and
reporting; shared by /board and the quarterly publishing."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.plans.scoring import weighted_score
from storage.repos import Repositories


@dataclass(frozen=True, slots=True)
class Ranked:
    project_id: int
    name: str
    score: float | None
    parts: dict[str, float | None]  # milestones, investment, problems, reporting
    on_time: int  # problems crossed off within their time limit
    resolved: int
    median_days: float | None  # days to cross a problem off
    overdue: int
    rate: float | None


async def rank(
    repos: Repositories,
    first: date,
    last: date,
    start: datetime,
    end: datetime,
    now: datetime,
    project_ids: Sequence[int] | None,
    weights: Mapping[str, float],
) -> list[Ranked]:
    """Projects best first (ties: fewer overdue, then by name); unscored ones last."""
    figures = await repos.digests.week(
        first, last, start, end, project_ids, overdue_at=min(end, now)
    )
    resolutions = await repos.digests.resolutions(start, end, project_ids)
    ranked = []
    for f in figures:
        done = resolutions.get(f.project_id, [])
        on_time = sum(resolved <= deadline for _, resolved, deadline in done)
        days = [(resolved - created).total_seconds() / 86400 for created, resolved, _ in done]
        parts: dict[str, float | None] = {
            "milestones": f.milestones_on_time / f.milestones_due if f.milestones_due else None,
            "investment": min((f.investment_year or 0) / f.investment_plan, 1.0)
            if f.investment_plan
            else None,
            "problems": on_time / len(done) if done else None,
            "reporting": f.rate,
        }
        ranked.append(
            Ranked(
                f.project_id,
                f.name,
                weighted_score(parts, weights),
                parts,
                on_time,
                len(done),
                statistics.median(days) if days else None,
                f.overdue,
                f.rate,
            )
        )
    ranked.sort(key=lambda r: (-(r.score if r.score is not None else -1.0), r.overdue, r.name))
    return ranked
