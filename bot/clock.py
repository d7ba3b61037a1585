"""Time source. Services ask a Clock for 'now' so tests can move time without sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# A message older than this when handled was held by Telegram (the bot was down or slow): it
# counts as of when it was sent.
LATE_DELIVERY = timedelta(minutes=1)


class Clock(Protocol):
    """Aware UTC time plus a way to wait that tests can replace."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def format_local(moment: datetime, timezone: str) -> str:
    """``YYYY-MM-DD HH:MM`` in the given IANA zone, for people to read."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar date of ``moment`` in the given IANA zone."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def delivered_late(now: datetime, sent_at: datetime | None) -> bool:
    """Whether a message Telegram dates ``sent_at`` reaches the bot late enough to be taken
    as of when it was sent rather than now (Telegram's dates are whole seconds)."""
    return sent_at is not None and now - sent_at > LATE_DELIVERY


def as_of(now: datetime, sent_at: datetime | None) -> datetime:
    """The moment a message counts at: when it was sent if it was delivered late, else now."""
    if sent_at is not None and delivered_late(now, sent_at):
        return sent_at
    return now
