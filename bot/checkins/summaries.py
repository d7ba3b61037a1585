"""Round summaries: when a round's window closes, its project's leaders (and/or leadership
group) get what each secretary reported, who was on leave and who missed, and the problems
raised, once per round and caught up after a restart."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from bot.clock import Clock, format_local, local_date
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import keyword, parse_date, parse_project_id
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import Reply, in_parts, replies, shorten
from storage.access import ADMIN, LEAD, Denied, Need
from storage.checkins import CheckinRow
from storage.models import person_label
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.repos import Repositories
from storage.rounds import RoundRow
from storage.summaries import RaisedProblem, RoundAnswer

log = logging.getLogger(__name__)

ANSWER_CHARS = 200  # an answer as the summary shows it; the whole text is one tap away
MAX_BUTTONS = 20
READ_BACK_DEFAULT = timedelta(days=30)
# A round closed this long after its window ended was closed at start-up (the bot was down at
# its close); its summary waits SETTLE, so answers Telegram held until then are counted first.
LATE_CLOSE = timedelta(minutes=2)
SETTLE = timedelta(minutes=2)
TARGETS = {"leader": "leaders", "leaders": "leaders", "group": "group", "both": "both"}


class SummaryService:
    def __init__(
        self, repos: Repositories, registry: Registry, projects: ProjectService, clock: Clock
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock

    async def set_target(self, user_id: int, args: list[str]) -> tuple[int, str]:
        """``/summary <project id> leaders|group|both|off``."""
        if len(args) != 2:
            raise UsageError("summary")
        project = await self._projects.project(parse_project_id(args[0]))
        word = keyword(args[1])
        target = "off" if word == "off" else TARGETS.get(word)
        if target is None:
            raise UsageError("summary")
        try:
            await self._repos.summaries.set_target(
                Need(user_id, ADMIN, project.id, active=False), target, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        return project.id, target

    async def queue_due(self) -> int:
        """Queue the summary of every round closed since, each round once; a fixed number of
        queries however many rounds closed at once. Returns how many rounds it summarized."""
        now = self._clock.now()
        due = await self._repos.summaries.unsummarized(now - SETTLE, LATE_CLOSE)
        if not due:
            return 0
        wanted = [r for r, target in due if r.audience == "secretary" and target != "off"]
        round_ids = [r.id for r in wanted]
        project_ids = sorted({r.project_id for r in wanted})
        checkins: dict[int, list[CheckinRow]] = defaultdict(list)
        for checkin in await self._repos.checkins.checkins_of_rounds(round_ids):
            checkins[checkin.round.id].append(checkin)
        answers: dict[int, list[RoundAnswer]] = defaultdict(list)
        for answer in await self._repos.summaries.answers_of_rounds(round_ids):
            answers[answer.checkin_id].append(answer)
        problems = await self._repos.summaries.problems_of_rounds(round_ids)
        questions = await self._repos.pack.questions(project_ids)
        members = await self._repos.members.of_projects(project_ids)
        groups = await self._repos.groups.for_projects(project_ids)
        targets = dict((r.id, target) for r, target in due)
        messages = []
        for round_ in wanted:
            readers: list[tuple[int, int | None, str]] = []
            if targets[round_.id] in {"leaders", "both"}:
                readers += [
                    (m.person.user_id, None, m.person.language or self._registry.default_language)
                    for m in members.get(round_.project_id, [])
                    if m.role == "leader" and m.person.reachable
                ]
            group = groups.get(round_.project_id)
            if targets[round_.id] in {"group", "both"} and group is not None:
                lang = group.language or self._registry.default_language
                readers.append((group.chat_id, group.thread_id, lang))
            for chat_id, thread_id, lang in readers:
                parts, buttons = self.render(
                    round_,
                    checkins[round_.id],
                    answers,
                    problems.get(round_.id, []),
                    lang,
                    questions.get(round_.project_id, []),
                )
                for number, text in enumerate(parts, start=1):
                    messages.append(
                        OutgoingMessage(
                            f"summary:{round_.id}:{chat_id}:{number}",
                            chat_id,
                            text,
                            thread_id=thread_id,
                            user_id=chat_id if chat_id > 0 else None,
                            buttons=buttons if number == len(parts) else (),
                            project_id=round_.project_id,
                        )
                    )
        marked = await self._repos.summaries.mark_summarized(
            [r.id for r, _ in due], messages, self._clock.now()
        )
        return len(marked & {r.id for r in wanted})

    def render(
        self,
        round_: RoundRow,
        checkins: list[CheckinRow],
        by_checkin: dict[int, list[RoundAnswer]],
        problems: list[RaisedProblem],
        lang: str,
        questions: Sequence[str] = (),
    ) -> tuple[list[str], tuple[tuple[OutgoingButton, ...], ...]]:
        """The summary's parts (each under Telegram's limit) and its buttons; answers under
        their questions' labels (形象进度：… / 下周计划：…)."""
        shown = [c for c in checkins if c.status != "removed"]
        counts = {s: sum(c.status == s for c in shown) for s in ("answered", "on_leave", "missed")}
        first = checkins[0] if checkins else None
        header = t(
            lang,
            "summary.header",
            id=round_.project_id,
            project=first.project_name if first else "",
            date=round_.local_date.isoformat(),
            answered=counts["answered"],
            expected=len(shown) - counts["on_leave"],
            on_leave=counts["on_leave"],
            missed=counts["missed"],
        )
        lines: list[str] = []
        buttons: list[tuple[OutgoingButton, ...]] = []
        for checkin in shown:
            line, full = self._line(checkin, by_checkin.get(checkin.id, []), lang, questions)
            lines.append(line)
            if full and len(buttons) < MAX_BUTTONS:
                label = t(lang, "summary.full_button", who=checkin.display_name)[:60]
                buttons.append((OutgoingButton(label, f"ans:{checkin.id}"),))
        if problems:
            lines.append(t(lang, "summary.problems", count=len(problems)))
            lines += [
                t(lang, "summary.problem_line", id=p.id, text=shorten(p.text)) for p in problems
            ]
        continued = t(lang, "summary.continued", date=round_.local_date.isoformat())
        return in_parts([header, *lines], continued=continued), tuple(buttons)

    @staticmethod
    def _line(
        checkin: CheckinRow, answers: list[RoundAnswer], lang: str, questions: Sequence[str] = ()
    ) -> tuple[str, bool]:
        """One secretary's line, and whether there is more to read than it shows."""
        who = checkin.label
        if checkin.status == "on_leave":
            return t(lang, "summary.on_leave", who=who), False
        if checkin.status in {"missed", "pending"}:
            return t(lang, "summary.missed", who=who), False
        texts = [
            labelled(a.text, a.question_no, questions, lang)
            for a in answers
            if a.kind in {"progress", "answer"} and a.text
        ]
        files = sum(a.attachments for a in answers)
        if not texts and any(a.kind in {"progress", "answer"} and a.attachments for a in answers):
            texts = [t(lang, "attachment.no_caption")]  # a photo without words is not "all ok"
        if not texts:
            key = "summary.problem_only" if checkin.outcome == "problem" else "summary.all_ok"
            line = t(lang, key, who=who)
        else:
            joined = " / ".join(texts)
            line = t(lang, "summary.answered", who=who, text=shorten(joined, ANSWER_CHARS))
        if files:
            line += t(lang, "summary.files", count=files)
        return line, bool(files) or sum(len(x) for x in texts) > ANSWER_CHARS - 20

    async def read_back(self, user_id: int, args: list[str]) -> tuple[int, date, date, int | None]:
        """``/answers <project id> [from] [to]`` or ``/answers <project id> @secretary``: the
        project, the days (default: the last 30) and the secretary. Admins and the project's
        leaders only."""
        if not 1 <= len(args) <= 3:
            raise UsageError("answers")
        project = await self._projects.project(parse_project_id(args[0]))
        await self.require_reader(user_id, project.id)
        today = local_date(self._clock.now(), project.timezone)
        first, last, secretary = today - READ_BACK_DEFAULT, today, None
        rest = args[1:]
        if rest and (rest[0].startswith("@") or (rest[0].isascii() and rest[0].isdigit())):
            secretary = await self._secretary(project.id, rest.pop(0))
        if rest:
            first = parse_date(rest[0], today)
            last = parse_date(rest[1], today) if len(rest) > 1 else today
        if last < first:
            raise UserError("error.date_order")
        return project.id, first, last, secretary

    async def require_reader(self, user_id: int, project_id: int) -> None:
        """Answers are read by admins and the project's leaders."""
        if not await self._registry.roles_on(user_id, project_id) & LEAD:
            raise UserError("answers.not_reader", id=project_id)

    async def _secretary(self, project_id: int, raw: str) -> int:
        wanted = raw.lstrip("@").lower()
        for member in await self._repos.members.of_project(project_id, "secretary"):
            person = member.person
            if str(person.user_id) == wanted or (person.username or "").lower() == wanted:
                return person.user_id
        raise UserError("answers.unknown_secretary", who=raw[:40], id=project_id)

    async def answer_lines(
        self, project_id: int, first: date, last: date, secretary: int | None, lang: str
    ) -> tuple[str, list[str]]:
        """The header and lines of a read-back, newest day first."""
        project = await self._projects.project(project_id)
        rows = await self._repos.summaries.answer_lines(project_id, first, last, secretary)
        header = t(
            lang,
            "answers.header",
            id=project.id,
            project=project.name,
            first=first.isoformat(),
            last=last.isoformat(),
        )
        lines: list[str] = []
        day: date | None = None
        for row in rows:
            if row.local_date != day:
                day = row.local_date
                lines.append(t(lang, "answers.day", date=day.isoformat()))
            who = person_label(row.display_name, row.username)
            if row.status == "on_leave":
                lines.append(t(lang, "summary.on_leave", who=who))
            elif row.status in {"missed", "pending"}:
                key = "summary.missed" if row.status == "missed" else "answers.pending"
                lines.append(t(lang, key, who=who))
            elif row.text or row.attachments:
                text = row.text or t(lang, "attachment.no_caption")
                if row.label and row.text:
                    text = t(lang, "summary.labelled", label=row.label, text=row.text)
                line = t(lang, "summary.answered", who=who, text=text)
                if row.attachments:
                    line += t(lang, "summary.files", count=row.attachments)
                lines.append(line)
            elif row.answer_id is None:
                key = "summary.problem_only" if row.outcome == "problem" else "summary.all_ok"
                lines.append(t(lang, key, who=who))
        if not rows:
            lines.append(t(lang, "answers.none"))
        return header, lines

    async def full_answers(self, user_id: int, checkin_id: int, lang: str) -> list[Reply]:
        """Everything a secretary answered in a round, for them, the project's leaders and
        admins: whole, over as many messages as it takes (answers to five questions can
        outgrow one); the attachment buttons under the last."""
        checkin = await self._repos.checkins.checkin(checkin_id)
        if checkin is None:
            raise UserError("error.stale_button")
        if checkin.user_id != user_id:
            roles = await self._registry.roles_on(user_id, checkin.round.project_id)
            if not roles & LEAD:
                raise UserError("error.not_yours")
        answers = await self._repos.summaries.answers_of_checkin(checkin_id)
        questions = await self._repos.schedules.questions(checkin.round.project_id)
        tz = checkin.project_timezone
        header = t(
            lang,
            "summary.full_header",
            who=checkin.label,
            project=checkin.project_name,
            date=checkin.round.local_date.isoformat(),
        )
        lines = [header]
        buttons: list[tuple[OutgoingButton, ...]] = []
        for answer, at in answers:
            if answer.kind not in {"progress", "answer", "problem"}:
                continue
            if not answer.text and not answer.attachments:
                continue
            # A photo or voice note without a caption is shown too: its files are one tap away.
            text = answer.text or t(lang, "attachment.no_caption")
            if answer.text:
                text = labelled(answer.text, answer.question_no, questions, lang)
            lines.append(t(lang, "summary.full_line", at=format_local(at, tz)[11:], text=text))
            if answer.attachments and len(buttons) < MAX_BUTTONS:
                label = t(lang, "attachment.button", count=answer.attachments)
                buttons.append((OutgoingButton(label, f"fl:a:{answer.id}"),))
        parts = in_parts(lines, limit=4000, continued=header)
        return replies(parts, tuple(buttons))


def labelled(text: str, question: int | None, questions: Sequence[str], lang: str) -> str:
    """An answer under its question's label (形象进度：…), as the office reads it; a progress
    report without questions stays as it is."""
    if question is None or not 0 < question <= len(questions):
        return text
    return t(lang, "summary.labelled", label=questions[question - 1], text=text)
