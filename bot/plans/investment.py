"""The monthly investment report: on a project's day (``/schedule <id> investment monthly 25
09:00``) its secretaries are asked for the investment completed this month, in 万元; the reply
(or ``/invest``) is recorded once per project and month (a later one corrects it)."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.conversation import Conversation
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import keyword, parse_project_id, parse_time
from bot.plans.money import format_money, parse_money
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import ADMIN, MEMBER, Denied, Need
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.pending import PendingInput
from storage.repos import Repositories

MONTHLY = {"monthly", "每月"}
CALLBACK = re.compile(r"^iv:([0-9]{1,12})$")


class InvestmentService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        conversation: Conversation,
        clock: Clock,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._conversation = conversation
        self._clock = clock

    async def set_schedule(self, user_id: int, args: list[str]) -> tuple[int, str | None]:
        """``/schedule <id> investment monthly <day> <HH:MM>`` or ``… investment off``."""
        project = await self._projects.project(parse_project_id(args[0]))
        rest = args[2:]
        if len(rest) == 1 and keyword(rest[0]) == "off":
            day, at = None, None
        elif len(rest) == 3 and keyword(rest[0]) in MONTHLY | {"monthly"}:
            if not (rest[1].isascii() and rest[1].isdigit() and 1 <= int(rest[1]) <= 28):
                raise UserError("investment.bad_day", value=rest[1][:10])
            day, at = int(rest[1]), parse_time(rest[2]).strftime("%H:%M")
        else:
            raise UsageError("schedule")
        try:
            await self._repos.investments.set_investment_schedule(
                Need(user_id, ADMIN, project.id, active=False), day, at, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        return project.id, None if day is None else f"{day} {at}"

    async def tick(self) -> int:
        """Ask for this month's figure where the day and time have come (once a month)."""
        now = self._clock.now()
        asked = 0
        for project_id, day, at, zone in await self._repos.investments.investment_schedules():
            local = now.astimezone(ZoneInfo(zone))
            due = datetime.combine(
                local.date().replace(day=day), time.fromisoformat(at), ZoneInfo(zone)
            )
            if local < due:
                continue
            month = f"{local:%Y-%m}"
            # Past its day a project is looked at every sweep of the month: only secretaries not
            # asked yet (a new one) make a prompt.
            asked_already = await self._repos.investments.prompted(project_id, month)
            waiting = [
                m.person.user_id
                for m in await self._repos.members.of_project(project_id, "secretary")
                if m.person.reachable and m.person.user_id not in asked_already
            ]
            if not waiting:
                continue
            project = await self._projects.project(project_id)
            prompts = []
            for user_id in waiting:
                lang = await self._registry.language_of(user_id)
                text = t(lang, "investment.prompt", id=project.id, name=project.name, month=month)
                prompts.append(
                    (
                        user_id,
                        OutgoingMessage(
                            f"invest:{project_id}:{month}:{user_id}",
                            user_id,
                            text,
                            user_id=user_id,
                            project_id=project_id,
                            buttons=(
                                (OutgoingButton(t(lang, "button.investment"), f"iv:{project_id}"),),
                            ),
                        ),
                    )
                )
            asked += await self._repos.investments.prompt_investment(
                project_id, month, prompts, now
            )
        return asked

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        """The prompt's button: the secretary's next message is the month's figure."""
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        project_id = int(match[1])
        if not await self._registry.roles_on(user_id, project_id) & MEMBER:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        await self._conversation.expect(user_id, "investment", project_id=project_id)
        return PressResult(followups=[Reply(t(lang, "investment.ask", id=project_id))])

    async def take(self, user_id: int, pending: PendingInput, text: str, lang: str) -> Reply:
        assert pending.project_id is not None
        return await self.record(user_id, pending.project_id, text, lang)

    async def record(
        self, user_id: int, project_id: int, raw: str, lang: str, month: str | None = None
    ) -> Reply:
        project = await self._projects.active_project(project_id)
        amount = parse_money(raw)
        now = self._clock.now()
        month = month or f"{now.astimezone(ZoneInfo(project.timezone)):%Y-%m}"
        try:
            replaced = await self._repos.investments.record_investment(
                Need(user_id, MEMBER, project.id), month, amount, now
            )
        except Denied as exc:
            raise refusal(exc) from None
        await self._conversation.drop(user_id)
        year = int(month[:4])
        total = (await self._repos.investments.investment_by_year(year, [project.id])).get(
            project.id, 0
        )
        plan = await self._repos.plans.plan(project.id)
        share = f" ({total / plan.year_investment:.0%})" if plan.year_investment else ""
        key = "investment.corrected" if replaced is not None else "investment.recorded"
        return Reply(
            t(
                lang,
                key,
                id=project.id,
                month=month,
                amount=format_money(amount, lang),
                total=format_money(total, lang) + share,
            )
        )

    async def command(self, user_id: int, args: list[str], lang: str) -> Reply:
        """``/invest <project id> <amount> [YYYY-MM]``."""
        if len(args) not in (2, 3):
            raise UsageError("invest")
        project_id = parse_project_id(args[0])
        if not await self._registry.roles_on(user_id, project_id) & MEMBER:
            raise UserError("error.not_member", id=project_id)
        month = None
        if len(args) == 3:
            month = args[2].strip()
            if not (len(month) == 7 and month[4] == "-" and month.replace("-", "").isdigit()):
                raise UsageError("invest")
        return await self.record(user_id, project_id, args[1], lang, month)
