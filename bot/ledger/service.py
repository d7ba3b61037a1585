"""The problem ledger (帮办台帐): reporting, reading and changing problems.

Every change is a conditional update plus a history event plus any notices, in one
transaction (``ProblemRepo.apply``), so a stale or repeated press changes nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local
from bot.config import format_duration, parse_duration
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.ledger.cards import CardRenderer
from bot.registry import Registry, clean_text, parse_project_id
from bot.replies import Buttons, Reply, shorten
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.problems import Change, Problem
from storage.repos import Repositories

log = logging.getLogger(__name__)


DATE_DEADLINE_AT = time(18, 0)  # a deadline given as a date means the end of that working day
MAX_TEXT = 2000
MAX_DEADLINE = timedelta(days=366)
OPEN = ("open", "in_progress")
ANY = ("open", "in_progress", "resolved")
MEMBER_ROLES = frozenset({"secretary", "leader", "admin"})
LEAD_ROLES = frozenset({"leader", "admin"})


def parse_problem_id(raw: str) -> int:
    value = raw.strip().lstrip("#")
    if not value.isdigit() or len(value) > 12 or int(value) == 0:
        raise UserError("error.bad_problem_id", value=raw[:40])
    return int(value)


class LedgerService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        clock: Clock,
        cards: CardRenderer,
        *,
        deadline_default: timedelta,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self.cards = cards
        self._deadline_default = deadline_default

    # --- lookups and permissions ------------------------------------------------------------

    async def roles_on(self, user_id: int, project_id: int) -> set[str]:
        roles: set[str] = {
            m.role for m in await self._repos.members.of_user(user_id) if m.project_id == project_id
        }
        if await self._registry.is_admin(user_id):
            roles.add("admin")
        return roles

    async def problem(self, problem_id: int) -> Problem:
        problem = await self._repos.problems.get(problem_id)
        if problem is None:
            raise UserError("error.unknown_problem", id=problem_id)
        return problem

    async def _allowed(self, user_id: int, problem: Problem, roles: frozenset[str]) -> None:
        if not (await self.roles_on(user_id, problem.project_id)) & roles:
            raise UserError("error.problem_forbidden", id=problem.id)

    async def deadline_for(self, project_id: int) -> timedelta:
        return await self._repos.problems.deadline_default(project_id) or self._deadline_default

    def parse_deadline(self, raw: str, timezone: str) -> datetime:
        """A duration from now (``90m``, ``3d``) or a date (18:00 that day, project time)."""
        now = self._clock.now()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            day = date.fromisoformat(raw.strip())
            deadline = datetime.combine(day, DATE_DEADLINE_AT, tzinfo=ZoneInfo(timezone))
        else:
            try:
                deadline = now + parse_duration(raw)
            except ValueError:
                raise UserError("error.bad_deadline", value=raw[:20]) from None
        if deadline <= now:
            raise UserError("error.deadline_past")
        if deadline - now > MAX_DEADLINE:
            raise UserError("error.deadline_far")
        return deadline

    # --- reporting --------------------------------------------------------------------------

    async def new_problem(self, user_id: int, args: list[str], lang: str) -> Reply:
        """``/newproblem <project id> [text]``; without text the next message is the text."""
        if not args:
            raise UsageError("newproblem")
        project = await self._registry.active_project(parse_project_id(args[0]))
        if not (await self.roles_on(user_id, project.id)) & MEMBER_ROLES:
            raise UserError("error.not_member", id=project.id)
        if len(args) == 1:
            await self._repos.pending.set(
                user_id, "problem", self._clock.now(), project_id=project.id
            )
            return Reply(t(lang, "checkin.describe_problem"))
        return await self.record(user_id, project.id, " ".join(args[1:]), lang)

    async def record(self, user_id: int, project_id: int, raw: str, lang: str) -> Reply:
        text = clean_text(raw, MAX_TEXT)
        now = self._clock.now()
        deadline = now + await self.deadline_for(project_id)
        problem_id = await self._repos.problems.create(project_id, user_id, text, deadline, now)
        return await self.recorded_reply(problem_id, lang)

    async def recorded_reply(self, problem_id: int, lang: str) -> Reply:
        """Confirmation after a report, with buttons to choose the deadline."""
        problem = await self.problem(problem_id)
        buttons: Buttons = (
            tuple(
                OutgoingButton(t(lang, f"button.deadline_{code}"), f"pb:{code}:{problem.id}")
                for code in ("d1", "d3", "d7", "dx")
            ),
        )
        return Reply(
            t(
                lang,
                "checkin.problem_recorded",
                id=problem.id,
                project=problem.project_name,
                deadline=format_local(problem.deadline, problem.project_timezone),
            )
            + "\n"
            + t(lang, "problem.choose_deadline"),
            buttons,
        )

    # --- reading ----------------------------------------------------------------------------

    async def list_unresolved(self, user_id: int, project_arg: str | None) -> list[Problem]:
        if project_arg is not None:
            project = await self._registry.project(parse_project_id(project_arg))
            if not (await self.roles_on(user_id, project.id)) & MEMBER_ROLES:
                raise UserError("error.not_member", id=project.id)
            return await self._repos.problems.unresolved([project.id])
        if await self._registry.is_admin(user_id):
            return await self._repos.problems.unresolved(None)
        projects = sorted({m.project_id for m in await self._repos.members.of_user(user_id)})
        if not projects:
            raise UserError("error.no_projects")
        return await self._repos.problems.unresolved(projects)

    async def show(self, user_id: int, problem_arg: str, lang: str) -> Reply:
        problem = await self.problem(parse_problem_id(problem_arg))
        await self._allowed(user_id, problem, MEMBER_ROLES)
        history = await self._repos.problems.history(problem.id)
        return self.cards.render_card(problem, history, lang, level=None, buttons=False, full=True)

    # --- changes ----------------------------------------------------------------------------

    async def _reporter_notice(
        self, problem: Problem, actor_id: int, key: str, **params: object
    ) -> list[OutgoingMessage]:
        if problem.reporter_id == actor_id:
            return []
        lang = await self._registry.language_of(problem.reporter_id)
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
                f"told:{problem.id}:{key}:{stamp}",
                problem.reporter_id,
                text,
                user_id=problem.reporter_id,
            )
        ]

    async def _apply(
        self,
        user_id: int,
        problem: Problem,
        change: Change,
        notices: list[OutgoingMessage],
        **detail: object,
    ) -> bool:
        return await self._repos.problems.apply(
            problem.id, change, user_id, self._clock.now(), notices, **detail
        )

    async def note(self, user_id: int, problem_id: int, raw: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, MEMBER_ROLES)
        text = clean_text(raw, MAX_TEXT)
        await self._apply(user_id, problem, Change("note", ANY, text=text), [])
        return problem

    async def acknowledge(self, user_id: int, problem: Problem) -> bool:
        notices = await self._reporter_notice(problem, user_id, "told.acknowledged")
        return await self._apply(
            user_id, problem, Change("acknowledged", ("open",), status="in_progress"), notices
        )

    async def resolve(self, user_id: int, problem_id: int, note: str | None) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, MEMBER_ROLES)
        text = clean_text(note, MAX_TEXT) if note else None
        notices = await self._reporter_notice(problem, user_id, "told.resolved")
        if not await self._apply(
            user_id, problem, Change("resolved", OPEN, status="resolved", text=text), notices
        ):
            raise self.already_resolved(problem_id, await self.problem(problem_id))
        return await self.problem(problem_id)

    def already_resolved(self, problem_id: int, problem: Problem) -> UserError:
        return UserError(
            "problem.already_resolved",
            id=problem_id,
            who=problem.resolved_by_name or "?",
            at=format_local(problem.resolved_at, problem.project_timezone)
            if problem.resolved_at
            else "?",
        )

    async def reopen(self, user_id: int, problem_id: int, reason: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        text = clean_text(reason, MAX_TEXT)
        deadline = self._clock.now() + await self.deadline_for(problem.project_id)
        change = Change("reopened", ("resolved",), status="open", text=text, deadline=deadline)
        if not await self._apply(user_id, problem, change, []):
            raise UserError("problem.not_resolved", id=problem_id)
        return await self.problem(problem_id)

    async def extend(self, user_id: int, problem_id: int, raw: str, reason: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        try:
            length = parse_duration(raw)
        except ValueError:
            raise UserError("error.bad_duration", value=raw[:20]) from None
        return await self.extend_by(user_id, problem, length, clean_text(reason, MAX_TEXT))

    async def extend_by(
        self, user_id: int, problem: Problem, length: timedelta, reason: str
    ) -> Problem:
        # An extension starts a new deadline from now (or from the old one, if that is later).
        base = max(self._clock.now(), problem.deadline)
        deadline = base + length
        notices = await self._reporter_notice(
            problem,
            user_id,
            "told.extended",
            deadline=format_local(deadline, problem.project_timezone),
            reason=reason,
        )
        if not await self._apply(
            user_id, problem, Change("extended", OPEN, deadline=deadline, text=reason), notices
        ):
            raise self.already_resolved(problem.id, await self.problem(problem.id))
        return await self.problem(problem.id)

    async def assign(self, user_id: int, problem_id: int, name: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        assignee = clean_text(name, 200)
        await self._apply(user_id, problem, Change("assigned", ANY, assignee=assignee), [])
        return await self.problem(problem_id)

    async def set_deadline(self, user_id: int, args: list[str]) -> tuple[str, object, str]:
        """``/deadline <problem> <duration|date>`` or ``/deadline default <project> <duration>``."""
        if len(args) == 3 and args[0].lower() == "default":
            project = await self._registry.project(parse_project_id(args[1]))
            await self._registry.require_admin(user_id)
            try:
                value = parse_duration(args[2])
            except ValueError:
                raise UserError("error.bad_duration", value=args[2][:20]) from None
            if value < timedelta(minutes=5) or value > MAX_DEADLINE:
                raise UserError("error.deadline_far")
            await self._repos.problems.set_deadline_default(
                project.id, value, user_id, self._clock.now()
            )
            return "default", project.id, format_duration(value)
        if len(args) != 2:
            raise UsageError("deadline")
        problem = await self.problem(parse_problem_id(args[0]))
        await self.check_deadline_rights(user_id, problem)
        deadline = self.parse_deadline(args[1], problem.project_timezone)
        await self.set_deadline_at(user_id, problem, deadline)
        return "problem", problem.id, format_local(deadline, problem.project_timezone)

    async def check_deadline_rights(self, user_id: int, problem: Problem) -> None:
        roles = await self.roles_on(user_id, problem.project_id)
        if roles & LEAD_ROLES:
            return
        # The reporter may set the deadline until the problem has been escalated.
        if problem.reporter_id == user_id and not await self._repos.problems.escalation_levels(
            problem
        ):
            return
        raise UserError("error.problem_forbidden", id=problem.id)

    async def set_deadline_at(self, user_id: int, problem: Problem, deadline: datetime) -> None:
        if not await self._apply(user_id, problem, Change("deadline", OPEN, deadline=deadline), []):
            raise self.already_resolved(problem.id, await self.problem(problem.id))
