"""Check-in commands (admins and secretaries), prompt buttons, and free-text answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from telegram import Message

from bot.clock import format_local
from bot.errors import UsageError, UserError
from bot.parsing import keyword, parse_project_id, parse_year
from bot.replies import PressResult
from bot.services import Services
from handlers.common import Call, Handler, answer_press, edit_pressed, guarded, kick_outbox
from handlers.paging import Listing, joined, show
from storage.schedules import Audience

log = logging.getLogger(__name__)

# ci:<action>:<check-in id>, then for Skip the question's number and for a project choice the
# message it is for (both absent on buttons of older versions).
CHECKIN_CALLBACK = re.compile(r"^ci:([a-z]{2}):([0-9]{1,12})(?::([0-9]{1,12}))?$")


@guarded(admin=True, private=True)
async def schedule(call: Call) -> None:
    """/schedule <id> [leaders] daily|weekly|workdays … [zone] | off"""
    schedules = call.services.schedules
    project_id, audience, current = await schedules.set_schedule(call.user.id, call.args)
    leaders = audience == "leader"
    if current is None:
        await call.say("schedule.leaders_off" if leaders else "schedule.off", id=project_id)
        return
    upcoming = await schedules.next_slot_of(project_id, audience)
    await call.say(
        "schedule.leaders_set" if leaders else "schedule.set",
        id=project_id,
        schedule=schedules.describe(current, call.lang),
        next=format_local(upcoming, current.timezone) if upcoming else call.t("schedule.none_next"),
    )


@guarded(admin=True, private=True)
async def window(call: Call) -> None:
    """/window <id> <duration>"""
    project_id, length = await call.services.schedules.set_window(call.user.id, call.args)
    await call.say("window.set", id=project_id, window=length)


@guarded(admin=True, private=True)
async def questions(call: Call) -> None:
    """/questions <id> <q1> | <q2> … or /questions <id> default"""
    parts = (call.message.text or "").split(maxsplit=2)
    if len(parts) < 3:
        raise UsageError("questions")
    project_id, texts = await call.services.schedules.set_questions(
        call.user.id, parts[1], parts[2]
    )
    if not texts:
        await call.say("questions.default", id=project_id)
        return
    listing = "\n".join(f"{n}. {text}" for n, text in enumerate(texts, start=1))
    await call.say("questions.set", id=project_id, count=len(texts), questions=listing)


@guarded(admin=True, private=True)
async def checkin_now(call: Call) -> None:
    """/checkinnow <id>"""
    if len(call.args) != 1:
        raise UsageError("checkinnow")
    # The first prompts leave while the rest of a large round are still being queued.
    opened, count = await call.services.rounds.open_now(
        call.user.id, call.args[0], lambda: kick_outbox(call.context)
    )
    project = await call.services.projects.project(opened.project_id)
    await call.say(
        "checkinnow.opened",
        id=project.id,
        name=project.name,
        count=count,
        closes=format_local(opened.closes_at, project.timezone),
    )
    kick_outbox(call.context)


async def _status(
    call: Call, project_id: int, audience: Audience = "secretary"
) -> tuple[str, list[str]]:
    project, latest, rows = await call.services.rounds.status(project_id, audience)
    leaders = audience == "leader"
    if latest is None:
        return call.t("status.leaders_none" if leaders else "status.none", id=project.id), []
    state = (
        call.t("status.state.open", closes=format_local(latest.closes_at, project.timezone))
        if latest.status == "open"
        else call.t("status.state.closed")
    )
    header = call.t(
        "status.leaders_header" if leaders else "status.header",
        id=project.id,
        name=project.name,
        date=latest.local_date.isoformat(),
        state=state,
    )
    lines = []
    for key, state_name in (
        ("status.contact_recorded" if leaders else "status.answered", "answered"),
        ("status.on_leave", "on_leave"),
        ("status.pending", "pending"),
        ("status.missed", "missed"),
    ):
        names = [c.label for c in rows if c.status == state_name]
        lines += [call.t(key, names=chunk) for chunk in joined(names)]
    if leaders:
        since = latest.local_date - timedelta(days=7)
        for contact in await call.services.repos.contacts.of_project(project.id, since):
            files = call.t("status.contact_files", count=contact.attachments)
            lines.append(
                call.t(
                    "status.contact_line",
                    date=contact.held_on.isoformat()[5:],
                    how=call.t(f"contact.how.{contact.how}"),
                    who=contact.leader_label,
                    text=contact.text,
                    files=files if contact.attachments else "",
                )
            )
    return header, lines


async def _leaders_status(call: Call, project_id: int) -> tuple[str, list[str]]:
    return await _status(call, project_id, "leader")


STATUS = Listing(_status)
STATUS_LEADERS = Listing(_leaders_status)


@guarded(admin=True, private=True)
async def status(call: Call) -> None:
    """/status <id> [leaders]"""
    if len(call.args) == 2 and keyword(call.args[1]) in {"leader", "leaders"}:
        await show(call, "lstatus", parse_project_id(call.args[0]), STATUS_LEADERS)
        return
    if len(call.args) != 1:
        raise UsageError("status")
    await show(call, "status", parse_project_id(call.args[0]), STATUS)


@guarded(admin=True, private=True)
async def holiday(call: Call) -> None:
    """/holiday <date> [to <date>]"""
    days = await call.services.schedules.add_holidays(call.user.id, call.args)
    shown = days[0].isoformat() if len(days) == 1 else f"{days[0]} – {days[-1]}"
    await call.say("holiday.added", days=shown)


@guarded(admin=True, private=True)
async def workday(call: Call) -> None:
    """/workday <date>"""
    day = await call.services.schedules.add_workday(call.user.id, call.args)
    await call.say("workday.added", day=day.isoformat())


async def _holidays(call: Call, year: int) -> tuple[str, list[str]]:
    year = parse_year(str(year))  # a page button's year is checked like a typed one
    covered, entries = await call.services.schedules.calendar_entries(year)
    coverage = call.t("holidays.covered" if covered else "holidays.not_covered")
    lines = [
        call.t("holidays.line", day=day.isoformat(), kind=call.t(f"holidays.kind.{kind}"))
        for day, kind in entries
    ] or [call.t("holidays.none")]
    return call.t("holidays.header", year=year, coverage=coverage), lines


HOLIDAYS = Listing(_holidays)


@guarded(admin=True, private=True)
async def holidays(call: Call) -> None:
    """/holidays [year]"""
    if len(call.args) > 1:
        raise UsageError("holidays")
    year = parse_year(call.args[0]) if call.args else call.services.clock.now().year
    await show(call, "holidays", year, HOLIDAYS)


@guarded(private=True)
async def checkin(call: Call) -> None:
    """/checkin"""
    for reply in await call.services.early.checkin_command(call.user.id):
        await call.send(reply)


@guarded(private=True)
async def leave(call: Call) -> None:
    """/leave <date> [<date>]"""
    first, last = await call.services.schedules.leave(call.user.id, call.args)
    if first == last:
        await call.say("leave.recorded_day", day=first.isoformat())
    else:
        await call.say("leave.recorded", first=first.isoformat(), last=last.isoformat())


@guarded(private=True)
async def button(call: Call) -> None:
    """Buttons under prompts and reminders: ci:<action>:<check-in id>[:<question or message>]."""
    query = call.update.callback_query
    assert query is not None
    match = CHECKIN_CALLBACK.match(query.data or "")
    if match is None:
        log.warning("malformed check-in callback %r from %s", (query.data or "")[:80], call.user.id)
        raise UserError("error.stale_button")
    extra = int(match[3]) if match[3] else None
    result = await call.services.answers.press(call.user.id, match[1], int(match[2]), extra)
    await apply_press(call, result)


class Presser(Protocol):
    """A service that takes a press on its buttons (the ledger's cards, the notice's draft)."""

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None
    ) -> PressResult: ...


def press_handler(service: Callable[[Services], Presser]) -> Handler:
    """A handler for one service's buttons: the press goes to the service, which commits;
    then the press is answered and the message redrawn, and what it queued is delivered."""

    async def handle(call: Call) -> None:
        query = call.update.callback_query
        assert query is not None
        pressed = query.message.text if isinstance(query.message, Message) else None
        result = await service(call.services).press(
            call.user.id, query.data or "", call.lang, pressed
        )
        await apply_press(call, result)
        kick_outbox(call.context)

    return handle


async def apply_press(call: Call, result: PressResult) -> None:
    """The change is committed by now: answer the press first (Telegram wants that within
    seconds), then show the new state on the pressed message, then send what follows."""
    query = call.update.callback_query
    assert query is not None
    await answer_press(query, result.alert or None, show_alert=result.show_alert)
    if result.edit is not None:
        await edit_pressed(query, result.edit.text, result.edit.buttons)
    for reply in result.followups:
        await call.send(reply)


@guarded(private=True)
async def free_text(call: Call) -> None:
    """Any other text in a private chat: a check-in answer or a problem's description."""
    text = (call.message.text or "").strip()
    if not text:
        return
    reply = await call.services.answers.text(
        call.user.id,
        text,
        call.lang,
        call.message.message_id,
        call.caller.pending,
        secretary="secretary" in call.caller.roles,
        sent_at=call.message.date,
    )
    await call.send(reply)


@guarded(private=True)
async def edited_text(call: Call) -> None:
    """An edited message: replaces the progress answer it carried while the round is open;
    any other edit (a problem, a closed round) changes nothing, and the person is told so.
    A photo's caption is its text; an edited command is not run again (it never gets here)."""
    text = (call.message.text or call.message.caption or "").strip()
    if not text:
        return
    reply = await call.services.answers.edited(
        call.user.id, call.message.message_id, text, call.lang
    )
    await call.send(reply)
