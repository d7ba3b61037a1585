"""``/export``: the projects, people, check-ins, problems with their history, leaders' contacts
and attachments, as an XLSX workbook or CSV files in a zip, for admins and leaders.

The rows are read on the event loop (the database is async); the file is written in a worker
thread into a temporary directory, never built in memory on the loop.
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from bot.clock import Clock, format_local
from bot.departments.figures import DepartmentFigures
from bot.errors import UsageError
from bot.i18n import t
from bot.parsing import keyword, parse_project_id
from bot.projects import ProjectService
from bot.registry import Registry
from storage.exports import TABLES
from storage.repos import Repositories

MAX_WIDTH = 60
# Columns that only an export for machines needs; a person reads the text beside them.
HIDDEN = frozenset({"detail", "actor_id"})
WRAP_FROM = 40  # characters: longer texts wrap in their cell instead of running on


@dataclass(frozen=True, slots=True)
class ExportRequest:
    kind: str  # xlsx or csv
    project_ids: tuple[int, ...]
    label: str  # a project id, or "all"


Table = tuple[str, list[str], list[list[Any]]]  # sheet name, headers, rows


class ExportService:
    def __init__(
        self, repos: Repositories, registry: Registry, projects: ProjectService, clock: Clock
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        # Every department's figures (from, to; None: all time); set by the composition root.
        self.department_figures: (
            Callable[[datetime | None, datetime | None], Awaitable[list[DepartmentFigures]]] | None
        ) = None

    async def request(self, user_id: int, args: list[str]) -> ExportRequest:
        """``/export [csv|xlsx] [project id]``: what may be exported for this person."""
        rest = list(args)
        kind = "xlsx"
        if rest and keyword(rest[0]) in {"csv", "xlsx"}:
            kind = keyword(rest.pop(0))
        if len(rest) > 1:
            raise UsageError("export")
        project_id = parse_project_id(rest[0]) if rest else None
        ids, _ = await self._projects.readable(
            user_id, project_id, refused="export.not_allowed", nothing="export.nothing"
        )
        if ids is None:
            return ExportRequest(kind, tuple(await self._repos.exports.project_ids()), "all")
        label = str(project_id) if project_id is not None else "mine"
        return ExportRequest(kind, tuple(ids), label)

    async def build(self, request: ExportRequest, lang: str, directory: Path) -> Path:
        """Write the export into ``directory``; returns the file."""
        tables = await self._tables(request.project_ids, lang, request.label == "all")
        stamp = format_local(self._clock.now(), self._projects.default_timezone)
        stem = f"bangban-{request.label}-{stamp[:10]}"
        if request.kind == "csv":
            path = directory / f"{stem}.zip"
            await asyncio.to_thread(write_csv_zip, path, tables)
        else:
            path = directory / f"{stem}.xlsx"
            await asyncio.to_thread(write_xlsx, path, tables)
        return path

    async def _tables(
        self, project_ids: Sequence[int], lang: str, every_project: bool = False
    ) -> list[Table]:
        now = self._clock.now()
        _, projects = await self._repos.exports.table("projects", project_ids, now)
        zones = {row["project_id"]: row["timezone"] for row in projects}
        default = self._projects.default_timezone
        tables = []
        for name in TABLES:
            names, rows = await self._repos.exports.table(name, project_ids, now)
            columns = [c for c in names if c not in HIDDEN]
            headers = [t(lang, f"export.column.{c}") for c in columns]
            values = [
                [_cell(row[c], zones.get(row.get("project_id"), default), lang, c) for c in columns]
                for row in rows
            ]
            if "who" in columns and "actor_id" in names:
                # 办理记录: a step nobody took by hand was the system's (an escalation, a chase).
                who = columns.index("who")
                for row, shown in zip(rows, values, strict=True):
                    if row["actor_id"] is None and shown[who] is None:
                        shown[who] = t(lang, "history.system")
            tables.append((t(lang, f"export.sheet.{name}"), headers, values))
        if every_project and self.department_figures is not None:
            tables.append(await self._departments_table(lang, now))
        return tables

    async def _departments_table(self, lang: str, now: datetime) -> Table:
        """The 部门 sheet: each department's figures from the start (the office's export)."""
        assert self.department_figures is not None
        columns = DEPARTMENT_COLUMNS
        rows = [
            [
                f.department.id,
                f.department.name,
                f.received,
                f.signed_in_time,
                f.done,
                f.done_on_time,
                f.open,
                f.overdue,
                f.returned,
                _hours(f.median_sign),
                _hours(f.median_finish),
                f.sitins_present,
                f.sitins_due,
            ]
            for f in await self.department_figures(None, None)
        ]
        headers = [t(lang, f"export.column.{c}") for c in columns]
        return (t(lang, "export.sheet.departments"), headers, rows)


# Stored codes shown in the reader's words (status, role, how a contact was made …).
CODED = frozenset({"status", "outcome", "role", "audience", "how", "belongs_to", "event"})
VALUES = frozenset(
    {
        "active", "archived", "open", "in_progress", "awaiting", "resolved", "pending",
        "answered", "on_leave", "missed", "removed", "ok", "progress", "leave", "problem",
        "contact", "answer", "skip", "secretary", "leader", "visit", "meeting", "call",
        "reported", "note", "acknowledged", "reopened", "extended", "deadline", "assigned",
        "escalated", "claimed", "confirmed", "sent_back", "coordination", "proposal", "report",
        "milestone",
    }
)  # fmt: skip


DEPARTMENT_COLUMNS = (
    "department_id",
    "department",
    "received",
    "signed_in_time",
    "done",
    "done_on_time",
    "open",
    "overdue",
    "returned",
    "median_sign_hours",
    "median_finish_hours",
    "sitins_present",
    "sitins_due",
)


def _hours(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 1) if value is not None else None


def _cell(value: Any, zone: str, lang: str, column: str) -> Any:
    """A value as the office reads it: local dates and times as real date cells (naive, in the
    project's zone), codes as words."""
    if column == "level" and value not in (None, ""):
        return t(lang, f"escalation.level{int(value)}") if int(value) in (1, 2) else value
    if column == "stage" and value is not None:
        return t(lang, f"stage.{value}")
    if column == "dept_overdue" and value is not None:
        return t(lang, "export.value.yes" if value else "export.value.no")
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)
    if column in CODED and value in VALUES:
        return t(lang, f"export.value.{value}")
    return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula


