"""The problem ledger (帮办台帐) and its two-level escalation.

Every change is a conditional update plus a history event plus any notices, in one
transaction (``ProblemRepo.apply``), so a stale or repeated press changes nothing. Each
escalation is unique per problem, level and deadline, and is recorded together with its cards
in the outbox, so it is sent exactly once and caught up after downtime.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local
from bot.config import format_duration, parse_duration
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.registry import Registry, clean_text, parse_project_id
from bot.replies import Buttons, PressResult, Reply, clip, shorten
from storage.db import from_db, to_db
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.problems import Change, Problem, ProblemEvent, ProblemRepo
from storage.repos import Repositories

log = logging.getLogger(__name__)

CALLBACK = re.compile(r"^pb:(ack|res|x1|x3|nt|rs|d1|d3|d7|dx):(\d{1,12})$")
CHOICES = {"d1": timedelta(days=1), "d3": timedelta(days=3), "d7": timedelta(days=7)}
EXTENSIONS = {"x1": timedelta(days=1), "x3": timedelta(days=3)}
DATE_DEADLINE_AT = time(18, 0)  # a deadline given as a date means the end of that working day
MAX_TEXT = 2000
MAX_DEADLINE = timedelta(days=366)
HISTORY_ON_CARD = 5
CARD_LIMIT = 4000  # a card stays safely under MESSAGE_LIMIT
OPEN = ("open", "in_progress")
ANY = ("open", "in_progress", "resolved")
MEMBER_ROLES = frozenset({"secretary", "leader", "admin"})
LEAD_ROLES = frozenset({"leader", "admin"})


def parse_problem_id(raw: str) -> int:
    value = raw.strip().lstrip("#")
    if not value.isdigit() or len(value) > 12 or int(value) == 0:
        raise UserError("error.bad_problem_id", value=raw[:40])
    return int(value)


def format_age(delta: timedelta, lang: str) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return t(lang, "age.days", days=days, hours=hours)
    if hours:
        return t(lang, "age.hours", hours=hours, minutes=minutes)
    return t(lang, "age.minutes", minutes=minutes)


@dataclass(frozen=True, slots=True)
class EscalationReport:
    level1: int = 0
    level2: int = 0


class LedgerService:
    def __init__(
        self,
        repos: Repositories,
        problems: ProblemRepo,
        registry: Registry,
        clock: Clock,
        *,
        deadline_default: timedelta,
        level2_after: timedelta,
    ) -> None:
        self._repos = repos
        self._problems = problems
        self._registry = registry
        self._clock = clock
        self._deadline_default = deadline_default
        self._level2_after = level2_after
        self._lock = asyncio.Lock()

    # --- lookups and permissions ------------------------------------------------------------

    async def roles_on(self, user_id: int, project_id: int) -> set[str]:
        roles: set[str] = {
            m.role for m in await self._repos.members.of_user(user_id) if m.project_id == project_id
        }
        if await self._registry.is_admin(user_id):
            roles.add("admin")
        return roles

    async def problem(self, problem_id: int) -> Problem:
        problem = await self._problems.get(problem_id)
        if problem is None:
            raise UserError("error.unknown_problem", id=problem_id)
        return problem

    async def _allowed(self, user_id: int, problem: Problem, roles: frozenset[str]) -> None:
        if not (await self.roles_on(user_id, problem.project_id)) & roles:
            raise UserError("error.problem_forbidden", id=problem.id)

    async def deadline_for(self, project_id: int) -> timedelta:
        return await self._problems.deadline_default(project_id) or self._deadline_default

    def parse_deadline(self, raw: str, timezone: str) -> datetime:
        """A duration from now (``90m``, ``3d``) or a date (18:00 that day, project time)."""
        now = self._clock.now()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            day = date.fromisoformat(raw.strip())
            deadline = datetime.combine(day, DATE_DEADLINE_AT, tzinfo=ZoneInfo(timezone))
        else:
            try:
                deadline = now + parse_duration(raw)
            except ValueError:
                raise UserError("error.bad_deadline", value=raw[:20]) from None
        if deadline <= now:
            raise UserError("error.deadline_past")
        if deadline - now > MAX_DEADLINE:
            raise UserError("error.deadline_far")
        return deadline

    # --- reporting --------------------------------------------------------------------------

    async def new_problem(self, user_id: int, args: list[str], lang: str) -> Reply:
        """``/newproblem <project id> [text]``; without text the next message is the text."""
        if not args:
            raise UsageError("newproblem")
        project = await self._registry.active_project(parse_project_id(args[0]))
        if not (await self.roles_on(user_id, project.id)) & MEMBER_ROLES:
            raise UserError("error.not_member", id=project.id)
        if len(args) == 1:
            await self._repos.pending.set(
                user_id, "problem", self._clock.now(), project_id=project.id
            )
            return Reply(t(lang, "checkin.describe_problem"))
        return await self.record(user_id, project.id, " ".join(args[1:]), lang)

    async def record(self, user_id: int, project_id: int, raw: str, lang: str) -> Reply:
        text = clean_text(raw, MAX_TEXT)
        now = self._clock.now()
        deadline = now + await self.deadline_for(project_id)
        problem_id = await self._problems.create(project_id, user_id, text, deadline, now)
        return await self.recorded_reply(problem_id, lang)

    async def recorded_reply(self, problem_id: int, lang: str) -> Reply:
        """Confirmation after a report, with buttons to choose the deadline."""
        problem = await self.problem(problem_id)
        buttons: Buttons = (
            tuple(
                OutgoingButton(t(lang, f"button.deadline_{code}"), f"pb:{code}:{problem.id}")
                for code in ("d1", "d3", "d7", "dx")
            ),
        )
        return Reply(
            t(
                lang,
                "checkin.problem_recorded",
                id=problem.id,
                project=problem.project_name,
                deadline=format_local(problem.deadline, problem.project_timezone),
            )
            + "\n"
            + t(lang, "problem.choose_deadline"),
            buttons,
        )

    # --- reading ----------------------------------------------------------------------------

    async def list_unresolved(self, user_id: int, project_arg: str | None) -> list[Problem]:
        if project_arg is not None:
            project = await self._registry.project(parse_project_id(project_arg))
            if not (await self.roles_on(user_id, project.id)) & MEMBER_ROLES:
                raise UserError("error.not_member", id=project.id)
            return await self._problems.unresolved([project.id])
        if await self._registry.is_admin(user_id):
            return await self._problems.unresolved(None)
        projects = sorted({m.project_id for m in await self._repos.members.of_user(user_id)})
        if not projects:
            raise UserError("error.no_projects")
        return await self._problems.unresolved(projects)

    async def show(self, user_id: int, problem_arg: str, lang: str) -> Reply:
        problem = await self.problem(parse_problem_id(problem_arg))
        await self._allowed(user_id, problem, MEMBER_ROLES)
        history = await self._problems.history(problem.id)
        return self.render_card(problem, history, lang, level=None, buttons=False, full=True)

    def render_line(self, problem: Problem, lang: str) -> str:
        overdue = t(lang, "problem.overdue_mark") if problem.deadline <= self._clock.now() else ""
        return t(
            lang,
            "problems.line",
            id=problem.id,
            project_id=problem.project_id,
            project=problem.project_name,
            text=shorten(problem.text),
            deadline=format_local(problem.deadline, problem.project_timezone),
            overdue=overdue,
            status=t(lang, f"problem.status.{problem.status}"),
        )

    def render_card(
        self,
        problem: Problem,
        history: list[ProblemEvent],
        lang: str,
        *,
        level: int | None,
        buttons: bool = True,
        full: bool = False,
    ) -> Reply:
        now = self._clock.now()
        tz = problem.project_timezone
        lines = []
        if level is not None:
            lines.append(
                t(
                    lang,
                    f"escalation.title{level}",
                    id=problem.project_id,
                    project=problem.project_name,
                )
            )
        lines.append(t(lang, "card.problem", id=problem.id, text=problem.text))
        if level is None:
            lines.append(
                t(lang, "card.project", id=problem.project_id, project=problem.project_name)
            )
        lines.append(
            t(
                lang,
                "card.reported",
                reporter=problem.reporter_name,
                created=format_local(problem.created_at, tz),
                age=format_age(now - problem.created_at, lang),
            )
        )
        deadline = format_local(problem.deadline, tz)
        if problem.status != "resolved" and problem.deadline <= now:
            lines.append(
                t(
                    lang,
                    "card.deadline_overdue",
                    deadline=deadline,
                    overdue=format_age(now - problem.deadline, lang),
                )
            )
        else:
            lines.append(t(lang, "card.deadline", deadline=deadline))
        status = t(lang, f"problem.status.{problem.status}")
        if problem.status == "resolved" and problem.resolved_at is not None:
            status = t(
                lang,
                "card.resolved_by",
                who=problem.resolved_by_name or "?",
                at=format_local(problem.resolved_at, tz),
            )
        lines.append(t(lang, "card.status", status=status))
        if problem.assignee:
            lines.append(t(lang, "card.assignee", assignee=problem.assignee))
        shown = history if full else history[-HISTORY_ON_CARD:]
        if shown:
            lines.append(t(lang, "card.history"))
            lines += [self.render_event(event, lang, tz) for event in shown]
        text = clip("\n".join(lines), CARD_LIMIT)
        keyboard: Buttons = ()
        if buttons and problem.status != "resolved":
            keyboard = (
                (
                    OutgoingButton(t(lang, "button.acknowledge"), f"pb:ack:{problem.id}"),
                    OutgoingButton(t(lang, "button.resolved"), f"pb:res:{problem.id}"),
                ),
                (
                    OutgoingButton(t(lang, "button.extend1"), f"pb:x1:{problem.id}"),
                    OutgoingButton(t(lang, "button.extend3"), f"pb:x3:{problem.id}"),
                ),
            )
        return Reply(text, keyboard)

    def render_event(self, event: ProblemEvent, lang: str, tz: str) -> str:
        kind = event.kind.removeprefix("problem.")
        detail = event.detail
        params: dict[str, object] = {
            "text": detail.get("text") or "",
            "level": detail.get("level", ""),
            "assignee": detail.get("assignee", ""),
        }
        for key in ("old_deadline", "new_deadline", "deadline"):
            if detail.get(key):
                params[key] = format_local(from_db(str(detail[key])), tz)
            else:
                params[key] = ""
        if kind == "escalated":
            params["recipients"] = t(lang, f"recipients.{detail.get('recipients', 'admins')}")
        key = f"history.{kind}"
        what = t(lang, key, **params).strip() if key in _HISTORY_KEYS else kind
        who = event.actor_name or (
            t(lang, "history.system") if event.actor_id is None else str(event.actor_id)
        )
        return t(lang, "history.line", at=format_local(event.at, tz)[5:], who=who, what=what)

    # --- changes ----------------------------------------------------------------------------

    async def _reporter_notice(
        self, problem: Problem, actor_id: int, key: str, **params: object
    ) -> list[OutgoingMessage]:
        if problem.reporter_id == actor_id:
            return []
        lang = await self._registry.language_of(problem.reporter_id)
        actor = await self._repos.people.get(actor_id)
        text = t(
            lang,
            key,
            id=problem.id,
            text=shorten(problem.text),
            who=actor.display_name if actor else str(actor_id),
            **params,
        )
        stamp = self._clock.now().isoformat()
        return [
            OutgoingMessage(
                f"told:{problem.id}:{key}:{stamp}",
                problem.reporter_id,
                text,
                user_id=problem.reporter_id,
            )
        ]

    async def _apply(
        self,
        user_id: int,
        problem: Problem,
        change: Change,
        notices: list[OutgoingMessage],
        **detail: object,
    ) -> bool:
        return await self._problems.apply(
            problem.id, change, user_id, self._clock.now(), notices, **detail
        )

    async def note(self, user_id: int, problem_id: int, raw: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, MEMBER_ROLES)
        text = clean_text(raw, MAX_TEXT)
        await self._apply(user_id, problem, Change("note", ANY, text=text), [])
        return problem

    async def acknowledge(self, user_id: int, problem: Problem) -> bool:
        notices = await self._reporter_notice(problem, user_id, "told.acknowledged")
        return await self._apply(
            user_id, problem, Change("acknowledged", ("open",), status="in_progress"), notices
        )

    async def resolve(self, user_id: int, problem_id: int, note: str | None) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, MEMBER_ROLES)
        text = clean_text(note, MAX_TEXT) if note else None
        notices = await self._reporter_notice(problem, user_id, "told.resolved")
        if not await self._apply(
            user_id, problem, Change("resolved", OPEN, status="resolved", text=text), notices
        ):
            raise self._already_resolved(problem_id, await self.problem(problem_id))
        return await self.problem(problem_id)

    def _already_resolved(self, problem_id: int, problem: Problem) -> UserError:
        return UserError(
            "problem.already_resolved",
            id=problem_id,
            who=problem.resolved_by_name or "?",
            at=format_local(problem.resolved_at, problem.project_timezone)
            if problem.resolved_at
            else "?",
        )

    async def reopen(self, user_id: int, problem_id: int, reason: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        text = clean_text(reason, MAX_TEXT)
        deadline = self._clock.now() + await self.deadline_for(problem.project_id)
        change = Change("reopened", ("resolved",), status="open", text=text, deadline=deadline)
        if not await self._apply(user_id, problem, change, []):
            raise UserError("problem.not_resolved", id=problem_id)
        return await self.problem(problem_id)

    async def extend(self, user_id: int, problem_id: int, raw: str, reason: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        try:
            length = parse_duration(raw)
        except ValueError:
            raise UserError("error.bad_duration", value=raw[:20]) from None
        return await self._extend(user_id, problem, length, clean_text(reason, MAX_TEXT))

    async def _extend(
        self, user_id: int, problem: Problem, length: timedelta, reason: str
    ) -> Problem:
        # An extension starts a new deadline from now (or from the old one, if that is later).
        base = max(self._clock.now(), problem.deadline)
        deadline = base + length
        notices = await self._reporter_notice(
            problem,
            user_id,
            "told.extended",
            deadline=format_local(deadline, problem.project_timezone),
            reason=reason,
        )
        if not await self._apply(
            user_id, problem, Change("extended", OPEN, deadline=deadline, text=reason), notices
        ):
            raise self._already_resolved(problem.id, await self.problem(problem.id))
        return await self.problem(problem.id)

    async def assign(self, user_id: int, problem_id: int, name: str) -> Problem:
        problem = await self.problem(problem_id)
        await self._allowed(user_id, problem, LEAD_ROLES)
        assignee = clean_text(name, 200)
        await self._apply(user_id, problem, Change("assigned", ANY, assignee=assignee), [])
        return await self.problem(problem_id)

    async def set_deadline(self, user_id: int, args: list[str]) -> tuple[str, object, str]:
        """``/deadline <problem> <duration|date>`` or ``/deadline default <project> <duration>``."""
        if len(args) == 3 and args[0].lower() == "default":
            project = await self._registry.project(parse_project_id(args[1]))
            await self._registry.require_admin(user_id)
            try:
                value = parse_duration(args[2])
            except ValueError:
                raise UserError("error.bad_duration", value=args[2][:20]) from None
            if value < timedelta(minutes=5) or value > MAX_DEADLINE:
                raise UserError("error.deadline_far")
            await self._problems.set_deadline_default(project.id, value, user_id, self._clock.now())
            return "default", project.id, format_duration(value)
        if len(args) != 2:
            raise UsageError("deadline")
        problem = await self.problem(parse_problem_id(args[0]))
        await self._check_deadline_rights(user_id, problem)
        deadline = self.parse_deadline(args[1], problem.project_timezone)
        await self._set_deadline(user_id, problem, deadline)
        return "problem", problem.id, format_local(deadline, problem.project_timezone)

    async def _check_deadline_rights(self, user_id: int, problem: Problem) -> None:
        roles = await self.roles_on(user_id, problem.project_id)
        if roles & LEAD_ROLES:
            return
        # The reporter may set the deadline until the problem has been escalated.
        if problem.reporter_id == user_id and not await self._problems.escalation_levels(problem):
            return
        raise UserError("error.problem_forbidden", id=problem.id)

    async def _set_deadline(self, user_id: int, problem: Problem, deadline: datetime) -> None:
        if not await self._apply(user_id, problem, Change("deadline", OPEN, deadline=deadline), []):
            raise self._already_resolved(problem.id, await self.problem(problem.id))

    # --- buttons ----------------------------------------------------------------------------

    async def press(self, user_id: int, data: str, lang: str) -> PressResult:
        match = CALLBACK.match(data)
        if match is None:
            log.warning("malformed problem callback %r from %s", data[:80], user_id)
            raise UserError("error.stale_button")
        action, problem_id = match.group(1), int(match.group(2))
        problem = await self._problems.get(problem_id)
        if problem is None:
            log.warning("callback for unknown problem %s from %s", problem_id, user_id)
            raise UserError("error.stale_button")
        roles = await self.roles_on(user_id, problem.project_id)
        if action in {"ack", "res", "x1", "x3"}:
            if not roles & LEAD_ROLES:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._card_press(user_id, action, problem, lang)
        if action in {"nt", "rs"}:
            if not roles & MEMBER_ROLES:
                return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
            return await self._prompt_press(user_id, action, problem, lang)
        try:
            await self._check_deadline_rights(user_id, problem)
        except UserError:
            return PressResult(alert=t(lang, "error.not_yours"), show_alert=True)
        if action == "dx":
            return PressResult(followups=[Reply(t(lang, "problem.other_deadline", id=problem.id))])
        deadline = problem.created_at + CHOICES[action]
        if deadline <= self._clock.now():
            deadline = self._clock.now() + CHOICES[action]
        await self._set_deadline(user_id, problem, deadline)
        shown = format_local(deadline, problem.project_timezone)
        return PressResult(
            alert=t(lang, "problem.deadline_set", id=problem.id, deadline=shown),
            edit=Reply(
                t(
                    lang,
                    "checkin.problem_recorded",
                    id=problem.id,
                    project=problem.project_name,
                    deadline=shown,
                )
            ),
        )

    async def _card_press(
        self, user_id: int, action: str, problem: Problem, lang: str
    ) -> PressResult:
        if problem.status == "resolved":
            error = self._already_resolved(problem.id, problem)
            return PressResult(
                alert=t(lang, error.key, **error.params),
                edit=await self._fresh_card(problem.id, lang),
                show_alert=True,
            )
        if action == "ack":
            if await self.acknowledge(user_id, problem):
                alert = t(lang, "problem.acknowledged", id=problem.id)
            else:
                alert = t(lang, "problem.already_in_progress", id=problem.id)
        elif action == "res":
            await self.resolve(user_id, problem.id, None)
            alert = t(lang, "problem.resolved", id=problem.id)
        else:
            reason = t(lang, "problem.extended_by_button")
            extended = await self._extend(user_id, problem, EXTENSIONS[action], reason)
            alert = t(
                lang,
                "problem.extended",
                id=problem.id,
                deadline=format_local(extended.deadline, extended.project_timezone),
            )
        return PressResult(alert=alert, edit=await self._fresh_card(problem.id, lang))

    async def _fresh_card(self, problem_id: int, lang: str) -> Reply:
        problem = await self.problem(problem_id)
        levels = await self._problems.escalation_levels(problem)
        history = await self._problems.history(problem_id)
        return self.render_card(problem, history, lang, level=max(levels) if levels else 1)

    async def _prompt_press(
        self, user_id: int, action: str, problem: Problem, lang: str
    ) -> PressResult:
        if action == "nt":
            await self._repos.pending.set(user_id, "note", self._clock.now(), problem_id=problem.id)
            return PressResult(followups=[Reply(t(lang, "problem.send_note", id=problem.id))])
        if problem.status == "resolved":
            error = self._already_resolved(problem.id, problem)
            return PressResult(alert=t(lang, error.key, **error.params), show_alert=True)
        await self.resolve(user_id, problem.id, None)
        return PressResult(alert=t(lang, "problem.resolved", id=problem.id))

    # --- escalation -------------------------------------------------------------------------

    async def tick(self) -> EscalationReport:
        """Send level-1 and level-2 escalations that are due; each exactly once."""
        level1 = level2 = 0
        async with self._lock:
            now = self._clock.now()
            for problem in await self._problems.due_level1(now):
                if await self._escalate(problem, 1, now):
                    level1 += 1
            for problem in await self._problems.due_level2(now, self._level2_after):
                if await self._escalate(problem, 2, now):
                    level2 += 1
        if level1 or level2:
            log.info("escalations sent: level 1: %d, level 2: %d", level1, level2)
        return EscalationReport(level1, level2)

    async def _escalate(self, problem: Problem, level: int, now: datetime) -> bool:
        history = await self._problems.history(problem.id)
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
            group = await self._registry.group_of(problem.project_id)
            if group is not None:
                targets.append((group.chat_id, group.thread_id, self._registry.default_language))
                recipients = "group"
        if not targets:
            for admin_id in await self._repos.admins.ids():
                targets.append((admin_id, None, await self._registry.language_of(admin_id)))
        messages = []
        for chat_id, thread_id, lang in targets:
            card = self.render_card(problem, history, lang, level=level)
            messages.append(
                OutgoingMessage(
                    f"esc:{problem.id}:{level}:{to_db(problem.deadline)}:{chat_id}",
                    chat_id,
                    card.text,
                    thread_id=thread_id,
                    user_id=chat_id if chat_id > 0 else None,
                    buttons=card.buttons,
                )
            )
        return await self._problems.escalate(problem, level, messages, now, recipients)


_HISTORY_KEYS = {
    f"history.{kind}"
    for kind in (
        "reported",
        "note",
        "acknowledged",
        "resolved",
        "reopened",
        "extended",
        "deadline",
        "assigned",
        "escalated",
    )
}
