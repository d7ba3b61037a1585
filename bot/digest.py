"""The weekly dispatch digest (每周调度) and its notice (通报).

At ``DIGEST_SCHEDULE`` (default Monday 09:00, in ``DEFAULT_TIMEZONE``; a project may have its
own slot, ``/digest``) the past ISO week (this week, for a slot from Thursday on) is summed up
per project — reporting rate, who missed and how often, problems new, crossed off,
overdue and extended, the oldest overdue one, the leaders' contacts — and ranked. The digest
goes to each leadership group and to the admins, once per week. The notice is the part that
names people: it goes to the admins as a draft (Publish / Discard) unless ``NOTICE_APPROVAL``
is off; what publishing posts is fixed when the draft is made.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.departments.figures import DepartmentFigures, department_lines
from bot.digest_scope import scoped_digest
from bot.digest_slot import DAYS, DigestSlot, parse_digest_schedule
from bot.errors import UsageError, UserError, refusal
from bot.i18n import duration_text, t, week_text
from bot.notice import notice_drafts, notice_parts
from bot.outbox_documents import pack_document
from bot.parsing import keyword, parse_project_id
from bot.periods import Period, period_of
from bot.plans.report import plan_lines
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import in_parts, shorten
from storage.access import ADMIN, Denied, Need
from storage.digests import ProjectWeek
from storage.outbox import OutgoingMessage
from storage.repos import Repositories

log = logging.getLogger(__name__)

WEEK = re.compile(r"^([0-9]{4})-?W([0-9]{1,2})$", re.IGNORECASE)
CHINESE_DAYS = {f"周{c}": DAYS[n] for n, c in enumerate("一二三四五六日")} | {"周天": "sun"}


class DigestService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        clock: Clock,
        *,
        schedule: DigestSlot | None,
        approval: bool,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        self._schedule = schedule
        self._approval = approval
        # The departments' figures for a period; set by the composition root.
        self.department_figures: (
            Callable[[datetime, datetime], Awaitable[list[DepartmentFigures]]] | None
        ) = None

    # --- the weekly run -----------------------------------------------------------------------

    async def tick(self) -> bool:
        """Send last week's digests (and notices) whose time has come and that have not gone:
        the global one, and those of projects with a slot of their own."""
        sent = False
        if self._schedule is not None:
            sent |= await self._run(self._schedule, self._projects.default_timezone, None)
        for project_id, slot, zone in await self._repos.digests.own_slots():
            own = parse_digest_schedule(slot)
            if own is not None:
                sent |= await self._run(own, zone, project_id)
        return sent

    async def _run(self, slot: DigestSlot, zone: str, project_id: int | None) -> bool:
        now = self._clock.now()
        this_week = period_of(now.astimezone(ZoneInfo(zone)).date(), zone)
        slot_day = this_week.first + timedelta(days=slot.weekday)
        if now < datetime.combine(slot_day, slot.at, tzinfo=ZoneInfo(zone)):
            return False
        # Early in the week a digest covers the week before; from Thursday on, this week.
        period = (
            this_week if slot.weekday >= 3 else period_of(this_week.first - timedelta(days=1), zone)
        )
        key = period.key if project_id is None else f"{period.key}:p{project_id}"
        if await self._repos.digests.sent(key):
            return False
        weeks = await self._repos.digests.week(
            period.first,
            period.last,
            period.start,
            period.end,
            None if project_id is None else [project_id],
            scheduled_globally=project_id is None,
            overdue_at=min(period.end, now),  # a week not over yet: overdue by now
        )
        departments = await self._department_figures(period, now) if project_id is None else []
        messages, notice, drafts = (
            await self._messages(key, period, weeks, departments) if weeks else ([], [], [])
        )
        notice_id = await self._repos.digests.record(key, messages, notice, drafts, now)
        log.info("weekly digest %s queued (notice %s)", key, notice_id)
        return True

    async def set_slot(self, user_id: int, args: list[str]) -> tuple[int, str]:
        """``/digest <project id> <weekday HH:MM>|off|default``."""
        if len(args) not in (2, 3):
            raise UsageError("digest")
        project = await self._projects.project(parse_project_id(args[0]))
        raw = " ".join(args[1:])
        word = keyword(raw)
        slot: str | None
        if word == "default":
            slot = None
        elif word == "off":
            slot = "off"
        else:
            day_word = CHINESE_DAYS.get(args[1], args[1].lower()[:3])
            try:
                parsed = parse_digest_schedule(f"{day_word} {args[2] if len(args) > 2 else ''}")
            except ValueError:
                raise UsageError("digest") from None
            if parsed is None:
                raise UsageError("digest")
            slot = f"{DAYS[parsed.weekday]} {parsed.at:%H:%M}"
        try:
            await self._repos.digests.set_slot(
                Need(user_id, ADMIN, project.id, active=False), slot, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        return project.id, slot or "default"

    async def _department_figures(self, period: Period, now: datetime) -> list[DepartmentFigures]:
        if self.department_figures is None:
            return []
        return await self.department_figures(period.start, min(period.end, now))

    async def _messages(
        self,
        key: str,
        period: Period,
        weeks: list[ProjectWeek],
        departments: Sequence[DepartmentFigures] = (),
    ) -> tuple[list[OutgoingMessage], list[OutgoingMessage], list[OutgoingMessage]]:
        """The digest for each group and admin, the notice for each group, and its drafts;
        message keys start with the digest's ``key``, so each goes once."""
        messages: list[OutgoingMessage] = []
        notice: list[OutgoingMessage] = []
        groups = await self._repos.groups.for_projects([w.project_id for w in weeks])
        audiences: dict[tuple[int, int | None], tuple[str, list[ProjectWeek]]] = {}
        for week in weeks:
            group = groups.get(week.project_id)
            if group is None:
                continue
            lang = group.language or self._registry.default_language
            audiences.setdefault((group.chat_id, group.thread_id), (lang, []))[1].append(week)
        # The notice counts every project: those no leadership group covers are named in every
        # group's notice (and the draft), not left out.
        ungrouped = [w for w in weeks if w.project_id not in groups]
        issued = self._clock.now().astimezone(ZoneInfo(self._projects.default_timezone)).date()
        for (chat_id, thread_id), (lang, scope) in audiences.items():
            parts = self.digest_parts(period, scope, lang, departments)
            for number, text in enumerate(parts, start=1):
                name = f"digest:{key}:{chat_id}:{thread_id or 0}:{number}"
                messages.append(OutgoingMessage(name, chat_id, text, thread_id=thread_id))
            named = notice_parts(period, scope + ungrouped, lang, departments, issued)
            for number, text in enumerate(named, start=1):
                name = f"notice:{key}:{chat_id}:{thread_id or 0}:{number}"
                notice.append(OutgoingMessage(name, chat_id, text, thread_id=thread_id))
        drafts: list[OutgoingMessage] = []
        lines = [name for name, _ in await self._repos.plans.lines()]
        # The draft names everyone the groups will read named, worded as they will read it.
        posted = weeks
        wording = next(iter(audiences.values()))[0] if audiences else ""
        county: dict[str, list[str]] = {}  # the county-wide digest, made once per language
        for admin_id in await self._repos.admins.ids():
            lang = await self._registry.language_of(admin_id)
            reach = await self._repos.admins.scope(admin_id)
            if reach is not None:
                # A work line's or locality's admin (项目到线): their projects' digest, and
                # their line's or locality's meeting material; the county's notice is not
                # theirs to decide.
                mine = set(await self._repos.admins.projects_in(reach))
                scoped = [w for w in weeks if w.project_id in mine]
                if scoped:
                    parts = self.digest_parts(period, scoped, lang, ())
                    messages += scoped_digest(key, parts, admin_id, lang, reach)
                continue
            if lang not in county:
                county[lang] = self.digest_parts(period, weeks, lang, departments)
            for number, text in enumerate(county[lang], start=1):
                name = f"digest:{key}:{admin_id}:0:{number}"
                messages.append(OutgoingMessage(name, admin_id, text, user_id=admin_id))
            if ":" not in key:  # the county-wide digest: the meeting's material with it,
                # county-wide and per work line (项目到线)
                messages.append(pack_document(f"pack:{key}:{admin_id}", admin_id, key, lang))
                for line in lines:
                    name = f"pack:{key}:{admin_id}:{line}"
                    messages.append(pack_document(name, admin_id, key, lang, line))
            if notice and self._approval:
                groups_named = len({(m.chat_id, m.thread_id) for m in notice})
                drafts += notice_drafts(
                    admin_id, lang, period, posted, groups_named, wording, departments, issued
                )
        return messages, notice, drafts

    # --- rendering ----------------------------------------------------------------------------

    def digest_parts(
        self,
        period: Period,
        weeks: list[ProjectWeek],
        lang: str,
        departments: Sequence[DepartmentFigures] = (),
    ) -> list[str]:
        """The digest, in parts that each fit one message; with the departments' table when
        ``departments`` (the county-wide digest)."""
        lines = [t(lang, "digest.title", week=week_text(period.first, period.last, lang))]
        if not weeks:  # only on demand: a scheduled digest of no project is not sent
            lines.append(t(lang, "digest.empty"))
        now = self._clock.now()
        for week in weeks:
            rate = f"{week.rate:.0%}" if week.rate is not None else "–"
            lines.append(t(lang, "digest.project", id=week.project_id, project=week.name))
            if week.departments:
                names = "、".join(week.departments)
                lines.append(t(lang, "digest.supporting", departments=names))
            lines += plan_lines(week, lang)
            lines.append(
                t(
                    lang,
                    "digest.reporting",
                    answered=week.answered,
                    expected=week.expected,
                    rate=rate,
                )
            )
            if week.missed:
                names = t(lang, "digest.joiner").join(
                    t(lang, "digest.missed_name", who=who, times=times)
                    for who, times in sorted(week.missed.items(), key=lambda item: -item[1])
                )
                lines.append(t(lang, "digest.missed", names=names))
            if week.contacts_expected:
                lines.append(
                    t(
                        lang,
                        "digest.contacts",
                        done=week.contacts,
                        expected=week.contacts_expected,
                    )
                )
            lines.append(
                t(
                    lang,
                    "digest.problems",
                    new=week.new,
                    resolved=week.resolved,
                    overdue=week.overdue,
                    extensions=week.extensions,
                    extended=len(week.extended),
                )
            )
            if week.oldest_overdue is not None:
                problem_id, text, deadline = week.oldest_overdue
                lines.append(
                    t(
                        lang,
                        "digest.oldest",
                        id=problem_id,
                        text=shorten(text, 60),
                        age=duration_text(timedelta(days=max((now - deadline).days, 1)), lang),
                        leaders=t(lang, "digest.joiner").join(week.leaders) or "–",
                    )
                )
        if len(weeks) > 1:
            lines += self._rankings(weeks, lang)
        lines += department_lines(departments, lang)
        return in_parts(lines)

    @staticmethod
    def _rankings(weeks: list[ProjectWeek], lang: str) -> list[str]:
        by_rate = sorted(weeks, key=lambda w: (-(w.rate if w.rate is not None else -1), w.name))
        by_overdue = sorted(weeks, key=lambda w: (-w.overdue, w.name))
        joiner = t(lang, "digest.joiner")
        rates = joiner.join(
            f"{n}. {w.name} {w.rate:.0%}" if w.rate is not None else f"{n}. {w.name} –"
            for n, w in enumerate(by_rate, start=1)
        )
        overdue = joiner.join(
            f"{n}. {w.name} {w.overdue}" for n, w in enumerate(by_overdue, start=1)
        )
        return [
            t(lang, "digest.rank_rate", ranking=rates),
            t(lang, "digest.rank_overdue", ranking=overdue),
        ]

    # --- on demand and decisions ---------------------------------------------------------------

    async def report(self, user_id: int, args: list[str], lang: str) -> list[str]:
        """``/report [project id] [week]``: the digest now, for one project or all the asker
        may see; nothing is published."""
        if len(args) > 2:
            raise UsageError("report")
        zone = self._projects.default_timezone
        period = period_of(self._clock.now().astimezone(ZoneInfo(zone)).date(), zone)
        project_id: int | None = None
        for arg in args:
            match = WEEK.match(arg.strip())
            if match is not None:
                try:
                    monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
                except ValueError:
                    raise UsageError("report") from None
                period = period_of(monday, zone)
                if period.start > self._clock.now():
                    raise UserError(
                        "report.not_yet", n=monday.isocalendar()[1], first=monday.isoformat()
                    )
            else:
                project_id = parse_project_id(arg)
        project_ids, _ = await self._projects.readable(
            user_id, project_id, refused="report.not_allowed", nothing="report.nothing"
        )
        weeks = await self._repos.digests.week(
            period.first,
            period.last,
            period.start,
            period.end,
            project_ids,
            overdue_at=min(period.end, self._clock.now()),  # this week so far
        )
        departments = []
        if project_ids is None:  # the office's view: the departments too
            departments = await self._department_figures(period, self._clock.now())
        return self.digest_parts(period, weeks, lang, departments)

    async def notice_on_demand(self, user_id: int, args: list[str], lang: str) -> str:
        """``/notice [week]``: the notice of the week so far (or a past week) drafted now,
        through the same approval as the scheduled one (without approval: published). The
        reply says what happened."""
        await self._registry.require_admin(user_id)
        if len(args) > 1:
            raise UsageError("notice")
        zone = self._projects.default_timezone
        now = self._clock.now()
        period = period_of(now.astimezone(ZoneInfo(zone)).date(), zone)
        if args:
            match = WEEK.match(args[0].strip())
            if match is None:
                raise UsageError("notice")
            try:
                monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                raise UsageError("notice") from None
            if monday > now.astimezone(ZoneInfo(zone)).date():
                raise UserError(
                    "report.not_yet", n=monday.isocalendar()[1], first=monday.isoformat()
                )
            period = period_of(monday, zone)
        weeks = await self._repos.digests.week(
            period.first, period.last, period.start, period.end, None,
            overdue_at=min(period.end, now),
        )  # fmt: skip
        # Its own key: drafting on demand never stands in for the scheduled notice.
        key = f"{period.key}:notice:{now.isoformat()}"
        departments = await self._department_figures(period, now)
        messages, notice, drafts = await self._messages(key, period, weeks, departments)
        del messages  # the digest goes at its time; only the notice is drafted now
        if not notice:
            return t(lang, "notice.nothing")
        await self._repos.digests.record(key, [], notice, drafts, now)
        return t(lang, "notice.drafted" if drafts else "notice.published_now")
