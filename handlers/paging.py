"""Listings that can outgrow one Telegram message, shown a page at a time with buttons.

A listing is rebuilt from the database on every page turn (``pg:<kind>:<arg>:<page>``), so
a page shows the current state and the button carries nothing but where to look.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.errors import UserError
from handlers.common import Call, PTBCallback, answer_press, edit_pressed, guarded
from storage.outbox import OutgoingButton

log = logging.getLogger(__name__)

PAGE_CHARS = 3500  # a page and its footer stay well under Telegram's 4,096
LINE_CHARS = 1000  # a longer line is cut, so that every line fits on a page
CALLBACK = re.compile(r"^pg:([a-z]{1,12}):([0-9]{1,12}):([0-9]{1,4})$")


@dataclass(frozen=True, slots=True)
class Listing:
    """Build the header and lines of a listing for an argument (a project id, a year …)."""

    build: Callable[[Call, int], Awaitable[tuple[str, list[str]]]]
    admin: bool = True


def joined(names: list[str], limit: int = LINE_CHARS - 60) -> list[str]:
    """Names joined by commas, in as few lines of at most ``limit`` characters as they fit."""
    lines: list[str] = []
    for name in names:
        if lines and len(lines[-1]) + 2 + len(name) <= limit:
            lines[-1] += ", " + name
        else:
            lines.append(name)
    return lines


def paginate(header: str, lines: list[str]) -> list[str]:
    """Pack lines into pages of at most PAGE_CHARS, each starting with the header."""
    pages: list[str] = []
    current = header
    for raw in lines:
        line = raw if len(raw) <= LINE_CHARS else raw[: LINE_CHARS - 1] + "…"
        if len(current) + 1 + len(line) > PAGE_CHARS and current != header:
            pages.append(current)
            current = header
        current += "\n" + line
    pages.append(current)
    return pages


async def show(call: Call, kind: str, arg: int, listing: Listing, page: int = 0) -> None:
    """Send (or, for a page button, edit in place) one page of a listing."""
    header, lines = await listing.build(call, arg)
    await send_page(call, paginate(header, lines), page, lambda n: f"pg:{kind}:{arg}:{n}")


async def send_page(
    call: Call, pages: list[str], page: int, data_for: Callable[[int], str]
) -> None:
    """Send one of ``pages`` (edit it in place for a page button), with buttons whose callback
    data ``data_for`` makes from a page number."""
    page = min(max(page, 0), len(pages) - 1)
    text = pages[page]
    buttons: list[OutgoingButton] = []
    if len(pages) > 1:
        text += "\n\n" + call.t("page.of", page=page + 1, pages=len(pages))
        if page > 0:
            buttons.append(OutgoingButton(call.t("button.prev"), data_for(page - 1)))
        if page + 1 < len(pages):
            buttons.append(OutgoingButton(call.t("button.next"), data_for(page + 1)))
    keyboard = (tuple(buttons),) if buttons else ()
    query = call.update.callback_query
    if query is None:
        await call.reply(text, keyboard)
        return
    await answer_press(query, None, show_alert=False)
    await edit_pressed(query, text, keyboard)


def page_button(listings: Mapping[str, Listing]) -> PTBCallback:
    """The handler for ``pg:`` buttons of the given listings."""

    @guarded(private=True)
    async def turn_page(call: Call) -> None:
        """A page button under a listing."""
        query = call.update.callback_query
        assert query is not None
        match = CALLBACK.match(query.data or "")
        listing = listings.get(match[1]) if match else None
        if match is None or listing is None:
            log.warning("malformed page callback %r from %s", (query.data or "")[:80], call.user.id)
            raise UserError("error.stale_button")
        if listing.admin:
            await call.services.registry.require_admin(call.user.id)
        await show(call, match[1], int(match[2]), listing, int(match[3]))

    return turn_page
