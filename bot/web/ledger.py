"""The ledger on the page: problems searched and filtered, one problem with its history, and
the actions a leader or admin takes from its card in the chat (签收, confirm 销号, send back,
extend with a reason), through the same services and so the same rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import Clock, format_local
from bot.errors import UserError
from bot.i18n import t
from bot.ledger.cards import CardRenderer
from bot.ledger.decisions import Decisions
from bot.ledger.service import LedgerService
from bot.web.access import NotFound, Viewer
from storage.access import LEAD
from storage.attachments import Attachment
from storage.problem_rows import Problem
from storage.repos import Repositories
from storage.web_board import STATUSES, ProblemQuery

PAGE = 50
MAX_QUERY = 100
ACTIONS = ("acknowledge", "confirm", "send-back", "extend")


FORBIDDEN = frozenset({"error.problem_forbidden", "error.not_member", "error.no_role"})


class ActionRefused(Exception):
    """Not this person's to do (``forbidden``: HTTP 403), or not possible now (already done,
    wrong state, over the limit: 409); with the same words the chat would answer."""

    def __init__(self, message: str, *, forbidden: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.forbidden = forbidden


class WebLedger:
    def __init__(
        self,
        repos: Repositories,
        clock: Clock,
        ledger: LedgerService,
        decisions: Decisions,
        cards: CardRenderer,
    ) -> None:
        self._repos = repos
        self._clock = clock
        self._ledger = ledger
        self._decisions = decisions
        self._cards = cards

    async def problems(
        self,
        viewer: Viewer,
        *,
        status: str = "unresolved",
        project_id: int | None = None,
        department_id: int | None = None,
        overdue: bool = False,
        text: str = "",
        page: int = 0,
    ) -> dict[str, object]:
        query = ProblemQuery(
            viewer.project_ids,
            viewer.department_ids,
            status if status in STATUSES else "unresolved",
            project_id,
            department_id,
            self._clock.now() if overdue else None,
            text.strip()[:MAX_QUERY],
            PAGE,
            max(page, 0) * PAGE,
        )
        total, found = await self._repos.web_board.problems(query)
        now = self._clock.now()
        return {
            "total": total,
            "page": max(page, 0),
            "page_size": PAGE,
            "problems": [self._summary(p, viewer.lang, now) for p in found],
            # What the ledger can be narrowed to (problems handed to a department); the names
            # of the county's bureaus are no secret, what each shows is still the viewer's.
            "departments": [
                {"id": d.id, "name": d.name} for d in await self._repos.departments.all()
            ],
        }

    def _summary(self, problem: Problem, lang: str, now: Any) -> dict[str, object]:
        return {
            "id": problem.id,
            "project_id": problem.project_id,
            "project": problem.project_name,
            "text": problem.text,
            "status": problem.status,
            "status_label": t(lang, f"problem.status.{problem.status}"),
            "deadline": format_local(problem.deadline, problem.project_timezone),
            "overdue": problem.status != "resolved" and problem.deadline < now,
            "reporter": problem.reporter_name,
            "coordination": problem.coordination,
            "proposal": problem.proposal,
        }

    async def visible(self, viewer: Viewer, problem_id: int) -> Problem:
        """The problem, if this person may see it in the chat; to anyone else one that exists
        and one that does not look the same."""
        try:
            return await self._ledger.visible(viewer.user_id, problem_id)
        except UserError:
            raise NotFound from None

    async def problem(self, viewer: Viewer, problem_id: int) -> dict[str, object]:
        problem = await self.visible(viewer, problem_id)
        history = await self._repos.problems.history(problem.id)
        files = await self._repos.attachments.of_problem(problem.id)
        lang, tz = viewer.lang, problem.project_timezone
        may = await self.actions(viewer, problem)
        return {
            **self._summary(problem, lang, self._clock.now()),
            "extensions": problem.extensions,
            "claimed_by": problem.claimed_by_name,
            "history": [self._cards.render_event(event, lang, tz) for event in history],
            "photos": [f.id for f in files if f.kind == "photo"],
            "actions": may,
        }

    async def actions(self, viewer: Viewer, problem: Problem) -> list[str]:
        """What this person may press now (the page shows only these; the server checks
        again when pressed)."""
        if not viewer.roles_on(problem.project_id) & LEAD:
            return []
        if problem.status == "open":
            return ["acknowledge", "extend"]
        if problem.status == "in_progress":
            return ["extend"]
        if problem.status == "awaiting":
            return ["confirm", "send-back"]
        return []

    async def act(self, viewer: Viewer, problem_id: int, action: str, body: dict[str, Any]) -> str:
        """Do ``action``; the message the chat would answer with. NotFound for a problem this
        person cannot see; ActionRefused when it cannot be done (now)."""
        problem = await self.visible(viewer, problem_id)
        lang, user = viewer.lang, viewer.user_id
        try:
            problem = await self._ledger.allowed(user, problem.id, LEAD)
            if action == "acknowledge":
                done = await self._decisions.acknowledge(user, problem)
                key = "problem.acknowledged" if done else "problem.already_in_progress"
                return t(lang, key, id=problem.id)
            if action == "confirm":
                if not await self._decisions.confirm(user, problem):
                    raise UserError("problem.not_awaiting", id=problem.id)
                return t(lang, "problem.resolved", id=problem.id)
            reason = str(body.get("reason") or "").strip()
            if not reason:
                raise ActionRefused(t(lang, "web.reason_needed"))
            if action == "send-back":
                await self._decisions.send_back(user, problem.id, reason)
                return t(lang, "problem.sent_back", id=problem.id)
            if action == "extend":
                days = body.get("days")
                if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 90:
                    raise ActionRefused(t(lang, "web.days_needed"))
                extended = await self._decisions.extend_by(
                    user, problem, timedelta(days=days), reason
                )
                shown = format_local(extended.deadline, extended.project_timezone)
                return t(lang, "problem.extended", id=problem.id, deadline=shown)
        except UserError as exc:
            message = t(lang, exc.key, **exc.params)
            raise ActionRefused(message, forbidden=exc.key in FORBIDDEN) from None
        raise NotFound

    async def photo(self, viewer: Viewer, attachment_id: int) -> Attachment:
        """A photo of a problem or a report, after the same check as the page it is on."""
        found = await self._repos.web_board.attachment(attachment_id)
        if found is None or found[0].kind != "photo":
            raise NotFound
        attachment, problem_id, checkin_id, milestone_project = found
        if milestone_project is not None:
            if viewer.roles_on(milestone_project):
                return attachment
            raise NotFound
        if problem_id is not None:
            await self.visible(viewer, problem_id)
            return attachment
        if checkin_id is not None:
            checkin = await self._repos.checkins.checkin(checkin_id)
            if checkin is not None and (
                checkin.user_id == viewer.user_id or viewer.leads(checkin.round.project_id)
            ):
                return attachment
        raise NotFound
