"""Handing a problem to departments (交办), from /assign or the problem card's list; the office
taking it back; and the department's card (its buttons are worked in ``bot.departments.work``).

A handover, its history entry and its cards are written in one transaction (``HandoverRepo``);
a department already holding the problem gets no second one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.checkins.schedules import ScheduleService
from bot.clock import Clock, format_local
from bot.departments.service import DepartmentService, is_department_ref, parse_department_ref
from bot.departments.workhours import WorkHours
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.ledger.decisions import MAX_DEADLINE, Decisions
from bot.ledger.service import LedgerService
from bot.parsing import parse_deadline
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import LEAD, Denied, Need
from storage.departments import Department
from storage.handovers import Handover, NewHandover
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.problem_rows import Problem, ProblemEvent
from storage.repos import Repositories

log = logging.getLogger(__name__)

CALLBACK = re.compile(r"^dp:(sg|rt|nt|dn):([0-9]{1,12})$")
PICK = re.compile(r"^dh:([0-9]{1,12}):([0-9]{1,12})$")


class HandoverService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        departments: DepartmentService,
        ledger: LedgerService,
        decisions: Decisions,
        schedules: ScheduleService,
        clock: Clock,
        *,
        deadline_default: timedelta,
        sign_within: timedelta,
        work_hours: WorkHours,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._departments = departments
        self._ledger = ledger
        self._decisions = decisions
        self._schedules = schedules
        self._clock = clock
        self.deadline_default = deadline_default
        self.sign_within = sign_within
        self.work_hours = work_hours

    # --- handing over (交办) ------------------------------------------------------------------

    async def hand(
        self, user_id: int, problem_id: int, words: Sequence[str]
    ) -> tuple[Problem, list[Department], datetime, list[Department]]:
        """``/assign <problem> d<id> [d<id> …] [time limit]``: the first department leads.
        Returns the problem, the departments handed it now, the time limit, and those of them
        with no liaison yet (the admins are told; the item waits for one)."""
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        refs = [w for w in words if is_department_ref(w)]
        rest = [w for w in words if not is_department_ref(w)]
        if not refs or len(rest) > 1:
            raise UsageError("assign")
        if problem.status == "resolved":
            raise self._decisions.already_resolved(problem.id, problem)
        departments: list[Department] = []
        for ref in refs:
            department = await self._departments.active(parse_department_ref(ref))
            if department.id not in {d.id for d in departments}:
                departments.append(department)
        now = self._clock.now()
        if rest:
            deadline = parse_deadline(rest[0], now, problem.project_timezone, MAX_DEADLINE)
        else:
            deadline = now + self.deadline_default
        return await self._hand(user_id, problem, departments, deadline)

    async def _hand(
        self, user_id: int, problem: Problem, departments: list[Department], deadline: datetime
    ) -> tuple[Problem, list[Department], datetime, list[Department]]:
        now = self._clock.now()
        calendar = await self._schedules.calendar()
        sign_due = self.work_hours.add(
            now, self.sign_within, problem.project_timezone, calendar.is_workday
        )
        held = {h.department_id for h in await self._repos.handovers.of_problem(problem.id)}
        fresh = [d for d in departments if d.id not in held]
        if not fresh:
            names = "、".join(d.name for d in departments)
            raise UserError("handover.already", id=problem.id, dept=names)
        history = await self._repos.problems.history(problem.id)
        readers: dict[int, list[tuple[int, str]]] = {}
        without: list[Department] = []
        for department in fresh:
            liaisons = await self._repos.departments.members(department.id, "liaison")
            readers[department.id] = [
                (m.person.user_id, await self._registry.language_of(m.person.user_id))
                for m in liaisons
                if m.person.reachable
            ]
            if not readers[department.id]:
                without.append(department)

        def cards(new: NewHandover, handover_id: int, lead: bool) -> list[OutgoingMessage]:
            handover = _draft(problem, new, handover_id, lead, now, user_id)
            return [
                OutgoingMessage(
                    f"handed:{handover_id}:{chat_id}",
                    chat_id,
                    (card := self.render(problem, handover, history, lang)).text,
                    user_id=chat_id,
                    buttons=card.buttons,
                    project_id=problem.project_id,
                    fallback=True,
                )
                for chat_id, lang in readers[new.department_id]
            ]

        notices: list[OutgoingMessage] = []
        for department in without:
            notices += await self._registry.admin_messages(
                f"noliaison:{problem.id}:{department.id}:{now.isoformat()}",
                "handover.no_liaison",
                {"id": problem.id, "dept": department.name, "dept_id": department.id},
            )
        new = [NewHandover(d.id, d.name, deadline, sign_due) for d in fresh]
        try:
            created = await self._repos.handovers.hand(
                Need(user_id, LEAD, problem.project_id), problem.id, new, now, cards, notices
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not created:
            raise self._decisions.already_resolved(
                problem.id, await self._ledger.problem(problem.id)
            )
        await self._ledger.on_deadlines_changed()
        return await self._ledger.problem(problem.id), fresh, deadline, without

    async def picker(self, user_id: int, problem_id: int, lang: str) -> PressResult:
        """The problem card's 交办部门 button: the active departments, one button each."""
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        departments = await self._departments.all()
        if not departments:
            return PressResult(alert=t(lang, "handover.no_departments"), show_alert=True)
        rows = tuple(
            (OutgoingButton(f"d{d.id} {d.name}"[:60], f"dh:{problem.id}:{d.id}"),)
            for d in departments[:40]
        )
        return PressResult(followups=[Reply(t(lang, "handover.pick", id=problem.id), rows)])

    async def picked(self, user_id: int, data: str, lang: str) -> PressResult:
        match = PICK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        problem = await self._ledger.allowed(user_id, int(match[1]), LEAD)
        department = await self._departments.active(int(match[2]))
        try:
            _, _, deadline, without = await self._hand(
                user_id, problem, [department], self._clock.now() + self.deadline_default
            )
        except UserError as error:
            return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
        text = self.handed_text(problem, [department], deadline, without, lang)
        return PressResult(alert=t(lang, "handover.done_short", id=problem.id), edit=Reply(text))

    def handed_text(
        self,
        problem: Problem,
        departments: list[Department],
        deadline: datetime,
        without: list[Department],
        lang: str,
    ) -> str:
        text = t(
            lang,
            "handover.handed",
            id=problem.id,
            dept="、".join(d.name for d in departments),
            deadline=format_local(deadline, problem.project_timezone),
        )
        for department in without:
            text += "\n" + t(
                lang, "handover.waits_for_liaison", dept=department.name, dept_id=department.id
            )
        return text

    async def recall(self, user_id: int, problem_id: int, department_ref: str) -> Handover:
        """``/recall <problem> d<id>``: the office takes the item back from the department."""
        problem = await self._ledger.allowed(user_id, problem_id, LEAD)
        department_id = parse_department_ref(department_ref)
        handover = next(
            (
                h
                for h in await self._repos.handovers.of_problem(problem.id)
                if h.department_id == department_id
            ),
            None,
        )
        if handover is None:
            raise UserError("handover.not_held", id=problem.id, dept_id=department_id)
        notices = await self._tell_department(handover, user_id, "told.dept_recalled")
        if not await self._repos.handovers.change(
            handover,
            user_id,
            "recalled",
            ("handed", "signed"),
            self._clock.now(),
            notices,
            office=True,
        ):
            raise UserError("handover.not_held", id=problem.id, dept_id=department_id)
        await self._ledger.on_deadlines_changed()
        return handover

    # --- cards ------------------------------------------------------------------------------

    async def cards_for(self, user_id: int, problem_id: int, lang: str) -> list[Reply]:
        """The cards, with their buttons, of the handovers of this problem held by departments
        the person serves (/problem shows a liaison what to press, also for an item that
        waited for them)."""
        mine = {m.department_id for m in await self._repos.departments.of_user(user_id)}
        if not mine:
            return []
        cards = []
        for handover in await self._repos.handovers.of_problem(problem_id):
            if handover.department_id in mine and handover.status in ("handed", "signed"):
                card = await self.card_of(handover.id, lang)
                if card is not None:
                    cards.append(card)
        return cards

    async def card_of(self, handover_id: int, lang: str) -> Reply | None:
        handover = await self._repos.handovers.get(handover_id)
        if handover is None:
            return None
        problem = await self._ledger.problem(handover.problem_id)
        history = await self._repos.problems.history(problem.id)
        return self.render(problem, handover, history, lang)

    def render(
        self,
        problem: Problem,
        handover: Handover,
        history: list[ProblemEvent],
        lang: str,
        title: str = "",
    ) -> Reply:
        """The department's card: what was handed, by when, and what it can do now."""
        tz = problem.project_timezone
        role = "lead" if handover.lead else "assist"
        head = t(
            lang,
            "handover.card_title",
            dept=handover.department_name,
            role=t(lang, f"handover.role_{role}"),
            deadline=format_local(handover.deadline, tz),
        )
        status = t(lang, f"handover.status_{handover.status}")
        if handover.status == "signed" and handover.signed_at is not None:
            status += t(
                lang,
                "handover.signed_by",
                who=handover.signed_by_name or "?",
                at=format_local(handover.signed_at, tz),
            )
        card = self._ledger.cards.render_card(
            problem,
            history,
            lang,
            level=None,
            buttons=False,
            title=(title + "\n" if title else "")
            + head
            + "\n"
            + t(lang, "handover.card_status", status=status),
        )
        buttons: list[tuple[OutgoingButton, ...]] = []
        if problem.status != "resolved":
            if handover.status == "handed":
                buttons.append(
                    (
                        OutgoingButton(t(lang, "button.dept_sign"), f"dp:sg:{handover.id}"),
                        OutgoingButton(t(lang, "button.dept_return"), f"dp:rt:{handover.id}"),
                    )
                )
            elif handover.status == "signed":
                buttons.append(
                    (
                        OutgoingButton(t(lang, "button.dept_progress"), f"dp:nt:{handover.id}"),
                        OutgoingButton(t(lang, "button.dept_done"), f"dp:dn:{handover.id}"),
                    )
                )
        if problem.attachments:
            label = t(lang, "attachment.button", count=problem.attachments)
            buttons.append((OutgoingButton(label, f"fl:p:{problem.id}"),))
        return Reply(card.text, tuple(buttons))

    # --- who is told ------------------------------------------------------------------------

    async def _tell_department(
        self, handover: Handover, actor_id: int, key: str
    ) -> list[OutgoingMessage]:
        problem = await self._ledger.problem(handover.problem_id)
        notices = []
        for member in await self._repos.departments.members(handover.department_id):
            notices += await self._ledger.notice_to(
                member.person.user_id, problem, actor_id, key, dept=handover.department_name
            )
        return notices


def _draft(
    problem: Problem, new: NewHandover, handover_id: int, lead: bool, now: datetime, by: int
) -> Handover:
    """The handover as it will be once written (its card is queued in the same transaction)."""
    return Handover(
        id=handover_id,
        problem_id=problem.id,
        department_id=new.department_id,
        department_name=new.department_name,
        project_id=problem.project_id,
        project_timezone=problem.project_timezone,
        lead=lead,
        status="handed",
        handed_at=now,
        handed_by=by,
        deadline=new.deadline,
        sign_due=new.sign_due,
        signed_at=None,
        signed_by=None,
        signed_by_name=None,
        done_at=None,
        reason=None,
        problem_status=problem.status,
    )
