"""Pictures for leaders: /chart (weekly reporting rate and problems) and /board, the quarterly
public comparison of projects (一季度一公开，比进展). Admins and leaders only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.chartdata import ChartLabels, WeekPoint
from bot.clock import Clock, local_date
from bot.departments.figures import DepartmentFigures, department_lines
from bot.errors import UsageError, UserError
from bot.i18n import month_day_text, t
from bot.parsing import parse_date, parse_project_id
from bot.periods import period_of
from bot.plans.ranking import Ranked, rank
from bot.plans.scoring import DEFAULT_WEIGHTS
from bot.projects import ProjectService
from bot.registry import Registry
from storage.repos import Repositories

DEFAULT_WEEKS = 8
MAX_WEEKS = 52


@dataclass(frozen=True, slots=True)
class Picture:
    text: str
    png: bytes


class BoardService:
    def __init__(
        self, repos: Repositories, registry: Registry, projects: ProjectService, clock: Clock
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        self.weights = dict(DEFAULT_WEIGHTS)  # BOARD_WEIGHTS
        # The departments' figures for a period; set by the composition root.
        self.department_figures: (
            Callable[[datetime, datetime], Awaitable[list[DepartmentFigures]]] | None
        ) = None

    async def scope(self, user_id: int, project_arg: str | None) -> tuple[list[int] | None, str]:
        """The projects this person may see figures of (None: all, for admins), and a name."""
        project_id = parse_project_id(project_arg) if project_arg is not None else None
        ids, project = await self._projects.readable(
            user_id, project_id, refused="report.not_allowed", nothing="report.nothing"
        )
        return ids, f"{project.id} {project.name}" if project else ""

    async def chart(self, user_id: int, args: list[str], lang: str) -> Picture:
        """``/chart [project id] [weeks]``: the last weeks, this one included."""
        if len(args) > 2:
            raise UsageError("chart")
        weeks, project_arg = DEFAULT_WEEKS, None
        for arg in args:
            if arg.lower().endswith(("w", "周")) and arg[:-1].isascii() and arg[:-1].isdigit():
                weeks = int(arg[:-1])
            else:
                project_arg = arg
        if not 1 <= weeks <= MAX_WEEKS:
            raise UsageError("chart")
        project_ids, name = await self.scope(user_id, project_arg)
        zone = self._projects.default_timezone
        today = local_date(self._clock.now(), zone)
        points = []
        for back in range(weeks - 1, -1, -1):
            period = period_of(today - timedelta(days=7 * back), zone)
            figures = await self._repos.digests.week(
                period.first, period.last, period.start, period.end, project_ids
            )
            expected = sum(f.expected for f in figures)
            answered = sum(f.answered for f in figures)
            points.append(
                WeekPoint(
                    # A week as an office names it: by its dates (3月2日—3月8日).
                    t(
                        lang,
                        "chart.week",
                        first=month_day_text(period.first, lang),
                        last=month_day_text(period.last, lang),
                    ),
                    answered / expected if expected else None,
                    sum(f.new for f in figures),
                    sum(f.resolved for f in figures),
                    await self._repos.digests.open_at(
                        min(period.end, self._clock.now()), project_ids
                    ),
                )
            )
        title = t(lang, "chart.title_project" if name else "chart.title", project=name)
        labels = ChartLabels(
            title,
            t(lang, "chart.rate"),
            t(lang, "chart.problems"),
            t(lang, "chart.new"),
            t(lang, "chart.resolved"),
            t(lang, "chart.open"),
        )
        png = await asyncio.to_thread(_progress_png, points, labels)
        return Picture(title, png)

    async def board(self, user_id: int, args: list[str], lang: str) -> Picture:
        """``/board [from] [to]`` (default: this quarter so far): projects ranked by reporting
        rate, problems crossed off within their deadline, median days to cross off, overdue."""
        if len(args) > 2:
            raise UsageError("board")
        zone = self._projects.default_timezone
        today = local_date(self._clock.now(), zone)
        first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        last = today
        if args:
            first = parse_date(args[0], today)
            last = parse_date(args[1], today) if len(args) > 1 else today
        if last < first:
            raise UserError("error.date_order")
        project_ids, _ = await self.scope(user_id, None)
        tz = ZoneInfo(zone)
        start = _midnight(first, tz)
        end = _midnight(last + timedelta(days=1), tz)
        ranked = await rank(
            self._repos, first, last, start, end, self._clock.now(), project_ids, self.weights
        )
        lines = [t(lang, "board.title", first=first, last=last)]
        lines += ranking_lines(ranked, lang)
        weights = t(lang, "digest.joiner").join(
            f"{t(lang, f'board.component.{name}')} {weight:g}"
            for name, weight in self.weights.items()
        )
        lines.append(t(lang, "board.weights", weights=weights))
        if not ranked:
            lines.append(t(lang, "board.empty"))
        if project_ids is None and self.department_figures is not None:
            # The office's board: the departments' work over the same period.
            lines += department_lines(
                await self.department_figures(start, min(end, self._clock.now())), lang
            )
        title = t(lang, "board.chart_title", first=first, last=last)
        png = await ranking_picture(ranked, title, lang)
        return Picture("\n".join(lines), png)


def ranking_lines(ranked: list[Ranked], lang: str) -> list[str]:
    return [
        t(
            lang,
            "board.line",
            rank=number,
            project=r.name,
            score=_percent(r.score),
            progress=_percent(r.parts["milestones"]),
            investment=_percent(r.parts["investment"]),
            rate=_percent(r.rate),
            on_time=r.on_time,
            resolved=r.resolved,
            median=f"{r.median_days:.1f}" if r.median_days is not None else "–",
            overdue=r.overdue,
        )
        for number, r in enumerate(ranked, start=1)
    ]


async def ranking_picture(ranked: list[Ranked], title: str, lang: str) -> bytes:
    names = [r.name for r in ranked]
    scores = [max(r.score or 0.0, 0.0) for r in ranked]
    return await asyncio.to_thread(_ranking_png, names, scores, title, t(lang, "chart.rate"))


def _percent(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "–"


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


# matplotlib is big: it is loaded by the worker thread that draws the first chart. Imported on
# the event loop it held every update for over half a second.


def _progress_png(points: list[WeekPoint], labels: ChartLabels) -> bytes:
    from bot.charts import progress_chart

    return progress_chart(points, labels)


def _ranking_png(names: list[str], rates: list[float], title: str, axis: str) -> bytes:
    from bot.charts import ranking_chart

    return ranking_chart(names, rates, title, axis)
