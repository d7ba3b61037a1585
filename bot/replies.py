"""What a service hands back for a handler to send: text plus buttons, already translated.

Telegram counts a text's length in UTF-16 code units (an emoji outside the BMP counts two), so
every limit here does too: ``units`` is the one measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.outbox import OutgoingButton

Buttons = tuple[tuple[OutgoingButton, ...], ...]
MESSAGE_LIMIT = 4096  # Telegram's maximum message length, in UTF-16 code units
CAPTION_LIMIT = 1024  # and of a caption
ELLIPSIS = "…"


def units(text: str) -> int:
    """The length of ``text`` as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _head(text: str, room: int) -> str:
    """The longest start of ``text`` that is at most ``room`` UTF-16 units (never half an
    astral character)."""
    if units(text) <= room:
        return text
    used = 0
    for index, character in enumerate(text):
        used += 2 if ord(character) > 0xFFFF else 1
        if used > room:
            return text[:index]
    return text


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut ``text`` to ``limit`` UTF-16 units, marking the cut."""
    if units(text) <= limit:
        return text
    return _head(text, limit - units(ELLIPSIS)) + ELLIPSIS


PART_CHARS = 3500  # one part of a long report, with room for a header (UTF-16 units)


def in_parts(lines: list[str], limit: int = PART_CHARS, continued: str = "") -> list[str]:
    """``lines`` packed in order into messages of at most ``limit`` UTF-16 units. A line too
    long for one message (a ranking of every project, say) is cut where it has a separator
    or a space, else anywhere; every part after the first starts with ``continued``."""
    head = f"{continued}\n" if continued else ""
    room = limit - units(head)
    pieces = [piece for line in lines for piece in _cut(line, room)]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and units(current) + 1 + units(piece) > (room if parts else limit):
            parts.append(current)
            current = ""
        current = f"{current}\n{piece}" if current else piece
    parts.append(current)
    return [parts[0], *(head + part for part in parts[1:])]


def _cut(line: str, room: int) -> list[str]:
    pieces = []
    while units(line) > room:
        window = _head(line, room)
        cut = max(window.rfind(mark) for mark in ("；", "; ", "，", "、", " "))
        cut = cut + 1 if cut > len(window) // 2 else len(window)
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return [*pieces, line]


def shorten(text: str, limit: int = 80) -> str:
    """One line of at most ``limit`` units, for lists."""
    return clip(" ".join(text.split()), limit)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: Buttons = ()
    after: tuple[Reply, ...] = ()  # messages that follow it (one question per message)


def replies(parts: list[str], buttons: Buttons = ()) -> list[Reply]:
    """Messages for the parts of one long reply, the buttons under the last."""
    return [Reply(part) for part in parts[:-1]] + [Reply(parts[-1], buttons)]


@dataclass(frozen=True, slots=True)
class PressResult:
    """Outcome of a button press: a short alert, an optional edit of the pressed message,
    and messages to send after."""

    alert: str = ""
    edit: Reply | None = None
    followups: list[Reply] = field(default_factory=list)
    show_alert: bool = False
