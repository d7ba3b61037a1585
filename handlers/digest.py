"""The weekly digest on demand (/report) and the Publish / Discard buttons of a draft notice."""

from __future__ import annotations

from bot.digest import slot_text
from handlers.checkin import press_handler
from handlers.common import Call, guarded


@guarded(private=True)
async def report(call: Call) -> None:
    """/report [project id] [week, e.g. 2026-W47]"""
    for part in await call.services.digest.report(call.user.id, call.args, call.lang):
        await call.reply(part)


# nt:pub:<notice id> or nt:del:<notice id>, under a draft notice (admins); a published notice
# goes out at once.
notice_button = guarded(private=True)(press_handler(lambda services: services.notices))


@guarded(admin=True, private=True)
async def digest(call: Call) -> None:
    """/digest <project id> <weekday HH:MM>|off|default"""
    project_id, slot = await call.services.digest.set_slot(call.user.id, call.args)
    if slot in {"off", "default"}:
        await call.say(f"digest.slot_{slot}", id=project_id)
    else:
        await call.say("digest.slot_set", id=project_id, slot=slot_text(slot, call.lang))
