"""The dispatch meeting's decisions (会议议定事项): recorded on a problem by an admin, with a new
owner (a department through the handing over, else a person) and time limit; announced to the
project's leaders; listed once per meeting day for the leadership group; chased to 销号 by the
problem's deadline like any other."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local, local_date
from bot.conversation import Conversation
from bot.departments.handover import HandoverService
from bot.departments.service import is_department_ref
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.ledger.decisions import MAX_DEADLINE, Decisions
from bot.ledger.service import UNRESOLVED, LedgerService
from bot.parsing import clean_text, parse_deadline, parse_problem_id
from bot.registry import Registry
from bot.replies import Reply, shorten
from storage.access import ADMIN
from storage.outbox import OutgoingMessage
from storage.pending import PendingInput
from storage.problems import Change
from storage.repos import Repositories

MAX_TEXT = 1000
DEFAULT_LIMIT = timedelta(days=7)


class MeetingDecisions:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        ledger: LedgerService,
        decisions: Decisions,
        handovers: HandoverService,
        clock: Clock,
        conversation: Conversation,
        *,
        timezone: str,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._ledger = ledger
        self._decisions = decisions
        self._handovers = handovers
        self._clock = clock
        self._conversation = conversation
        self._timezone = timezone

    async def decide(self, user_id: int, raw: str, lang: str) -> Reply:
        """``/decide <problem> <text> [d<dept>|@person] [time limit]``: the owner and the
        time limit are the last words when they read as such."""
        await self._registry.require_admin(user_id)
        parts = raw.split(maxsplit=1)
        if len(parts) != 2:
            raise UsageError("decide")
        problem = await self._ledger.visible(user_id, parse_problem_id(parts[0]))
        if problem.status not in UNRESOLVED:
            raise self._decisions.already_resolved(problem.id, problem)
        words = parts[1].split()
        now = self._clock.now()
        deadline = None
        if len(words) > 1:
            try:
                deadline = parse_deadline(words[-1], now, problem.project_timezone, MAX_DEADLINE)
                words.pop()
            except UserError as error:
                if error.key in {"error.deadline_past", "error.deadline_far"}:
                    raise
        owner: str | None = None
        if len(words) > 1 and (is_department_ref(words[-1]) or words[-1].startswith("@")):
            owner = words.pop()
        text = clean_text(" ".join(words), MAX_TEXT)
        deadline = deadline or now + DEFAULT_LIMIT
        shown = format_local(deadline, problem.project_timezone)
        assignee = owner if owner is not None and owner.startswith("@") else None
        notices = await self._leaders_told(problem.project_id, problem.id, text, shown, user_id)
        change = Change(
            "decided",
            UNRESOLVED,
            ADMIN,
            deadline=deadline,
            assignee=assignee,
            text=text,
        )
        await self._ledger.apply_change(user_id, problem, change, notices, owner=owner or "")
        if owner is not None and is_department_ref(owner):
            try:
                await self._handovers.hand(user_id, problem.id, [owner, words_limit(deadline)])
            except UserError as error:
                if error.key != "handover.already":
                    raise
        return Reply(
            t(lang, "decide.recorded", id=problem.id, text=text, owner=owner or "–", deadline=shown)
        )

    async def take(self, user_id: int, pending: PendingInput, text: str, lang: str) -> Reply:
        """The decision typed after [记录议定] on a problem's card."""
        recorded = await self.decide(user_id, f"{pending.problem_id} {text}", lang)
        await self._conversation.drop(user_id)
        return recorded

    async def _leaders_told(
        self, project_id: int, problem_id: int, text: str, deadline: str, actor_id: int
    ) -> list[OutgoingMessage]:
        messages = []
        stamp = self._clock.now().isoformat()
        for leader in await self._repos.members.of_project(project_id, "leader"):
            user_id = leader.person.user_id
            if user_id == actor_id or not leader.person.reachable:
                continue
            lang = await self._registry.language_of(user_id)
            messages.append(
                OutgoingMessage(
                    f"decided:{problem_id}:{user_id}:{stamp}",
                    user_id,
                    t(lang, "decide.told", id=problem_id, text=text, deadline=deadline),
                    user_id=user_id,
                    project_id=project_id,
                )
            )
        return messages

    async def publish(self, user_id: int, lang: str) -> Reply:
        """``/decisions``: today's decisions, as one 会议议定事项 message to each leadership
        group (once a day; a later call adds nothing already sent)."""
        await self._registry.require_admin(user_id)
        zone = ZoneInfo(self._timezone)
        today = local_date(self._clock.now(), self._timezone)
        start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
        events = await self._repos.events.of_kind(
            "problem.decided", start, start + timedelta(days=1)
        )
        if not events:
            return Reply(t(lang, "decide.none_today"))
        groups: dict[tuple[int, int | None], tuple[str, list[str]]] = {}
        for event in events:
            detail = json.loads(event.detail)
            problem = await self._repos.problems.get(event.subject_id or 0)
            if problem is None:
                continue
            group = await self._repos.groups.for_project(problem.project_id)
            if group is None:
                continue
            language = group.language or self._registry.default_language
            entry = t(
                language,
                "decide.item",
                id=problem.id,
                project=problem.project_name,
                problem=shorten(problem.text, 40),
                text=detail.get("text", ""),
                owner=detail.get("owner") or "–",
                deadline=format_local(problem.deadline, problem.project_timezone)[:10],
            )
            groups.setdefault((group.chat_id, group.thread_id), (language, []))[1].append(entry)
        messages = [
            OutgoingMessage(
                f"decisions:{today.isoformat()}:{chat_id}:{thread_id or 0}:{len(items)}",
                chat_id,
                t(language, "decide.list", day=today.isoformat(), items="\n".join(items)),
                thread_id=thread_id,
            )
            for (chat_id, thread_id), (language, items) in groups.items()
        ]
        queued = await self._repos.outbox.enqueue(messages, self._clock.now())
        return Reply(t(lang, "decide.published", count=len(events), groups=queued))


def words_limit(deadline: datetime) -> str:
    """The time limit as /assign takes it: a date."""
    return deadline.date().isoformat()
