"""Decisions on a problem's course: acknowledging, crossing off (销号) and its confirmation,
sending back, extending, assigning and setting deadlines.

A secretary's "solved" is a claim: the problem awaits confirmation by the project's leaders
(else the admins), and only their confirmation closes it. Extensions need a reason and are
limited for leaders; admins may always extend.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.clock import Clock, format_local
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.ledger.service import ANY, AWAITING, OPEN, UNRESOLVED, LedgerService
from bot.parsing import (
    clean_text,
    keyword,
    parse_deadline,
    parse_duration,
    parse_problem_id,
    parse_project_id,
)
from bot.projects import ProjectService
from bot.registry import Registry
from storage.access import ADMIN, LEAD, MEMBER, Denied, Need
from storage.outbox import OutgoingMessage
from storage.problem_rows import Problem
from storage.problems import Change
from storage.repos import Repositories

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_DEADLINE = timedelta(days=366)
MIN_EXTENSION = timedelta(hours=1)
MIN_DEFAULT_DEADLINE = timedelta(minutes=5)
# The first hour after a report its deadline is being chosen (the buttons under the report,
# /deadline); after that a later deadline is an extension: with a reason, counted, limited.
DEADLINE_CHOICE = timedelta(hours=1)


class Decisions:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        ledger: LedgerService,
        clock: Clock,
        *,
        confirm_resolve: bool,
        max_extensions: int,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._ledger = ledger
        self._clock = clock
        self.confirm_resolve = confirm_resolve
        self.max_extensions = max_extensions

    async def is_admin(self, user_id: int) -> bool:
        return await self._registry.is_admin(user_id)

    # --- acknowledging and crossing off -------------------------------------------------------

    async def acknowledge(self, user_id: int, problem: Problem) -> bool:
        """签收: open → in progress; False if it was in progress already. One awaiting its
        crossing-off or crossed off is refused (UserError), whoever presses."""
        if problem.status == "resolved":
            raise self.already_resolved(problem.id, problem)
        if problem.status == "awaiting":
            raise UserError("problem.awaiting_no_change", id=problem.id)
        notices = await self._ledger.reporter_notice(problem, user_id, "told.acknowledged")
        return await self._ledger.apply_change(
            user_id,
            problem,
            Change("acknowledged", ("open",), LEAD, status="in_progress"),
            notices,
        )

    async def resolve(self, user_id: int, problem_id: int, note: str | None) -> Problem:
        """Cross a problem off; from a secretary (with confirmation on) a claim that awaits a
        leader's confirmation. The returned problem's status tells which happened."""
        problem = await self._ledger.allowed(user_id, problem_id, MEMBER)
        text = clean_text(note, MAX_TEXT) if note else None
        roles = await self._ledger.roles_on(user_id, problem.project_id)
        if self.confirm_resolve and not self.closes_at_once(user_id, problem, roles):
            return await self._claim(user_id, problem, text)
        notices = await self._closing_notices(problem, user_id)
        # With confirmation on, closing at once is for leaders and admins, checked again in the
        # transaction: someone demoted a moment ago cannot close it.
        who = LEAD if self.confirm_resolve else MEMBER
        change = Change("resolved", UNRESOLVED, who, status="resolved", text=text)
        if not await self._ledger.apply_change(user_id, problem, change, notices):
            raise self.already_resolved(problem_id, await self._ledger.problem(problem_id))
        return await self._ledger.problem(problem_id)

    @staticmethod
    def closes_at_once(user_id: int, problem: Problem, roles: set[str]) -> bool:
        """With confirmation on, leaders and admins close at once, except a leader closing a
        problem they reported: that needs someone else's confirmation, as anyone's claim does."""
        if "admin" in roles:
            return True
        return bool(roles & LEAD) and user_id not in (problem.reporter_id, problem.claimed_by)

    @staticmethod
    def confirms_own(user_id: int, problem: Problem, roles: set[str]) -> bool:
        """Whether this would be someone confirming the crossing-off of a problem they reported
        or claimed solved themselves (admins excepted: they are the office)."""
        return "admin" not in roles and user_id in (problem.reporter_id, problem.claimed_by)

    async def _closing_notices(self, problem: Problem, user_id: int) -> list[OutgoingMessage]:
        """The reporter is told it was closed; whoever claimed it solved, that it was confirmed."""
        notices = []
        if problem.claimed_by is not None:
            notices += await self._ledger.notice_to(
                problem.claimed_by, problem, user_id, "told.confirmed"
            )
        if problem.claimed_by != problem.reporter_id:
            notices += await self._ledger.reporter_notice(problem, user_id, "told.resolved")
        return notices

    async def _claim(self, user_id: int, problem: Problem, text: str | None) -> Problem:
        if problem.status == "awaiting":
            raise UserError("problem.already_awaiting", id=problem.id)
        now = self._clock.now()
        claimer = await self._repos.people.get(user_id)
        claimed = replace(
            problem,
            status="awaiting",
            claimed_by=user_id,
            claimed_at=now,
            claimed_by_name=claimer.display_name if claimer else str(user_id),
        )
        cards = await self.confirmation_cards(claimed, user_id, text, now)
        if not cards:
            log.error("problem %s: nobody to confirm its crossing-off (no admins)", problem.id)
        change = Change("claimed", OPEN, MEMBER, status="awaiting", text=text)
        if not await self._ledger.apply_change(user_id, problem, change, cards):
            fresh = await self._ledger.problem(problem.id)
            if fresh.status == "awaiting":
                raise UserError("problem.already_awaiting", id=problem.id)
            raise self.already_resolved(problem.id, fresh)
        return await self._ledger.problem(problem.id)

    async def confirmation_cards(
        self, problem: Problem, claimer_id: int, text: str | None, now: datetime
    ) -> list[OutgoingMessage]:
        """Cards asking the project's leaders (else the admins) to confirm or send back."""
        history = await self._repos.problems.history(problem.id)
        who = problem.claimed_by_name or str(claimer_id)
        messages = []
        for chat_id, lang in await self.deciders(problem):
            title = t(lang, "confirm.title", who=who, id=problem.id)
            if text:
                title += "\n" + t(lang, "confirm.note", text=text)
            card = self._ledger.cards.render_card(
                problem, history, lang, level=None, title=title + "\n"
            )
            messages.append(
                OutgoingMessage(
                    f"confirm:{problem.id}:{now.isoformat()}:{chat_id}",
                    chat_id,
                    card.text,
                    user_id=chat_id,
                    buttons=card.buttons,
                    project_id=problem.project_id,
                    # A card that cannot reach its leader goes to the admins instead.
                    fallback=True,
                )
            )
        return messages

    async def deciders(self, problem: Problem) -> list[tuple[int, str]]:
        """Who confirms a crossing-off: the project's reachable leaders other than whoever
        reported or claimed it, else the admins."""
        found = []
        own = {problem.reporter_id, problem.claimed_by}
        for leader in await self._repos.members.of_project(problem.project_id, "leader"):
            if leader.person.reachable and leader.person.user_id not in own:
                user_id = leader.person.user_id
                found.append((user_id, await self._registry.language_of(user_id)))
        if not found:
            for admin_id in await self._repos.admins.ids():
                found.append((admin_id, await self._registry.language_of(admin_id)))
        return found

    async def confirm(self, user_id: int, problem: Problem) -> bool:
        """A leader's or admin's confirmation of a claimed crossing-off; False if it was not
        awaiting confirmation (any more)."""
        roles = await self._ledger.roles_on(user_id, problem.project_id)
        if self.confirms_own(user_id, problem, roles):
            raise UserError("problem.confirm_own", id=problem.id)
        notices = await self._closing_notices(problem, user_id)
        change = Change("confirmed", AWAITING, LEAD, status="resolved")
        return await self._ledger.apply_change(user_id, problem, change, notices)

    async def send_back(
        self, user_id: int, problem_id: int, reason: str, *, used_input: bool = False
    ) -> Problem:
        """Refuse a claimed crossing-off: the problem is open again, the claimer told why."""
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        text = clean_text(reason, MAX_TEXT)
        notices = []
        if problem.claimed_by is not None:
            notices = await self._ledger.notice_to(
                problem.claimed_by, problem, user_id, "told.sent_back", reason=text
            )
        change = Change("sent_back", AWAITING, LEAD, status="open", text=text)
        if not await self._ledger.apply_change(
            user_id, problem, change, notices, used_input=used_input
        ):
            raise UserError("problem.not_awaiting", id=problem_id)
        return await self._ledger.problem(problem_id)

    def already_resolved(self, problem_id: int, problem: Problem) -> UserError:
        return UserError(
            "problem.already_resolved",
            id=problem_id,
            who=problem.resolved_by_name or "?",
            at=format_local(problem.resolved_at, problem.project_timezone)
            if problem.resolved_at
            else "?",
        )

    async def reopen(self, user_id: int, problem_id: int, reason: str) -> tuple[Problem, bool]:
        """退回重办: a crossed-off problem, or one awaiting confirmation (True: sent back), goes
        back to work."""
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        if problem.status == "awaiting":
            return await self.send_back(user_id, problem.id, reason), True
        text = clean_text(reason, MAX_TEXT)
        deadline = self._clock.now() + await self._ledger.deadline_for(problem.project_id)
        change = Change(
            "reopened", ("resolved",), LEAD, status="open", text=text, deadline=deadline
        )
        if not await self._ledger.apply_change(user_id, problem, change, []):
            raise UserError("problem.not_resolved", id=problem_id)
        return await self._ledger.problem(problem_id), False

    # --- extensions -------------------------------------------------------------------------

    async def extend(self, user_id: int, problem_id: int, raw: str, reason: str) -> Problem:
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        length = parse_duration(raw, MIN_EXTENSION, MAX_DEADLINE)
        text = clean_text(reason, MAX_TEXT)
        seconds = int(length.total_seconds())
        if await self._ledger.repeated(user_id, problem.id, "extended", text=text, seconds=seconds):
            return problem
        return await self.extend_by(user_id, problem, length, text)

    async def may_extend(self, user_id: int, problem: Problem) -> bool:
        """Whether this person may extend now: leaders until the limit, admins always."""
        if await self._registry.is_admin(user_id):
            return True
        return problem.extensions < self.max_extensions

    async def extend_by(
        self,
        user_id: int,
        problem: Problem,
        length: timedelta,
        reason: str,
        *,
        used_input: bool = False,
    ) -> Problem:
        # The same bound for every way a reason comes in (/extend, the reply after Extend).
        reason = clean_text(reason, MAX_TEXT)
        # An extension starts a new deadline from now (or from the old one, if that is later).
        base = max(self._clock.now(), problem.deadline)
        deadline = base + length
        notices = await self._ledger.reporter_notice(
            problem,
            user_id,
            "told.extended",
            deadline=format_local(deadline, problem.project_timezone),
            reason=reason,
        )
        change = Change(
            "extended",
            OPEN,
            LEAD,
            deadline=deadline,
            text=reason,
            extension=True,
            extension_limit=self.max_extensions,
        )
        if not await self._ledger.apply_change(
            user_id,
            problem,
            change,
            notices,
            used_input=used_input,
            seconds=int(length.total_seconds()),
        ):
            fresh = await self._ledger.problem(problem.id)
            if fresh.status == "awaiting":
                raise UserError("problem.awaiting_no_change", id=problem.id)
            raise self.already_resolved(problem.id, fresh)
        return await self._ledger.problem(problem.id)

    # --- assignment and deadlines -------------------------------------------------------------

    async def assign(self, user_id: int, problem_id: int, name: str) -> Problem:
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        assignee = clean_text(name, 200)
        if problem.assignee != assignee:
            change = Change("assigned", ANY, LEAD, assignee=assignee)
            await self._ledger.apply_change(user_id, problem, change, [])
        return await self._ledger.problem(problem_id)

    async def set_deadline(self, user_id: int, args: list[str]) -> tuple[str, int, object]:
        """``/deadline <problem> <duration|date>`` or ``/deadline default <project> <duration>``."""
        if len(args) == 3 and keyword(args[0]) == "default":
            await self._registry.require_admin(user_id)
            project = await self._projects.project(parse_project_id(args[1]))
            value = parse_duration(args[2], MIN_DEFAULT_DEADLINE, MAX_DEADLINE)
            try:
                await self._repos.problems.set_deadline_default(
                    Need(user_id, ADMIN, project.id, active=False), value, self._clock.now()
                )
            except Denied as exc:
                raise refusal(exc) from None
            return "default", project.id, value
        if len(args) != 2:
            raise UsageError("deadline")
        problem_id, shown = await self.deadline_from(user_id, parse_problem_id(args[0]), args[1])
        return "problem", problem_id, shown

    async def deadline_from(
        self, user_id: int, problem_id: int, raw: str, *, used_input: bool = False
    ) -> tuple[int, str]:
        """A deadline typed as a duration or a date (``/deadline``, or the reply after the
        “Other…” button); returns the problem's id and the deadline as shown."""
        problem = await self._ledger.visible(user_id, problem_id)
        await self.check_deadline_rights(user_id, problem)
        deadline = parse_deadline(
            raw.strip(), self._clock.now(), problem.project_timezone, MAX_DEADLINE
        )
        await self.set_deadline_at(user_id, problem, deadline, used_input=used_input)
        return problem.id, format_local(deadline, problem.project_timezone)

    async def check_deadline_rights(self, user_id: int, problem: Problem) -> None:
        roles = await self._ledger.roles_on(user_id, problem.project_id)
        if roles & LEAD:
            return
        # The reporter may set the deadline until the problem has been escalated.
        if problem.reporter_id == user_id and not await self._repos.escalations.escalation_levels(
            problem
        ):
            return
        raise UserError("error.problem_forbidden", id=problem.id)

    async def set_deadline_at(
        self, user_id: int, problem: Problem, deadline: datetime, *, used_input: bool = False
    ) -> None:
        if deadline > problem.deadline and self._clock.now() - problem.created_at > DEADLINE_CHOICE:
            raise UserError("problem.later_is_extension", id=problem.id)
        # Leaders and admins, or the reporter before escalation (checked above): a member.
        change = Change("deadline", OPEN, MEMBER, deadline=deadline)
        if not await self._ledger.apply_change(user_id, problem, change, [], used_input=used_input):
            fresh = await self._ledger.problem(problem.id)
            if fresh.status == "awaiting":
                raise UserError("problem.awaiting_no_change", id=problem.id)
            raise self.already_resolved(problem.id, fresh)
