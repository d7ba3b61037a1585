"""Reading progress back: where round summaries go (/summary), the whole text of an answer
(ans:), and answers by date (/answers, paged with aw: buttons)."""

from __future__ import annotations

import re
from datetime import date

from bot.errors import UserError
from handlers.common import Call, answer_press, guarded
from handlers.paging import paginate, send_page

ANSWERS_CALLBACK = re.compile(r"^ans:([0-9]{1,12})$")
PAGE_CALLBACK = re.compile(r"^aw:([0-9]{1,12}):([0-9]{8}):([0-9]{8}):([0-9]{1,15}):([0-9]{1,4})$")


@guarded(admin=True, private=True)
async def summary(call: Call) -> None:
    """/summary <project id> leaders|group|both|off"""
    project_id, target = await call.services.summaries.set_target(call.user.id, call.args)
    await call.say("summary.set", id=project_id, target=call.t(f"summary.target.{target}"))


@guarded()
async def full_answers(call: Call) -> None:
    """The whole of what a secretary answered in a round, into the chat where it was asked."""
    query = call.update.callback_query
    assert query is not None
    match = ANSWERS_CALLBACK.match(query.data or "")
    if match is None:
        raise UserError("error.stale_button")
    replies = await call.services.summaries.full_answers(call.user.id, int(match[1]), call.lang)
    await answer_press(query, None, show_alert=False)
    for reply in replies:
        await call.send(reply)


def _day(compact: str) -> date:
    """A day written YYYYMMDD in callback data; ValueError if it is not one."""
    return date(int(compact[:4]), int(compact[4:6]), int(compact[6:]))


def _days(first: date, last: date) -> str:
    return f"{first:%Y%m%d}:{last:%Y%m%d}"


async def _show_answers(
    call: Call, project_id: int, first: date, last: date, secretary: int | None, page: int
) -> None:
    summaries = call.services.summaries
    header, lines = await summaries.answer_lines(project_id, first, last, secretary, call.lang)
    prefix = f"aw:{project_id}:{_days(first, last)}:{secretary or 0}"
    await send_page(call, paginate(header, lines), page, lambda n: f"{prefix}:{n}")


@guarded(private=True)
async def answers(call: Call) -> None:
    """/answers <project id> [from] [to] | /answers <project id> @secretary"""
    project_id, first, last, secretary = await call.services.summaries.read_back(
        call.user.id, call.args
    )
    await _show_answers(call, project_id, first, last, secretary, 0)


@guarded(private=True)
async def answers_page(call: Call) -> None:
    """A page button under /answers: aw:<project>:<from>:<to>:<secretary or 0>:<page>."""
    query = call.update.callback_query
    assert query is not None
    match = PAGE_CALLBACK.match(query.data or "")
    if match is None:
        raise UserError("error.stale_button")
    project_id = int(match[1])
    try:
        first = _day(match[2])
        last = _day(match[3])
    except ValueError:
        raise UserError("error.stale_button") from None
    # The reader's role is checked again on every page: a leader removed meanwhile sees no more.
    await call.services.summaries.require_reader(call.user.id, project_id)
    await _show_answers(call, project_id, first, last, int(match[4]) or None, int(match[5]))
