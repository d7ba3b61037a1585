"""Milestones (节点): added by admins, listed with ✅ / ⏳ / ⚠️, marked done with evidence by the
project's people (or the responsible department)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.clock import Clock
from bot.conversation import Conversation
from bot.departments.service import is_department_ref, parse_department_ref
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import clean_name, clean_text, parse_date, parse_problem_id, parse_project_id
from bot.plans.service import PlanService
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import ADMIN, DEPT, MEMBER, Denied, Need
from storage.attachments import IncomingFile, Owner
from storage.outbox import OutgoingButton
from storage.pending import PendingInput
from storage.plans import Milestone
from storage.repos import Repositories

MAX_EVIDENCE = 1000
CALLBACK = re.compile(r"^ms:(d:)?([0-9]{1,12})$")


class MilestoneService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        plans: PlanService,
        clock: Clock,
        conversation: Conversation,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._plans = plans
        self._clock = clock
        self._conversation = conversation

    async def add(self, user_id: int, args: list[str]) -> tuple[int, Milestone]:
        """``/milestones <id> add <date> <name> [@secretary|d<id>]``."""
        if len(args) < 4:
            raise UsageError("milestones")
        project = await self._projects.active_project(parse_project_id(args[0]))
        today = self._plans.today(project)
        planned_on = parse_date(args[2], today)
        if planned_on < today:
            raise UserError("milestone.past", day=planned_on.isoformat())
        words = args[3:]
        responsible_user = responsible_department = None
        if len(words) > 1 and is_department_ref(words[-1]):
            department = await self._repos.departments.get(parse_department_ref(words.pop()))
            if department is None or department.status != "active":
                raise UserError("dept.unknown", id=parse_department_ref(args[-1]))
            responsible_department = department.id
        elif len(words) > 1 and words[-1].startswith("@"):
            person = await self._projects.find_member(project.id, words.pop())
            responsible_user = person.user_id
        name = clean_name(" ".join(words))
        try:
            milestone_id = await self._repos.plans.add_milestone(
                Need(user_id, ADMIN, project.id),
                name,
                planned_on,
                self._clock.now(),
                responsible_user=responsible_user,
                responsible_department=responsible_department,
            )
        except Denied as exc:
            raise refusal(exc) from None
        milestone = await self._repos.plans.milestone(milestone_id)
        assert milestone is not None
        return project.id, milestone

    async def listing(self, user_id: int, raw: str, lang: str) -> list[str]:
        """``/milestones <id>``: each with ✅ done (on time or late), ⏳ to come, ⚠️ overdue."""
        project = await self._projects.project(parse_project_id(raw))
        roles = await self._registry.roles_on(user_id, project.id)
        if not roles & MEMBER:
            raise UserError("error.not_member", id=project.id)
        milestones = await self._repos.plans.milestones([project.id])
        progress = await self._plans.progress(project)
        lines = [t(lang, "milestone.header", id=project.id, name=project.name, bar=progress.bar())]
        if not milestones:
            lines.append(t(lang, "milestone.none", id=project.id))
        today = self._plans.today(project)
        for m in milestones:
            if m.done_on is not None:
                mark = "✅" if m.on_time() else "☑️"
                state = t(lang, "milestone.done_on", day=m.done_on.isoformat())
            elif m.planned_on < today:
                mark, state = "⚠️", t(lang, "milestone.overdue", days=(today - m.planned_on).days)
            else:
                mark, state = "⏳", ""
            who = t(lang, "milestone.who", who=m.responsible_name) if m.responsible_name else ""
            lines.append(
                t(
                    lang,
                    "milestone.line",
                    mark=mark,
                    id=m.id,
                    name=m.name,
                    day=m.planned_on.isoformat(),
                    who=who,
                    state=state,
                )
            )
        return lines

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        """The check-in prompt's 节点完成 (``ms:<project>``): the project's milestones due soon,
        a button each; one pressed (``ms:d:<milestone>``) is done today."""
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        if match[1] == "d:":
            try:
                milestone = await self.done(user_id, [match[2]])
            except UserError as error:
                return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
            key = "milestone.marked" if milestone.on_time() else "milestone.marked_late"
            text = t(lang, key, id=milestone.id, name=milestone.name, day=str(milestone.done_on))
            return PressResult(alert=text, edit=Reply(text))
        project = await self._projects.project(int(match[2]))
        if not await self._registry.roles_on(user_id, project.id) & MEMBER:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        due = await self._repos.plans.due_of_project(project.id, self._plans.today(project))
        if not due:
            return PressResult(alert=t(lang, "milestone.none_due"), show_alert=True)
        rows = tuple(
            (OutgoingButton(f"#{m.id} {m.name} ({m.planned_on:%m-%d})"[:60], f"ms:d:{m.id}"),)
            for m in due[:20]
        )
        return PressResult(followups=[Reply(t(lang, "milestone.pick", id=project.id), rows)])

    async def done(self, user_id: int, args: list[str]) -> Milestone:
        """``/done <milestone id> [evidence]``: by the project's people, or the responsible
        department's."""
        if not args:
            raise UsageError("done")
        milestone = await self._repos.plans.milestone(parse_problem_id(args[0]))
        if milestone is None:
            raise UserError("milestone.unknown", id=args[0][:12])
        roles = await self._registry.roles_on(user_id, milestone.project_id)
        mine = {m.department_id for m in await self._repos.departments.of_user(user_id)}
        by_department = milestone.responsible_department in mine
        if not roles & MEMBER and not by_department:
            raise UserError("milestone.unknown", id=milestone.id)
        if milestone.done:
            raise UserError("milestone.already", id=milestone.id, day=str(milestone.done_on))
        evidence = clean_text(" ".join(args[1:]), MAX_EVIDENCE) if len(args) > 1 else None
        project = await self._projects.project(milestone.project_id)
        need = Need(
            user_id,
            MEMBER | (DEPT if by_department else frozenset()),
            project.id,
            department_id=milestone.responsible_department if by_department else None,
        )
        try:
            done = await self._repos.plans.mark_done(
                need, milestone.id, self._plans.today(project), self._clock.now(), evidence
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not done:
            raise UserError("milestone.already", id=milestone.id, day="")
        # The next message may be a photo of it (节点佐证).
        await self._conversation.expect(
            user_id, "milestone_photo", project_id=project.id, detail={"milestone": milestone.id}
        )
        fresh = await self._repos.plans.milestone(milestone.id)
        assert fresh is not None
        return fresh

    async def take(
        self,
        user_id: int,
        pending: PendingInput,
        lang: str,
        files: Sequence[IncomingFile],
    ) -> Reply:
        """Photos or files sent after a milestone was marked done: its evidence (节点佐证).
        (The evidence in words comes with /done <id> <text>.)"""
        await self._conversation.drop(user_id)
        milestone_id = int(pending.detail.get("milestone", 0))
        milestone = await self._repos.plans.milestone(milestone_id)
        if milestone is None:
            raise UserError("milestone.unknown", id=milestone_id)
        await self._repos.attachments.add(
            Owner(milestone_id=milestone.id), user_id, files, self._clock.now()
        )
        return Reply(t(lang, "milestone.photo_added", id=milestone.id, count=len(files)))
