"""Buttons on problem cards, prompts and report confirmations: ``pb:<action>:<id>``."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from bot.clock import Clock, format_local
from bot.conversation import Conversation
from bot.errors import UserError
from bot.i18n import t
from bot.ledger.service import LedgerService
from bot.replies import PressResult, Reply
from storage.access import LEAD, MEMBER
from storage.problems import Problem
from storage.repos import Repositories

log = logging.getLogger(__name__)


CALLBACK = re.compile(r"^pb:(ack|res|x1|x3|nt|rs|d1|d3|d7|dx):([0-9]{1,12})$")
CHOICES = {"d1": timedelta(days=1), "d3": timedelta(days=3), "d7": timedelta(days=7)}
EXTENSIONS = {"x1": timedelta(days=1), "x3": timedelta(days=3)}


class CardPresses:
    """Turns a press into a ledger change, refusing forged, stale and foreign presses."""

    def __init__(
        self,
        repos: Repositories,
        ledger: LedgerService,
        conversation: Conversation,
        clock: Clock,
    ) -> None:
        self._repos = repos
        self._ledger = ledger
        self._conversation = conversation
        self._clock = clock

    async def press(self, user_id: int, data: str, lang: str) -> PressResult:
        match = CALLBACK.match(data)
        if match is None:
            log.warning("malformed problem callback %r from %s", data[:80], user_id)
            raise UserError("error.stale_button")
        action, problem_id = match.group(1), int(match.group(2))
        problem = await self._repos.problems.get(problem_id)
        if problem is None:
            log.warning("callback for unknown problem %s from %s", problem_id, user_id)
            raise UserError("error.stale_button")
        roles = await self._ledger.roles_on(user_id, problem.project_id)
        if action in {"ack", "res", "x1", "x3"}:
            if not roles & LEAD:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._card_press(user_id, action, problem, lang)
        if action in {"nt", "rs"}:
            if not roles & MEMBER:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._prompt_press(user_id, action, problem, lang)
        try:
            await self._ledger.check_deadline_rights(user_id, problem)
        except UserError:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if action == "dx":
            return PressResult(followups=[Reply(t(lang, "problem.other_deadline", id=problem.id))])
        deadline = problem.created_at + CHOICES[action]
        if deadline <= self._clock.now():
            deadline = self._clock.now() + CHOICES[action]
        await self._ledger.set_deadline_at(user_id, problem, deadline)
        shown = format_local(deadline, problem.project_timezone)
        return PressResult(
            alert=t(lang, "problem.deadline_set", id=problem.id, deadline=shown),
            edit=Reply(
                t(
                    lang,
                    "checkin.problem_recorded",
                    id=problem.id,
                    project=problem.project_name,
                    deadline=shown,
                )
            ),
        )

    async def _card_press(
        self, user_id: int, action: str, problem: Problem, lang: str
    ) -> PressResult:
        if problem.status == "resolved":
            error = self._ledger.already_resolved(problem.id, problem)
            return PressResult(
                alert=t(lang, error.key, **error.params),
                edit=await self._fresh_card(problem.id, lang),
                show_alert=True,
            )
        if action == "ack":
            if await self._ledger.acknowledge(user_id, problem):
                alert = t(lang, "problem.acknowledged", id=problem.id)
            else:
                alert = t(lang, "problem.already_in_progress", id=problem.id)
        elif action == "res":
            await self._ledger.resolve(user_id, problem.id, None)
            alert = t(lang, "problem.resolved", id=problem.id)
        else:
            reason = t(lang, "problem.extended_by_button")
            extended = await self._ledger.extend_by(user_id, problem, EXTENSIONS[action], reason)
            alert = t(
                lang,
                "problem.extended",
                id=problem.id,
                deadline=format_local(extended.deadline, extended.project_timezone),
            )
        return PressResult(alert=alert, edit=await self._fresh_card(problem.id, lang))

    async def _fresh_card(self, problem_id: int, lang: str) -> Reply:
        problem = await self._ledger.problem(problem_id)
        levels = await self._repos.escalations.escalation_levels(problem)
        history = await self._repos.problems.history(problem_id)
        return self._ledger.cards.render_card(
            problem, history, lang, level=max(levels) if levels else 1
        )

    async def _prompt_press(
        self, user_id: int, action: str, problem: Problem, lang: str
    ) -> PressResult:
        if action == "nt":
            await self._conversation.expect(user_id, "note", problem_id=problem.id)
            return PressResult(followups=[Reply(t(lang, "problem.send_note", id=problem.id))])
        if problem.status == "resolved":
            error = self._ledger.already_resolved(problem.id, problem)
            return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
        await self._ledger.resolve(user_id, problem.id, None)
        return PressResult(alert=t(lang, "problem.resolved", id=problem.id))
