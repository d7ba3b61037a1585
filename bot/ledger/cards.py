"""How problems read: list lines, cards with their history, history entries."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock, format_local
from bot.i18n import duration_text, t
from bot.replies import Buttons, Reply, clip, in_parts, replies, shorten, units
from storage.db import from_db
from storage.outbox import OutgoingButton
from storage.problem_rows import Problem, ProblemEvent

log = logging.getLogger(__name__)


HISTORY_ON_CARD = 5
CARD_LIMIT = 4000  # a card stays safely under MESSAGE_LIMIT
TITLE_LIMIT = 1200  # what stands above a card (a note with a claim, say) leaves it room
ENTRY_LIMIT = 700  # one history entry (a note can be long)


def format_age(delta: timedelta, lang: str) -> str:
    """How long ago, to the minute, in at most two units: 3天4小时, 2 hours 5 minutes; less
    than a minute says so."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [timedelta(days=days)] + ([timedelta(hours=hours)] if hours else [])
    elif hours:
        parts = [timedelta(hours=hours)] + ([timedelta(minutes=minutes)] if minutes else [])
    elif minutes:
        parts = [timedelta(minutes=minutes)]
    else:
        return t(lang, "unit.under_a_minute")  # not "0 seconds ago" on a card sent at once
    return t(lang, "unit.joiner").join(duration_text(part, lang) for part in parts)


