"""The weekly digest on demand (/report) and the Publish / Discard buttons of a draft notice."""

from __future__ import annotations

from telegram import Message

from bot.digest import slot_text
from handlers.checkin import apply_press
from handlers.common import Call, guarded, kick_outbox


@guarded(private=True)
async def report(call: Call) -> None:
    """/report [project id] [week, e.g. 2026-W47]"""
    for part in await call.services.digest.report(call.user.id, call.args, call.lang):
        await call.reply(part)


@guarded(private=True)
async def notice_button(call: Call) -> None:
    """nt:pub:<notice id> or nt:del:<notice id>, under a draft notice (admins)."""
    query = call.update.callback_query
    assert query is not None
    pressed = query.message.text if isinstance(query.message, Message) else None
    result = await call.services.notices.press(call.user.id, query.data or "", call.lang, pressed)
    await apply_press(call, result)
    kick_outbox(call.context)  # a published notice goes out now


@guarded(admin=True, private=True)
async def digest(call: Call) -> None:
    """/digest <project id> <weekday HH:MM>|off|default"""
    project_id, slot = await call.services.digest.set_slot(call.user.id, call.args)
    if slot in {"off", "default"}:
        await call.say(f"digest.slot_{slot}", id=project_id)
    else:
        await call.say("digest.slot_set", id=project_id, slot=slot_text(slot, call.lang))
