"""Telegram's limits hold, and people's replies go ahead of the bot's own messages."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from handlers.ratelimit import PriorityRateLimiter
from storage.outbox import OutgoingMessage
from tests.conftest import ADMIN, start_harness
from tests.fakebot import FakeBotAPI, FakeClock


async def test_a_reply_overtakes_a_fan_out(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """At 5 messages a second, 40 queued messages take 8 s; a reply still comes at once."""
    bot = await start_harness(api, clock, tmp_path / "b.db", rate_limit_per_second=5)
    await bot.send(ADMIN, "/start")
    chats = list(range(900_001, 900_041))
    api.known_chats.update(chats)
    messages = [OutgoingMessage(f"n:{chat}", chat, "notice") for chat in chats]
    await bot.services.repos.outbox.enqueue(messages, clock.now())
    fan_out = asyncio.create_task(bot.services.outbox.drain())
    try:
        await api.wait_for(lambda c: c.params.get("chat_id") in chats and c.at > 0, timeout=5)
        await asyncio.sleep(1.5)  # the initial burst is spent; the limiter is the bottleneck
        began = time.monotonic()
        reply = await bot.send(ADMIN, "/help", drain=False)
        waited = reply.at - began
    finally:
        await fan_out
    after = [c for c in api.calls if c.params.get("chat_id") in chats and c.at > reply.at]
    assert len(after) >= 20  # the fan-out was still going when the reply went out
    assert waited < 0.4, waited  # not behind the four in flight (0.8 s at 5 a second)


async def test_a_group_gets_at_most_20_messages_a_minute() -> None:
    limiter = PriorityRateLimiter(per_second=1000)
    await limiter.initialize()
    sent: list[float] = []

    async def send(*args: Any, **kwargs: Any) -> bool:
        sent.append(time.monotonic())
        return True

    for _ in range(21):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": -100}, None)
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)
    await limiter.shutdown()
    assert sent[20] - sent[0] >= 2.5  # the 21st waited for the group's next slot (3 s)
    assert sent[21] - sent[20] < 0.5  # a private chat did not wait for the group


async def test_a_reply_hit_by_a_flood_limit_waits_and_arrives(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db")
    await bot.send(ADMIN, "/start")
    api.fail("sendMessage", 429, retry_after=1, chat_id=ADMIN.id)
    began = time.monotonic()
    reply = await bot.send(ADMIN, "/help")
    assert "Commands you can use" in reply.params["text"]
    assert reply.at - began >= 1.0  # it waited as Telegram asked, then was sent once


async def test_idle_group_buckets_are_forgotten_and_busy_ones_kept() -> None:
    """Every group the bot ever wrote to kept a bucket for good; now the full, idle ones go
    once a thousand are kept, while a group that used its minute's share keeps its limit."""
    limiter = PriorityRateLimiter(per_second=100_000, group_per_minute=60_000)  # refills in ms
    await limiter.initialize()

    async def send(*args: Any, **kwargs: Any) -> bool:
        return True

    async def to(chat_id: int) -> None:
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    busy = PriorityRateLimiter(per_second=100_000)  # 20 a minute: a used bucket stays unfull
    await busy.initialize()
    await busy.process_request(send, (), {}, "sendMessage", {"chat_id": -1}, None)
    for chat in range(2, 1_001):
        await busy.process_request(send, (), {}, "sendMessage", {"chat_id": -chat}, None)
    await busy.process_request(send, (), {}, "sendMessage", {"chat_id": -5_000}, None)
    assert len(busy._groups) == 1_001  # none was full again: none forgotten

    for chat in range(1, 1_001):
        await to(-chat)
    await asyncio.sleep(0.05)  # every bucket is full again
    await to(-5_000)
    assert len(limiter._groups) == 1
    await limiter.shutdown()
    await busy.shutdown()
