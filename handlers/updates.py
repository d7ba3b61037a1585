"""How updates are scheduled: different chats at once, each chat and each person in order."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import SimpleUpdateProcessor

from bot.metrics import Metrics

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 32
REMEMBERED = 10_000  # finished update ids kept for whoever waits on one


def _keys(update: object) -> list[tuple[str, int]]:
    """What an update must wait its turn behind: earlier updates of its chat and its sender."""
    if not isinstance(update, Update):
        return []
    keys = []
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    return keys


def _kind(update: object) -> str:
    """The update's type as Telegram names it (message, callback_query …)."""
    if isinstance(update, Update):
        for name in ("message", "edited_message", "callback_query", "my_chat_member"):
            if getattr(update, name) is not None:
                return name
    return "other"


class UpdateProcessor(SimpleUpdateProcessor):
    """Handles updates of different chats concurrently, while the updates of one chat (and of
    one person, wherever they write) are handled one after the other, in the order they came.

    A slow reply to one person (a rate limit, a busy database) no longer holds up everyone
    else, and nobody's second message overtakes their first. It also remembers which updates
    are done, so tests can wait for one instead of sleeping.
    """

    def __init__(
        self, concurrency: int = CONCURRENT_UPDATES, metrics: Metrics | None = None
    ) -> None:
        super().__init__(concurrency)
        self._metrics = metrics
        self._tails: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._finished: set[int] = set()
        self._order: deque[int] = deque()
        self._done = asyncio.Condition()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # PTB admits updates through a FIFO semaphore, so they get here in the order they came;
        # the turn is taken before the first await, so each chat's queue keeps that order.
        keys = _keys(update)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        earlier = {self._tails[key] for key in keys if key in self._tails}
        for key in keys:
            self._tails[key] = mine
        started = False
        try:
            for turn in earlier:
                await turn
            started = True
            began = time.perf_counter()
            outcome = "error"
            try:
                await coroutine
                outcome = "ok"
            finally:
                self._record(update, time.perf_counter() - began, outcome)
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()
            mine.set_result(None)
            for key in keys:
                if self._tails.get(key) is mine:
                    del self._tails[key]
            if isinstance(update, Update):
                await self._mark_done(update.update_id)

    def _record(self, update: object, seconds: float, outcome: str) -> None:
        """One log line per handled update, and its metrics."""
        kind = _kind(update)
        if self._metrics is not None:
            self._metrics.handler_seconds.observe(seconds)
            self._metrics.updates.labels(kind).inc()
        if isinstance(update, Update):
            chat = update.effective_chat.id if update.effective_chat else None
            user = update.effective_user.id if update.effective_user else None
            ms = round(seconds * 1000, 1)
            log.info(
                "update %s (%s) chat %s user %s: %s in %s ms",
                update.update_id,
                kind,
                chat,
                user,
                outcome,
                ms,
                extra={
                    "update_id": update.update_id,
                    "chat_id": chat,
                    "user_id": user,
                    "kind": kind,
                    "outcome": outcome,
                    "ms": ms,
                },
            )

    async def _mark_done(self, update_id: int) -> None:
        async with self._done:
            self._finished.add(update_id)
            self._order.append(update_id)
            if len(self._order) > REMEMBERED:
                self._finished.discard(self._order.popleft())
            self._done.notify_all()

    async def wait_for(self, update_id: int) -> None:
        """Return once the update with this id has been handled."""
        async with self._done:
            await self._done.wait_for(lambda: update_id in self._finished)
