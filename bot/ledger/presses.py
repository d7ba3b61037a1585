"""Buttons on problem cards, prompts and report confirmations: ``pb:<action>:<id>``."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock, format_local
from bot.conversation import Conversation
from bot.errors import UserError
from bot.i18n import duration_text, t
from bot.ledger.decisions import Decisions
from bot.ledger.inputs import FOLLOW_UPS, LedgerInputs
from bot.ledger.service import LedgerService
from bot.replies import PressResult, Reply
from storage.access import LEAD, MEMBER
from storage.problem_rows import Problem
from storage.repos import Repositories

if TYPE_CHECKING:
    from bot.departments.handover import HandoverService

log = logging.getLogger(__name__)


CALLBACK = re.compile(r"^pb:(ack|res|x1|x3|ok|sb|nt|rs|sc|sp|d1|d3|d7|dx|hd|dc):([0-9]{1,12})$")
CHOICES = {"d1": timedelta(days=1), "d3": timedelta(days=3), "d7": timedelta(days=7)}
EXTENSIONS = {"x1": timedelta(days=1), "x3": timedelta(days=3)}


class CardPresses:
    """Turns a press into a ledger change, refusing forged, stale and foreign presses."""

    def __init__(
        self,
        repos: Repositories,
        ledger: LedgerService,
        decisions: Decisions,
        inputs: LedgerInputs,
        conversation: Conversation,
        clock: Clock,
    ) -> None:
        self._repos = repos
        self._ledger = ledger
        self._decisions = decisions
        self._inputs = inputs
        self._conversation = conversation
        self._clock = clock
        # Set by the composition root: the 交办部门 button lists the departments.
        self.handovers: HandoverService | None = None

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        """A press on a problem's button; ``pressed``: the text of the message it was under."""
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
        if action == "hd" and self.handovers is not None:
            if not roles & LEAD:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self.handovers.picker(user_id, problem.id, lang)
        if action == "dc":
            return await self._ask_decision(user_id, problem, lang)
        if action in {"ack", "res", "x1", "x3", "ok", "sb"}:
            if not roles & LEAD:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._card_press(user_id, action, problem, lang, pressed)
        if action in {"nt", "rs"}:
            if not roles & MEMBER:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._prompt_press(user_id, action, problem, lang)
        if action in {"sc", "sp"}:
            kind = "coordination" if action == "sc" else "proposal"
            return await self._inputs.skip(user_id, problem, kind, lang)
        try:
            await self._decisions.check_deadline_rights(user_id, problem)
        except UserError:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if action == "dx":
            return await self._ask_deadline(user_id, problem, lang)
        deadline = problem.created_at + CHOICES[action]
        if deadline <= self._clock.now():
            deadline = self._clock.now() + CHOICES[action]
        await self._decisions.set_deadline_at(user_id, problem, deadline)
        shown = format_local(deadline, problem.project_timezone)
        edit = self._ledger.recorded_text(replace(problem, deadline=deadline), lang, choosing=False)
        return PressResult(
            alert=t(lang, "problem.deadline_set", id=problem.id, deadline=shown), edit=edit
        )

    async def _card_press(
        self, user_id: int, action: str, problem: Problem, lang: str, pressed: str | None
    ) -> PressResult:
        if problem.status == "resolved":
            error = self._decisions.already_resolved(problem.id, problem)
            return PressResult(
                alert=t(lang, error.key, **error.params),
                edit=await self._fresh_card(problem.id, lang, pressed),
                show_alert=True,
            )
        if problem.status == "awaiting" and action in {"ack", "x1", "x3"}:
            return PressResult(
                alert=t(lang, "problem.awaiting_no_change", id=problem.id),
                edit=await self._fresh_card(problem.id, lang, pressed),
                show_alert=True,
            )
        if action in {"x1", "x3"}:
            return await self._ask_extension_reason(user_id, problem, EXTENSIONS[action], lang)
        if action == "sb":
            if problem.status != "awaiting":
                return PressResult(
                    alert=t(lang, "problem.not_awaiting", id=problem.id),
                    edit=await self._fresh_card(problem.id, lang, pressed),
                )
            await self._conversation.expect(user_id, "sendback", problem_id=problem.id)
            return PressResult(followups=[Reply(t(lang, "problem.sendback_reason", id=problem.id))])
        if action == "ack":
            if await self._decisions.acknowledge(user_id, problem):
                alert = t(lang, "problem.acknowledged", id=problem.id)
            else:
                alert = t(lang, "problem.already_in_progress", id=problem.id)
        elif action == "ok":
            if await self._decisions.confirm(user_id, problem):
                alert = t(lang, "problem.resolved", id=problem.id)
            else:
                alert = t(lang, "problem.not_awaiting", id=problem.id)
        else:
            done = await self._decisions.resolve(user_id, problem.id, None)
            key = "problem.claimed" if done.status == "awaiting" else "problem.resolved"
            alert = t(lang, key, id=problem.id)
        return PressResult(alert=alert, edit=await self._fresh_card(problem.id, lang, pressed))

    async def _ask_decision(self, user_id: int, problem: Problem, lang: str) -> PressResult:
        """[记录议定]: the office records the meeting's decision on this problem; the next
        message is the decision, read as /decide reads it (owner and time limit last)."""
        if not await self._decisions.is_admin(user_id):
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if problem.status == "resolved":
            error = self._decisions.already_resolved(problem.id, problem)
            return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
        await self._conversation.expect(user_id, "decide", problem_id=problem.id)
        return PressResult(followups=[Reply(t(lang, "decide.ask", id=problem.id))])

    async def _ask_extension_reason(
        self, user_id: int, problem: Problem, length: timedelta, lang: str
    ) -> PressResult:
        """Nothing changes yet: the extension waits for its reason, in the next message."""
        if not await self._decisions.may_extend(user_id, problem):
            return PressResult(
                alert=t(lang, "problem.extension_limit", id=problem.id), show_alert=True
            )
        seconds = int(length.total_seconds())
        await self._conversation.expect(
            user_id, "extend", problem_id=problem.id, detail={"seconds": seconds}
        )
        return PressResult(
            followups=[
                Reply(
                    t(
                        lang,
                        "problem.extend_reason",
                        id=problem.id,
                        length=duration_text(length, lang),
                    )
                )
            ]
        )

    async def _ask_deadline(self, user_id: int, problem: Problem, lang: str) -> PressResult:
        """“Other…”: the next message is the deadline. A follow-up question still waiting for
        its answer is asked again once the deadline is set, so a date typed in reply is never
        taken for the coordination the problem needs."""
        pending = await self._conversation.awaited(user_id)
        then = (
            pending.kind
            if pending is not None
            and pending.problem_id == problem.id
            and pending.kind in FOLLOW_UPS
            else None
        )
        await self._conversation.expect(
            user_id, "deadline", problem_id=problem.id, detail={"then": then}
        )
        return PressResult(followups=[Reply(t(lang, "problem.other_deadline", id=problem.id))])

    async def _fresh_card(self, problem_id: int, lang: str, pressed: str | None) -> Reply:
        """The pressed card as it reads now: a new problem's card stays one until the problem is
        escalated, then it and the escalation cards show the highest level reached; any other
        card (a request to confirm a crossing-off) becomes the plain card. ``pressed``: the
        pressed message's text, None when Telegram did not show it."""
        problem = await self._ledger.problem(problem_id)
        levels = await self._repos.escalations.escalation_levels(problem)
        history = await self._repos.problems.history(problem_id)
        cards = self._ledger.cards
        first = pressed.split("\n", 1)[0] if pressed is not None else None
        titles = {cards.new_title(problem, lang)}
        titles.update(cards.escalation_title(problem, lang, level) for level in levels)
        if first is not None and first not in titles:
            return cards.render_card(problem, history, lang, level=None)
        if not levels:
            return cards.render_new(problem, history, lang)
        return cards.render_card(problem, history, lang, level=max(levels))

    async def _prompt_press(
        self, user_id: int, action: str, problem: Problem, lang: str
    ) -> PressResult:
        if action == "nt":
            await self._conversation.expect(user_id, "note", problem_id=problem.id)
            return PressResult(followups=[Reply(t(lang, "problem.send_note", id=problem.id))])
        if problem.status == "resolved":
            error = self._decisions.already_resolved(problem.id, problem)
            return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
        if problem.status == "awaiting":
            return PressResult(alert=t(lang, "problem.already_awaiting", id=problem.id))
        resolved = await self._decisions.resolve(user_id, problem.id, None)
        if resolved.status == "awaiting":
            return PressResult(alert=t(lang, "problem.claimed", id=problem.id))
        return PressResult(alert=t(lang, "problem.resolved", id=problem.id))