def write_xlsx(path: Path | IO[bytes], tables: Sequence[Table]) -> None:
    """One sheet per table: header row frozen, filters on, columns as wide as their content.

    People's texts are written as text: openpyxl would store '=2+3 floors' as a formula, and
    refuses the control characters XML cannot carry (a Telegram name may have one)."""
    from openpyxl import Workbook  # loaded when the first export is written, not with the bot
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, headers, rows in tables:
        sheet = workbook.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        widths = [_width(h) + 2 for h in headers]
        for row in rows:
            for index, value in enumerate(row):
                widths[index] = max(widths[index], min(_width(value) + 2, MAX_WIDTH))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        heading = []
        for header in headers:
            cell = WriteOnlyCell(sheet, header)
            cell.font = Font(bold=True)
            heading.append(cell)
        sheet.append(heading)
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, datetime | date):
                    cell = WriteOnlyCell(sheet, value)
                    cell.number_format = (
                        "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
                    )
                    cells.append(cell)
                    continue
                if not isinstance(value, str):
                    cells.append(value)
                    continue
                cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"
                if len(value) > WRAP_FROM or "\n" in value:
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
        if headers:
            last = get_column_letter(len(headers))
            sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    workbook.save(path)


def write_csv_zip(path: Path, tables: Sequence[Table]) -> None:
    """One CSV per table in a zip, UTF-8 with a BOM so that Excel opens Chinese correctly."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for title, headers, rows in tables:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(headers)
            writer.writerows([_csv_safe(value) for value in row] for row in rows)
            archive.writestr(f"{title}.csv", "\ufeff" + buffer.getvalue())


def _width(value: Any) -> int:
    """Characters a column needs for a value: a Chinese character is about two Latin ones
    wide; dates and times have a fixed width."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _csv_safe(value: Any) -> Any:
    """Excel evaluates a CSV cell that starts like a formula ('=2+3', '-10% behind', '@x'): a
    leading quote keeps what the person typed as text (OWASP's advice for CSV injection).
    Dates and times as the office writes them."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
