"""The department's side of a handover: signing (签收), handing back as not its own (退回),
progress, and reporting it done (办结), which makes the problem await the verified crossing-off
(销号) like any claim. Each step is one conditional update of the handover with the problem's
history and its notices (``HandoverRepo.change``): a second press or a stale card changes
nothing."""

from __future__ import annotations

from dataclasses import replace

from bot.clock import Clock
from bot.conversation import Conversation
from bot.departments.handover import CALLBACK, HandoverService
from bot.departments.service import DepartmentService
from bot.errors import UserError, refusal
from bot.i18n import t
from bot.ledger.decisions import Decisions
from bot.ledger.service import LedgerService
from bot.parsing import clean_text
from bot.registry import Registry
from bot.replies import PressResult, Reply, shorten
from storage.access import Denied
from storage.handovers import Handover
from storage.outbox import OutgoingMessage
from storage.problem_rows import Problem
from storage.repos import Repositories

MAX_TEXT = 2000


class DepartmentWork:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        departments: DepartmentService,
        handovers: HandoverService,
        ledger: LedgerService,
        decisions: Decisions,
        conversation: Conversation,
        clock: Clock,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._departments = departments
        self._handovers = handovers
        self._ledger = ledger
        self._decisions = decisions
        self._conversation = conversation
        self._clock = clock

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        action, handover_id = match[1], int(match[2])
        handover = await self._repos.handovers.get(handover_id)
        if handover is None:
            raise UserError("error.stale_button")
        if not await self._serves(user_id, handover):
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if handover.status in ("returned", "recalled"):
            key = f"handover.already_{handover.status}"
            return PressResult(
                alert=t(lang, key, id=handover.problem_id),
                edit=await self._handovers.card_of(handover.id, lang),
                show_alert=True,
            )
        if action == "sg":
            return await self._sign(user_id, handover, lang)
        if action == "rt":
            if handover.status != "handed":
                return PressResult(
                    alert=t(lang, "handover.return_too_late", id=handover.problem_id),
                    show_alert=True,
                )
            await self._conversation.expect(
                user_id,
                "dept_return",
                problem_id=handover.problem_id,
                detail={"handover": handover.id},
            )
            return PressResult(
                followups=[Reply(t(lang, "handover.ask_reason", id=handover.problem_id))]
            )
        if action == "nt":
            await self._conversation.expect(user_id, "note", problem_id=handover.problem_id)
            return PressResult(
                followups=[Reply(t(lang, "problem.send_note", id=handover.problem_id))]
            )
        if handover.status != "signed":
            key = "handover.sign_first" if handover.status == "handed" else "handover.already_done"
            return PressResult(alert=t(lang, key, id=handover.problem_id), show_alert=True)
        await self._conversation.expect(
            user_id,
            "dept_done",
            problem_id=handover.problem_id,
            detail={"handover": handover.id},
        )
        return PressResult(
            followups=[Reply(t(lang, "handover.ask_account", id=handover.problem_id))]
        )

    async def _serves(self, user_id: int, handover: Handover) -> bool:
        return handover.department_id in {
            m.department_id for m in await self._repos.departments.of_user(user_id)
        }

    async def _sign(self, user_id: int, handover: Handover, lang: str) -> PressResult:
        problem = await self._ledger.problem(handover.problem_id)
        notices = await self._tell_project(problem, user_id, "told.dept_signed", handover)
        signed = await self._repos.handovers.change(
            handover, user_id, "signed", ("handed",), self._clock.now(), notices
        )
        fresh = await self._handovers.card_of(handover.id, lang)
        if not signed:
            again = await self._repos.handovers.get(handover.id)
            who = (again.signed_by_name if again else None) or "?"
            return PressResult(
                alert=t(lang, "handover.already_signed", id=problem.id, who=who), edit=fresh
            )
        return PressResult(alert=t(lang, "handover.signed", id=problem.id), edit=fresh)

    async def take(
        self, user_id: int, kind: str, problem_id: int, handover_id: int, raw: str, lang: str
    ) -> Reply:
        """The reason for handing back, or the account with 办结, the bot asked for."""
        handover = await self._repos.handovers.get(handover_id)
        if handover is None or handover.problem_id != problem_id:
            raise UserError("error.stale_button")
        text = clean_text(raw, MAX_TEXT)
        await self._conversation.drop(user_id)
        if kind == "dept_return":
            return await self.hand_back(user_id, handover, text, lang)
        return await self.finish(user_id, handover, text, lang)

    async def hand_back(self, user_id: int, handover: Handover, reason: str, lang: str) -> Reply:
        problem = await self._ledger.problem(handover.problem_id)
        now = self._clock.now()
        department = await self._departments.department(handover.department_id)
        notices = await self._registry.admin_messages(
            f"deptback:{handover.id}",
            "handover.returned_to_office",
            {
                "id": problem.id,
                "text": shorten(problem.text),
                "dept": department.name,
                "reason": reason,
            },
        )
        try:
            returned = await self._repos.handovers.change(
                handover, user_id, "returned", ("handed",), now, notices, text=reason
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not returned:
            fresh = await self._repos.handovers.get(handover.id)
            status = fresh.status if fresh else "returned"
            if status == "returned":
                raise UserError("handover.already_returned", id=problem.id)
            raise UserError("handover.return_too_late", id=problem.id)
        await self._ledger.on_deadlines_changed()
        return Reply(t(lang, "handover.returned", id=problem.id))

    async def finish(self, user_id: int, handover: Handover, account: str, lang: str) -> Reply:
        """办结: the department's part is done. Done by the leading department, the problem
        awaits the crossing-off by the project's leaders (else the admins)."""
        problem = await self._ledger.problem(handover.problem_id)
        now = self._clock.now()
        notices: list[OutgoingMessage] = []
        claim = handover.lead and problem.status in ("open", "in_progress")
        if claim:
            claimer = await self._repos.people.get(user_id)
            claimed = replace(
                problem,
                status="awaiting",
                claimed_by=user_id,
                claimed_at=now,
                claimed_by_name=claimer.display_name if claimer else str(user_id),
            )
            title_extra = t(lang, "handover.by_dept", dept=handover.department_name)
            notices += await self._decisions.confirmation_cards(
                claimed, user_id, f"{title_extra} {account}", now
            )
        notices += await self._ledger.reporter_notice(
            problem, user_id, "told.dept_done", dept=handover.department_name, account=account
        )
        try:
            done = await self._repos.handovers.change(
                handover, user_id, "done", ("signed",), now, notices, text=account, claim=claim
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not done:
            raise UserError("handover.already_done", id=problem.id)
        await self._ledger.on_deadlines_changed()
        return Reply(
            t(lang, "handover.finished" if claim else "handover.finished_part", id=problem.id)
        )

    async def _tell_project(
        self, problem: Problem, actor_id: int, key: str, handover: Handover
    ) -> list[OutgoingMessage]:
        """The reporter and the project's leaders hear what the department did."""
        people = {problem.reporter_id}
        for leader in await self._repos.members.of_project(problem.project_id, "leader"):
            if leader.person.reachable:
                people.add(leader.person.user_id)
        notices = []
        for person_id in sorted(people):
            notices += await self._ledger.notice_to(
                person_id, problem, actor_id, key, dept=handover.department_name
            )
        return notices
