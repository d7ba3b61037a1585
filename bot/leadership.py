"""Which process of a deployment leads: the one that runs the scheduler and sends the outbox;
and how many are alive, to share the bot's rate limits among them.

Every replica takes updates; exactly one leads at a time. It holds the database's leader lock
(on PostgreSQL an advisory lock on a connection of its own; on SQLite the process is alone), and
every ``INTERVAL`` each replica checks: a follower tries to take the lock, the leader that it
still holds it. A leader that dies loses the lock with its connection, so another replica leads
within one interval (and the time PostgreSQL takes to notice a dead connection); a leader that
loses the server stops sending at its next check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from storage.leader import LeaderLock

log = logging.getLogger(__name__)

INTERVAL = 2.0  # seconds between checks: a takeover comes within about this


class Leadership:
    def __init__(
        self,
        lock: LeaderLock,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
        interval: float = INTERVAL,
        on_count: Callable[[int, bool], None] | None = None,
    ) -> None:
        self._lock = lock
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._interval = interval
        self._on_count = on_count
        self._task: asyncio.Task[None] | None = None
        self.leading = False

    async def check(self) -> bool:
        """Note this process alive (and count the others); take the lead if it is free, or
        notice it was lost. True while this process leads."""
        alive = await self._lock.beat()
        if not self.leading:
            if await self._lock.take():
                self.leading = True
                log.info("leading: this process runs the scheduler and sends the outbox")
                await self._on_gain()
        elif not await self._lock.held():
            self.leading = False
            log.warning("no longer leading: the scheduler and the outbox stop here")
            await self._on_loss()
        if self._on_count is not None:
            self._on_count(alive, self.leading)
        return self.leading

    def start(self) -> None:
        """Check every interval from now on, in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="leadership")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception:
                log.exception("leadership check failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.leading = False
        await self._lock.release()
