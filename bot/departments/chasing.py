"""Chasing late departments like everyone else: a reminder when an item is not signed for within
``DEPT_SIGN_WITHIN`` of working time; past the department's time limit, a card to its head
(一级督办 to the department), then ``ESCALATE_L2_AFTER`` later to the leadership group. Each is
recorded with its cards in one transaction, once per handover, kind and time limit, held in
quiet hours, and falls back to the admins when it cannot reach anyone."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.departments.handover import HandoverService
from bot.i18n import t
from bot.quiet import QuietHours, hold_until
from bot.registry import Registry
from storage.db import to_db
from storage.departments import DeptRole
from storage.handovers import Handover
from storage.outbox import OutgoingMessage
from storage.repos import Repositories

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChaseReport:
    reminders: int = 0
    level1: int = 0
    level2: int = 0


class DepartmentChasing:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        handovers: HandoverService,
        clock: Clock,
        *,
        level2_after: timedelta,
        quiet: QuietHours | None = None,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._handovers = handovers
        self._clock = clock
        self._level2_after = level2_after
        self._quiet = quiet
        self._lock = asyncio.Lock()

    async def tick(self) -> ChaseReport:
        counts = {"sign": 0, "level1": 0, "level2": 0}
        async with self._lock:
            now = self._clock.now()
            repo = self._repos.handovers
            for kind, due in (
                ("sign", await repo.due_sign(now)),
                ("level1", await repo.due_level1(now)),
                ("level2", await repo.due_level2(now, self._level2_after)),
            ):
                for handover in due:
                    if await self._chase(handover, kind, now):
                        counts[kind] += 1
        if any(counts.values()):
            log.info("departments chased: %s", counts)
        return ChaseReport(counts["sign"], counts["level1"], counts["level2"])

    async def next_due(self) -> datetime | None:
        return await self._repos.handovers.next_due(self._level2_after)

    async def _targets(
        self, handover: Handover, kind: str
    ) -> tuple[list[tuple[int, int | None, str]], str]:
        """Who gets the card: liaisons (a reminder to sign), the department's heads (level 1),
        the project's leadership group (level 2); else the admins."""
        targets: list[tuple[int, int | None, str]] = []
        if kind in ("sign", "level1"):
            role: DeptRole = "liaison" if kind == "sign" else "head"
            for member in await self._repos.departments.members(handover.department_id, role):
                if member.person.reachable:
                    user_id = member.person.user_id
                    targets.append((user_id, None, await self._registry.language_of(user_id)))
            if targets:
                return targets, "liaisons" if kind == "sign" else "head"
        else:
            group = await self._repos.groups.for_project(handover.project_id)
            if group is not None:
                language = group.language or self._registry.default_language
                return [(group.chat_id, group.thread_id, language)], "group"
        for admin_id in await self._repos.admins.ids():
            targets.append((admin_id, None, await self._registry.language_of(admin_id)))
        return targets, "admins"

    async def _chase(self, handover: Handover, kind: str, now: datetime) -> bool:
        problem = await self._repos.problems.get(handover.problem_id)
        if problem is None:
            return False
        history = await self._repos.problems.history(problem.id)
        targets, recipients = await self._targets(handover, kind)
        if not targets:
            log.error("handover %s: no one to chase (no admins configured)", handover.id)
        held = hold_until(self._quiet, now, handover.project_timezone)
        deadline = handover.sign_due if kind == "sign" else handover.deadline
        messages = []
        for chat_id, thread_id, lang in targets:
            title = t(
                lang,
                f"chase.title_{kind}",
                dept=handover.department_name,
                id=problem.project_id,
                project=problem.project_name,
            )
            card = self._handovers.render(problem, handover, history, lang, title=title)
            # Only the department's own people can act on its buttons.
            buttons = card.buttons if recipients == "liaisons" else ()
            messages.append(
                OutgoingMessage(
                    f"dchase:{handover.id}:{kind}:{to_db(deadline)}:{chat_id}",
                    chat_id,
                    card.text,
                    thread_id=thread_id,
                    user_id=chat_id if chat_id > 0 else None,
                    buttons=buttons,
                    kind="escalation",
                    project_id=handover.project_id,
                    fallback=recipients != "admins",
                    not_before=held,
                )
            )
        return await self._repos.handovers.chase(handover, kind, messages, now, recipients)
