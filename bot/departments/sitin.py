"""Sitting in the 365 office (坐班): on a department's days its liaisons are asked to sign in,
by sharing their location (checked against ``OFFICE_LOCATION``) or, without one, with a button.
Unsigned by the end of the working day counts as an absence, named in the notice."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.schedules import ScheduleService
from bot.clock import Clock
from bot.departments.service import DepartmentService, parse_department_ref
from bot.departments.workhours import OfficeLocation, WorkHours, distance_m
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import keyword, parse_time, parse_weekdays
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import ADMIN, Denied, Need
from storage.departments import Department
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.repos import Repositories

log = logging.getLogger(__name__)

CALLBACK = re.compile(r"^si:([0-9]{1,12})$")
LATE_WINDOW = timedelta(hours=2)  # a sign-in set at or after the end of the working day


class SitinService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        departments: DepartmentService,
        schedules: ScheduleService,
        clock: Clock,
        *,
        timezone: str,
        work_hours: WorkHours,
        office: OfficeLocation | None,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._departments = departments
        self._schedules = schedules
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._work_hours = work_hours
        self.office = office

    async def set_schedule(self, actor_id: int, args: list[str]) -> tuple[Department, str | None]:
        """``/sitin d<id> <days> <HH:MM>`` (days: mon,wed,fri / 周一,周三 / 工作日) or
        ``/sitin d<id> off``."""
        if len(args) not in (2, 3):
            raise UsageError("sitin")
        department = await self._departments.active(parse_department_ref(args[0]))
        if len(args) == 2:
            if keyword(args[1]) != "off":
                raise UsageError("sitin")
            days: str | None = None
            at: str | None = None
        else:
            if keyword(args[1]) == "workdays":
                days = "workdays"
            else:
                days = ",".join(str(d) for d in sorted(parse_weekdays(args[1])))
            at = parse_time(args[2]).strftime("%H:%M")
        try:
            await self._repos.departments.set_sitin(
                Need(actor_id, ADMIN), department.id, days, at, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        return await self._departments.department(department.id), days

    def describe(self, department: Department, lang: str) -> str:
        if department.sitin_days is None or department.sitin_time is None:
            return t(lang, "sitin.none")
        if department.sitin_days == "workdays":
            days = t(lang, "sitin.workdays")
        else:
            days = ", ".join(t(lang, f"weekday.{d}") for d in department.sitin_days.split(","))
        return t(lang, "sitin.schedule", days=days, at=department.sitin_time)

    # --- the daily round ------------------------------------------------------------------------

    async def tick(self) -> int:
        """Open today's sign-ins that are due; close those whose day has ended."""
        now = self._clock.now()
        await self._repos.departments.close_sitins(now)
        opened = 0
        local = now.astimezone(self._zone)
        calendar = await self._schedules.calendar()
        for department in await self._repos.departments.with_sitin():
            assert department.sitin_days is not None and department.sitin_time is not None
            day = local.date()
            if department.sitin_days == "workdays":
                if not calendar.is_workday(day):
                    continue
            elif str(day.weekday()) not in department.sitin_days.split(","):
                continue
            at = time.fromisoformat(department.sitin_time)
            due = datetime.combine(day, at, tzinfo=self._zone)
            closes = datetime.combine(day, self._work_hours.end, tzinfo=self._zone)
            if closes <= due:
                closes = due + LATE_WINDOW
            if not due <= local < closes:
                continue
            if await self._repos.departments.opened_on(department.id, day.isoformat()):
                continue
            prompts = []
            for member in await self._repos.departments.members(department.id, "liaison"):
                user_id = member.person.user_id
                if not member.person.reachable:
                    continue
                lang = await self._registry.language_of(user_id)
                prompts.append((user_id, self._prompt(department, user_id, day.isoformat(), lang)))
            opened += await self._repos.departments.open_sitins(
                department.id,
                day.isoformat(),
                due.astimezone(UTC),
                closes.astimezone(UTC),
                prompts,
                now,
            )
        return opened

    def _prompt(self, department: Department, user_id: int, day: str, lang: str) -> OutgoingMessage:
        if self.office is not None:
            text = t(lang, "sitin.prompt_location", dept=department.name, day=day)
            buttons: tuple[tuple[OutgoingButton, ...], ...] = ()
        else:
            text = t(lang, "sitin.prompt_button", dept=department.name, day=day)
            buttons = ((OutgoingButton(t(lang, "button.sitin"), f"si:{department.id}"),),)
        return OutgoingMessage(
            f"sitin:{department.id}:{day}:{user_id}",
            user_id,
            text,
            user_id=user_id,
            buttons=buttons,
        )

    # --- signing in -----------------------------------------------------------------------------

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        if CALLBACK.match(data) is None:
            raise UserError("error.stale_button")
        if self.office is not None:
            return PressResult(alert=t(lang, "sitin.share_location"), show_alert=True)
        sitin = await self._repos.departments.pending_sitin(user_id, self._clock.now())
        if sitin is None:
            return PressResult(alert=t(lang, "sitin.nothing_open"), show_alert=True)
        await self._repos.departments.sign_in(sitin.id, user_id, self._clock.now(), None)
        return PressResult(alert=t(lang, "sitin.signed"), edit=Reply(t(lang, "sitin.signed")))

    async def wants_location(self, user_id: int) -> bool:
        return await self._repos.departments.pending_sitin(user_id, self._clock.now()) is not None

    async def location(self, user_id: int, latitude: float, longitude: float, lang: str) -> Reply:
        """A shared location: a sign-in if the bot waits for one and it is at the office."""
        now = self._clock.now()
        sitin = await self._repos.departments.pending_sitin(user_id, now)
        if sitin is None:
            return Reply(t(lang, "sitin.nothing_open"))
        if self.office is not None and not self.office.contains(latitude, longitude):
            away = distance_m(self.office.latitude, self.office.longitude, latitude, longitude)
            return Reply(
                t(lang, "sitin.too_far", metres=int(away), radius=int(self.office.radius_m))
            )
        await self._repos.departments.sign_in(sitin.id, user_id, now, (latitude, longitude))
        return Reply(t(lang, "sitin.signed"))
