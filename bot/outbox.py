"""Delivers the outbox: every proactive message is sent once, retried until it is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.metrics import Metrics
from bot.notifier import ChatMoved, Notifier, RecipientGone, RetryLater, Undeliverable
from storage import StorageError
from storage.groups import GroupRepo
from storage.outbox import OutboxRepo, OutgoingMessage, PendingMessage, edited_key

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
BATCH = 500
PER_CHAT_INTERVAL = 1.0  # Telegram: about one message per second in one chat
TRIES_PER_DRAIN = 3
# An edit of a message still queued waits this long before it looks again.
EDIT_WAIT = timedelta(seconds=5)
# A message is claimed for this long before it is sent (storage/outbox.py), so another process
# that takes the lead meanwhile skips it; a dead sender's claims run out after it. A pass claims
# what leaves within CLAIMED_SECONDS at the rate limit, well within the lease.
CLAIM_LEASE = timedelta(seconds=15)
CLAIMED_SECONDS = 5
# A message sent while the database is away is marked sent once it is back: tried again after
# these pauses (seconds), doubling.
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 5.0
# Messages sent but not yet marked sent: after a crash these are the ones sent twice, so few
# are in flight at a time, and each is marked the moment Telegram accepts it.
IN_FLIGHT = 4

# What to send instead of a message that cannot be delivered: (message, recipient gone, error).
Instead = Callable[[PendingMessage, bool, str], Awaitable[list[OutgoingMessage]]]


@dataclass(slots=True)
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at ten minutes."""
    return min(timedelta(seconds=5 * 2 ** min(attempts, 10)), MAX_BACKOFF)


LEFT = frozenset({"gone", "muted"})


