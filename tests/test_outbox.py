"""The outbox sender against a scripted notifier: pacing, retries, blocked users, migrations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from bot.notifier import ChatMoved, DeliveryError, RecipientGone, RetryLater, Undeliverable
from bot.outbox import OutboxSender
from storage import Repositories
from storage.access import ADMIN as ADMIN_ROLE
from storage.access import Need
from storage.outbox import OutgoingButton, OutgoingMessage
from tests.conftest import ADMIN
from tests.fakebot import FakeClock

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class ScriptedNotifier:
    """Records sends; raises the scripted error for a chat's next send(s)."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, datetime]] = []
        self.errors: dict[int, list[DeliveryError]] = {}
        self.clock: FakeClock | None = None

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        thread_id: int | None = None,
        buttons: Sequence[Sequence[OutgoingButton]] = (),
    ) -> int:
        queued = self.errors.get(chat_id)
        if queued:
            raise queued.pop(0)
        assert self.clock is not None
        self.sent.append((chat_id, text, self.clock.now()))
        return len(self.sent)

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        buttons: Sequence[Sequence[OutgoingButton]] = (),
    ) -> None:
        raise AssertionError("nothing here edits")

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        return await self.send(chat_id, f"📎 {filename} ({len(data)} bytes)", thread_id=thread_id)


def sender(repos: Repositories, clock: FakeClock, notifier: ScriptedNotifier) -> OutboxSender:
    notifier.clock = clock
    gone: list[int] = []

    async def on_gone(user_id: int) -> None:
        gone.append(user_id)

    result = OutboxSender(repos.outbox, repos.groups, notifier, clock, on_recipient_gone=on_gone)
    result.gone = gone  # type: ignore[attr-defined]
    return result


