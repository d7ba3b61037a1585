"""Automatic daily backups into ``BACKUP_DIR``, the newest ``BACKUP_KEEP`` kept."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.clock import Clock
from storage import Database
from storage.backup import backup_live

log = logging.getLogger(__name__)

PREFIX = "bangban-"
SUFFIX = ".db"


class BackupService:
    def __init__(self, db: Database, clock: Clock, directory: Path, keep: int) -> None:
        self._db = db
        self._clock = clock
        self._directory = directory
        self._keep = keep

    async def run(self) -> Path:
        """Take a backup now and drop the oldest beyond ``keep``; returns the new file."""
        await asyncio.to_thread(self._directory.mkdir, parents=True, exist_ok=True)
        stamp = self._clock.now().strftime("%Y%m%d-%H%M%S")
        target = self._directory / f"{PREFIX}{stamp}{SUFFIX}"
        if await asyncio.to_thread(target.exists):
            return target  # a second run in the same second: that backup is taken
        await backup_live(self._db, target)
        removed = await asyncio.to_thread(self._rotate)
        log.info("backup %s written; %d old ones removed", target.name, removed)
        return target

    def _rotate(self) -> int:
        backups = sorted(self._directory.glob(f"{PREFIX}*{SUFFIX}"))
        old = backups[: max(len(backups) - self._keep, 0)]
        for path in old:
            path.unlink(missing_ok=True)
        return len(old)
