"""Time source. Services ask a Clock for 'now' so tests can move time without sleeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


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
