"""The update processor: a chat's backlog waits without holding a handling slot, and a flood
from one chat is cut off instead of queueing without bound."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from handlers.updates import UpdateProcessor

FLOOD = User(9, "Eve", is_bot=False)
GROUP = Chat(-100555, Chat.SUPERGROUP)
OTHER = User(7, "Ada", is_bot=False)


def _update(update_id: int, user: User, chat: Chat) -> Update:
    message = Message(update_id, datetime(2026, 3, 2, tzinfo=UTC), chat, from_user=user, text="x")
    return Update(update_id, message=message)


async def test_a_chats_backlog_holds_no_slot_and_a_flood_is_cut_off() -> None:
    processor = UpdateProcessor(concurrency=4, backlog=50)
    await processor.initialize()
    release = asyncio.Event()
    handled: list[int] = []

    async def slow(update_id: int) -> None:
        await release.wait()  # a group's reply waiting for its 20-a-minute turn
        handled.append(update_id)

    async def quick(update_id: int) -> None:
        handled.append(update_id)

    flood = [
        asyncio.create_task(processor.process_update(_update(n, FLOOD, GROUP), slow(n)))
        for n in range(1, 301)
    ]
    await asyncio.sleep(0)
    other = Chat(OTHER.id, Chat.PRIVATE)
    await asyncio.wait_for(processor.process_update(_update(1000, OTHER, other), quick(1000)), 1)
    assert handled == [1000]  # answered while the group's 300 wait
    assert processor.dropped == 250  # the group's first 50 wait; the rest are dropped
    release.set()
    await asyncio.gather(*flood)
    assert handled[1:] == list(range(1, 51))  # in the order they came
    await processor.shutdown()
