"""Fault benchmark: what users lose, get twice, or see as an apology when things go wrong.

Each fault is tried against the real bot and the fake Bot API on 127.0.0.1:

- ``kill -9`` of the real process in the middle of a 300-prompt fan-out, at 1,000/s and 30/s;
- the database locked by another process for 30 s while an admin and a secretary act;
- a Bot API answering 429, 5xx and hanging during a 300-prompt round;
- a few thousand random updates (the suite's conversation fuzz, other seeds).

    python -m bench.faults [--runs 5] [--fuzz 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import signal
import sqlite3
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from storage.outbox import OutgoingMessage
from tests.conftest import ADMIN, start_harness, stop_harness
from tests.e2e_helpers import project_with
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser
from tests.fuzzing import database_problems, fuzz, setup_world
from tests.test_crash import FIRST, prompts, seed, start_bot
from tests.test_e2e_checkins import SLOT

Row = dict[str, Any]


async def _with_api(run: Callable[[FakeBotAPI, Path], Awaitable[Row]]) -> Row:
    api = FakeBotAPI()
    await api.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            return await run(api, Path(folder))
    finally:
        await api.stop()


async def crash(rate: int, count: int = 300) -> Row:
    """Kill -9 a third of the way through a fan-out, start again, count the prompts."""

    async def run(api: FakeBotAPI, folder: Path) -> Row:
        path = folder / "bangban.db"
        await seed(path, count)
        api.known_chats.update(range(FIRST, FIRST + count))
        api.known_chats.add(ADMIN.id)
        process = await start_bot(api, path, rate)
        try:
            await api.send_text(ADMIN, "/checkinnow 1")
            third = count // 3
            await api.wait_for(lambda c: sum(prompts(api, count).values()) >= third, timeout=60)
            # At a random moment, not right as a send completes (that would always catch one
            # message between Telegram's answer and our commit).
            await asyncio.sleep(random.uniform(0, 3 / rate))
        finally:
            process.kill()
            await process.wait()
        process = await start_bot(api, path, rate)
        try:
            await api.wait_for(lambda c: len(prompts(api, count)) == count, timeout=120)
        finally:
            process.send_signal(signal.SIGTERM)
            await api.release_polls()
            await process.communicate()
        received = prompts(api, count)
        return {
            "fault": f"kill -9 mid fan-out at {rate}/s ({count} prompts)",
            "lost": count - len(received),
            "duplicated": sum(n - 1 for n in received.values()),
            "apologies": 0,
        }

    return await _with_api(run)


async def locked_database(seconds: float = 30) -> Row:
    """Another process holds the write lock; an admin and a secretary act meanwhile."""

    async def run(api: FakeBotAPI, folder: Path) -> Row:
        secretary = FakeUser(2001, "Li Wei", "liwei", "en")
        clock = FakeClock(SLOT - timedelta(minutes=30))
        bot = await start_harness(api, clock, folder / "b.db")
        try:
            await project_with(bot, "Plant", [secretary], "daily 09:00")
            clock.set(SLOT)
            await bot.services.rounds.tick()
            await bot.services.outbox.drain()
            release = threading.Event()
            locked = threading.Event()

            def hold() -> None:
                conn = sqlite3.connect(folder / "b.db", timeout=0)
                conn.execute("BEGIN IMMEDIATE")
                locked.set()
                release.wait(seconds + 30)
                conn.rollback()
                conn.close()

            holder = threading.Thread(target=hold)
            holder.start()
            locked.wait(5)
            mark = len(api.calls)
            await api.send_text(ADMIN, "/newproject Bridge")
            await api.send_text(secretary, "Level 3 poured")
            await asyncio.sleep(seconds)
            release.set()
            await asyncio.to_thread(holder.join)
            await api.wait_for(
                lambda c: c.params.get("chat_id") == secretary.id, after=mark, timeout=30
            )
            await api.wait_for(lambda c: c.params.get("chat_id") == ADMIN.id, after=mark)
            projects = await bot.services.repos.projects.count()
            answers = await bot.db.fetchall("SELECT id FROM answers")
            texts = [str(c.params.get("text")) for c in api.calls[mark:]]
            return {
                "fault": f"database locked by another process for {seconds:.0f} s",
                "lost": (2 - projects) + (1 - len(answers)),
                "duplicated": max(projects - 2, 0) + max(len(answers) - 1, 0),
                "apologies": sum("something went wrong" in text for text in texts),
            }
        finally:
            await stop_harness(bot)

    return await _with_api(run)


async def flaky_api(count: int = 300) -> Row:
    """429 with retry_after, 5xx and hanging requests while a round's prompts go out."""

    async def run(api: FakeBotAPI, folder: Path) -> Row:
        clock = FakeClock(SLOT)
        bot = await start_harness(
            api,
            clock,
            folder / "b.db",
            rate_limit_per_second=1000,
            send_timeout=timedelta(seconds=1),
        )
        try:
            chats = list(range(FIRST, FIRST + count))
            api.known_chats.update(chats)
            api.fail("sendMessage", 429, retry_after=1, times=20)
            api.fail("sendMessage", 502, times=20)
            api.fail("sendMessage", hang=True, times=3)
            messages = [OutgoingMessage(f"p:{chat}", chat, "prompt") for chat in chats]
            await bot.services.repos.outbox.enqueue(messages, clock.now())
            for _ in range(30):
                await bot.services.outbox.drain()
                clock.advance(timedelta(minutes=1))
            received = prompts(api, count)
            return {
                "fault": f"Bot API: 20×429, 20×502, 3 hangs in a {count}-prompt round",
                "lost": count - len(received),
                "duplicated": sum(n - 1 for n in received.values()),
                "apologies": 0,
            }
        finally:
            await stop_harness(bot)

    return await _with_api(run)


