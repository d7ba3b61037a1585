"""Check-in rounds: schedules, prompts, answers, reminders, missed marks and catch-up.

``tick`` is the only thing time drives. It is idempotent: every row it writes is keyed by
project and slot, round and person, or check-in and reminder number, so running it twice,
or after a crash half-way, adds nothing twice and loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local
from bot.config import format_duration, parse_duration
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.ledger import LedgerService
from bot.registry import Registry, clean_text, parse_project_id
from bot.replies import Buttons, PressResult, Reply, shorten
from bot.schedule import (
    Schedule,
    WorkCalendar,
    next_slot,
    parse_date,
    parse_schedule,
    slots_between,
    window_end,
)
from storage.checkins import CheckinRepo, CheckinRow, RoundRow, ScheduleRow
from storage.models import Project
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.problems import OpenProblem, ProblemRepo
from storage.repos import Repositories

log = logging.getLogger(__name__)

MAX_QUESTIONS = 5
PROBLEM_BUTTONS = 5
MAX_LEAVE_DAYS = 366
LOOKBACK = timedelta(days=31)
ENQUEUE_CHUNK = 500


async def _nothing(project_id: int) -> None:
    """Default schedule-change hook before the scheduler is wired."""


def to_schedule(row: ScheduleRow) -> Schedule:
    hours, minutes = row.at_time.split(":")
    weekdays = frozenset(int(d) for d in row.weekdays.split(",") if d) or frozenset(range(7))
    window = timedelta(seconds=row.window_seconds) if row.window_seconds else None
    return Schedule(
        row.kind,  # type: ignore[arg-type]
        time(int(hours), int(minutes)),
        weekdays,
        row.timezone,
        window,
    )


@dataclass(slots=True)
class TickReport:
    opened: int = 0
    skipped: int = 0
    prompts: int = 0
    reminders: int = 0
    closed: int = 0
    unknown_years: set[int] = field(default_factory=set)


class CheckinService:
    """Everything about check-ins; handlers call it, the scheduler calls :meth:`tick`."""

    def __init__(
        self,
        repos: Repositories,
        checkins: CheckinRepo,
        problems: ProblemRepo,
        registry: Registry,
        clock: Clock,
        *,
        remind_after: timedelta,
        reminders_max: int,
        catchup_grace: timedelta,
        ledger: LedgerService,
    ) -> None:
        self._repos = repos
        self._checkins = checkins
        self._problems = problems
        self._registry = registry
        self._clock = clock
        self._remind_after = remind_after
        self._reminders_max = reminders_max
        self._catchup_grace = catchup_grace
        self._ledger = ledger
        self._tick_lock = asyncio.Lock()
        self.on_schedule_changed: Callable[[int], Awaitable[None]] = _nothing

    # --- schedules (admin) ------------------------------------------------------------------

    async def active_schedules(self) -> list[ScheduleRow]:
        return await self._checkins.active_schedules()

    async def schedule_of(self, project_id: int) -> Schedule | None:
        row = await self._checkins.schedule(project_id)
        return to_schedule(row) if row else None

    async def calendar(self, report: TickReport | None = None) -> WorkCalendar:
        overrides = await self._checkins.calendar_overrides()
        hook = report.unknown_years.add if report is not None else None
        return WorkCalendar(overrides, hook)

    async def next_slot_of(self, project_id: int) -> datetime | None:
        project = await self._repos.projects.get(project_id)
        schedule = await self.schedule_of(project_id)
        if project is None or project.status != "active" or schedule is None:
            return None
        return next_slot(schedule, self._clock.now(), await self.calendar())

    async def set_schedule(self, actor_id: int, args: list[str]) -> tuple[int, Schedule | None]:
        """``/schedule <id> daily|weekly|workdays … [zone]`` or ``off``."""
        if len(args) < 2:
            raise UsageError("schedule")
        project = await self._registry.project(parse_project_id(args[0]))
        schedule = parse_schedule(args[1:], project.timezone)
        now = self._clock.now()
        if schedule is None:
            await self._checkins.clear_schedule(project.id, actor_id, now)
        else:
            await self._checkins.set_schedule(
                project.id,
                schedule.kind,
                schedule.at.strftime("%H:%M"),
                ",".join(str(d) for d in sorted(schedule.weekdays)),
                schedule.timezone,
                actor_id,
                now,
            )
        await self.on_schedule_changed(project.id)
        return project.id, await self.schedule_of(project.id)

    async def set_window(self, actor_id: int, args: list[str]) -> tuple[int, timedelta]:
        if len(args) != 2:
            raise UsageError("window")
        project = await self._registry.project(parse_project_id(args[0]))
        try:
            window = parse_duration(args[1])
        except ValueError:
            raise UserError("error.bad_duration", value=args[1][:20]) from None
        if window < timedelta(minutes=5) or window > timedelta(days=7):
            raise UserError("error.window_range")
        if not await self._checkins.set_window(
            project.id, int(window.total_seconds()), actor_id, self._clock.now()
        ):
            raise UserError("error.no_schedule", id=project.id)
        return project.id, window

    async def set_questions(
        self, actor_id: int, project_arg: str, raw: str
    ) -> tuple[int, list[str]]:
        """Replace the question with up to five of the admin's own, separated by | or lines."""
        project = await self._registry.project(parse_project_id(project_arg))
        if raw.strip().lower() == "default":
            texts: list[str] = []
        else:
            texts = [
                clean_text(part, 500)
                for chunk in raw.split("\n")
                for part in chunk.split("|")
                if part.strip()
            ]
            if not texts:
                raise UsageError("questions")
            if len(texts) > MAX_QUESTIONS:
                raise UserError("error.too_many_questions", count=len(texts))
        await self._checkins.set_questions(project.id, texts, actor_id, self._clock.now())
        return project.id, texts

    def describe(self, schedule: Schedule | None, lang: str) -> str:
        if schedule is None:
            return t(lang, "projects.no_schedule")
        at = schedule.at.strftime("%H:%M")
        if schedule.kind == "weekly":
            days = ", ".join(t(lang, f"weekday.{d}") for d in sorted(schedule.weekdays))
            text = t(lang, "schedule.weekly", days=days, time=at)
        else:
            text = t(lang, f"schedule.{schedule.kind}", time=at)
        text += f" ({schedule.timezone})"
        if schedule.window is not None:
            text += t(lang, "schedule.window", window=format_duration(schedule.window))
        return text

    # --- calendar (admin) -------------------------------------------------------------------

    async def add_holidays(self, actor_id: int, args: list[str]) -> list[date]:
        """``/holiday <date> [to <date>]``."""
        if len(args) == 1:
            first = last = parse_date(args[0])
        elif len(args) == 3 and args[1].lower() in {"to", "-", "至", "到"}:
            first, last = parse_date(args[0]), parse_date(args[2])
        else:
            raise UsageError("holiday")
        days = _days(first, last)
        await self._checkins.set_calendar_days(days, "holiday", actor_id, self._clock.now())
        await self._reschedule_workday_projects()
        return days

    async def add_workday(self, actor_id: int, args: list[str]) -> date:
        if len(args) != 1:
            raise UsageError("workday")
        day = parse_date(args[0])
        await self._checkins.set_calendar_days([day], "workday", actor_id, self._clock.now())
        await self._reschedule_workday_projects()
        return day

    async def calendar_entries(self, year: int) -> tuple[bool, list[tuple[date, str]]]:
        """Whether the official calendar covers ``year``, and the admins' entries in it."""
        overrides = await self._checkins.calendar_overrides()
        entries = sorted((d, kind) for d, kind in overrides.items() if d.year == year)
        return WorkCalendar.covers(year), entries

    async def _reschedule_workday_projects(self) -> None:
        for row in await self._checkins.active_schedules():
            if row.kind == "workdays":
                await self.on_schedule_changed(row.project_id)

    # --- rounds (admin) ---------------------------------------------------------------------

    async def open_now(self, actor_id: int, project_arg: str) -> tuple[RoundRow, int]:
        """Open a round immediately; returns it and how many secretaries it asks."""
        project = await self._registry.active_project(parse_project_id(project_arg))
        secretaries = await self._repos.members.of_project(project.id, "secretary")
        if not secretaries:
            raise UserError("error.no_secretaries", id=project.id)
        schedule = await self.schedule_of(project.id) or Schedule(
            "daily", time(0, 0), frozenset(range(7)), project.timezone
        )
        now = self._clock.now()
        round_id = await self._checkins.open_round(
            project.id,
            now,
            now.astimezone(ZoneInfo(project.timezone)).date(),
            window_end(schedule, now),
            "manual",
            now,
        )
        assert round_id is not None
        await self._repos.events.add(now, actor_id, "round.manual", project.id, round_id)
        await self.tick()
        opened = await self._checkins.round(round_id)
        assert opened is not None
        return opened, len(secretaries)

    async def status(self, project_arg: str) -> tuple[Project, RoundRow | None, list[CheckinRow]]:
        """The project's current or last round and its check-ins."""
        project = await self._registry.project(parse_project_id(project_arg))
        latest = await self._checkins.latest_round(project.id)
        if latest is None:
            return project, None, []
        return project, latest, await self._checkins.checkins_of_round(latest.id)

    # --- time -------------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Open due rounds (or record them skipped), queue prompts and reminders, close rounds."""
        report = TickReport()
        async with self._tick_lock:
            now = self._clock.now()
            await self._open_due_rounds(now, report)
            report.prompts = await self._queue_prompts(now)
            report.reminders = await self._queue_reminders(now)
            report.closed = len(await self._checkins.close_due(now))
            for year in sorted(report.unknown_years):
                await self._registry.notify_admins(
                    f"calendar-fallback:{year}", "notice.calendar_fallback", year=year
                )
        if report.opened or report.prompts or report.closed or report.skipped:
            log.info("tick: %s", report)
        return report

    async def _open_due_rounds(self, now: datetime, report: TickReport) -> None:
        calendar = await self.calendar(report)
        for row in await self._checkins.active_schedules():
            schedule = to_schedule(row)
            last = await self._checkins.last_scheduled_slot(row.project_id)
            after = max(last or row.active_since, row.active_since, now - LOOKBACK)
            for slot in slots_between(schedule, after, now, calendar):
                closes_at = window_end(schedule, slot)
                local_date = slot.astimezone(schedule.zone).date()
                if now - slot > self._catchup_grace or closes_at <= now:
                    await self._checkins.record_skipped(row.project_id, slot, local_date, now)
                    report.skipped += 1
                    log.warning(
                        "project %s: slot %s too old, recorded as skipped", row.project_id, slot
                    )
                    continue
                origin = "schedule"
                if await self._checkins.open_round(
                    row.project_id, slot, local_date, closes_at, origin, now
                ):
                    report.opened += 1

    async def _queue_prompts(self, now: datetime) -> int:
        due = await self._checkins.needing_prompt(now)
        messages = []
        context: dict[int, tuple[list[str], list[OpenProblem]]] = {}
        for checkin in due:
            project_id = checkin.round.project_id
            if project_id not in context:
                context[project_id] = (
                    await self._checkins.questions(project_id),
                    await self._problems.open_for_project(project_id),
                )
            questions, problems = context[project_id]
            reply = self.render_prompt(checkin, self._lang(checkin), questions, problems)
            messages.append(
                OutgoingMessage(
                    f"prompt:{checkin.id}",
                    checkin.user_id,
                    reply.text,
                    user_id=checkin.user_id,
                    buttons=reply.buttons,
                )
            )
        added = 0
        for start in range(0, len(messages), ENQUEUE_CHUNK):
            added += await self._checkins.enqueue(messages[start : start + ENQUEUE_CHUNK], now)
        return added

    async def _queue_reminders(self, now: datetime) -> int:
        if self._reminders_max == 0:
            return 0
        sent = 0
        for checkin in await self._checkins.reminder_candidates(self._reminders_max):
            elapsed = now - checkin.round.slot_at
            due = min(int(elapsed / self._remind_after), self._reminders_max)
            if due <= checkin.reminders_sent:
                continue
            lang = self._lang(checkin)
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
                buttons=self._buttons(checkin.id, lang, with_skip=False),
            )
            if await self._checkins.add_reminder(
                checkin.id, checkin.reminders_sent, due, message, now
            ):
                sent += 1
        return sent

    # --- rendering --------------------------------------------------------------------------

    def _lang(self, checkin: CheckinRow) -> str:
        return checkin.language or self._registry.default_language

    @staticmethod
    def _buttons(
        checkin_id: int, lang: str, *, with_skip: bool, problems: list[OpenProblem] | None = None
    ) -> Buttons:
        rows = [
            (
                OutgoingButton(t(lang, "button.all_ok"), f"ci:ok:{checkin_id}"),
                OutgoingButton(t(lang, "button.problem"), f"ci:pb:{checkin_id}"),
            ),
            (OutgoingButton(t(lang, "button.leave"), f"ci:lv:{checkin_id}"),),
        ]
        if with_skip:
            rows.append((OutgoingButton(t(lang, "button.skip"), f"ci:sk:{checkin_id}"),))
        for problem in (problems or [])[:PROBLEM_BUTTONS]:
            rows.append(
                (
                    OutgoingButton(
                        t(lang, "button.note_problem", id=problem.id), f"pb:nt:{problem.id}"
                    ),
                    OutgoingButton(
                        t(lang, "button.resolve_problem", id=problem.id), f"pb:rs:{problem.id}"
                    ),
                )
            )
        return tuple(rows)

    def render_prompt(
        self,
        checkin: CheckinRow,
        lang: str,
        questions: list[str],
        problems: list[OpenProblem],
        status_line: str = "",
    ) -> Reply:
        tz = checkin.project_timezone
        parts = [
            t(
                lang,
                "checkin.prompt_header",
                project=checkin.project_name,
                id=checkin.round.project_id,
                date=checkin.round.local_date.isoformat(),
                closes=format_local(checkin.round.closes_at, tz),
            )
        ]
        if problems:
            lines = [t(lang, "checkin.open_problems", count=len(problems))]
            for problem in problems[:10]:
                overdue = (
                    t(lang, "problem.overdue_mark") if problem.deadline <= self._clock.now() else ""
                )
                lines.append(
                    t(
                        lang,
                        "checkin.problem_line",
                        id=problem.id,
                        text=shorten(problem.text),
                        deadline=format_local(problem.deadline, tz),
                        overdue=overdue,
                    )
                )
            parts.append("\n".join(lines))
        asking = questions and checkin.next_question <= len(questions)
        if asking:
            number = checkin.next_question
            parts.append(
                t(
                    lang,
                    "checkin.question",
                    n=number,
                    total=len(questions),
                    text=questions[number - 1],
                )
            )
        else:
            parts.append(t(lang, "checkin.question_default"))
        parts.append(t(lang, "checkin.how_to_answer"))
        if status_line:
            parts.append(status_line)
        buttons = self._buttons(checkin.id, lang, with_skip=bool(asking), problems=problems)
        return Reply("\n\n".join(parts), buttons)

    async def _prompt_for(self, checkin: CheckinRow, status_line: str = "") -> Reply:
        project_id = checkin.round.project_id
        return self.render_prompt(
            checkin,
            self._lang(checkin),
            await self._checkins.questions(project_id),
            await self._problems.open_for_project(project_id),
            status_line,
        )

    # --- secretaries ------------------------------------------------------------------------

    async def _own_open_checkin(self, user_id: int, checkin_id: int) -> CheckinRow:
        checkin = await self._checkins.checkin(checkin_id)
        if checkin is None or checkin.user_id != user_id:
            log.warning("user %s pressed a check-in button for %s", user_id, checkin_id)
            raise UserError("error.not_yours")
        if checkin.round.status != "open":
            raise UserError("checkin.closed", date=checkin.round.local_date.isoformat())
        return checkin

    async def press(self, user_id: int, action: str, checkin_id: int) -> PressResult:
        """A secretary pressed a button under a prompt or reminder."""
        checkin = await self._own_open_checkin(user_id, checkin_id)
        lang = self._lang(checkin)
        now = self._clock.now()
        stamp = format_local(now, checkin.project_timezone)[11:]
        if action in {"ok", "lv"}:
            kind, status, key = (
                ("ok", "answered", "checkin.recorded_ok")
                if action == "ok"
                else ("leave", "on_leave", "checkin.recorded_leave")
            )
            stored = await self._checkins.record_answer(
                checkin.id, kind, now, status=status, outcome=kind
            )
            if stored is None:
                raise UserError("checkin.closed", date=checkin.round.local_date.isoformat())
            fresh = await self._checkins.checkin(checkin.id)
            assert fresh is not None
            line = t(lang, key, time=stamp)
            edit = await self._prompt_for(fresh, line)
            return PressResult(alert=line, edit=edit)
        if action == "pb":
            await self._repos.pending.set(user_id, "problem", now, checkin_id=checkin.id)
            return PressResult(followups=[Reply(t(lang, "checkin.describe_problem"))])
        if action == "sk":
            return await self._skip_question(checkin, lang, now)
        if action == "pk":
            return await self._picked(checkin, lang)
        raise UserError("error.stale_button")

    async def _skip_question(self, checkin: CheckinRow, lang: str, now: datetime) -> PressResult:
        questions = await self._checkins.questions(checkin.round.project_id)
        number = checkin.next_question
        if not questions or number > len(questions):
            return PressResult(alert=t(lang, "checkin.no_question"))
        await self._checkins.record_answer(
            checkin.id,
            "skip",
            now,
            question_no=number,
            status=checkin.status,
            next_question=number + 1,
        )
        return PressResult(followups=[self._after_question(checkin, lang, questions, number)])

    def _after_question(
        self, checkin: CheckinRow, lang: str, questions: list[str], answered: int
    ) -> Reply:
        if answered < len(questions):
            return Reply(
                t(
                    lang,
                    "checkin.question",
                    n=answered + 1,
                    total=len(questions),
                    text=questions[answered],
                ),
                ((OutgoingButton(t(lang, "button.skip"), f"ci:sk:{checkin.id}"),),),
            )
        return Reply(t(lang, "checkin.all_questions_done", project=checkin.project_name))

    async def _picked(self, checkin: CheckinRow, lang: str) -> PressResult:
        pending = await self._repos.pending.get(checkin.user_id)
        if pending is None or pending.kind != "choose" or not pending.text:
            return PressResult(alert=t(lang, "error.stale_button"))
        await self._repos.pending.clear(checkin.user_id)
        reply = await self._record_text(checkin, lang, pending.text)
        return PressResult(
            edit=Reply(t(lang, "checkin.chosen", project=checkin.project_name)), followups=[reply]
        )

    async def text(self, user_id: int, text: str, lang: str) -> Reply:
        """Free text from a secretary: a problem's text, or a progress answer."""
        now = self._clock.now()
        pending = await self._repos.pending.get(user_id)
        if pending is not None and pending.kind == "problem":
            return await self._problem_text(
                user_id, pending.checkin_id, pending.project_id, text, lang
            )
        if pending is not None and pending.kind == "note" and pending.problem_id is not None:
            await self._repos.pending.clear(user_id)
            problem = await self._ledger.note(user_id, pending.problem_id, text)
            return Reply(t(lang, "problem.noted", id=problem.id))
        open_checkins = await self._checkins.open_checkins_of(user_id)
        if not open_checkins:
            return Reply(t(lang, "checkin.nothing_open"))
        if len(open_checkins) == 1:
            checkin = open_checkins[0]
            return await self._record_text(checkin, self._lang(checkin), text)
        await self._repos.pending.set(user_id, "choose", now, text=text)
        buttons = tuple(
            (
                OutgoingButton(
                    f"{c.project_name} ({c.round.local_date.isoformat()})"[:60], f"ci:pk:{c.id}"
                ),
            )
            for c in open_checkins
        )
        return Reply(t(lang, "checkin.which_project"), buttons)

    async def _record_text(self, checkin: CheckinRow, lang: str, text: str) -> Reply:
        now = self._clock.now()
        questions = await self._checkins.questions(checkin.round.project_id)
        closes = format_local(checkin.round.closes_at, checkin.project_timezone)
        if questions and checkin.next_question <= len(questions):
            number = checkin.next_question
            stored = await self._checkins.record_answer(
                checkin.id,
                "answer",
                now,
                text=text,
                question_no=number,
                outcome="progress",
                next_question=number + 1,
            )
            if stored is None:
                return Reply(t(lang, "checkin.closed", date=checkin.round.local_date.isoformat()))
            return self._after_question(checkin, lang, questions, number)
        stored = await self._checkins.record_answer(
            checkin.id, "progress", now, text=text, outcome="progress"
        )
        if stored is None:
            return Reply(t(lang, "checkin.closed", date=checkin.round.local_date.isoformat()))
        return Reply(
            t(lang, "checkin.recorded_progress", project=checkin.project_name, closes=closes)
        )

    async def _problem_text(
        self, user_id: int, checkin_id: int | None, project_id: int | None, text: str, lang: str
    ) -> Reply:
        """The text after 'Report a problem' (or /newproblem without text): into the ledger."""
        await self._repos.pending.clear(user_id)
        checkin = await self._checkins.checkin(checkin_id) if checkin_id else None
        if checkin is None:
            assert project_id is not None
            return await self._ledger.record(user_id, project_id, text, lang)
        now = self._clock.now()
        project_id = checkin.round.project_id
        deadline = now + await self._ledger.deadline_for(project_id)
        text = clean_text(text, 2000)
        problem_id = await self._checkins.record_answer(
            checkin.id,
            "problem",
            now,
            text=text,
            outcome="problem",
            problem=(project_id, text, deadline),
        )
        if not problem_id:
            # The round closed meanwhile: the problem still goes into the ledger.
            return await self._ledger.record(user_id, project_id, text, lang)
        return await self._ledger.recorded_reply(problem_id, lang)

    async def checkin_command(self, user_id: int) -> list[Reply]:
        """``/checkin``: the prompt of each open round, opening today's early if none is open."""
        memberships = [
            m for m in await self._repos.members.of_user(user_id) if m.role == "secretary"
        ]
        if not memberships:
            raise UserError("error.not_secretary")
        now = self._clock.now()
        for member in memberships:
            project = await self._repos.projects.get(member.project_id)
            if project is None or project.status != "active":
                continue
            if await self._checkins.open_rounds(project.id):
                continue
            schedule = await self.schedule_of(project.id)
            if schedule is None:
                continue
            upcoming = next_slot(schedule, now, await self.calendar())
            if (
                upcoming is None
                or upcoming.astimezone(schedule.zone).date() != now.astimezone(schedule.zone).date()
            ):
                continue
            await self._checkins.open_round(
                project.id,
                upcoming,
                upcoming.astimezone(schedule.zone).date(),
                window_end(schedule, upcoming),
                "schedule",
                now,
            )
        replies = [
            await self._prompt_for(c) for c in await self._checkins.open_checkins_of(user_id)
        ]
        if not replies:
            raise UserError("checkin.nothing_due")
        return replies

    async def leave(self, user_id: int, args: list[str]) -> tuple[date, date]:
        """``/leave <date>`` or ``/leave <from> <to>``."""
        if not 1 <= len(args) <= 2:
            raise UsageError("leave")
        memberships = [
            m for m in await self._repos.members.of_user(user_id) if m.role == "secretary"
        ]
        if not memberships:
            raise UserError("error.not_secretary")
        first = parse_date(args[0])
        last = parse_date(args[1]) if len(args) == 2 else first
        if last < first:
            raise UserError("error.date_order")
        if (last - first).days >= MAX_LEAVE_DAYS:
            raise UserError("error.leave_too_long")
        await self._checkins.add_leave(user_id, first, last, self._clock.now())
        return first, last


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise UserError("error.date_order")
    if (last - first).days > MAX_LEAVE_DAYS:
        raise UserError("error.leave_too_long")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
