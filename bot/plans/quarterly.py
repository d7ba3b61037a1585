"""一季度一公开: on the first workday after each quarter ends, the quarter's board (the
ranking, PNG and XLSX, county-wide and per work line) goes to every leadership group and
every admin, once. The files are made when the outbox sends them (``document`` rows)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, local_date
from bot.export import write_xlsx
from bot.i18n import t
from bot.plans.ranking import Ranked, rank
from bot.registry import Registry
from bot.schedule import WorkCalendar
from storage.outbox import OutgoingMessage
from storage.repos import Repositories

log = logging.getLogger(__name__)

PUBLISH_AT = time(9, 0)
# The first workday after a quarter is within its first days (the National Day week at most).
LOOK_DAYS = 20
QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_days(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * (quarter - 1) + 1, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


def previous_quarter(day: date) -> tuple[int, int]:
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


class QuarterlyBoard:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        clock: Clock,
        calendar: Callable[[], Awaitable[WorkCalendar]],
        *,
        timezone: str,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._calendar = calendar
        self._zone = timezone
        self.weights: dict[str, float] = {}  # BOARD_WEIGHTS, set by the composition root

    async def tick(self) -> bool:
        """Publish the quarter just ended if today is the first workday after it, from 09:00,
        and it has not gone yet (recorded with the messages, in one transaction)."""
        zone = ZoneInfo(self._zone)
        now = self._clock.now()
        today = local_date(now, self._zone)
        this_first, _ = quarter_days(*quarter_of(today))
        if (today - this_first).days >= LOOK_DAYS or now.astimezone(zone).time() < PUBLISH_AT:
            return False
        year, quarter = previous_quarter(today)
        key = f"{year}-Q{quarter}"
        marker = f"board:{key}"
        if await self._repos.digests.sent(marker):
            return False
        calendar = await self._calendar()
        day = this_first
        while not calendar.is_workday(day):
            day += timedelta(days=1)
        if today < day:
            return False
        messages = await self._messages(key)
        await self._repos.digests.record(marker, messages, [], [], now)
        log.info("quarterly board %s queued: %d files", key, len(messages))
        return True

    async def _messages(self, key: str) -> list[OutgoingMessage]:
        chats: dict[tuple[int, int | None], str] = {}
        ids = await self._repos.exports.project_ids()
        for group in (await self._repos.groups.for_projects(ids)).values():
            lang = group.language or self._registry.default_language
            chats.setdefault((group.chat_id, group.thread_id), lang)
        for admin_id in await self._repos.admins.ids():
            chats.setdefault((admin_id, None), await self._registry.language_of(admin_id))
        messages = []
        for (chat_id, thread_id), lang in chats.items():
            for kind in ("png", "xlsx"):
                reference = json.dumps({"doc": "board", "quarter": key, "lang": lang, "as": kind})
                messages.append(
                    OutgoingMessage(
                        f"board:{key}:{chat_id}:{thread_id or 0}:{kind}",
                        chat_id,
                        reference,
                        thread_id=thread_id,
                        user_id=chat_id if chat_id > 0 else None,
                        kind="document",
                    )
                )
        return messages

    async def document(self, quarter_key: str, lang: str, kind: str) -> tuple[str, bytes, str]:
        """The quarter's board as a file: the ranking chart (PNG) or a workbook with the
        county-wide ranking and one sheet per work line (XLSX)."""
        match = QUARTER.match(quarter_key)
        if match is None:
            raise ValueError(quarter_key)
        year, quarter = int(match[1]), int(match[2])
        first, last = quarter_days(year, quarter)
        zone = ZoneInfo(self._zone)
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        ranked = await rank(
            self._repos, first, last, start, end, self._clock.now(), None, self.weights
        )
        title = t(lang, "quarterly.title", year=year, quarter=quarter)
        caption = t(lang, "quarterly.caption", year=year, quarter=quarter, first=first, last=last)
        if kind == "png":
            from bot.board import ranking_picture  # the chart's module loads matplotlib lazily

            return (
                f"bangban-board-{quarter_key}.png",
                await ranking_picture(ranked, title, lang),
                caption,
            )
        plans = await self._repos.plans.plans([r.project_id for r in ranked])
        lines: dict[str, list[Ranked]] = {}
        for r in ranked:
            plan = plans.get(r.project_id)
            if plan is not None and plan.work_line:
                lines.setdefault(plan.work_line, []).append(r)
        tables = [(t(lang, "quarterly.county"), *self._table(ranked, lang))]
        tables += [(line, *self._table(rows, lang)) for line, rows in sorted(lines.items())]
        buffer = io.BytesIO()
        write_xlsx(buffer, tables)
        return f"bangban-board-{quarter_key}.xlsx", buffer.getvalue(), caption

    @staticmethod
    def _table(ranked: list[Ranked], lang: str) -> tuple[list[str], list[list[object]]]:
        headers = [t(lang, f"quarterly.column.{c}") for c in COLUMNS]
        rows: list[list[object]] = []
        for number, r in enumerate(ranked, start=1):
            rows.append(
                [
                    number,
                    r.name,
                    _share(r.score),
                    _share(r.parts["milestones"]),
                    _share(r.parts["investment"]),
                    _share(r.parts["problems"]),
                    _share(r.rate),
                    r.on_time,
                    r.resolved,
                    round(r.median_days, 1) if r.median_days is not None else None,
                    r.overdue,
                ]
            )
        return headers, rows


COLUMNS = (
    "rank",
    "project",
    "score",
    "milestones",
    "investment",
    "problems",
    "reporting",
    "on_time",
    "resolved",
    "median",
    "overdue",
)


def _share(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None