async def random_updates(updates: int, seeds: int = 5) -> Row:
    """The suite's conversation fuzz with other seeds."""
    unanswered = apologies = errors = broken = 0
    for seed_value in range(seeds):

        async def run(api: FakeBotAPI, folder: Path, seed_value: int = seed_value) -> Row:
            clock = FakeClock(SLOT - timedelta(minutes=30))
            bot = await start_harness(api, clock, folder / "b.db", rate_limit_per_second=1000)
            try:
                await setup_world(bot)
                report = await fuzz(bot, random.Random(seed_value), updates // seeds)
                return {
                    "unanswered": len(report.unanswered),
                    "apologies": report.apologies,
                    "broken": len(await database_problems(bot)),
                }
            finally:
                await stop_harness(bot)

        counter = _ErrorCounter()
        logging.getLogger().addHandler(counter)
        try:
            row = await _with_api(run)
        finally:
            logging.getLogger().removeHandler(counter)
        unanswered += row["unanswered"]
        apologies += row["apologies"]
        broken += row["broken"]
        errors += counter.count
    return {
        "fault": f"{updates} random updates ({seeds} seeds)",
        "lost": unanswered,
        "duplicated": 0,
        "apologies": apologies,
        "errors logged": errors,
        "database problems": broken,
    }


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def main(runs: int, updates: int) -> None:
    rows: list[Row] = []
    for rate in (1000, 30):
        results = [await crash(rate) for _ in range(runs)]
        duplicated = [r["duplicated"] for r in results]
        rows.append(
            {
                "fault": results[0]["fault"] + f", {runs} runs",
                "lost": sum(r["lost"] for r in results),
                "duplicated": f"{min(duplicated)}–{max(duplicated)} per crash",
                "apologies": 0,
            }
        )
    rows.append(await locked_database())
    rows.append(await flaky_api())
    rows.append(await random_updates(updates))
    for row in rows:
        print(" | ".join(f"{key}: {value}" for key, value in row.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="kill -9 runs per rate")
    parser.add_argument("--fuzz", type=int, default=5000, help="random updates in all")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    began = time.perf_counter()
    asyncio.run(main(args.runs, args.fuzz))
    print(f"took {time.perf_counter() - began:.0f} s")
