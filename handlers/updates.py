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
from bot.turns import ChatTurns

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 32  # updates being handled at once
# PTB's own gate: wide open, since an update waiting for its chat's turn must not hold a slot.
ADMITTED = 1_000_000
# Updates one chat may have waiting; more are dropped. A person taps and types far less (an
# album is ten updates); a group gets 20 replies a minute, so 50 waiting is minutes of replies.
BACKLOG_PER_CHAT = 50
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


def _chat_turn(update: object) -> tuple[int, int] | None:
    """(update id, chat id) of an update that takes its chat's turn across replicas."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.update_id, update.effective_chat.id
    return None


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

    PTB admits every update through its semaphore before ``do_process_update``; here that gate
    is wide open and ``concurrency`` bounds only the updates being *handled*: an update waiting
    for its chat's turn holds no slot, so a chat with a backlog (a group's 20 replies a minute,
    a flood of presses) holds at most one slot and everyone else goes on. A chat with more than
    ``backlog`` updates waiting has the further ones dropped (logged and counted): a stranger's
    or a hostile group's flood is answered sparingly, and cannot grow memory without bound.
    It also remembers which updates are done, so tests can wait for one instead of sleeping.
    """

    def __init__(
        self,
        concurrency: int = CONCURRENT_UPDATES,
        metrics: Metrics | None = None,
        *,
        backlog: int = BACKLOG_PER_CHAT,
    ) -> None:
        super().__init__(ADMITTED)
        self._running = asyncio.Semaphore(concurrency)
        self._backlog = backlog
        self._metrics = metrics
        self._tails: dict[tuple[str, int], asyncio.Future[None]] = {}
        self._waiting: dict[tuple[str, int], int] = {}
        self._finished: set[int] = set()
        self._order: deque[int] = deque()
        self._done = asyncio.Condition()
        self._flooded: set[tuple[str, int]] = set()  # chats told about in the log already
        self.dropped = 0
        # Across replicas (PostgreSQL), a chat's updates also take turns in the database.
        self.turns: ChatTurns | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # Updates get here in the order they came (PTB starts a task per update and its gate
        # never blocks); the turn is taken before the first await, so each chat's queue keeps
        # that order.
        keys = _keys(update)
        flooded = self._flooding(keys)
        if flooded is not None:
            self._drop(flooded, update, coroutine)
            if isinstance(update, Update):
                await self._mark_done(update.update_id)
            return
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        earlier = {self._tails[key] for key in keys if key in self._tails}
        for key in keys:
            self._tails[key] = mine
            self._waiting[key] = self._waiting.get(key, 0) + 1
        started = False
        turns, turn_of = self.turns, _chat_turn(update)
        taken = False
        try:
            # Its place among the chat's updates is kept while this process's go first.
            if (
                turns is not None
                and turn_of is not None
                and earlier
                and not await turns.arrive(*turn_of)
            ):
                return
            for turn in earlier:
                await turn
            if turns is not None and turn_of is not None:
                if not await turns.begin(*turn_of, noted=bool(earlier)):
                    return
                taken = True
            async with self._running:
                started = True
                began = time.perf_counter()
                outcome = "error"
                try:
                    await coroutine
                    outcome = "ok"
                finally:
                    self._record(update, time.perf_counter() - began, outcome)
        finally:
            if taken and turns is not None and turn_of is not None:
                await turns.end(turn_of[0])
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()
            mine.set_result(None)
            for key in keys:
                left = self._waiting.pop(key) - 1
                if left:
                    self._waiting[key] = left
                else:
                    self._flooded.discard(key)
                if self._tails.get(key) is mine:
                    del self._tails[key]
            if isinstance(update, Update):
                await self._mark_done(update.update_id)

    def _flooding(self, keys: list[tuple[str, int]]) -> tuple[str, int] | None:
        """The chat whose backlog is full, if this update is from one."""
        for key in keys:
            if key[0] == "chat" and self._waiting.get(key, 0) >= self._backlog:
                return key
        return None

    def _drop(self, chat: tuple[str, int], update: object, coroutine: Awaitable[Any]) -> None:
        if inspect.iscoroutine(coroutine):
            coroutine.close()
        self.dropped += 1
        if self._metrics is not None:
            self._metrics.updates_dropped.inc()
        if chat not in self._flooded:  # one line per flood, not one per update
            self._flooded.add(chat)
            log.warning(
                "chat %s has %d updates waiting: dropping its further updates until it has fewer",
                chat[1],
                self._backlog,
                extra={"chat_id": chat[1], "outcome": "dropped"},
            )

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
