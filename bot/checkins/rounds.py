"""Check-in rounds: opening them on schedule, prompting, reminding, closing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.prompts import PromptRenderer
from bot.checkins.schedules import ScheduleService, to_schedule
from bot.checkins.summaries import SummaryService
from bot.clock import Clock, format_local
from bot.contacts import contact_buttons
from bot.errors import UserError
from bot.i18n import t
from bot.parsing import parse_project_id
from bot.projects import ProjectService
from bot.quiet import QuietHours, hold_until
from bot.registry import Registry
from bot.schedule import Schedule, WorkCalendar, next_slot, slots_between, window_end
from storage.access import ADMIN, Need
from storage.checkins import CheckinRow
from storage.models import Project
from storage.outbox import OutgoingMessage
from storage.problem_rows import OpenProblem
from storage.repos import Repositories
from storage.rounds import RoundOpen, RoundRow, SlotPlan
from storage.schedules import Audience, ScheduleRow

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=31)
PROMPT_BATCH = 2_000  # prompts rendered and queued per transaction
# The first batch is small: its prompts leave while the next, larger ones are rendered.
FIRST_BATCH = 200
OPEN_BATCH = 1_000  # due schedules opened per transaction
FIRST_OPEN = 100


@dataclass(slots=True)
class TickReport:
    opened: int = 0
    skipped: int = 0
    prompts: int = 0
    reminders: int = 0
    closed: int = 0
    summaries: int = 0
    unknown_years: set[int] = field(default_factory=set)


@dataclass(slots=True)
class _Prompting:
    """How far one tick's prompting has come."""

    queued: int = 0
    after: int = 0  # check-ins up to this id were looked at


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
        quiet: QuietHours | None = None,
        summaries: SummaryService | None = None,
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
        self._quiet = quiet
        self._summaries = summaries
        self._tick_lock = asyncio.Lock()

    # --- rounds (admin) ---------------------------------------------------------------------

    async def open_now(
        self,
        actor_id: int,
        project_arg: str,
        on_prompts_queued: Callable[[], None] | None = None,
    ) -> tuple[RoundRow, int]:
        """Open a round immediately; returns it and how many secretaries it asks.
        ``on_prompts_queued`` as for :meth:`tick`."""
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
        await self.tick(on_prompts_queued)
        opened = await self._repos.rounds.round(round_id)
        assert opened is not None
        return opened, len(secretaries)

    async def status(
        self, project_id: int, audience: Audience = "secretary"
    ) -> tuple[Project, RoundRow | None, list[CheckinRow]]:
        """The project's current or last round (of its secretaries, or of its leaders' weekly
        contact) and its check-ins."""
        project = await self._projects.project(project_id)
        latest = await self._repos.rounds.latest_round(project.id, audience)
        if latest is None:
            return project, None, []
        return project, latest, await self._repos.checkins.checkins_of_round(latest.id)

    # --- time -------------------------------------------------------------------------------

    async def tick(self, on_prompts_queued: Callable[[], None] | None = None) -> TickReport:
        """Open due rounds (or record them skipped), queue prompts and reminders, close rounds.
        ``on_prompts_queued`` is called after each batch of prompts (the jobs start sending)."""
        report = TickReport()
        async with self._tick_lock:
            now = self._clock.now()
            prompting = _Prompting()
            async for _ in self._open_due_rounds(now, report):
                await self._queue_prompts(now, on_prompts_queued, prompting)
            report.prompts = prompting.queued
            report.reminders = await self._queue_reminders(now)
            report.closed = len(await self._repos.rounds.close_due(now))
            if self._summaries is not None:
                # Also those of rounds closed before a crash or a restart.
                report.summaries = await self._summaries.queue_due()
            for year in sorted(report.unknown_years):
                await self._registry.notify_admins(
                    f"calendar-fallback:{year}", "notice.calendar_fallback", year=year
                )
        if report.opened or report.prompts or report.closed or report.skipped:
            log.info("tick: %s", report)
        return report

    async def _open_due_rounds(self, now: datetime, report: TickReport) -> AsyncIterator[None]:
        """Every project whose next slot has come, OPEN_BATCH schedules per transaction, a fixed
        number of statements each (only the due schedules are even read); yields after each
        batch, so that its prompts leave while the next is opened, and once when none is due
        (check-ins a crash or a restart left without their prompt still get it). The first
        batch is small: opening 10,000 rounds with 100,000 check-ins at once held the first
        prompt 1.7 s."""
        due = await self._repos.schedules.due(now)
        if not due:
            yield
            return
        calendar = await self._schedules.calendar(report.unknown_years.add)
        start, size = 0, FIRST_OPEN
        while start < len(due):
            batch = due[start : start + size]
            opened, skipped = await self._open_batch(batch, calendar, now)
            report.opened += opened
            report.skipped += skipped
            yield
            start, size = start + size, OPEN_BATCH

    async def _open_batch(
        self, due: list[ScheduleRow], calendar: WorkCalendar, now: datetime
    ) -> tuple[int, int]:
        unknown = [row.project_id for row in due if row.next_due is None]
        last_slots = await self._repos.rounds.last_scheduled_slots(unknown)
        plans: list[SlotPlan] = []
        next_dues: list[tuple[int, Audience, datetime | None]] = []
        for row in due:
            schedule = to_schedule(row)
            if row.next_due is not None:
                after = row.next_due - timedelta(microseconds=1)
            else:
                last = last_slots.get((row.project_id, row.audience))
                after = max(last or row.active_since, row.active_since, now - LOOKBACK)
            for slot in slots_between(schedule, after, now, calendar):
                closes_at = window_end(schedule, slot)
                too_old = now - slot > self._catchup_grace or closes_at <= now
                if too_old:
                    log.warning(
                        "project %s: slot %s too old, recorded as skipped", row.project_id, slot
                    )
                local_date = slot.astimezone(schedule.zone).date()
                plans.append(
                    SlotPlan(row.project_id, slot, local_date, closes_at, too_old, row.audience)
                )
            next_dues.append((row.project_id, row.audience, next_slot(schedule, now, calendar)))
        return await self._repos.rounds.open_due(plans, next_dues, now)

    async def next_wakeup(self) -> datetime | None:
        """When the tick next has a slot to open (None: no project has a schedule)."""
        return await self._repos.schedules.next_wakeup()

    async def _queue_prompts(
        self,
        now: datetime,
        on_prompts_queued: Callable[[], None] | None,
        prompting: _Prompting,
    ) -> None:
        """Prompts of every check-in that has none yet, rendered and queued PROMPT_BATCH at a
        time: memory stays bounded however large the slot (100,000 prompts rendered at once
        peaked at 421 MB), and the outbox starts sending after the first batch
        (``on_prompts_queued``) rather than after the last, the first batch a small one.
        Each batch reads only check-ins after the last one looked at: read from the first
        each time, a batch passed over every check-in prompted before it (quadratic; 3.6 s
        for the tenth batch of 2,000 on PostgreSQL)."""
        questions: dict[int, list[str]] | None = None
        problems: dict[int, list[OpenProblem]] | None = None
        while True:
            size = PROMPT_BATCH if prompting.queued else min(FIRST_BATCH, PROMPT_BATCH)
            due = await self._repos.checkins.needing_prompt(now, size, prompting.after)
            if not due:
                return
            prompting.after = due[-1].id
            if questions is None or problems is None:
                questions = await self._repos.schedules.questions_of_open_rounds()
                problems = await self._repos.problems.open_in_open_rounds()
            prompting.queued += await self._queue_batch(due, questions, problems, now)
            if on_prompts_queued is not None:
                on_prompts_queued()
                await asyncio.sleep(0)  # the drain it started begins before the next batch
            if len(due) < size:
                return

    async def _queue_batch(
        self,
        due: list[CheckinRow],
        questions: dict[int, list[str]],
        problems: dict[int, list[OpenProblem]],
        now: datetime,
    ) -> int:
        messages = []
        for checkin in due:
            project_id = checkin.round.project_id
            reply = self._prompts.render_prompt(
                checkin,
                self._prompts.lang(checkin),
                questions.get(project_id, []),
                problems.get(project_id, []),
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
        return await self._repos.checkins.enqueue(messages, now)

    async def _queue_reminders(self, now: datetime) -> int:
        """Reminders due, counted from when each prompt was delivered (a round caught up late
        reminds late too)."""
        return await self._repos.checkins.add_due_reminders(
            now, self._remind_after, self._reminders_max, self._reminder
        )

    def _reminder(self, checkin: CheckinRow, number: int) -> OutgoingMessage | None:
        """The reminder, held until quiet hours end; none if the round closes before that."""
        held = hold_until(self._quiet, self._clock.now(), checkin.project_timezone)
        if held is not None and held >= checkin.round.closes_at:
            return None
        lang = self._prompts.lang(checkin)
        leaders = checkin.round.audience == "leader"
        text = t(
            lang,
            "contact.reminder" if leaders else "checkin.reminder",
            project=checkin.project_name,
            date=checkin.round.local_date.isoformat(),
            closes=format_local(checkin.round.closes_at, checkin.project_timezone),
        )
        buttons = (
            contact_buttons(checkin.round.project_id, lang)
            if leaders
            else self._prompts.buttons(checkin.id, lang)
        )
        # Reminders held to the same morning are one reminder, not a pile of them.
        key = f"remind:{checkin.id}:held:{held.isoformat()}" if held else None
        return OutgoingMessage(
            key or f"remind:{checkin.id}:{number}",
            checkin.user_id,
            text,
            user_id=checkin.user_id,
            buttons=buttons,
            kind="reminder",
            project_id=checkin.round.project_id,
            not_before=held,
        )
