"""How a project's plan reads in the weekly digest (and the dispatch material): stage,
形象进度, investment completed against the year's plan, milestones behind, explanations."""

from __future__ import annotations

from bot.i18n import t
from bot.plans.money import format_money
from storage.digests import ProjectWeek

BAR = 10


def progress_bar(on_time: int, due: int) -> str:
    if not due:
        return "–"
    share = on_time / due
    filled = round(share * BAR)
    return "▓" * filled + "░" * (BAR - filled) + f" {share:.0%}"


def plan_lines(week: ProjectWeek, lang: str) -> list[str]:
    """Nothing for a project without a plan or milestones: its digest reads as before."""
    if week.stage is None and not week.milestones_due and week.investment_year is None:
        return []
    share = (
        f" ({(week.investment_year or 0) / week.investment_plan:.0%})"
        if week.investment_plan
        else ""
    )
    lines = [
        t(
            lang,
            "digest.plan",
            stage=t(lang, f"stage.{week.stage}") if week.stage else "–",
            bar=progress_bar(week.milestones_on_time, week.milestones_due),
            invested=format_money(week.investment_year, lang) + share,
        )
    ]
    if week.milestones_behind:
        behind = t(lang, "digest.joiner").join(
            t(lang, "digest.milestone_behind", name=name, day=day.isoformat())
            for name, day in week.milestones_behind
        )
        lines.append(t(lang, "digest.behind", milestones=behind))
    for text in week.explained:
        lines.append(t(lang, "digest.explained", text=text))
    return lines
