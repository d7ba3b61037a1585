"""The problem ledger (帮办台帐): reporting, reading and changing problems.

Every change is a conditional update plus a history event plus any notices, in one
transaction (``ProblemRepo.apply``), so a stale or repeated press changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Literal

from bot.clock import Clock, format_local
from bot.conversation import Conversation
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.ledger.announce import NewProblemCards
from bot.ledger.cards import CardRenderer
from bot.parsing import (
    clean_text,
    parse_problem_id,
    parse_project_id,
)
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import Reply, shorten
from storage.access import DEPT, MEMBER, Denied, Need
from storage.attachments import Attachment, IncomingFile
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.problem_rows import Problem
from storage.problems import Change
from storage.repos import Repositories

log = logging.getLogger(__name__)


MAX_TEXT = 2000
OPEN = ("open", "in_progress")
AWAITING = ("awaiting",)
UNRESOLVED = OPEN + AWAITING  # not crossed off
ANY = ("open", "in_progress", "awaiting", "resolved")
# A second identical report, note or extension within this window is a retry, not a new one.
REPEAT_WINDOW = timedelta(minutes=10)


async def _nothing() -> None:
    """Default before the scheduler is wired."""


class LedgerService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        conversation: Conversation,
        clock: Clock,
        cards: CardRenderer,
        *,
        deadline_default: timedelta,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._conversation = conversation
        self._clock = clock
        self.cards = cards
        self._deadline_default = deadline_default
        # The cards telling of a new problem at once (NEW_PROBLEM_TO says to whom).
        self.announcer = NewProblemCards(repos, registry, projects, clock, cards)
        # Replans the scheduler's escalation job; set by the composition root.
        self.on_deadlines_changed: Callable[[], Awaitable[None]] = _nothing

    # --- lookups and permissions ------------------------------------------------------------

    async def roles_on(self, user_id: int, project_id: int) -> set[str]:
        return await self._registry.roles_on(user_id, project_id)

    async def problem(self, problem_id: int) -> Problem:
        problem = await self._repos.problems.get(problem_id)
        if problem is None:
            raise UserError("error.unknown_problem", id=problem_id)
        return problem

    async def visible(self, user_id: int, problem_id: int) -> Problem:
        """The problem, if it is in one of the user's projects. To anyone else a problem that
        exists and one that does not look the same."""
        problem = await self._repos.problems.get(problem_id)
        if problem is None and await self._registry.is_admin(user_id):
            raise UserError("error.unknown_problem", id=problem_id)
        if problem is None or not (
            await self.roles_on(user_id, problem.project_id) & MEMBER
            or await self.department_roles_on(user_id, problem.id)
        ):
            raise UserError("error.problem_unseen", id=problem_id)
        return problem

    async def department_roles_on(self, user_id: int, problem_id: int) -> set[str]:
        """The person's roles in the departments the problem is handed to now: a department
        sees (and works on) only what it holds."""
        held = {h.department_id for h in await self._repos.handovers.of_problem(problem_id)}
        if not held:
            return set()
        return {
            m.role
            for m in await self._repos.departments.of_user(user_id)
            if m.department_id in held
        }

    async def allowed(self, user_id: int, problem_id: int, roles: frozenset[str]) -> Problem:
        problem = await self.visible(user_id, problem_id)
        if (await self.roles_on(user_id, problem.project_id)) & roles:
            return problem
        if roles & DEPT and await self.department_roles_on(user_id, problem.id) & roles:
            return problem
        raise UserError("error.problem_forbidden", id=problem.id)

    async def deadline_for(self, project_id: int) -> timedelta:
        return await self._repos.problems.deadline_default(project_id) or self._deadline_default

    # --- reporting --------------------------------------------------------------------------

    async def new_problem(self, user_id: int, args: list[str], lang: str) -> Reply:
        """``/newproblem <project id> [text]``; without text the next message is the text."""
        if not args:
            raise UsageError("newproblem")
        project_id = parse_project_id(args[0])
        # Members first: a stranger learns nothing about which project ids exist.
        if not await self.roles_on(user_id, project_id) & MEMBER:
            raise UserError("error.not_member", id=project_id)
        project = await self._projects.active_project(project_id)
        if len(args) == 1:
            await self._conversation.expect(user_id, "problem", project_id=project.id)
            return Reply(t(lang, "checkin.describe_problem"))
        return await self.record(user_id, project.id, " ".join(args[1:]), lang)

    async def record(
        self,
        user_id: int,
        project_id: int,
        raw: str,
        lang: str,
        files: Sequence[IncomingFile] = (),
    ) -> Reply:
        """Put a problem into the ledger; the same report repeated within minutes is the same
        problem (a retry), not a second one."""
        text = clean_text(raw, MAX_TEXT)
        now = self._clock.now()
        deadline = now + await self.deadline_for(project_id)
        announce = await self.announcer.announcement(project_id, user_id, text, deadline)
        try:
            problem_id, _ = await self._repos.problems.create(
                Need(user_id, MEMBER, project_id),
                text,
                deadline,
                now,
                REPEAT_WINDOW,
                files,
                announce,
            )
        except Denied as exc:
            raise refusal(exc) from None
        await self.on_deadlines_changed()
        return await self.recorded_reply(user_id, problem_id, lang)

    async def recorded_reply(self, user_id: int, problem_id: int, lang: str) -> Reply:
        """Confirmation after a report, with buttons to choose the deadline; then, in a message
        of its own, the first of the follow-up questions (coordination needed, proposed
        solution), each skippable."""
        problem = await self.problem(problem_id)
        recorded = self.recorded_text(problem, lang)
        if problem.coordination is not None or problem.proposal is not None:
            return recorded
        return replace(recorded, after=(await self.ask_coordination(user_id, problem.id, lang),))

    async def ask_coordination(self, user_id: int, problem_id: int, lang: str) -> Reply:
        """The first follow-up question of a new problem; the next message answers it."""
        await self._conversation.expect(user_id, "coordination", problem_id=problem_id)
        skip = OutgoingButton(t(lang, "button.skip"), f"pb:sc:{problem_id}")
        return Reply(t(lang, "problem.ask_coordination", id=problem_id), ((skip,),))

    def recorded_text(self, problem: Problem, lang: str, *, choosing: bool = True) -> Reply:
        """The report's confirmation: with the deadline choices (``choosing``) as sent, without
        once one is chosen."""
        text = t(
            lang,
            "checkin.problem_recorded",
            id=problem.id,
            project=problem.project_name,
            deadline=format_local(problem.deadline, problem.project_timezone),
        )
        buttons: list[tuple[OutgoingButton, ...]] = []
        if choosing:
            text += "\n" + t(lang, "problem.choose_deadline")
            buttons.append(
                tuple(
                    OutgoingButton(t(lang, f"button.deadline_{code}"), f"pb:{code}:{problem.id}")
                    for code in ("d1", "d3", "d7", "dx")
                )
            )
        return Reply(text, tuple(buttons))

    async def add_followup(
        self, user_id: int, problem_id: int, column: Literal["coordination", "proposal"], raw: str
    ) -> Problem:
        """The reporter's coordination needed or proposed solution (拿出办法)."""
        problem = await self.allowed(user_id, problem_id, MEMBER)
        if problem.reporter_id != user_id:
            raise UserError("error.problem_forbidden", id=problem.id)
        text = clean_text(raw, MAX_TEXT)
        change = Change(
            column,
            UNRESOLVED,
            MEMBER,
            coordination=text if column == "coordination" else None,
            proposal=text if column == "proposal" else None,
        )
        # The cards already told of the problem show what was just added (queued with it).
        if column == "coordination":
            now_reads = replace(problem, coordination=text)
        else:
            now_reads = replace(problem, proposal=text)
        edits = await self.announcer.edits(now_reads, column)
        if not await self.apply_change(user_id, problem, change, edits, used_input=True):
            raise UserError("problem.already_resolved_short", id=problem.id)
        return problem

    # --- reading ----------------------------------------------------------------------------

    async def list_unresolved(self, user_id: int, project_arg: str | None) -> list[Problem]:
        if project_arg is not None:
            project_id = parse_project_id(project_arg)
            if not await self.roles_on(user_id, project_id) & MEMBER:
                raise UserError("error.not_member", id=project_id)
            project = await self._projects.project(project_id)
            return await self._repos.problems.unresolved([project.id])
        # The ledger to work on: an archived project's problems are no longer chased (named
        # with its id, they are still shown).
        scoped: list[int] = []
        if await self._registry.is_admin(user_id):
            reach = await self._registry.admin_projects(user_id)
            if reach is None:
                return await self._repos.problems.unresolved(None, active_only=True)
            scoped = reach
        projects = sorted(
            {m.project_id for m in await self._repos.members.of_user(user_id)} | set(scoped)
        )
        departments = sorted(
            {m.department_id for m in await self._repos.departments.of_user(user_id)}
        )
        if not projects and not departments:
            raise UserError("error.no_projects")
        found = {p.id: p for p in await self._repos.problems.unresolved(projects, active_only=True)}
        for problem in await self._repos.problems.handed_to(departments):
            found.setdefault(problem.id, problem)
        return sorted(found.values(), key=lambda p: (p.deadline, p.id))

    async def show(self, user_id: int, problem_arg: str, lang: str) -> list[Reply]:
        """/problem: the problem with its whole history, to whoever may see it."""
        problem = await self.visible(user_id, parse_problem_id(problem_arg))
        history = await self._repos.problems.history(problem.id)
        return self.cards.render_full(problem, history, lang)

    # --- changes ----------------------------------------------------------------------------

    async def reporter_notice(
        self, problem: Problem, actor_id: int, key: str, **params: object
    ) -> list[OutgoingMessage]:
        """Tell the reporter what someone else did to their problem."""
        return await self.notice_to(problem.reporter_id, problem, actor_id, key, **params)

    async def notice_to(
        self, person_id: int, problem: Problem, actor_id: int, key: str, **params: object
    ) -> list[OutgoingMessage]:
        """A message to ``person_id`` about what ``actor_id`` did; none to the actor."""
        if person_id == actor_id:
            return []
        lang = await self._registry.language_of(person_id)
        actor = await self._repos.people.get(actor_id)
        text = t(
            lang,
            key,
            id=problem.id,
            text=shorten(problem.text),
            who=actor.display_name if actor else str(actor_id),
            **params,
        )
        stamp = self._clock.now().isoformat()
        return [
            OutgoingMessage(
                f"told:{problem.id}:{key}:{person_id}:{stamp}",
                person_id,
                text,
                user_id=person_id,
            )
        ]

    async def apply_change(
        self,
        user_id: int,
        problem: Problem,
        change: Change,
        notices: list[OutgoingMessage],
        *,
        used_input: bool = False,
        files: Sequence[IncomingFile] = (),
        **detail: object,
    ) -> bool:
        """Apply a change; the actor's role is checked again in its transaction."""
        try:
            applied = await self._repos.problems.apply(
                problem.id,
                change,
                user_id,
                self._clock.now(),
                notices,
                used_input=used_input,
                files=files,
                **detail,
            )
        except Denied as exc:
            if exc.reason == "extension_limit":
                raise UserError("problem.extension_limit", id=problem.id) from None
            raise refusal(exc) from None
        if applied and (change.deadline is not None or change.status is not None):
            await self.on_deadlines_changed()
        return applied

    async def repeated(self, user_id: int, problem_id: int, kind: str, **detail: object) -> bool:
        """Whether the problem's latest change is this same one by this person, moments ago:
        a command retried after a lost reply, to be answered but not applied again."""
        history = await self._repos.problems.history(problem_id)
        if not history:
            return False
        last = history[-1]
        return (
            last.kind == f"problem.{kind}"
            and last.actor_id == user_id
            and self._clock.now() - last.at <= REPEAT_WINDOW
            and all(last.detail.get(key) == value for key, value in detail.items())
        )

    async def note(
        self,
        user_id: int,
        problem_id: int,
        raw: str,
        *,
        used_input: bool = False,
        files: Sequence[IncomingFile] = (),
    ) -> Problem:
        problem = await self.allowed(user_id, problem_id, MEMBER | DEPT)
        text = clean_text(raw, MAX_TEXT)
        if not await self.repeated(user_id, problem.id, "note", text=text):
            await self.apply_change(
                user_id,
                problem,
                Change("note", ANY, MEMBER | DEPT, text=text),
                [],
                used_input=used_input,
                files=files,
            )
        return problem

    async def files_of(self, user_id: int, problem_id: int) -> list[Attachment]:
        """A problem's photos and files, for anyone who may see the problem."""
        problem = await self.visible(user_id, problem_id)
        return await self._repos.attachments.of_problem(problem.id)
