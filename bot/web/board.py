"""The board's read models: the county's projects with this week's figures, one project in
full, the notices published so far. What each person sees is what the chat shows them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local, local_date
from bot.errors import UserError
from bot.i18n import t
from bot.web.access import NotFound, Viewer
from storage.digests import ProjectWeek
from storage.notice_numbers import NOTICE_NUMBER
from storage.repos import Repositories

WEEK = re.compile(r"^[0-9]{4}-W[0-9]{2}$")
RATE_AMBER = 0.8  # a week reported below this share is amber


def traffic_light(week: ProjectWeek, unresolved: int) -> str:
    """red: a problem past its time limit or a milestone behind; amber: reporting below 80 %
    or problems still open; green: neither."""
    if week.overdue or week.milestones_behind:
        return "red"
    if (week.rate is not None and week.rate < RATE_AMBER) or unresolved:
        return "amber"
    return "green"


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    name: str
    stage: str | None
    stage_label: str | None
    progress: float | None  # 形象进度: milestones done on time / due so far
    investment: float | None  # this year's completed / planned
    work_line: str | None
    locality: str | None
    answered: int
    expected: int
    unresolved: int
    overdue: int
    light: str


@dataclass(frozen=True, slots=True)
class Report:
    day: str
    who: str
    status: str
    label: str | None
    text: str | None
    answer_id: int | None
    photos: tuple[int, ...]


# The weekly digest of a week, as /report gives it: (user id, [week], language) → its parts.
WeeklyReport = Callable[[int, list[str], str], Awaitable[list[str]]]


class WebBoard:
    def __init__(
        self, repos: Repositories, clock: Clock, default_timezone: str, report: WeeklyReport
    ) -> None:
        self._repos = repos
        self._clock = clock
        self._zone = default_timezone
        self._report = report

    def _this_week(self) -> tuple[date, date, datetime, datetime]:
        now = self._clock.now()
        today = local_date(now, self._zone)
        monday = today - timedelta(days=today.weekday())
        start = datetime.combine(monday, time(0), ZoneInfo(self._zone))
        return monday, today, start, now

    async def projects(self, viewer: Viewer) -> list[ProjectRow]:
        ids = viewer.project_ids
        if ids is not None and not ids:
            return []
        first, last, start, now = self._this_week()
        # To this moment, a project created this very moment included.
        end = now + timedelta(microseconds=1)
        weeks = await self._repos.digests.week(first, last, start, end, ids, overdue_at=now)
        plans = await self._repos.plans.plans([w.project_id for w in weeks])
        unresolved = await self._repos.web_board.unresolved_counts(ids)
        rows = []
        for week in weeks:
            plan = plans.get(week.project_id)
            rows.append(
                ProjectRow(
                    week.project_id,
                    week.name,
                    week.stage,
                    t(viewer.lang, f"stage.{week.stage}") if week.stage else None,
                    week.milestones_on_time / week.milestones_due if week.milestones_due else None,
                    min((week.investment_year or 0) / week.investment_plan, 1.0)
                    if week.investment_plan
                    else None,
                    plan.work_line if plan else None,
                    plan.locality if plan else None,
                    week.answered,
                    week.expected,
                    unresolved.get(week.project_id, 0),
                    week.overdue,
                    traffic_light(week, unresolved.get(week.project_id, 0)),
                )
            )
        return rows

    async def project(self, viewer: Viewer, project_id: int) -> dict[str, object]:
        roles = viewer.roles_on(project_id)
        project = await self._repos.projects.get(project_id)
        if project is None or not roles:
            raise NotFound
        lang = viewer.lang
        members = await self._repos.members.of_project(project_id)
        plan = await self._repos.plans.plan(project_id)
        today = local_date(self._clock.now(), project.timezone)
        milestones = await self._repos.plans.milestones([project_id])
        # Answers are read by the leaders and admins; a secretary reads their own (as /answers).
        own = None if viewer.leads(project_id) else viewer.user_id
        lines = await self._repos.summaries.answer_lines(
            project_id, today - timedelta(days=13), today, own, limit=200
        )
        reports = []
        for line in lines:
            photos: tuple[int, ...] = ()
            if line.answer_id is not None and line.attachments:
                _, files = await self._repos.attachments.of_answer(line.answer_id)
                photos = tuple(f.id for f in files if f.kind == "photo")
            reports.append(
                Report(
                    line.local_date.isoformat(),
                    line.display_name,
                    line.status,
                    line.label,
                    line.text,
                    line.answer_id,
                    photos,
                )
            )
        return {
            "id": project.id,
            "name": project.name,
            "status": project.status,
            "timezone": project.timezone,
            "roles": sorted(roles),
            "people": [
                {
                    "name": m.person.display_name,
                    "role": m.role,
                    "role_label": t(lang, f"role.{m.role}"),
                    "unit": m.person.unit,
                    "title": m.person.title,
                }
                for m in members
            ],
            "plan": {
                "stage": plan.stage,
                "stage_label": t(lang, f"stage.{plan.stage}") if plan.stage else None,
                "stage_since": plan.stage_since,
                "total_investment": plan.total_investment,
                "year_investment": plan.year_investment,
                "work_line": plan.work_line,
                "locality": plan.locality,
                "planned_start": plan.planned_start,
                "planned_completion": plan.planned_completion,
                "year_target": plan.year_target,
            },
            "milestones": [
                {
                    "id": m.id,
                    "name": m.name,
                    "planned_on": m.planned_on,
                    "done_on": m.done_on,
                    "responsible": m.responsible_name,
                    "state": "done"
                    if m.done_on is not None
                    else ("overdue" if m.planned_on < today else "pending"),
                    "evidence": m.evidence,
                    "photos": [
                        f.id
                        for f in await self._repos.attachments.of_milestone(m.id)
                        if f.kind == "photo"
                    ]
                    if m.done_on is not None
                    else [],
                }
                for m in milestones
            ],
            "reports": reports,
            "generated_at": format_local(self._clock.now(), project.timezone),
        }

    async def digests(self, viewer: Viewer) -> list[dict[str, object]]:
        """The weeks whose dispatch digest went out, for those who read digests in the chat
        (leaders and admins)."""
        if not viewer.admin and not any("leader" in r for r in viewer.project_roles.values()):
            return []
        return [
            {"period": period, "sent_at": sent_at}
            for period, sent_at in await self._repos.web_board.digest_periods()
        ]

    async def digest(self, viewer: Viewer, period: str) -> str:
        """One week's digest of what this person may see, as /report shows it."""
        if not WEEK.match(period):
            raise NotFound
        try:
            parts = await self._report(viewer.user_id, [period], viewer.lang)
        except UserError:
            raise NotFound from None
        return "\n".join(parts)

    async def notices(self, viewer: Viewer) -> list[dict[str, object]]:
        """The notices published so far (they went to every project group): their text, as
        the groups got it."""
        found = []
        for row in await self._repos.web_board.published_notices():
            notice = await self._repos.digests.notice(row.id)
            if notice is None or not notice.payload:
                continue
            text = notice.payload[0].text.replace(NOTICE_NUMBER, notice.number or "")
            found.append(
                {
                    "id": row.id,
                    "period": row.period,
                    "number": notice.number,
                    "published_at": row.published_at,
                    "text": text,
                }
            )
        return found