async def test_same_chat_is_paced_one_per_second_and_keys_dedupe(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    messages = [
        OutgoingMessage("a", 1, "one"),
        OutgoingMessage("b", 1, "two"),
        OutgoingMessage("c", 2, "x"),
    ]
    assert await repos.outbox.enqueue(messages, NOW) == 3
    assert await repos.outbox.enqueue(messages, NOW) == 0  # same keys: nothing new
    stats = await outbox.drain()
    assert stats.sent == 3
    times = {text: at for _, text, at in notifier.sent}
    assert times["two"] - times["one"] >= timedelta(seconds=1)
    assert times["x"] == times["one"]
    assert (await outbox.drain()).sent == 0


async def test_a_backlog_to_one_chat_holds_up_no_other_chat(repos: Repositories) -> None:
    """A digest in 600 parts to one admin, queued first: the 50 prompts queued after it all go
    at once, while the admin's parts go one a second, in order (the start-up benchmark sent
    20,000 prompts at 230/s behind such a backlog, 610/s without)."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    backlog = [OutgoingMessage(f"part{n}", 1, f"part {n}") for n in range(600)]
    prompts = [OutgoingMessage(f"prompt{n}", 100 + n, "prompt") for n in range(50)]
    await repos.outbox.enqueue(backlog + prompts, NOW)
    clock.sleep = _stop_after(clock, outbox, seconds=3)  # type: ignore[method-assign]
    await outbox.drain()
    prompted = [at for chat, _, at in notifier.sent if chat >= 100]
    parts = [(text, at) for chat, text, at in notifier.sent if chat == 1]
    assert prompted == [NOW] * 50
    assert [text for text, _ in parts] == [f"part {n}" for n in range(len(parts))]
    assert all(b - a >= timedelta(seconds=1) for (_, a), (_, b) in pairwise(parts))
    assert 3 <= len(parts) <= 4


def _stop_after(clock: FakeClock, outbox: OutboxSender, seconds: float) -> Any:
    """A clock's sleep that stops the drain (as a shutdown does) once ``seconds`` have passed."""
    original, deadline = clock.sleep, clock.now() + timedelta(seconds=seconds)

    async def sleep(pause: float) -> None:
        await original(pause)
        if clock.now() >= deadline:
            outbox.stopping = True

    return sleep


async def test_retry_after_is_honoured_on_the_clock(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    notifier.errors[1] = [RetryLater("flood", retry_after=7)]
    await repos.outbox.enqueue([OutgoingMessage("a", 1, "hello")], NOW)
    assert (await outbox.drain()).retried == 1
    clock.advance(timedelta(seconds=6))
    assert (await outbox.drain()).sent == 0
    clock.advance(timedelta(seconds=1))
    assert (await outbox.drain()).sent == 1 and len(notifier.sent) == 1


async def test_server_errors_back_off_and_never_give_up(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    notifier.errors[1] = [RetryLater("502") for _ in range(4)]
    await repos.outbox.enqueue([OutgoingMessage("a", 1, "hello")], NOW)
    for _ in range(4):
        await outbox.drain()
        clock.advance(timedelta(minutes=2))
    await outbox.drain()
    assert [text for _, text, _ in notifier.sent] == ["hello"]


async def test_blocked_user_fails_the_message_and_is_reported(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    notifier.errors[5] = [RecipientGone("blocked")]
    await repos.outbox.enqueue([OutgoingMessage("a", 5, "hi", user_id=5)], NOW)
    assert (await outbox.drain()).failed == 1
    assert outbox.gone == [5]  # type: ignore[attr-defined]
    assert (await repos.outbox.counts()) == {"failed": 1}


async def test_migrated_group_gets_its_new_id(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    await repos.groups.bind(Need(ADMIN.id, ADMIN_ROLE), -100, None, "Leaders", NOW)
    notifier.errors[-100] = [ChatMoved(-100200)]
    await repos.outbox.enqueue([OutgoingMessage("a", -100, "card")], NOW)
    await outbox.drain()
    assert [(chat, text) for chat, text, _ in notifier.sent] == [(-100200, "card")]
    binding = await repos.groups.for_project(None)
    assert binding is not None and binding.chat_id == -100200


async def test_refused_requests_are_not_retried(repos: Repositories) -> None:
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    notifier.errors[1] = [Undeliverable("Bad Request: message is too long")]
    await repos.outbox.enqueue([OutgoingMessage("a", 1, "x")], NOW)
    await outbox.drain()
    clock.advance(timedelta(hours=1))
    await outbox.drain()
    assert notifier.sent == [] and (await repos.outbox.counts()) == {"failed": 1}


async def test_a_deleted_forum_topic_falls_back_to_the_group(repos: Repositories) -> None:
    """A card for a topic that no longer exists still reaches the group."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    notifier.errors[-100] = [Undeliverable("Bad Request: message thread not found")]
    await repos.outbox.enqueue([OutgoingMessage("a", -100, "card", thread_id=9)], NOW)
    await outbox.drain()
    assert [(chat, text) for chat, text, _ in notifier.sent] == [(-100, "card")]


async def test_a_chats_messages_keep_their_order_across_a_retry_and_a_restart(
    repos: Repositories,
) -> None:
    """A digest in 6 parts; part 1 meets a 500: parts 2–6 wait behind it rather than overtake
    it (they arrived 2, 3, 4, 5, 1, 6), also when a new sender (a restart) picks it up."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    parts = [OutgoingMessage(f"digest:{n}", 1, f"part {n}") for n in range(1, 7)]
    await repos.outbox.enqueue([*parts, OutgoingMessage("other", 2, "to another chat")], NOW)
    notifier.errors[1] = [RetryLater("500 Internal Server Error")]
    first = await sender(repos, clock, notifier).drain()
    assert (first.sent, first.retried) == (1, 1)  # the other chat is not held up
    assert [text for chat, text, _ in notifier.sent if chat == 1] == []
    clock.advance(timedelta(minutes=1))
    await sender(repos, clock, notifier).drain()
    assert [text for chat, text, _ in notifier.sent if chat == 1] == [
        f"part {n}" for n in range(1, 7)
    ]


async def test_a_message_held_for_quiet_hours_takes_its_place_when_they_end(
    repos: Repositories,
) -> None:
    """Held until 07:30, a card does not hold back what is queued for earlier."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    held = OutgoingMessage("card", 1, "card", not_before=NOW + timedelta(hours=6))
    await repos.outbox.enqueue([held], NOW)
    await repos.outbox.enqueue([OutgoingMessage("prompt", 1, "prompt")], NOW + timedelta(hours=1))
    clock.set(NOW + timedelta(hours=1))
    await sender(repos, clock, notifier).drain()
    assert [text for _, text, _ in notifier.sent] == ["prompt"]
    clock.set(NOW + timedelta(hours=6))
    await sender(repos, clock, notifier).drain()
    assert [text for _, text, _ in notifier.sent] == ["prompt", "card"]


async def test_asking_for_delivery_during_a_drain_starts_no_second_one_and_loses_nothing(
    repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press while a drain runs starts no second drain (one was started per press), and what
    it queued just after the drain's last look is still delivered by that drain, not left for
    the next outbox job."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    await repos.outbox.enqueue([OutgoingMessage("a", 1, "first")], NOW)
    due = repos.outbox.due
    asked: list[bool] = []

    async def due_then_a_press(now: datetime, limit: int) -> list[Any]:
        found = await due(now, limit)
        if not found and not asked:  # the drain is about to stop: a press queues and asks
            await repos.outbox.enqueue([OutgoingMessage("b", 2, "queued by a press")], NOW)
            asked.append(outbox.wanted())
        return found

    monkeypatch.setattr(repos.outbox, "due", due_then_a_press)
    assert outbox.wanted()
    stats = await outbox.drain()
    assert asked == [False]  # the running drain takes it
    assert stats.sent == 2
    assert [text for _, text, _ in notifier.sent] == ["first", "queued by a press"]


async def test_a_delivered_message_keeps_its_key_not_its_text(repos: Repositories) -> None:
    """What is left of a sent row is enough to refuse a second send (its key) and to audit it
    (chat, Telegram's message id, times), without its text and buttons."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    button = OutgoingButton("✅", "pb:ok:1")
    message = OutgoingMessage("card:1", 1, "a long card " * 100, buttons=((button,),))
    await repos.outbox.enqueue([message], NOW)
    await sender(repos, clock, notifier).drain()
    row = await repos.db.fetchone("SELECT * FROM outbox WHERE dedupe_key = 'card:1'")
    assert row is not None and row["status"] == "sent" and row["message_id"] == 1
    assert row["text"] == "" and row["buttons"] is None
    assert await repos.outbox.enqueue([message], NOW) == 0  # still refused a second time
    await sender(repos, clock, notifier).drain()
    assert len(notifier.sent) == 1


async def test_a_file_is_made_when_it_is_sent_and_sent_once(repos: Repositories) -> None:
    """An outbox row of kind document names its file; the file is made at send time, sent
    once, and a row whose file is gone fails rather than being tried for ever."""
    clock, notifier = FakeClock(NOW), ScriptedNotifier()
    outbox = sender(repos, clock, notifier)
    made: list[str] = []

    async def documents(reference: str) -> tuple[str, bytes, str | None] | None:
        made.append(reference)
        return None if reference == "gone" else ("notice.docx", b"PK\x03\x04docx", "caption")

    outbox.documents = documents
    files = [
        OutgoingMessage("doc1", 1, "notice:1", kind="document"),
        OutgoingMessage("doc2", 2, "gone", kind="document"),
    ]
    await repos.outbox.enqueue(files, NOW)
    stats = await outbox.drain()
    assert (stats.sent, stats.failed) == (1, 1)
    assert [(chat, text) for chat, text, _ in notifier.sent] == [(1, "📎 notice.docx (8 bytes)")]
    assert (await outbox.drain()).sent == 0 and made == ["notice:1", "gone"]
    row = await repos.db.fetchone("SELECT status, error FROM outbox WHERE dedupe_key = 'doc2'")
    assert row is not None and row["status"] == "failed" and "gone" in row["error"]
