"""A project's plan: reading it, setting its fields (``/plan``), and how far along it is:
形象进度 = milestones done on time ÷ milestones due so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.clock import Clock, local_date
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import clean_text, parse_date, parse_project_id
from bot.plans.money import format_money, parse_money
from bot.plans.report import progress_bar
from bot.projects import ProjectService
from storage.access import ADMIN, Denied, Need
from storage.models import Project
from storage.plans import Milestone, Plan
from storage.repos import Repositories

# What people type for each field (English and the office's Chinese).
FIELD_NAMES = {
    "stage": "stage",
    "阶段": "stage",
    "total": "total_investment",
    "总投资": "total_investment",
    "year": "year_investment",
    "年度计划投资": "year_investment",
    "计划投资": "year_investment",
    "line": "work_line",
    "工作线": "work_line",
    "locality": "locality",
    "area": "locality",
    "属地": "locality",
    "start": "planned_start",
    "计划开工": "planned_start",
    "completion": "planned_completion",
    "计划竣工": "planned_completion",
    "target": "year_target",
    "年度目标": "year_target",
}
STAGE_NAMES = {
    "negotiating": "negotiating",
    "在谈": "negotiating",
    "signed": "signed",
    "签约": "signed",
    "preparing": "preparing",
    "落地": "preparing",
    "前期手续": "preparing",
    "building": "building",
    "在建": "building",
    "operating": "operating",
    "竣工": "operating",
    "投产": "operating",
    "竣工投产": "operating",
}
ABSURD = 10  # a year's plan above ten times the total is a typing error


@dataclass(frozen=True, slots=True)
class Progress:
    """形象进度: milestones done on time out of those due by ``today``."""

    on_time: int
    due: int
    overdue: int  # due, not done

    @property
    def share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def bar(self) -> str:
        return progress_bar(self.on_time, self.due)


def progress_of(milestones: list[Milestone], today: date) -> Progress:
    due = [m for m in milestones if m.planned_on <= today]
    return Progress(
        on_time=sum(1 for m in due if m.on_time()),
        due=len(due),
        overdue=sum(1 for m in due if not m.done and m.planned_on < today),
    )


class PlanService:
    def __init__(self, repos: Repositories, projects: ProjectService, clock: Clock) -> None:
        self._repos = repos
        self._projects = projects
        self._clock = clock

    def today(self, project: Project) -> date:
        return local_date(self._clock.now(), project.timezone)

    async def progress(self, project: Project) -> Progress:
        milestones = await self._repos.plans.milestones([project.id])
        return progress_of(milestones, self.today(project))

    async def set_field(self, user_id: int, args: list[str]) -> tuple[Project, str, object]:
        """``/plan <id> <field> <value>``; zh field names too (阶段 在建, 总投资 12000 …)."""
        if len(args) < 3:
            raise UsageError("plan")
        project = await self._projects.active_project(parse_project_id(args[0]))
        field = FIELD_NAMES.get(args[1].strip().lower()) or FIELD_NAMES.get(args[1].strip())
        if field is None:
            raise UserError("plan.unknown_field", field=args[1][:30])
        raw = " ".join(args[2:]).strip()
        plan = await self._repos.plans.plan(project.id)
        value = self._value(field, raw, plan, project)
        try:
            await self._repos.plans.set_field(
                Need(user_id, ADMIN, project.id),
                field,
                value,
                self.today(project),
                self._clock.now(),
            )
        except Denied as exc:
            raise refusal(exc) from None
        return project, field, value

    def _value(self, field: str, raw: str, plan: Plan, project: Project) -> str | int | None:
        if raw in {"-", "–", "清空", "none"}:
            return None
        if field == "stage":
            stage = STAGE_NAMES.get(raw.lower()) or STAGE_NAMES.get(raw)
            if stage is None:
                raise UserError("plan.bad_stage", value=raw[:30])
            return stage
        if field in ("total_investment", "year_investment"):
            amount = parse_money(raw)
            total = amount if field == "total_investment" else plan.total_investment
            year = amount if field == "year_investment" else plan.year_investment
            if total is not None and year is not None and year > ABSURD * max(total, 1):
                raise UserError("plan.absurd", year=format_money(year, "zh-CN"))
            return amount
        if field in ("planned_start", "planned_completion"):
            day = parse_date(raw, self.today(project))
            start = day if field == "planned_start" else plan.planned_start
            end = day if field == "planned_completion" else plan.planned_completion
            if start is not None and end is not None and end < start:
                raise UserError("plan.end_before_start", start=start, end=end)
            return day.isoformat()
        return clean_text(raw, 200 if field != "year_target" else 1000)

    async def describe(self, project: Project, lang: str) -> list[str]:
        """The plan's lines on the project card (三明确)."""
        plan = await self._repos.plans.plan(project.id)
        progress = await self.progress(project)
        year = self.today(project).year
        done = (await self._repos.investments.investment_by_year(year, [project.id])).get(
            project.id
        )
        share = f" ({(done or 0) / plan.year_investment:.0%})" if plan.year_investment else ""
        stage = t(lang, f"stage.{plan.stage}") if plan.stage else "–"
        if plan.stage_since is not None:
            stage += t(lang, "plan.since", day=plan.stage_since.isoformat())
        return [
            t(lang, "plan.stage", stage=stage),
            t(
                lang,
                "plan.investment",
                total=format_money(plan.total_investment, lang),
                year=format_money(plan.year_investment, lang),
                done=format_money(done or 0 if plan.year_investment else done, lang) + share,
            ),
            t(
                lang,
                "plan.line",
                line=plan.work_line or "–",
                locality=plan.locality or "–",
            ),
            t(
                lang,
                "plan.dates",
                start=plan.planned_start.isoformat() if plan.planned_start else "–",
                end=plan.planned_completion.isoformat() if plan.planned_completion else "–",
            ),
            t(lang, "plan.target", target=plan.year_target or "–"),
            t(
                lang,
                "plan.progress",
                bar=progress.bar(),
                on_time=progress.on_time,
                due=progress.due,
            ),
        ]
