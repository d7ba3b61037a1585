"""The weekly dispatch meeting's material (调度会材料) as a Word document (``/pack [week]``):
per project its stage and 形象进度, the week's reports under their questions' labels, its
milestones behind, and every open problem with what it needs, the proposed solution, who is
responsible, the time limit, its status and days overdue; then the matters put to the meeting
(提请会议研究事项) and what changed in the week."""

from __future__ import annotations

import asyncio
import re
from datetime import date

from bot.clock import Clock, format_local, local_date
from bot.documents import Block, report_document
from bot.errors import UsageError, UserError
from bot.i18n import month_day_text, t, week_text
from bot.periods import Period, period_of
from bot.plans.money import format_money
from bot.plans.report import progress_bar
from bot.registry import Registry
from bot.replies import shorten
from storage.repos import Repositories

WEEK = re.compile(r"^([0-9]{4})-?W([0-9]{1,2})$", re.IGNORECASE)


class PackService:
    def __init__(
        self, repos: Repositories, registry: Registry, clock: Clock, *, timezone: str
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._timezone = timezone

    def period_of_key(self, key: str) -> Period:
        """The week a key such as ``2026-W10`` names."""
        match = WEEK.match(key)
        if match is None:
            raise ValueError(key)
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        return period_of(monday, self._timezone)

    def period(self, args: list[str]) -> Period:
        """The week asked for (``2026-W10``), else the week so far."""
        today = local_date(self._clock.now(), self._timezone)
        if not args:
            return period_of(today, self._timezone)
        match = WEEK.match(args[0].strip())
        if match is None or len(args) > 1:
            raise UsageError("pack")
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise UsageError("pack") from None
        if monday > today:
            raise UserError("report.not_yet", n=int(match[2]), first=monday.isoformat())
        return period_of(monday, self._timezone)

    async def build(self, user_id: int, args: list[str], lang: str) -> tuple[str, bytes]:
        """``/pack [week] [line]``: the material as DOCX (file name, bytes), for admins; of
        one work line (工作线) when one is named. An admin scoped to a work line or a locality
        (项目到线) gets the material of their projects only, as with the weekly digest."""
        await self._registry.require_admin(user_id)
        weeks = [a for a in args if WEEK.match(a.strip())]
        line = " ".join(a for a in args if not WEEK.match(a.strip())).strip() or None
        scope = await self._repos.admins.scope(user_id)
        if scope is not None and scope[0] == "line":
            if line is not None and line != scope[1]:
                raise UserError("pack.out_of_scope", line=line[:60], scope=scope[1])
            line = scope[1]
        elif line is not None and line not in {n for n, _ in await self._repos.plans.lines()}:
            raise UserError("pack.unknown_line", line=line[:60])
        locality = scope[1] if scope is not None and scope[0] == "area" else None
        return await self.document(self.period(weeks), lang, line, locality)

    async def document(
        self, period: Period, lang: str, line: str | None = None, locality: str | None = None
    ) -> tuple[str, bytes]:
        """The material of a week as DOCX (file name, bytes); of one work line, or one
        locality (属地), if given."""
        blocks = await self._blocks(period, lang, line, locality)
        title = t(lang, "pack.title")
        subtitle = week_text(period.first, period.last, lang)
        if line is not None:
            subtitle += t(lang, "pack.line", line=line)
        if locality is not None:
            subtitle += t(lang, "pack.locality", locality=locality)
        data = await asyncio.to_thread(report_document, title, subtitle, blocks)
        suffix = "".join(f"-{part}" for part in (line, locality) if part is not None)
        return f"调度会材料-{period.key}{suffix}.docx", data

    async def _blocks(
        self, period: Period, lang: str, line: str | None = None, locality: str | None = None
    ) -> list[Block]:
        repos = self._repos
        projects = await repos.projects.active()
        plans = await repos.plans.plans([p.id for p in projects])
        if line is not None:
            projects = [p for p in projects if (plan := plans.get(p.id)) and plan.work_line == line]
        if locality is not None:
            projects = [
                p for p in projects if (plan := plans.get(p.id)) and plan.locality == locality
            ]
        ids = [p.id for p in projects]
        milestones = await repos.plans.milestones(ids)
        reports = await repos.pack.reports(period.start, period.end, ids)
        questions = await repos.pack.questions(ids)
        problems = await repos.problems.unresolved(ids)
        handovers = {p.id: await repos.handovers.of_problem(p.id) for p in problems}
        # Each project's investment of its year (its own date's, in its zone), one query per
        # year rather than per project.
        now = self._clock.now()
        years: dict[int, list[int]] = {}
        for project in projects:
            year = min(period.last, local_date(now, project.timezone)).year
            years.setdefault(year, []).append(project.id)
        invested: dict[int, int] = {}
        for year, in_year in years.items():
            invested.update(await repos.investments.investment_by_year(year, in_year))
        blocks: list[Block] = []
        if not projects:
            return [("text", t(lang, "pack.empty"))]
        for number, project in enumerate(projects, start=1):
            today = min(period.last, local_date(now, project.timezone))
            blocks.append(("heading", t(lang, "pack.project", n=number, name=project.name)))
            plan = plans.get(project.id)
            mine = [m for m in milestones if m.project_id == project.id]
            due = [m for m in mine if m.planned_on <= today]
            on_time = sum(1 for m in due if m.on_time())
            blocks.append(
                (
                    "text",
                    t(
                        lang,
                        "pack.plan",
                        stage=t(lang, f"stage.{plan.stage}") if plan and plan.stage else "–",
                        bar=progress_bar(on_time, len(due)),
                        invested=format_money(invested.get(project.id), lang),
                    ),
                )
            )
            labels = questions.get(project.id, [])
            entries = reports.get(project.id)
            if entries is None or not entries.entries:
                blocks.append(("text", t(lang, "pack.no_reports")))
            for day, who, question, text in entries.entries if entries else []:
                label = (
                    labels[question - 1]
                    if question is not None and 0 < question <= len(labels)
                    else t(lang, "pack.progress_label")
                )
                shown = month_day_text(date.fromisoformat(day), lang)
                blocks.append(
                    ("text", t(lang, "pack.report", day=shown, who=who, label=label, text=text))
                )
            behind = [m for m in mine if not m.done and m.planned_on < today]
            for m in behind:
                days = (today - m.planned_on).days
                blocks.append(
                    ("text", t(lang, "pack.milestone", name=m.name, day=m.planned_on, days=days))
                )
            rows = []
            for problem in (p for p in problems if p.project_id == project.id):
                held = handovers.get(problem.id, [])
                owner = "、".join(h.department_name for h in held) or problem.assignee or "–"
                late = max((now - problem.deadline).days, 0)
                rows.append(
                    (
                        f"#{problem.id}",
                        shorten(problem.text, 80),
                        problem.coordination or "–",
                        problem.proposal or "–",
                        owner,
                        format_local(problem.deadline, problem.project_timezone)[:10],
                        t(lang, f"problem.status.{problem.status}"),
                        late if problem.deadline <= now else 0,
                    )
                )
            if rows:
                headers = [t(lang, f"pack.column.{c}") for c in COLUMNS]
                blocks.append(("table", headers, rows))
        blocks += await self._submissions(period, lang)
        blocks += await self._changes(period, lang)
        return blocks

    async def _submissions(self, period: Period, lang: str) -> list[Block]:
        found = await self._repos.pack.submissions(period.start, period.end)
        blocks: list[Block] = [("heading", t(lang, "pack.submissions"))]
        if not found:
            return [*blocks, ("text", t(lang, "pack.none"))]
        for item in found:
            blocks.append(
                (
                    "text",
                    t(
                        lang,
                        f"pack.submission_{item.kind}",
                        id=item.problem_id,
                        project=item.project,
                        text=shorten(item.text, 80),
                        detail=item.detail,
                    ),
                )
            )
        return blocks

    async def _changes(self, period: Period, lang: str) -> list[Block]:
        new, resolved, overdue = await self._repos.pack.changes(period.start, period.end)

        def listed(items: list[tuple[int, str]]) -> str:
            return "；".join(f"#{i} {shorten(text, 60)}" for i, text in items) or "–"

        return [
            ("heading", t(lang, "pack.changes")),
            ("text", t(lang, "pack.new", count=len(new), items=listed(new))),
            ("text", t(lang, "pack.resolved", count=len(resolved), items=listed(resolved))),
            ("text", t(lang, "pack.overdue", count=len(overdue), items=listed(overdue))),
        ]


COLUMNS = ("id", "problem", "coordination", "proposal", "owner", "deadline", "status", "days")
