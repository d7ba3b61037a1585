"""What a service hands back for a handler to send: text plus buttons, already translated."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.outbox import OutgoingButton

Buttons = tuple[tuple[OutgoingButton, ...], ...]
MESSAGE_LIMIT = 4096  # Telegram's maximum message length


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten(text: str, limit: int = 80) -> str:
    """One line of at most ``limit`` characters, for lists."""
    return clip(" ".join(text.split()), limit)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: Buttons = ()


@dataclass(frozen=True, slots=True)
class PressResult:
    """Outcome of a button press: a short alert, an optional edit of the pressed message,
    and messages to send after."""

    alert: str = ""
    edit: Reply | None = None
    followups: list[Reply] = field(default_factory=list)
    show_alert: bool = False
