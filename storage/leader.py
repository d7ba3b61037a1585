"""Who leads a deployment: the process that runs the scheduler and sends the outbox."""

from __future__ import annotations

from collections.abc import Callable


class LeaderLock:
    """Held by at most one process of a deployment at a time. This one, SQLite's, is always
    held: one process runs on a file. PostgreSQL's is an advisory lock (storage/pg.py)."""

    async def take(self) -> bool:
        """Try to become the leader; True if this process now is."""
        return True

    async def held(self) -> bool:
        """Whether this process still leads (its hold on the lock is alive)."""
        return True

    async def release(self) -> None:
        """Stop leading (shutting down)."""

    def on_nudge(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when another process queued messages for the leader to send."""
