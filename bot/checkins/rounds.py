"""Check-in rounds: opening them on schedule, prompting, reminding, closing."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.prompts import PromptRenderer
from bot.checkins.schedules import ScheduleService, to_schedule
from bot.clock import Clock, format_local
from bot.errors import UserError
from bot.i18n import t
from bot.parsing import parse_project_id
from bot.projects import ProjectService
from bot.registry import Registry
from bot.schedule import (
    Schedule,
    slots_between,
    window_end,
)
from storage.access import ADMIN, Need
from storage.models import Project
from storage.outbox import OutgoingMessage
from storage.problems import OpenProblem
from storage.repos import Repositories
from storage.rounds import CheckinRow, RoundOpen, RoundRow

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=31)
ENQUEUE_CHUNK = 500


@dataclass(slots=True)
class TickReport:
    opened: int = 0
    skipped: int = 0
    prompts: int = 0
    reminders: int = 0
    closed: int = 0
    unknown_years: set[int] = field(default_factory=set)


class RoundService:
    """Rounds over time; the scheduler calls :meth:`tick`, admins open and inspect rounds."""

    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        clock: Clock,
        schedules: ScheduleService,
        prompts: PromptRenderer,
        *,
        remind_after: timedelta,
        reminders_max: int,
        catchup_grace: timedelta,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        self._schedules = schedules
        self._prompts = prompts
        self._remind_after = remind_after
        self._reminders_max = reminders_max
        self._catchup_grace = catchup_grace
        self._tick_lock = asyncio.Lock()

    # --- rounds (admin) ---------------------------------------------------------------------

    async def open_now(self, actor_id: int, project_arg: str) -> tuple[RoundRow, int]:
        """Open a round immediately; returns it and how many secretaries it asks."""
        project = await self._projects.active_project(parse_project_id(project_arg))
        secretaries = await self._repos.members.of_project(project.id, "secretary")
        if not secretaries:
            raise UserError("error.no_secretaries", id=project.id)
        schedule = await self._schedules.schedule_of(project.id) or Schedule(
            "daily", time(0, 0), frozenset(range(7)), project.timezone
        )
        now = self._clock.now()
        try:
            round_id = await self._repos.rounds.open_round(
                project.id,
                now,
                now.astimezone(ZoneInfo(project.timezone)).date(),
                window_end(schedule, now),
                "manual",
                now,
                need=Need(actor_id, ADMIN, project.id),
            )
        except RoundOpen as exc:
            # A retry after a lost reply, or a second admin: one round, one prompt each.
            raise UserError(
                "checkinnow.already_open",
                id=project.id,
                closes=format_local(exc.round.closes_at, project.timezone),
            ) from None
        assert round_id is not None
        await self.tick()
        opened = await self._repos.rounds.round(round_id)
        assert opened is not None
        return opened, len(secretaries)

    async def status(self, project_id: int) -> tuple[Project, RoundRow | None, list[CheckinRow]]:
        """The project's current or last round and its check-ins."""
        project = await self._projects.project(project_id)
        latest = await self._repos.rounds.latest_round(project.id)
        if latest is None:
            return project, None, []
        return project, latest, await self._repos.rounds.checkins_of_round(latest.id)

    # --- time -------------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Open due rounds (or record them skipped), queue prompts and reminders, close rounds."""
        report = TickReport()
        async with self._tick_lock:
            now = self._clock.now()
            await self._open_due_rounds(now, report)
            report.prompts = await self._queue_prompts(now)
            report.reminders = await self._queue_reminders(now)
            report.closed = len(await self._repos.rounds.close_due(now))
            for year in sorted(report.unknown_years):
                await self._registry.notify_admins(
                    f"calendar-fallback:{year}", "notice.calendar_fallback", year=year
                )
        if report.opened or report.prompts or report.closed or report.skipped:
            log.info("tick: %s", report)
        return report

    async def _open_due_rounds(self, now: datetime, report: TickReport) -> None:
        calendar = await self._schedules.calendar(report.unknown_years.add)
        for row in await self._repos.schedules.active_schedules():
            schedule = to_schedule(row)
            last = await self._repos.rounds.last_scheduled_slot(row.project_id)
            after = max(last or row.active_since, row.active_since, now - LOOKBACK)
            for slot in slots_between(schedule, after, now, calendar):
                closes_at = window_end(schedule, slot)
                local_date = slot.astimezone(schedule.zone).date()
                if now - slot > self._catchup_grace or closes_at <= now:
                    await self._repos.rounds.record_skipped(row.project_id, slot, local_date, now)
                    report.skipped += 1
                    log.warning(
                        "project %s: slot %s too old, recorded as skipped", row.project_id, slot
                    )
                    continue
                origin = "schedule"
                if await self._repos.rounds.open_round(
                    row.project_id, slot, local_date, closes_at, origin, now
                ):
                    report.opened += 1

    async def _queue_prompts(self, now: datetime) -> int:
        due = await self._repos.rounds.needing_prompt(now)
        messages = []
        context: dict[int, tuple[list[str], list[OpenProblem]]] = {}
        for checkin in due:
            project_id = checkin.round.project_id
            if project_id not in context:
                context[project_id] = (
                    await self._repos.schedules.questions(project_id),
                    await self._repos.problems.open_for_project(project_id),
                )
            questions, problems = context[project_id]
            reply = self._prompts.render_prompt(
                checkin, self._prompts.lang(checkin), questions, problems
            )
            messages.append(
                OutgoingMessage(
                    f"prompt:{checkin.id}",
                    checkin.user_id,
                    reply.text,
                    user_id=checkin.user_id,
                    buttons=reply.buttons,
                    kind="prompt",
                    project_id=project_id,
                )
            )
        added = 0
        for start in range(0, len(messages), ENQUEUE_CHUNK):
            added += await self._repos.rounds.enqueue(messages[start : start + ENQUEUE_CHUNK], now)
        return added

    async def _queue_reminders(self, now: datetime) -> int:
        if self._reminders_max == 0:
            return 0
        sent = 0
        for checkin in await self._repos.rounds.reminder_candidates(self._reminders_max):
            # From when the prompt was delivered: a round caught up late reminds late too.
            assert checkin.prompted_at is not None
            elapsed = now - checkin.prompted_at
            due = min(int(elapsed / self._remind_after), self._reminders_max)
            if due <= checkin.reminders_sent:
                continue
            lang = self._prompts.lang(checkin)
            text = t(
                lang,
                "checkin.reminder",
                project=checkin.project_name,
                date=checkin.round.local_date.isoformat(),
                closes=format_local(checkin.round.closes_at, checkin.project_timezone),
            )
            message = OutgoingMessage(
                f"remind:{checkin.id}:{due}",
                checkin.user_id,
                text,
                user_id=checkin.user_id,
                buttons=self._prompts.buttons(checkin.id, lang, with_skip=False),
                kind="reminder",
                project_id=checkin.round.project_id,
            )
            if await self._repos.rounds.add_reminder(
                checkin.id, checkin.reminders_sent, due, message, now
            ):
                sent += 1
        return sent
