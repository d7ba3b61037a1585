"""What a secretary sees: the prompt with its buttons, and the next question."""

from __future__ import annotations

import logging

from bot.clock import Clock, format_local
from bot.contacts import contact_buttons
from bot.i18n import t
from bot.registry import Registry
from bot.replies import Buttons, Reply, shorten
from storage.checkins import CheckinRow
from storage.outbox import OutgoingButton
from storage.problem_rows import OpenProblem
from storage.repos import Repositories

log = logging.getLogger(__name__)

PROBLEM_BUTTONS = 5


def skip_button(checkin_id: int, number: int, lang: str) -> OutgoingButton:
    """Skip question ``number``: a second tap finds it answered, and skips nothing more."""
    return OutgoingButton(t(lang, "button.skip"), f"ci:sk:{checkin_id}:{number}")


class PromptRenderer:
    """Renders prompts in the secretary's language; reads questions and open problems."""

    def __init__(self, repos: Repositories, registry: Registry, clock: Clock) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock

    # --- rendering --------------------------------------------------------------------------

    def lang(self, checkin: CheckinRow) -> str:
        return checkin.language or self._registry.default_language

    @staticmethod
    def buttons(
        checkin_id: int,
        lang: str,
        *,
        skip: int | None = None,
        problems: list[OpenProblem] | None = None,
        milestones_project: int | None = None,
    ) -> Buttons:
        """The prompt's buttons; ``skip``: the number of the question a Skip button skips."""
        rows = [
            (
                OutgoingButton(t(lang, "button.all_ok"), f"ci:ok:{checkin_id}"),
                OutgoingButton(t(lang, "button.problem"), f"ci:pb:{checkin_id}"),
            ),
            (OutgoingButton(t(lang, "button.leave"), f"ci:lv:{checkin_id}"),),
        ]
        if skip is not None:
            rows.append((skip_button(checkin_id, skip, lang),))
        for problem in (problems or [])[:PROBLEM_BUTTONS]:
            rows.append(
                (
                    OutgoingButton(
                        t(lang, "button.note_problem", id=problem.id), f"pb:nt:{problem.id}"
                    ),
                    OutgoingButton(
                        t(lang, "button.resolve_problem", id=problem.id), f"pb:rs:{problem.id}"
                    ),
                )
            )
        if milestones_project is not None:
            label = t(lang, "button.milestone_done")
            rows.append((OutgoingButton(label, f"ms:{milestones_project}"),))
        return tuple(rows)

    def render_prompt(
        self,
        checkin: CheckinRow,
        lang: str,
        questions: list[str],
        problems: list[OpenProblem],
        status_line: str = "",
    ) -> Reply:
        """A project with milestones due by the round's day and undone gets a 节点完成
        button."""
        if checkin.round.audience == "leader":
            return self.contact_prompt(checkin, lang, status_line)
        tz = checkin.project_timezone
        parts = [
            t(
                lang,
                "checkin.prompt_header",
                project=checkin.project_name,
                id=checkin.round.project_id,
                date=checkin.round.local_date.isoformat(),
                closes=format_local(checkin.round.closes_at, tz),
            )
        ]
        if problems:
            lines = [t(lang, "checkin.open_problems", count=len(problems))]
            for problem in problems[:10]:
                overdue = (
                    t(lang, "problem.overdue_mark") if problem.deadline <= self._clock.now() else ""
                )
                lines.append(
                    t(
                        lang,
                        "checkin.problem_line",
                        id=problem.id,
                        text=shorten(problem.text),
                        deadline=format_local(problem.deadline, tz),
                        overdue=overdue,
                    )
                )
            parts.append("\n".join(lines))
        number: int | None = None  # the question asked now, if any
        if questions and checkin.next_question <= len(questions):
            number = checkin.next_question
            parts.append(
                t(
                    lang,
                    "checkin.question",
                    n=number,
                    total=len(questions),
                    text=questions[number - 1],
                )
            )
        elif questions:  # shown again (/checkin, a press) once every question is answered
            parts.append(t(lang, "checkin.questions_answered", total=len(questions)))
        else:
            parts.append(t(lang, "checkin.question_default"))
        parts.append(t(lang, "checkin.how_to_answer"))
        if status_line:
            parts.append(status_line)
        buttons = self.buttons(
            checkin.id,
            lang,
            skip=number,
            problems=problems,
            milestones_project=checkin.round.project_id if checkin.milestones_due else None,
        )
        return Reply("\n\n".join(parts), buttons)

    def contact_prompt(self, checkin: CheckinRow, lang: str, status_line: str = "") -> Reply:
        """A leader's weekly prompt to record the contact with the enterprise."""
        text = t(
            lang,
            "contact.prompt",
            id=checkin.round.project_id,
            project=checkin.project_name,
            closes=format_local(checkin.round.closes_at, checkin.project_timezone),
        )
        if status_line:
            text += "\n\n" + status_line
        if checkin.status == "pending":
            return Reply(text, contact_buttons(checkin.round.project_id, lang))
        return Reply(text)

    async def prompt_for(self, checkin: CheckinRow, status_line: str = "") -> Reply:
        project_id = checkin.round.project_id
        questions = await self._repos.schedules.questions(project_id) if checkin.questions else []
        problems = []
        if checkin.open_problems:
            problems = await self._repos.problems.open_for_project(project_id)
        return self.render_prompt(checkin, self.lang(checkin), questions, problems, status_line)

    def after_question(
        self, checkin: CheckinRow, lang: str, questions: list[str], answered: int
    ) -> Reply:
        if answered < len(questions):
            return Reply(
                t(
                    lang,
                    "checkin.question",
                    n=answered + 1,
                    total=len(questions),
                    text=questions[answered],
                ),
                ((skip_button(checkin.id, answered + 1, lang),),),
            )
        return Reply(t(lang, "checkin.all_questions_done", project=checkin.project_name))
