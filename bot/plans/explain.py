"""Behind plan → explain (说明原因): a milestone past its day undone, or a project with no
progress for ``STALL_AFTER``, asks its leaders (else the admins) for the reason and the catch-up
measure, once; no answer within ``EXPLAIN_WITHIN`` goes to the leadership group, like an
escalation. The answer is kept in the project's history and read in the next digest."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from bot.clock import Clock, local_date
from bot.conversation import Conversation
from bot.errors import UserError, refusal
from bot.i18n import t
from bot.parsing import clean_text
from bot.quiet import QuietHours, hold_until
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import LEAD, Denied, Need
from storage.models import Project
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.pending import PendingInput
from storage.repos import Repositories

log = logging.getLogger(__name__)

CALLBACK = re.compile(r"^ex:([0-9]{1,12})$")
MAX_TEXT = 2000


class ExplainService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        conversation: Conversation,
        clock: Clock,
        *,
        stall_after: timedelta,
        explain_within: timedelta,
        quiet: QuietHours | None = None,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._conversation = conversation
        self._clock = clock
        self._stall_after = stall_after
        self._explain_within = explain_within
        self._quiet = quiet
        self._lock = asyncio.Lock()
        # Stalls are looked for once a day (they are counted in days; the query reads every
        # project's latest progress), the rest at every sweep.
        self._stalls_checked: date | None = None

    async def tick(self) -> tuple[int, int]:
        """Ask where a project fell behind; escalate questions left unanswered. (asked,
        escalated)"""
        asked = escalated = 0
        async with self._lock:
            now = self._clock.now()
            tomorrow = (now + timedelta(days=1)).date()
            behind = await self._repos.plans.undone_before(tomorrow)
            check_stalls = self._stalls_checked != now.date()
            self._stalls_checked = now.date()
            # Every project is read only when there is something to look at (a sweep a minute
            # mostly has nothing).
            projects = (
                {p.id: p for p in await self._repos.projects.active()}
                if behind or check_stalls
                else {}
            )
            for milestone in behind:
                project = projects.get(milestone.project_id)
                if project is None or milestone.planned_on >= local_date(now, project.timezone):
                    continue
                params = {"milestone": milestone.name, "day": milestone.planned_on.isoformat()}
                if await self._ask(project, "milestone", str(milestone.id), params, now):
                    asked += 1
            stalled_since = now - self._stall_after
            last = await self._repos.plans.last_progress(list(projects)) if check_stalls else {}
            for project in projects.values() if check_stalls else ():
                since = last.get(project.id, project.created_at)
                if since > stalled_since:
                    continue
                days = (now - since).days
                subject = f"stall:{since.date().isoformat()}"
                if await self._ask(project, "stall", subject, {"days": days}, now):
                    asked += 1
            for explanation in await self._repos.explanations.unanswered_since(
                now - self._explain_within
            ):
                if await self._escalate(explanation.id, explanation.project_id, now):
                    escalated += 1
        return asked, escalated

    async def next_due(self) -> datetime | None:
        oldest = await self._repos.explanations.oldest_waiting()
        return oldest + self._explain_within if oldest is not None else None

    async def _ask(
        self,
        project: Project,
        reason: str,
        subject: str,
        params: Mapping[str, object],
        now: datetime,
    ) -> bool:
        if await self._repos.explanations.asked(project.id, reason, subject):
            return False
        readers = [
            (m.person.user_id, await self._registry.language_of(m.person.user_id))
            for m in await self._repos.members.of_project(project.id, "leader")
            if m.person.reachable
        ]
        fallback = bool(readers)
        if not readers:
            readers = [
                (admin_id, await self._registry.language_of(admin_id))
                for admin_id in await self._repos.admins.ids()
            ]
        held = hold_until(self._quiet, now, project.timezone)

        def cards(explanation_id: int) -> list[OutgoingMessage]:
            return [
                OutgoingMessage(
                    f"explain:{explanation_id}:{chat_id}",
                    chat_id,
                    t(lang, f"explain.ask_{reason}", id=project.id, name=project.name, **params),
                    user_id=chat_id,
                    buttons=((OutgoingButton(t(lang, "button.explain"), f"ex:{explanation_id}"),),),
                    kind="escalation",
                    project_id=project.id,
                    fallback=fallback,
                    not_before=held,
                )
                for chat_id, lang in readers
            ]

        return (
            await self._repos.explanations.ask(project.id, reason, subject, cards, now) is not None
        )

    async def _escalate(self, explanation_id: int, project_id: int, now: datetime) -> bool:
        explanation = await self._repos.explanations.get(explanation_id)
        project = await self._repos.projects.get(project_id)
        if explanation is None or project is None:
            return False
        group = await self._repos.groups.for_project(project.id)
        targets: list[tuple[int, int | None, str]] = []
        if group is not None:
            targets.append(
                (group.chat_id, group.thread_id, group.language or self._registry.default_language)
            )
        else:
            for admin_id in await self._repos.admins.ids():
                targets.append((admin_id, None, await self._registry.language_of(admin_id)))
        leaders = (
            "、".join(
                m.person.display_name
                for m in await self._repos.members.of_project(project.id, "leader")
            )
            or "–"
        )
        held = hold_until(self._quiet, now, project.timezone)
        messages = [
            OutgoingMessage(
                f"explain-group:{explanation.id}:{chat_id}",
                chat_id,
                t(
                    lang,
                    f"explain.escalated_{explanation.reason}",
                    id=project.id,
                    name=project.name,
                    leaders=leaders,
                    asked=local_date(explanation.asked_at, project.timezone).isoformat(),
                ),
                thread_id=thread_id,
                user_id=chat_id if chat_id > 0 else None,
                kind="escalation",
                project_id=project.id,
                fallback=group is not None,
                not_before=held,
            )
            for chat_id, thread_id, lang in targets
        ]
        return await self._repos.explanations.escalate(explanation, messages, now)

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        explanation = await self._repos.explanations.get(int(match[1]))
        if explanation is None:
            raise UserError("error.stale_button")
        if not await self._registry.roles_on(user_id, explanation.project_id) & LEAD:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if explanation.answered_at is not None:
            return PressResult(alert=t(lang, "explain.already"), show_alert=True)
        await self._conversation.expect(
            user_id,
            "explain",
            project_id=explanation.project_id,
            detail={"explanation": explanation.id},
        )
        return PressResult(followups=[Reply(t(lang, "explain.ask_text"))])

    async def take(self, user_id: int, pending: PendingInput, raw: str, lang: str) -> Reply:
        """The reason and catch-up measure the leader sent after the button."""
        assert pending.project_id is not None
        explanation_id = int(pending.detail.get("explanation", 0))
        text = clean_text(raw, MAX_TEXT)
        try:
            answered = await self._repos.explanations.answer(
                Need(user_id, LEAD, pending.project_id), explanation_id, text, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        await self._conversation.drop(user_id)
        if not answered:
            return Reply(t(lang, "explain.already"))
        return Reply(t(lang, "explain.recorded", id=pending.project_id))
