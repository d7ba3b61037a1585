"""/checkin: a secretary answers today's check-in before being asked."""

from __future__ import annotations

from bot.checkins.prompts import PromptRenderer
from bot.checkins.schedules import ScheduleService
from bot.clock import Clock, format_local
from bot.errors import UserError
from bot.i18n import t
from bot.replies import Reply
from bot.schedule import next_slot, window_end
from storage.checkins import CheckinRow
from storage.repos import Repositories


class EarlyCheckin:
    """Opens today's round ahead of its slot, and shows the prompts of the open ones."""

    def __init__(
        self,
        repos: Repositories,
        clock: Clock,
        schedules: ScheduleService,
        prompts: PromptRenderer,
    ) -> None:
        self._repos = repos
        self._clock = clock
        self._schedules = schedules
        self._prompts = prompts

    def _already(self, checkin: CheckinRow) -> str:
        """On a prompt shown again: what is already recorded, so it is not answered twice."""
        if checkin.answered_at is None or checkin.status not in {"answered", "on_leave"}:
            return ""
        key = (
            "checkin.already_leave" if checkin.status == "on_leave" else "checkin.already_answered"
        )
        at = format_local(checkin.answered_at, checkin.project_timezone)[11:]
        return t(self._prompts.lang(checkin), key, time=at)

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
            if await self._repos.rounds.open_rounds(project.id):
                continue
            schedule = await self._schedules.schedule_of(project.id)
            if schedule is None:
                continue
            upcoming = next_slot(schedule, now, await self._schedules.calendar())
            if (
                upcoming is None
                or upcoming.astimezone(schedule.zone).date() != now.astimezone(schedule.zone).date()
            ):
                continue
            await self._repos.rounds.open_round(
                project.id,
                upcoming,
                upcoming.astimezone(schedule.zone).date(),
                window_end(schedule, upcoming),
                "schedule",
                now,
            )
        replies = [
            await self._prompts.prompt_for(c, self._already(c))
            for c in await self._repos.checkins.open_checkins_of(user_id)
        ]
        if not replies:
            raise UserError("checkin.nothing_due")
        return replies