class OutboxSender:
    """Sends due outbox rows, one per chat per pass, many chats at once."""

    def __init__(
        self,
        repo: OutboxRepo,
        groups: GroupRepo,
        notifier: Notifier,
        clock: Clock,
        on_recipient_gone: Callable[[int], Awaitable[None]] | None = None,
        instead: Instead | None = None,
        in_flight: int = IN_FLIGHT,
        metrics: Metrics | None = None,
        per_second: float = 30,
    ) -> None:
        self._repo = repo
        self._groups = groups
        self._notifier = notifier
        self._clock = clock
        self._on_recipient_gone = on_recipient_gone
        self._instead = instead
        self._slots = asyncio.Semaphore(in_flight)
        self._per_pass = max(20, min(BATCH, int(per_second * CLAIMED_SECONDS)))
        self._metrics = metrics
        # Sends that got no answer in time: each may have been delivered and sent again.
        self.timeouts = 0
        self._lock = asyncio.Lock()
        # Set on shutdown: sends in flight finish, the rest stay queued for the next start.
        self.stopping = False
        self._again = False  # something was queued while a drain ran: it looks once more
        # Only the leading process sends (bot/leadership.py); a follower nudges the leader.
        self.active = True
        self.nudge: Callable[[], Awaitable[None]] | None = None
        # Makes the file an outbox row of kind "document" names (its text is a reference):
        # (file name, bytes, caption), None if it is gone. Set by the composition root.
        self.documents: Callable[[str], Awaitable[tuple[str, bytes, str | None] | None]] | None = (
            None
        )

    @property
    def busy(self) -> bool:
        """A drain is running; it keeps going until nothing due is left."""
        return self._lock.locked()

    def wanted(self) -> bool:
        """Ask for what was just queued to be delivered now. True: start a drain. False: one
        is running, and it looks again before it stops, so what was queued after its last look
        is not left for the next outbox job (one task per press only queued behind it); or
        another process leads and sends (nudge it)."""
        if not self.active:
            return False
        if self.busy:
            self._again = True
            return False
        return True

    async def nudge_leader(self) -> None:
        """Another process leads: tell it that messages were queued."""
        if self.nudge is not None:
            await self.nudge()

    def request(self, spawn: Callable[[Coroutine[Any, Any, Any]], object]) -> None:
        """What was just queued should go now: ``spawn`` a drain here, or, where another
        process leads, a nudge to it; nothing while a drain runs (it looks once more)."""
        if self.wanted():
            spawn(self.drain())
        elif not self.active:
            spawn(self.nudge_leader())

    async def drain(self) -> DrainStats:
        """Send everything due now; returns when nothing due is left.

        A message that must wait (flood limit, server error) is not tried again in the same
        drain, and one that moved (a migrated group, a deleted topic) at most a few times, so a
        recipient that keeps failing cannot keep a drain going: the next drain tries again.
        """
        stats = DrainStats()
        tries: dict[int, int] = {}
        pace = timedelta(seconds=PER_CHAT_INTERVAL)
        written: dict[int, datetime] = {}  # chat → when it last got a message in this drain
        async with self._lock:
            while not self.stopping and self.active:
                self._again = False
                now = self._clock.now()
                heads = [
                    m
                    for m in await self._repo.due(now, BATCH)
                    if tries.get(m.id, 0) < TRIES_PER_DRAIN
                ]
                if not heads:
                    if self._again:
                        continue
                    return stats
                # When each chat written to in the last second may have its next message.
                free = {m.chat_id: written[m.chat_id] + pace for m in heads if m.chat_id in written}
                ready = [m for m in heads if free.get(m.chat_id, now) <= now]
                if not ready:
                    await self._clock.sleep((min(free.values()) - now).total_seconds())
                    continue
                ready = ready[: self._per_pass]
                claimed = await self._repo.claim([m.id for m in ready], now, CLAIM_LEASE)
                # What another process claimed it sends; this one leaves it (it stays due
                # here only if that process dies and its claim runs out).
                batch = [m for m in ready if m.id in claimed]
                for message in ready:
                    if message.id not in claimed:
                        tries[message.id] = TRIES_PER_DRAIN
                if not batch:
                    continue
                outcomes = await asyncio.gather(*(self._deliver(m) for m in batch))
                done = self._clock.now()
                for message, outcome in zip(batch, outcomes, strict=True):
                    if outcome == "queued":
                        continue
                    written[message.chat_id] = done
                    self._count(message, outcome)
                    moved = outcome == "moved"
                    tries[message.id] = tries.get(message.id, 0) + 1 if moved else TRIES_PER_DRAIN
                    outcome = "retried" if moved else outcome
                    setattr(stats, outcome, getattr(stats, outcome) + 1)
                written = {chat: at for chat, at in written.items() if at + pace > done}
            return stats

    def _count(self, message: PendingMessage, outcome: str) -> None:
        """One log line per delivery, and its metrics."""
        log.info(
            "outbox %s (%s) to %s, project %s: %s",
            message.key,
            message.kind,
            message.chat_id,
            message.project_id,
            outcome,
            extra={
                "chat_id": message.chat_id,
                "project_id": message.project_id,
                "kind": message.kind,
                "outcome": outcome,
            },
        )
        if self._metrics is None:
            return
        if outcome == "sent":
            self._metrics.sent.labels(message.kind).inc()
        elif outcome == "failed":
            self._metrics.failed.labels(message.kind).inc()
        elif outcome == "retried":
            self._metrics.retried.inc()

    async def _deliver(self, message: PendingMessage) -> str:
        async with self._slots:
            if self.stopping:
                return "queued"  # shutting down: left for the next start
            if message.chat_id < 0 and await self._groups.bot_status(message.chat_id) in LEFT:
                # The bot was removed from the group or may not post: the admins get it.
                await self._give_up(message, "the bot is not in the group (any more)", gone=False)
                return "failed"
            try:
                if message.kind == "edit":
                    return await self._edit(message)
                if message.kind == "document":
                    document = await self.documents(message.text) if self.documents else None
                    if document is None:
                        await self._give_up(message, "the document is gone", gone=False)
                        return "failed"
                    filename, data, caption = document
                    telegram_id = await self._notifier.send_document(
                        message.chat_id,
                        filename,
                        data,
                        caption=caption,
                        thread_id=message.thread_id,
                    )
                else:
                    telegram_id = await self._notifier.send(
                        message.chat_id,
                        message.text,
                        thread_id=message.thread_id,
                        buttons=message.buttons,
                    )
            except RecipientGone as exc:
                log.info("outbox %s: recipient %s gone: %s", message.key, message.chat_id, exc)
                await self._give_up(message, f"recipient gone: {exc}", gone=True)
                if message.user_id is not None and self._on_recipient_gone is not None:
                    await self._on_recipient_gone(message.user_id)
                return "failed"
            except ChatMoved as exc:
                log.info(
                    "outbox %s: chat %s moved to %s", message.key, message.chat_id, exc.new_chat_id
                )
                await self._groups.migrate_chat(message.chat_id, exc.new_chat_id)
                await self._repo.move_chat(message.chat_id, exc.new_chat_id)
                return "moved"
            except RetryLater as exc:
                if exc.timed_out:
                    self.timeouts += 1
                delay = (
                    timedelta(seconds=exc.retry_after)
                    if exc.retry_after is not None
                    else backoff(message.attempts)
                )
                log.warning("outbox %s: retry in %s: %s", message.key, delay, exc)
                await self._repo.mark_retry(message.id, self._clock.now() + delay, str(exc))
                return "retried"
            except Undeliverable as exc:
                if message.thread_id is not None and "thread" in str(exc).lower():
                    # The forum topic was deleted: the general stream still reaches the group.
                    log.warning(
                        "outbox %s: topic %s gone, sending to the chat",
                        message.key,
                        message.thread_id,
                    )
                    await self._repo.drop_thread(message.id, str(exc))
                    return "moved"
                log.error("outbox %s to %s refused: %s", message.key, message.chat_id, exc)
                await self._give_up(message, str(exc), gone=False)
                return "failed"
            await self._note_sent(message, telegram_id)
            return "sent"

    async def _edit(self, message: PendingMessage) -> str:
        """An edit of a message this outbox sent: after it is sent (until then, later); if it
        never was, or is gone, there is nothing to edit and nobody to tell."""
        state = await self._repo.state_of(edited_key(message.key))
        if state is not None and state[0] == "pending":
            await self._repo.mark_retry(
                message.id, self._clock.now() + EDIT_WAIT, "the message to edit is not sent yet"
            )
            return "retried"
        if state is None or state[0] != "sent" or state[1] is None:
            await self._give_up(message, "the message to edit was never sent", gone=False)
            return "failed"
        await self._notifier.edit(message.chat_id, state[1], message.text, buttons=message.buttons)
        await self._note_sent(message, state[1])
        return "sent"

    async def _note_sent(self, message: PendingMessage, telegram_id: int) -> None:
        """Mark a message Telegram accepted as sent, however long the database is away: a
        sent message left pending would be sent again when it is back. Only a stop gives up
        (the message is then one of the few in flight, sent again at the next start)."""
        pause = FIRST_PAUSE
        while True:
            try:
                await self._repo.mark_sent(message.id, telegram_id, self._clock.now())
                return
            except StorageError as exc:
                if self.stopping:
                    raise
                log.warning("outbox %s sent, not yet marked (%s): trying again", message.key, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    async def _give_up(self, message: PendingMessage, error: str, *, gone: bool) -> None:
        """Mark the message failed; one that must reach someone goes to the admins instead,
        queued in the same transaction."""
        instead: list[OutgoingMessage] = []
        if message.fallback and self._instead is not None:
            instead = await self._instead(message, gone, error)
            if not instead:
                log.error("outbox %s: undeliverable and no admin to send it to", message.key)
        await self._repo.mark_failed(message.id, error, self._clock.now(), instead)
