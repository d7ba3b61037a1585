"""Two-level escalation (督办) of problems past their deadline.

Each escalation is unique per problem, level and deadline, and is recorded together with its
cards in the outbox, so it is sent exactly once and caught up after downtime.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.ledger.cards import CardRenderer
from bot.metrics import Metrics
from bot.quiet import QuietHours, hold_until
from bot.registry import Registry
from storage.db import to_db
from storage.outbox import OutgoingMessage
from storage.problem_rows import Problem
from storage.repos import Repositories

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EscalationReport:
    level1: int = 0
    level2: int = 0


class EscalationService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        clock: Clock,
        cards: CardRenderer,
        *,
        level2_after: timedelta,
        quiet: QuietHours | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._cards = cards
        self._level2_after = level2_after
        self._quiet = quiet
        self._metrics = metrics
        self._lock = asyncio.Lock()

    async def tick(self) -> EscalationReport:
        """Send level-1 and level-2 escalations that are due; each exactly once."""
        level1 = level2 = 0
        async with self._lock:
            now = self._clock.now()
            for problem in await self._repos.escalations.due_level1(now):
                if await self._escalate(problem, 1, now):
                    level1 += 1
            for problem in await self._repos.escalations.due_level2(now, self._level2_after):
                if await self._escalate(problem, 2, now):
                    level2 += 1
        if level1 or level2:
            log.info("escalations sent: level 1: %d, level 2: %d", level1, level2)
            if self._metrics is not None:
                self._metrics.escalations.labels("1").inc(level1)
                self._metrics.escalations.labels("2").inc(level2)
        return EscalationReport(level1, level2)

    async def next_due(self) -> datetime | None:
        """When the next escalation falls due, if nothing changes before."""
        return await self._repos.escalations.next_escalation(self._level2_after)

    async def _escalate(self, problem: Problem, level: int, now: datetime) -> bool:
        history = await self._repos.problems.history(problem.id)
        targets: list[tuple[int, int | None, str]] = []
        recipients = "admins"
        if level == 1:
            leaders = await self._repos.members.of_project(problem.project_id, "leader")
            for leader in leaders:
                if leader.person.reachable:
                    targets.append(
                        (
                            leader.person.user_id,
                            None,
                            await self._registry.language_of(leader.person.user_id),
                        )
                    )
            if targets:
                recipients = "leaders"
        else:
            group = await self._repos.groups.for_project(problem.project_id)
            if group is not None:
                targets.append(
                    (
                        group.chat_id,
                        group.thread_id,
                        group.language or self._registry.default_language,
                    )
                )
                recipients = "group"
        if not targets:
            for admin_id in await self._repos.admins.ids():
                targets.append((admin_id, None, await self._registry.language_of(admin_id)))
        if not targets:
            log.error("problem %s: no one to escalate to (no admins configured)", problem.id)
        # Recorded now, delivered when quiet hours end (in the project's local time).
        held = hold_until(self._quiet, now, problem.project_timezone)
        messages = []
        for chat_id, thread_id, lang in targets:
            card = self._cards.render_card(problem, history, lang, level=level)
            messages.append(
                OutgoingMessage(
                    f"esc:{problem.id}:{level}:{to_db(problem.deadline)}:{chat_id}",
                    chat_id,
                    card.text,
                    thread_id=thread_id,
                    user_id=chat_id if chat_id > 0 else None,
                    buttons=card.buttons,
                    kind="escalation",
                    project_id=problem.project_id,
                    # A card that cannot reach its leader or group goes to the admins instead.
                    fallback=recipients != "admins",
                    not_before=held,
                )
            )
        return await self._repos.escalations.escalate(problem, level, messages, now, recipients)
