"""The notice (通报): the part of the weekly dispatch that names people and projects.

Because a named notice is an official act it goes to the admins first as a draft, worded as the
groups will read it, with Publish / Discard; publishing posts exactly what the draft fixed.
Every name is in it, over as many messages as it takes: a notice is never cut short.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from datetime import date, timedelta

from bot.clock import Clock
from bot.departments.figures import DepartmentFigures, late_departments
from bot.documents import official_document
from bot.errors import UserError, refusal
from bot.i18n import date_text, month_day_text, t, week_text
from bot.periods import Period
from bot.replies import PressResult, Reply, clip, in_parts, shorten
from storage.access import ADMIN, Denied, Need
from storage.digests import ProjectWeek
from storage.notice_numbers import NOTICE_NUMBER
from storage.outbox import OutgoingButton, OutgoingMessage
from storage.repos import Repositories

CALLBACK = re.compile(r"^nt:(pub|del):([0-9]{1,12})$")


def notice_parts(
    period: Period,
    weeks: list[ProjectWeek],
    lang: str,
    departments: Sequence[DepartmentFigures] = (),
    issued: date | None = None,
) -> list[str]:
    """The notice (通报): who missed, which problems are overdue, which leaders made no
    contact — every one named, over as many messages as it takes (never cut short). None
    when there is no one to name."""
    joiner = t(lang, "digest.joiner")
    # People as an official document names them (unit, title, name), never by @handle.
    missed = [
        t(lang, "notice.missed_name", who=w.official.get(who, who), project=w.name, times=times)
        for w in weeks
        for who, times in w.missed.items()
    ]
    overdue = [
        t(
            lang,
            "notice.overdue_item",
            project=w.name,
            id=problem_id,
            text=shorten(text, 60),
            deadline=month_day_text(deadline.date(), lang),
            leaders=joiner.join(w.leaders_official) or "–",
        )
        for w in weeks
        for problem_id, text, deadline in w.overdue_items
    ]
    contacts = [
        t(lang, "notice.contact_name", who=w.official.get(who, who), project=w.name)
        for w in weeks
        for who in w.contact_missed
    ]
    late = late_departments(departments, lang)
    if not (missed or overdue or contacts or late):
        return []
    title = t(lang, "notice.title", week=week_text(period.first, period.last, lang))
    lines = [t(lang, "notice.heading", number=NOTICE_NUMBER), title]
    if missed:
        lines.append(t(lang, "notice.missed", names=joiner.join(missed)))
    if overdue:
        lines.append(t(lang, "notice.overdue", items=joiner.join(overdue)))
    if contacts:
        lines.append(t(lang, "notice.contacts", names=joiner.join(contacts)))
    if late:
        lines.append(t(lang, "notice.departments", names=joiner.join(late)))
    day = issued or period.last + timedelta(days=1)  # the Monday after, when it is drafted
    lines.append(t(lang, "notice.closing", date=date_text(day, lang)))
    return in_parts(lines, continued=t(lang, "notice.continued", title=title))


def notice_drafts(
    admin_id: int,
    lang: str,
    period: Period,
    posted: list[ProjectWeek],
    groups: int,
    wording: str,
    departments: Sequence[DepartmentFigures] = (),
    issued: date | None = None,
) -> list[OutgoingMessage]:
    """The whole notice for an admin to check, in the groups' language (``wording``) and
    as many parts as it takes; the Publish / Discard buttons under the last."""
    parts = notice_parts(period, posted, wording, departments, issued)
    parts[0] = t(lang, "notice.draft", count=groups) + "\n\n" + parts[0]
    buttons = (
        (
            OutgoingButton(t(lang, "button.publish"), "nt:pub:{notice}"),
            OutgoingButton(t(lang, "button.discard"), "nt:del:{notice}"),
        ),
    )
    return [
        OutgoingMessage(
            f"notice-draft:{{notice}}:{admin_id}:{number}",
            admin_id,
            text,
            user_id=admin_id,
            buttons=buttons if number == len(parts) else (),
        )
        for number, text in enumerate(parts, start=1)
    ]


def notice_document(texts: Sequence[str]) -> bytes:
    """The published notice as a Word document, from the text a group received (its parts in
    order; a later part's first line only says it continues)."""
    lines = list(texts[0].split("\n"))
    for part in texts[1:]:
        lines += part.split("\n")[1:]
    masthead, number, title, *rest = lines
    while rest and not rest[-1].strip():
        rest.pop()
    blank = max((i for i, line in enumerate(rest) if not line.strip()), default=len(rest))
    body = [line for line in rest[:blank] if line.strip()]
    signature = [line for line in rest[blank:] if line.strip()]
    return official_document(masthead, number, title, body, signature)


class NoticeDecisions:
    """An admin's Publish or Discard under a draft notice."""

    def __init__(self, repos: Repositories, clock: Clock) -> None:
        self._repos = repos
        self._clock = clock

    async def document(self, notice_id: int) -> tuple[str, bytes] | None:
        """A published notice as DOCX (its file name, its bytes); None for one not published."""
        notice = await self._repos.digests.notice(notice_id)
        if notice is None or notice.status != "published" or not notice.payload:
            return None
        first = notice.payload[0]
        texts = [
            m.text
            for m in notice.payload
            if (m.chat_id, m.thread_id) == (first.chat_id, first.thread_id)
        ]
        if notice.number is not None:
            texts = [text.replace(NOTICE_NUMBER, notice.number) for text in texts]
        data = await asyncio.to_thread(notice_document, texts)
        name = f"通报{notice.number or notice.period}.docx"
        return name, data

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        """Publish or Discard under a draft notice (admins); ``pressed``: the text of the
        message with the buttons (the draft's last part), kept under the decision."""
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        publish, notice_id = match[1] == "pub", int(match[2])
        try:
            decided = await self._repos.digests.decide(
                Need(user_id, ADMIN), notice_id, publish, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        notice = await self._repos.digests.notice(notice_id)
        if notice is None:
            raise UserError("error.stale_button")
        if notice.number is not None and pressed:
            pressed = pressed.replace(NOTICE_NUMBER, notice.number)
        if not decided:
            return PressResult(alert=t(lang, f"notice.already_{notice.status}"), show_alert=True)
        key = "notice.published" if publish else "notice.discarded"
        body = pressed or ""
        groups = len({(m.chat_id, m.thread_id) for m in notice.payload})
        header = t(lang, "notice.draft", count=groups) + "\n\n"
        body = body.removeprefix(header)
        shown = t(lang, key) + ("\n\n" + body if body else "")
        return PressResult(alert=t(lang, key), edit=Reply(clip(shown)))
