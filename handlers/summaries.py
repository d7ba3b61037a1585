"""Round summaries: where they go (/summary) and the whole text of an answer (ans:)."""

from __future__ import annotations

import re

from bot.errors import UserError
from handlers.common import Call, answer_press, guarded

ANSWERS_CALLBACK = re.compile(r"^ans:([0-9]{1,12})$")


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
    reply = await call.services.summaries.full_answers(call.user.id, int(match[1]), call.lang)
    await answer_press(query, None, show_alert=False)
    await call.reply(reply.text, reply.buttons)
