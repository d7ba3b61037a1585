"""Leaders' weekly contact with the enterprise: /contact and the how-buttons (ct:)."""

from __future__ import annotations

from handlers.checkin import apply_press
from handlers.common import Call, guarded


@guarded(private=True)
async def contact(call: Call) -> None:
    """/contact <project id>"""
    reply = await call.services.contacts.start(call.user.id, call.args, call.lang)
    await call.send(reply)


@guarded(private=True)
async def button(call: Call) -> None:
    """How the contact was made: ct:<v|m|c>:<project id>."""
    query = call.update.callback_query
    assert query is not None
    result = await call.services.contacts.press(call.user.id, query.data or "", call.lang)
    await apply_press(call, result)
