"""Telegram's rate limits, with people's replies ahead of the bot's own messages.

PTB's ``AIORateLimiter`` treats every request alike, so during a round of thousands of prompts
a reply to someone's command waited behind the prompts in flight. Here the outbox's sends are
marked low priority (``rate_limit_args="low"``): they take a slot only while no reply waits for
one. Both stay within the overall rate, and within 20 messages a minute in each group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.metrics import Metrics
from handlers.notifier import retry_after_seconds

log = logging.getLogger(__name__)

LOW = "low"
GROUP_PER_MINUTE = 20
GROUPS_KEPT = 1000  # group buckets kept before the idle ones are forgotten
RETRIES = 2  # a reply is tried again this often after a 429; the outbox reschedules instead
# A reply meeting a 5xx or a timeout is tried again after these pauses (seconds) before the
# error handler hears of it: a blip at Telegram must not lose a reply to a change that was
# made, nor turn it into an apology. The outbox's own sends reschedule instead.
REPLY_BACKOFF = (0.5, 1.0, 2.0)
WAITED = 0.002  # seconds: longer than this before sending counts as a rate-limit wait
JSON = bool | dict[str, Any] | list[dict[str, Any]]


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` saved up. Takers wait in
    arrival order, high priority ahead of low, so no reply waits longer than the replies
    queued before it."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._burst = max(burst, 1.0)
        self._full_rate = rate
        self._full_burst = self._burst
        self._tokens = self._burst
        self._loop = asyncio.get_running_loop()
        self._stamp = self._loop.time()
        self._high: deque[asyncio.Future[None]] = deque()
        self._low: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, low: bool) -> None:
        self._refill()
        if self._tokens >= 1 and not self._high and not self._low:
            self._tokens -= 1
            return
        turn: asyncio.Future[None] = self._loop.create_future()
        (self._low if low else self._high).append(turn)
        self._wake_later()
        await turn

    def share(self, fraction: float) -> None:
        """Keep to ``fraction`` of the full rate (and burst): the rest is other processes'."""
        self._refill()
        self._rate = self._full_rate * fraction
        self._burst = max(self._full_burst * fraction, 1.0)
        self._tokens = min(self._tokens, self._burst)

    @property
    def idle(self) -> bool:
        """Nobody waits and it is full again: forgetting it changes nothing."""
        self._refill()
        return not self._high and not self._low and self._tokens >= self._burst

    def _refill(self) -> None:
        now = self._loop.time()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def _wake_later(self) -> None:
        if self._timer is None:
            delay = max((1 - self._tokens) / self._rate, 0.0)
            self._timer = self._loop.call_later(delay, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._refill()
        while self._tokens >= 1 and (self._high or self._low):
            turn = (self._high or self._low).popleft()
            if turn.done():  # its taker was cancelled
                continue
            self._tokens -= 1
            turn.set_result(None)
        if self._high or self._low:
            self._wake_later()


class PriorityRateLimiter(BaseRateLimiter[str]):
    # Counts the requests that had to wait; set by the composition root.
    metrics: Metrics | None = None

    def __init__(self, per_second: float, group_per_minute: int = GROUP_PER_MINUTE) -> None:
        self._per_second = per_second
        self._group_per_minute = group_per_minute
        self._overall: _Bucket | None = None
        self._groups: dict[int | str, _Bucket] = {}
        self._prune_at = GROUPS_KEPT
        self._closed_until = 0.0  # after a 429, nobody sends before this (loop time)
        self._among = 1  # processes sharing the bot's limits (replicas on PostgreSQL)
        self._leading = True

    async def initialize(self) -> None:
        self._overall = _Bucket(self._per_second, self._per_second)

    def share_among(self, processes: int, leading: bool) -> None:
        """Telegram's limits are the bot's, whichever replica sends: with ``processes`` alive,
        they share them. The leader sends the outbox (the bulk: prompts, cards, digests), so it
        keeps the larger part of the overall rate; each other replica, which only replies,
        keeps 1/(2n) of it (a quarter with two). A group's 20 a minute is split evenly."""
        processes = max(processes, 1)
        if (processes, leading) == (self._among, self._leading):
            return
        self._among, self._leading = processes, leading
        follower = 1 / (2 * processes)
        leader = 1 - (processes - 1) * follower  # the whole rate when alone
        # Alone, a process keeps the whole rate whether it leads yet or not.
        overall = leader if leading or processes == 1 else follower
        log.info(
            "%d processes send for this bot: this one (%s) takes %.0f %% of its rate",
            processes,
            "leading" if leading else "following",
            overall * 100,
        )
        if self._overall is not None:
            self._overall.share(overall)
        for bucket in self._groups.values():
            bucket.share(1 / processes)

    async def shutdown(self) -> None:
        self._groups.clear()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSON:
        low = rate_limit_args == LOW
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        for attempt in range(RETRIES + 1):
            asked = loop.time()
            closed = self._closed_until - loop.time()
            if closed > 0:
                await asyncio.sleep(closed)
            if chat_id is not None:
                # Channels and supergroups: a negative id, or an @name.
                if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
                    await self._group(chat_id).take(low)
                assert self._overall is not None, "initialize() first"
                await self._overall.take(low)
            if self.metrics is not None and loop.time() - asked > WAITED:
                self.metrics.rate_limit_waits.inc()
            try:
                return await self._call_retrying(callback, args, kwargs, endpoint, low)
            except RetryAfter as exc:
                pause = retry_after_seconds(exc) + 0.1
                log.info("%s: flood limit, everyone waits %.1f s", endpoint, pause)
                self._closed_until = max(self._closed_until, loop.time() + pause)
                if low or attempt == RETRIES:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    async def _call_retrying(
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        low: bool,
    ) -> JSON:
        pauses = () if low else REPLY_BACKOFF
        for pause in (*pauses, None):
            try:
                return await callback(*args, **kwargs)
            except BadRequest:
                raise  # Telegram read the request and refused it: the same again fails again
            except NetworkError as exc:  # a 5xx, a timeout, a broken connection
                if pause is None:
                    raise
                log.info("%s: %s; trying again in %.1f s", endpoint, exc, pause)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    def _group(self, chat_id: int | str) -> _Bucket:
        bucket = self._groups.get(chat_id)
        if bucket is None:
            if len(self._groups) >= self._prune_at:
                self._forget_idle_groups()
            rate = self._group_per_minute / 60
            bucket = self._groups[chat_id] = _Bucket(rate, self._group_per_minute)
            bucket.share(1 / self._among)
        return bucket

    def _forget_idle_groups(self) -> None:
        """Every group the bot ever wrote to kept a bucket; the idle ones go (a full bucket is
        what a new one would be), at most once per ``GROUPS_KEPT`` new groups."""
        for chat_id in [key for key, bucket in self._groups.items() if bucket.idle]:
            del self._groups[chat_id]
        self._prune_at = len(self._groups) + GROUPS_KEPT
