"""When the weekly digest goes: ``DIGEST_SCHEDULE`` and each project's own slot (``/digest``),
as stored (``fri 17:00``) and as people read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.i18n import t

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class DigestSlot:
    weekday: int  # 0 = Monday
    at: time


def parse_digest_schedule(raw: str) -> DigestSlot | None:
    """``mon 09:00`` or ``off``."""
    text = raw.strip().lower()
    if text in {"off", ""}:
        return None
    match = re.match(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]?[0-9]|2[0-3]):([0-5][0-9])$", text)
    if match is None:
        raise ValueError("must be a weekday and a time, e.g. mon 09:00, or off")
    return DigestSlot(DAYS.index(match[1]), time(int(match[2]), int(match[3])))


def slot_text(slot: str, lang: str) -> str:
    """A stored slot (``fri 17:00``) as people read it: 每周五 17:00, weekly on Fri at 17:00."""
    parsed = parse_digest_schedule(slot)
    if parsed is None:
        return slot
    day = t(lang, f"weekday_short.{parsed.weekday}")
    return t(lang, "schedule.weekly", days=day, time=f"{parsed.at:%H:%M}")
