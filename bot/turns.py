"""The updates of one chat, handled in order across the replicas of a deployment.

Within a process, ``handlers/updates.py`` orders each chat's updates. Where several replicas
take updates behind one webhook, two updates of a chat may reach two of them: each update first
takes its chat's turn in the database (``storage/leader.py``): the earlier update goes first,
one at a time; an update posted twice (a retried webhook) is handled once. On SQLite one
process runs, and every turn comes at once without a trip to the database.
"""

from __future__ import annotations

import asyncio
import logging

from storage import StorageError
from storage.leader import Turn, UpdateTurns

log = logging.getLogger(__name__)

FIRST_PAUSE = 0.01  # seconds before asking again whether the turn has come; doubled each time
LONGEST_PAUSE = 0.2


class ChatTurns:
    def __init__(self, turns: UpdateTurns) -> None:
        self._turns = turns

    async def arrive(self, update_id: int, chat_id: int) -> bool:
        """Note an update the moment it comes, while earlier ones of this process go first
        (its place in the chat is kept meanwhile); False if it was handled already."""
        try:
            return await self._turns.arrive(update_id, chat_id, take=False) is not Turn.DONE
        except StorageError as exc:
            log.warning("update %s: its arrival is not noted (%s)", update_id, exc)
            return True

    async def begin(self, update_id: int, chat_id: int, *, noted: bool = False) -> bool:
        """Wait for this update's turn in its chat; False if it was handled already. Without
        the database the update goes ahead (its handler meets the same error and says so)."""
        try:
            if noted:
                turn = await self._turns.take(update_id, chat_id)
            else:
                turn = await self._turns.arrive(update_id, chat_id)
            pause = FIRST_PAUSE
            while turn is Turn.WAIT:
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                turn = await self._turns.take(update_id, chat_id)
        except StorageError as exc:
            log.warning("update %s: its turn is not known (%s); handled now", update_id, exc)
            return True
        if turn is Turn.DONE:
            log.info("update %s came again: handled already, skipped", update_id)
        return turn is Turn.GO

    async def end(self, update_id: int) -> None:
        try:
            await self._turns.finish(update_id)
        except StorageError as exc:
            # Its turn runs out after the lease: the chat's next update waits that long at most.
            log.warning("update %s: its turn was not handed on: %s", update_id, exc)

    async def prune(self) -> int:
        return await self._turns.prune()
