"""What the bot waits for from a person next: a problem's text, a note, a project choice.

Kept in the ``pending_inputs`` table rather than in PTB's ``ConversationHandler`` (see
docs/architecture.md): the wait is written and used up in the same transactions as the
answers it leads to, survives restarts, and expires after ``PENDING_INPUT_TTL``, when its round
closes, or when the person sends a command instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import Clock
from storage.pending import PendingInput, PendingKind, PendingRepo


class Conversation:
    def __init__(self, pending: PendingRepo, clock: Clock, ttl: timedelta) -> None:
        self._pending = pending
        self._clock = clock
        self._ttl = ttl

    async def expect(
        self,
        user_id: int,
        kind: PendingKind,
        *,
        checkin_id: int | None = None,
        project_id: int | None = None,
        problem_id: int | None = None,
        text: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Take the person's next message as ``kind``, replacing any earlier wait."""
        await self._pending.set(
            user_id,
            kind,
            self._clock.now(),
            checkin_id=checkin_id,
            project_id=project_id,
            problem_id=problem_id,
            text=text,
            detail=detail,
        )

    async def awaited(self, user_id: int) -> PendingInput | None:
        """The wait for this person, unless it has expired."""
        return await self._pending.get(user_id, self._clock.now() - self._ttl)

    async def drop(self, user_id: int) -> bool:
        """Forget the wait (the person moved on); True if there was one."""
        return await self._pending.clear(user_id)
