"""The real process killed with SIGKILL in the middle of a fan-out, then started again: no
prompt is lost, and at most the few in flight at the moment of the kill are sent twice."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from storage import Database, Repositories
from storage.access import ADMIN as ADMIN_ROLE
from storage.access import Need
from tests.conftest import ADMIN, process_env
from tests.fakebot import FakeBotAPI

SECRETARIES = 300
FIRST = 20_000
MOST_DUPLICATES = 5  # the target at 1,000 messages/s (docs/reliability.md)


async def seed(path: Path, count: int = SECRETARIES) -> None:
    """A project with ``count`` secretaries, written before the bot starts."""
    await seed_into(await Database.open(path), count, FIRST)


async def seed_into(db: Database, count: int, first: int) -> None:
    """Project 1 “Plant” with ``count`` secretaries from user id ``first``; closes ``db``."""
    try:
        repos = Repositories(db, [ADMIN.id])
        now = datetime.now(UTC)
        project = await repos.projects.create(
            Need(ADMIN.id, ADMIN_ROLE), "Plant", "Asia/Shanghai", now
        )
        people = [(first + n, f"Secretary {n}", None, "en") for n in range(count)]
        await repos.members.import_members(project.id, "secretary", people, ADMIN.id, now)
    finally:
        await db.close()


async def start_bot(
    api: FakeBotAPI, path: Path, rate: int = 1000, **settings: str
) -> asyncio.subprocess.Process:
    """``python -m bot`` on ``path`` against the fake API; returns once it has started."""
    env = process_env(api, path, RATE_LIMIT_PER_SECOND=str(rate), **settings)
    mark = len(api.calls)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=path.parent,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await api.wait_for(lambda c: c.method == "setMyCommands", after=mark, timeout=30)
    return process


def prompts(api: FakeBotAPI, count: int = SECRETARIES) -> Counter[int]:
    """How many messages each seeded secretary has received."""
    return Counter(
        c.params["chat_id"]
        for c in api.calls
        if c.method == "sendMessage" and FIRST <= c.params["chat_id"] < FIRST + count
    )


async def test_sigkill_mid_fan_out_loses_nothing_and_doubles_at_most_what_was_in_flight(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    path = tmp_path / "bangban.db"
    await seed(path)
    api.known_chats.update(range(FIRST, FIRST + SECRETARIES))
    api.known_chats.add(ADMIN.id)
    process = await start_bot(api, path)
    try:
        await api.send_text(ADMIN, "/checkinnow 1")
        await api.wait_for(lambda c: sum(prompts(api).values()) >= 100, timeout=30)
    finally:
        process.kill()
        await process.wait()
    before = sum(prompts(api).values())
    assert before < SECRETARIES, "the fan-out ended before the kill; nothing was tested"

    process = await start_bot(api, path)
    try:
        await api.wait_for(lambda c: len(prompts(api)) == SECRETARIES, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        await api.release_polls()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    received = prompts(api)
    duplicated = sum(n - 1 for n in received.values())
    assert len(received) == SECRETARIES  # none lost
    assert duplicated <= MOST_DUPLICATES, received.most_common(8)
    assert b"Traceback" not in stderr


async def test_sigterm_mid_fan_out_stops_cleanly_and_doubles_nothing(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    """SIGTERM: sends in flight finish and are marked, the rest wait in the outbox; the next
    start sends exactly those. A second signal would exit at once."""
    path = tmp_path / "bangban.db"
    await seed(path)
    api.known_chats.update(range(FIRST, FIRST + SECRETARIES))
    api.known_chats.add(ADMIN.id)
    process = await start_bot(api, path, rate=300)
    try:
        await api.send_text(ADMIN, "/checkinnow 1")
        await api.wait_for(lambda c: sum(prompts(api).values()) >= 50, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        await api.release_polls()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr
    before = prompts(api)
    assert sum(before.values()) < SECRETARIES, "the fan-out ended before the signal"

    process = await start_bot(api, path, rate=300)
    try:
        await api.wait_for(lambda c: len(prompts(api)) == SECRETARIES, timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        await api.release_polls()
        await asyncio.wait_for(process.communicate(), 30)
    received = prompts(api)
    assert len(received) == SECRETARIES  # none lost
    assert max(received.values()) == 1, received.most_common(5)  # none doubled
