"""``/export files [from] [to]``: the photos and files themselves, in zip files an office can
keep outside Telegram, named by project, date and person; split under Telegram's upload
limit. The Telegram side (getFile, the download) is handed in as ``fetch``."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import Clock, local_date
from bot.errors import UsageError, UserError
from bot.parsing import parse_date
from bot.projects import ProjectService
from storage.repos import Repositories

# A part stays under Telegram's 50 MB for a bot's upload, with room for the zip's own records.
PART_LIMIT = 45 * 1024 * 1024
DEFAULT_DAYS = 30
SUFFIXES = {
    "photo": ".jpg",
    "video": ".mp4",
    "video_note": ".mp4",
    "voice": ".ogg",
    "audio": ".mp3",
    "document": "",
}
UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
# Fetches a Telegram file's bytes; None when it cannot (too large for a bot, gone).
Fetch = Callable[[str], Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class FilesRequest:
    project_ids: tuple[int, ...]
    first: date
    last: date
    label: str


@dataclass(frozen=True, slots=True)
class FilesPart:
    name: str
    data: bytes
    files: int


@dataclass(frozen=True, slots=True)
class FilesExport:
    parts: list[FilesPart]
    total: int
    missing: list[str]


def safe(name: str) -> str:
    return UNSAFE.sub("_", name).strip(" .") or "_"


class ExportFiles:
    def __init__(self, repos: Repositories, projects: ProjectService, clock: Clock) -> None:
        self._repos = repos
        self._projects = projects
        self._clock = clock

    async def request(self, user_id: int, args: list[str]) -> FilesRequest:
        """``files [from] [to]`` (default: the last 30 days), of the projects this person may
        export."""
        if len(args) > 2:
            raise UsageError("export")
        zone = self._projects.default_timezone
        today = local_date(self._clock.now(), zone)
        first = parse_date(args[0], today) if args else today - timedelta(days=DEFAULT_DAYS - 1)
        last = parse_date(args[1], today) if len(args) > 1 else today
        if last < first:
            raise UserError("error.date_order")
        ids, _ = await self._projects.readable(
            user_id, None, refused="export.not_allowed", nothing="export.nothing"
        )
        if ids is None:
            return FilesRequest(tuple(await self._repos.exports.project_ids()), first, last, "all")
        return FilesRequest(tuple(ids), first, last, "mine")

    async def build(self, request: FilesRequest, fetch: Fetch) -> FilesExport:
        zone = ZoneInfo(self._projects.default_timezone)
        start = datetime.combine(request.first, time(0), zone)
        end = datetime.combine(request.last + timedelta(days=1), time(0), zone)
        rows = await self._repos.exports.files(request.project_ids, start, end)
        stem = f"bangban-files-{request.label}-{request.first}-{request.last}"
        parts: list[FilesPart] = []
        batch: list[tuple[str, bytes]] = []
        size = 0
        missing: list[str] = []
        for row in rows:
            at = row["at"].astimezone(ZoneInfo(row["timezone"]))
            suffix = SUFFIXES.get(row["kind"], "")
            if row["file_name"]:
                suffix = Path(row["file_name"]).suffix or suffix
            suffix = UNSAFE.sub("", suffix)[:12]
            name = (
                f"{safe(row['project'])}/{at:%Y-%m-%d_%H%M}_{safe(row['person'])}_{row['id']}"
                f"{suffix}"
            )
            data = await fetch(row["file_id"])
            if data is None:
                missing.append(name)
                continue
            if batch and size + len(data) > PART_LIMIT:
                parts.append(await self._zip(f"{stem}-{len(parts) + 1}.zip", batch))
                batch, size = [], 0
            batch.append((name, data))
            size += len(data)
        if missing:
            listing = "\n".join(missing) + "\n"
            batch.append(("未能取回的文件 (files not fetched).txt", listing.encode()))
        if batch:
            parts.append(await self._zip(f"{stem}-{len(parts) + 1}.zip", batch))
        return FilesExport(parts, len(rows), missing)

    @staticmethod
    async def _zip(name: str, files: list[tuple[str, bytes]]) -> FilesPart:
        def write() -> bytes:
            buffer = io.BytesIO()
            # Photos and videos are compressed already: stored, not deflated again.
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
                for path, data in files:
                    archive.writestr(path, data)
            return buffer.getvalue()

        data = await asyncio.to_thread(write)
        return FilesPart(name, data, sum(1 for path, _ in files if not path.endswith(".txt")))
