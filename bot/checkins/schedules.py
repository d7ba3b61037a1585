"""Check-in schedules, custom questions and the workday calendar (admin side)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta

from bot.clock import Clock, local_date
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.parsing import clean_text, keyword, parse_date, parse_duration, parse_project_id
from bot.projects import ProjectService
from bot.schedule import (
    Schedule,
    WorkCalendar,
    next_slot,
    parse_schedule,
)
from storage.access import ADMIN, SECRETARY, Denied, Need
from storage.repos import Repositories
from storage.schedules import Audience, ScheduleRow

log = logging.getLogger(__name__)

MAX_QUESTIONS = 5
MIN_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(days=7)
MAX_LEAVE_DAYS = 366


async def _nothing() -> None:
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


class ScheduleService:
    """When projects are prompted and what they are asked."""

    def __init__(self, repos: Repositories, projects: ProjectService, clock: Clock) -> None:
        self._repos = repos
        self._projects = projects
        self._clock = clock
        # Replans the scheduler's slot job; set by the composition root.
        self.on_schedule_changed: Callable[[], Awaitable[None]] = _nothing

    # --- schedules (admin) ------------------------------------------------------------------

    async def active_schedules(self) -> list[ScheduleRow]:
        return await self._repos.schedules.active_schedules()

    async def schedule_of(
        self, project_id: int, audience: Audience = "secretary"
    ) -> Schedule | None:
        row = await self._repos.schedules.schedule(project_id, audience)
        return to_schedule(row) if row else None

    async def calendar(self, on_unknown_year: Callable[[int], None] | None = None) -> WorkCalendar:
        return WorkCalendar(await self._repos.schedules.calendar_overrides(), on_unknown_year)

    async def next_slot_of(
        self, project_id: int, audience: Audience = "secretary"
    ) -> datetime | None:
        project = await self._repos.projects.get(project_id)
        schedule = await self.schedule_of(project_id, audience)
        if project is None or project.status != "active" or schedule is None:
            return None
        return next_slot(schedule, self._clock.now(), await self.calendar())

    async def set_schedule(
        self, actor_id: int, args: list[str]
    ) -> tuple[int, Audience, Schedule | None]:
        """``/schedule <id> [leaders] daily|weekly|workdays … [zone]`` or ``off``: the
        secretaries' check-ins, or the leaders' weekly contact with the enterprise."""
        if len(args) < 2:
            raise UsageError("schedule")
        project = await self._projects.project(parse_project_id(args[0]))
        audience: Audience = "secretary"
        rest = args[1:]
        if keyword(rest[0]) in {"leader", "leaders"}:
            audience, rest = "leader", rest[1:]
        elif keyword(rest[0]) in {"secretary", "secretaries"}:
            rest = rest[1:]
        if not rest:
            raise UsageError("schedule")
        schedule = parse_schedule(rest, project.timezone)
        now = self._clock.now()
        need = Need(actor_id, ADMIN, project.id, active=False)
        if schedule is None:
            changed = await self._repos.schedules.clear_schedule(need, now, audience)
        else:
            changed = await self._repos.schedules.set_schedule(
                need,
                schedule.kind,
                schedule.at.strftime("%H:%M"),
                ",".join(str(d) for d in sorted(schedule.weekdays)),
                schedule.timezone,
                now,
                audience,
            )
        if changed:
            await self.on_schedule_changed()
        return project.id, audience, await self.schedule_of(project.id, audience)

    async def set_window(self, actor_id: int, args: list[str]) -> tuple[int, timedelta]:
        if len(args) != 2:
            raise UsageError("window")
        project = await self._projects.project(parse_project_id(args[0]))
        window = parse_duration(args[1], MIN_WINDOW, MAX_WINDOW)
        if not await self._repos.schedules.set_window(
            Need(actor_id, ADMIN, project.id, active=False),
            int(window.total_seconds()),
            self._clock.now(),
        ):
            raise UserError("error.no_schedule", id=project.id)
        return project.id, window

    async def set_questions(
        self, actor_id: int, project_arg: str, raw: str
    ) -> tuple[int, list[str]]:
        """Replace the question with up to five of the admin's own, separated by | or lines."""
        project = await self._projects.project(parse_project_id(project_arg))
        if keyword(raw) == "default":
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
        await self._repos.schedules.set_questions(
            Need(actor_id, ADMIN, project.id, active=False), texts, self._clock.now()
        )
        return project.id, texts

    def describe(self, schedule: Schedule | None, lang: str) -> str:
        if schedule is None:
            return t(lang, "projects.no_schedule")
        at = schedule.at.strftime("%H:%M")
        if schedule.kind == "weekly":
            separator = t(lang, "schedule.days_separator")
            days = separator.join(t(lang, f"weekday_short.{d}") for d in sorted(schedule.weekdays))
            text = t(lang, "schedule.weekly", days=days, time=at)
        else:
            text = t(lang, f"schedule.{schedule.kind}", time=at)
        if schedule.timezone != self._projects.default_timezone:
            text += f" ({schedule.timezone})"
        if schedule.window is not None:
            text += t(lang, "schedule.window", window=schedule.window)
        return text

    async def leave(self, user_id: int, args: list[str]) -> tuple[date, date]:
        """``/leave <date>`` or ``/leave <from> <to>``."""
        if not 1 <= len(args) <= 2:
            raise UsageError("leave")
        today = self.today()
        first = parse_date(args[0], today)
        last = parse_date(args[1], today) if len(args) == 2 else first
        if last < first:
            raise UserError("error.date_order")
        if (last - first).days >= MAX_LEAVE_DAYS:
            raise UserError("error.leave_too_long")
        if last < today:  # it would change nothing, yet read as if it excused a miss
            raise UserError("error.leave_past")
        try:
            await self._repos.schedules.add_leave(
                Need(user_id, SECRETARY), first, last, self._clock.now()
            )
        except Denied:
            raise UserError("error.not_secretary") from None
        return first, last

    # --- calendar (admin) -------------------------------------------------------------------

    def today(self) -> date:
        """Today in the default timezone: the year a date typed without one (12月1日) is in."""
        return local_date(self._clock.now(), self._projects.default_timezone)

    async def add_holidays(self, actor_id: int, args: list[str]) -> list[date]:
        """``/holiday <date> [to <date>]``."""
        today = self.today()
        if len(args) == 1:
            first = last = parse_date(args[0], today)
        elif len(args) == 3 and keyword(args[1]) in {"to", "-"}:
            first, last = parse_date(args[0], today), parse_date(args[2], today)
        else:
            raise UsageError("holiday")
        days = _days(first, last)
        await self._repos.schedules.set_calendar_days(
            Need(actor_id, ADMIN), days, "holiday", self._clock.now()
        )
        await self._reschedule_workday_projects()
        return days

    async def add_workday(self, actor_id: int, args: list[str]) -> date:
        if len(args) != 1:
            raise UsageError("workday")
        day = parse_date(args[0], self.today())
        await self._repos.schedules.set_calendar_days(
            Need(actor_id, ADMIN), [day], "workday", self._clock.now()
        )
        await self._reschedule_workday_projects()
        return day

    async def calendar_entries(self, year: int) -> tuple[bool, list[tuple[date, str]]]:
        """Whether the official calendar covers ``year``, and the admins' entries in it."""
        overrides = await self._repos.schedules.calendar_overrides()
        entries = sorted((d, kind) for d, kind in overrides.items() if d.year == year)
        return WorkCalendar.covers(year), entries

    async def _reschedule_workday_projects(self) -> None:
        """The calendar changed: workday schedules work out their next slot again."""
        await self._repos.schedules.forget_next_due("workdays")
        await self.on_schedule_changed()


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise UserError("error.date_order")
    if (last - first).days > MAX_LEAVE_DAYS:
        raise UserError("error.leave_too_long")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
