"""How the processes of a deployment coordinate: who leads (runs the scheduler and sends the
outbox), how many are alive (they share the send rate), and whose turn it is to handle a chat's
next update. SQLite's lock and count are trivial (one process runs on a file), and it has no
turns; PostgreSQL's, for several replicas on one database, are in ``storage/pg_replicas.py``."""

from __future__ import annotations

import enum
import os
import secrets
import socket
from collections.abc import Callable
from typing import Protocol


def new_replica_id() -> str:
    """This process among a deployment's: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class LeaderLock:
    """Held by at most one process of a deployment at a time; on SQLite always by this one."""

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

    async def beat(self) -> int:
        """Note that this process is alive; how many processes of the deployment are."""
        return 1


class Turn(enum.Enum):
    GO = "go"  # this update's turn: handle it
    WAIT = "wait"  # another update of its chat comes first, or is being handled elsewhere
    DONE = "done"  # handled already (the same update posted twice): skip it


class UpdateTurns(Protocol):
    """Whose turn it is among the updates of one chat, across processes (PostgreSQL's replicas,
    ``storage/pg_replicas.py``). SQLite has none: one process orders its own updates
    (``handlers/updates.py``)."""

    async def arrive(self, update_id: int, chat_id: int, *, take: bool = True) -> Turn:
        """An update came in: note it, and (``take``) take its turn if it has come."""
        ...

    async def take(self, update_id: int, chat_id: int) -> Turn:
        """Ask again whether it is this update's turn (after WAIT)."""
        ...

    async def finish(self, update_id: int) -> None:
        """The update was handled: the next one of its chat may go."""
        ...

    async def prune(self) -> int:
        """Forget updates handled long ago; how many."""
        ...
