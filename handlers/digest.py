"""The weekly digest on demand (/report) and the Publish / Discard buttons of a draft notice."""

from __future__ import annotations

from bot.digest_slot import slot_text
from handlers.checkin import press_handler
from handlers.common import Call, guarded, kick_outbox


@guarded(private=True)
async def report(call: Call) -> None:
    """/report [project id] [week, e.g. 2026-W47]"""
    for part in await call.services.digest.report(call.user.id, call.args, call.lang):
        await call.reply(part)


# nt:pub:<notice id> or nt:del:<notice id>, under a draft notice (admins); a published notice
# goes out at once.
_decide = press_handler(lambda services: services.notices)


@guarded(private=True)
async def notice_button(call: Call) -> None:
    """Publish / Discard under a draft notice; publishing also hands the admin the notice as
    a Word document, to file and print."""
    await _decide(call)
    query = call.update.callback_query
    assert query is not None
    data = query.data or ""
    if not data.startswith("nt:pub:") or not data[7:].isdigit():
        return
    document = await call.services.notices.document(int(data[7:]))
    if document is not None:
        name, content = document
        await call.context.bot.send_document(call.user.id, content, filename=name)


@guarded(admin=True, private=True)
async def digest(call: Call) -> None:
    """/digest <project id> <weekday HH:MM>|off|default"""
    project_id, slot = await call.services.digest.set_slot(call.user.id, call.args)
    if slot in {"off", "default"}:
        await call.say(f"digest.slot_{slot}", id=project_id)
    else:
        await call.say("digest.slot_set", id=project_id, slot=slot_text(slot, call.lang))


@guarded(admin=True, private=True)
async def pack(call: Call) -> None:
    """/pack [week]: the dispatch meeting's material (调度会材料) as a Word document."""
    name, data = await call.services.pack.build(call.user.id, call.args, call.lang)
    await call.message.reply_document(data, filename=name, caption=call.t("pack.caption"))


@guarded(admin=True, private=True)
async def notice(call: Call) -> None:
    """/notice [week]: the notice (通报) drafted now, through the same approval."""
    await call.reply(
        await call.services.digest.notice_on_demand(call.user.id, call.args, call.lang)
    )
    kick_outbox(call.context)