class CardRenderer:
    """Renders problems in a reader's language, relative to the clock's now."""

    def __init__(self, clock: Clock, *, max_extensions: int = 2) -> None:
        self._clock = clock
        self._max_extensions = max_extensions

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
        title: str = "",
    ) -> Reply:
        """A card to act on: ``title`` (a few lines above the card; the longest part is cut
        first), the problem, its newest history entries (as many as fit in one message, older
        ones counted) and, with ``buttons``, what can be done to it. The whole fits one message
        whatever the lengths of its texts."""
        lead = clip(title, TITLE_LIMIT) + "\n" if title else ""
        text = lead + clip(self._head(problem, lang, level), CARD_LIMIT - units(lead))
        shown = history[-HISTORY_ON_CARD:]
        if shown:
            tz = problem.project_timezone
            text += "\n" + self._history(shown, len(history) - len(shown), lang, tz, units(text))
            text = clip(text)
        return Reply(text, self._buttons(problem, lang, buttons=buttons))

    def render_new(self, problem: Problem, history: list[ProblemEvent], lang: str) -> Reply:
        """The card leaders get when a problem is reported (not an escalation), with its
        title; also what that card becomes after a press, until the problem is escalated."""
        return self.render_card(
            problem, history, lang, level=None, title=self.new_title(problem, lang)
        )

    @staticmethod
    def new_title(problem: Problem, lang: str) -> str:
        return t(lang, "problem.new_title", id=problem.project_id, project=problem.project_name)

    @staticmethod
    def escalation_title(problem: Problem, lang: str, level: int) -> str:
        return t(
            lang, f"escalation.title{level}", id=problem.project_id, project=problem.project_name
        )

    def render_full(self, problem: Problem, history: list[ProblemEvent], lang: str) -> list[Reply]:
        """/problem: the card and every history entry, whole, over as many messages as it
        takes (a problem worked on for months has more than one message holds)."""
        entries = [self.render_event(event, lang, problem.project_timezone) for event in history]
        lines = [self._head(problem, lang, None)]
        if entries:
            lines += [t(lang, "card.history"), *entries]
        parts = in_parts(lines)
        return replies(parts, self._buttons(problem, lang, buttons=False))

    def _head(self, problem: Problem, lang: str, level: int | None) -> str:
        """The card without its history: title, reporter, deadline, status, follow-ups."""
        now = self._clock.now()
        tz = problem.project_timezone
        lines = []
        if level is not None:
            lines.append(self.escalation_title(problem, lang, level))
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
        if problem.status == "awaiting" and problem.claimed_at is not None:
            lines.append(
                t(
                    lang,
                    "card.claimed",
                    who=problem.claimed_by_name or str(problem.claimed_by),
                    at=format_local(problem.claimed_at, tz),
                )
            )
        if problem.coordination:
            lines.append(t(lang, "card.coordination", text=problem.coordination))
        if problem.proposal:
            lines.append(t(lang, "card.proposal", text=problem.proposal))
        if problem.extensions:
            key = (
                "card.extensions_used"
                if problem.extensions >= self._max_extensions
                else "card.extensions"
            )
            lines.append(t(lang, key, count=problem.extensions, max=self._max_extensions))
        if problem.assignee:
            lines.append(t(lang, "card.assignee", assignee=problem.assignee))
        if problem.attachments:
            lines.append(t(lang, "attachment.count", count=problem.attachments))
        return "\n".join(lines)

    def _buttons(self, problem: Problem, lang: str, *, buttons: bool) -> Buttons:
        keyboard: list[tuple[OutgoingButton, ...]] = []
        if buttons and problem.status == "awaiting":
            keyboard.append(
                (
                    OutgoingButton(t(lang, "button.confirm"), f"pb:ok:{problem.id}"),
                    OutgoingButton(t(lang, "button.send_back"), f"pb:sb:{problem.id}"),
                )
            )
        elif buttons and problem.status != "resolved":
            keyboard += [
                (
                    OutgoingButton(t(lang, "button.acknowledge"), f"pb:ack:{problem.id}"),
                    OutgoingButton(t(lang, "button.resolved"), f"pb:res:{problem.id}"),
                ),
                (
                    OutgoingButton(t(lang, "button.extend1"), f"pb:x1:{problem.id}"),
                    OutgoingButton(t(lang, "button.extend3"), f"pb:x3:{problem.id}"),
                ),
                (
                    OutgoingButton(t(lang, "button.hand_over"), f"pb:hd:{problem.id}"),
                    OutgoingButton(t(lang, "button.decide"), f"pb:dc:{problem.id}"),
                ),
            ]
        if problem.attachments:
            label = t(lang, "attachment.button", count=problem.attachments)
            keyboard.append((OutgoingButton(label, f"fl:p:{problem.id}"),))
        return tuple(keyboard)

    def _history(
        self, events: list[ProblemEvent], hidden: int, lang: str, tz: str, used: int
    ) -> str:
        """The newest entries that fit beside ``used`` characters; older ones are counted, not
        shown, so the latest change is never the one cut off."""
        entries = [shorten(self.render_event(event, lang, tz), ENTRY_LIMIT) for event in events]
        header = t(lang, "card.history")
        hidden_line = t(lang, "card.history_hidden", count=hidden + len(entries))
        room = CARD_LIMIT - used - units(header) - units(hidden_line) - 3
        kept: list[str] = []
        for entry in reversed(entries):
            if kept and units(entry) + 1 > room:
                break
            kept.append(entry)
            room -= units(entry) + 1
        hidden += len(entries) - len(kept)
        lines = [header]
        if hidden:
            lines.append(t(lang, "card.history_hidden", count=hidden))
        return "\n".join(lines + kept[::-1])

    def render_event(self, event: ProblemEvent, lang: str, tz: str) -> str:
        kind = event.kind.removeprefix("problem.")
        detail = event.detail
        params: dict[str, object] = {
            "text": detail.get("text") or "",
            "level": t(lang, f"escalation.level{detail['level']}")
            if detail.get("level") in (1, 2)
            else "",
            "assignee": detail.get("assignee", ""),
            "count": detail.get("count", ""),
            "department": detail.get("department", ""),
        }
        for key in ("old_deadline", "new_deadline", "deadline"):
            if detail.get(key):
                params[key] = format_local(from_db(str(detail[key])), tz)
            else:
                params[key] = ""
        if kind in {"escalated", "dept_chased"}:
            params["recipients"] = t(lang, f"recipients.{detail.get('recipients', 'admins')}")
        if kind == "dept_chased":
            params["chase"] = t(lang, f"chase.{detail.get('chase', 'sign')}")
        key = f"history.{kind}"
        if kind == "handed" and detail.get("lead"):
            key = "history.handed_lead"
        if kind in {"resolved", "claimed"} and params["text"]:
            key += "_with"  # the words said with it, after a colon
        what = t(lang, key, **params).strip() if key in _HISTORY_KEYS else kind
        who = event.actor_name or (
            t(lang, "history.system") if event.actor_id is None else str(event.actor_id)
        )
        return t(lang, "history.line", at=format_local(event.at, tz)[5:], who=who, what=what)


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
        "claimed",
        "resolved_with",
        "claimed_with",
        "confirmed",
        "sent_back",
        "coordination",
        "proposal",
        "handed",
        "handed_lead",
        "dept_signed",
        "dept_returned",
        "dept_recalled",
        "dept_done",
        "dept_chased",
        "decided",
    )
}
