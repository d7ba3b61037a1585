"""Cold start and a big slot: 10,000 projects, 20,000 secretaries and 100,000 rows of history.

Measured with the real ``python -m bot`` against the fake Bot API, beside the same bot on an
empty database and a bare PTB echo bot, in the same run:

- seconds from starting the process to its first update handled, and peak memory;
- every project due at the same slot a little later: seconds until all 20,000 prompts are
  out (at 1,000/s), memory after the round, and CPU use in the 20 s after (should be idle).

    python -m bench.startup [--projects 10000] [--history 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Process, bangban, baseline
from bench.tick import seed
from storage import Database
from tests.conftest import ADMIN
from tests.fakebot import FakeBotAPI

FIRST_SECRETARY = 10_000


async def first_update(api: FakeBotAPI, process: Process) -> float:
    """Seconds from the process's start until it answered a /help sent right away."""
    mark = len(api.calls)
    await api.send_text(ADMIN, "/help")
    reply = await api.reply_to(ADMIN.id, after=mark, timeout=300)
    return reply.at - process.started


async def cold(api: FakeBotAPI, path: Path) -> dict[str, Any]:
    async with bangban(api, path, 1000) as process:
        seconds = await first_update(api, process)
        return {"first update s": seconds, "peak MB": process.peak_rss_mb()}


async def echo(api: FakeBotAPI) -> dict[str, Any]:
    async with baseline(api, "echo") as process:
        seconds = await first_update(api, process)
        return {"first update s": seconds, "peak MB": process.peak_rss_mb()}


async def main(projects: int, history: int) -> None:
    api = FakeBotAPI()
    await api.start()
    api.known_chats.update(range(FIRST_SECRETARY, FIRST_SECRETARY + 2 * projects))
    api.known_chats.add(ADMIN.id)
    try:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.db"
            print("bare PTB echo bot:", await echo(api))
            print("bangban, empty database:", await cold(api, empty))
            path = Path(folder) / "big.db"
            slot = (datetime.now(UTC) + timedelta(seconds=150)).replace(second=0, microsecond=0)
            db = await Database.open(path)
            began = time.monotonic()
            await seed(db, projects, history, slot)
            await db.close()
            print(
                f"seeded {projects} projects and {history} history rows in"
                f" {time.monotonic() - began:.0f} s; slot at {slot:%H:%M:%S} UTC"
            )
            async with bangban(api, path, 1000) as process:
                print(
                    f"bangban, {projects} projects:",
                    {
                        "first update s": await first_update(api, process),
                        "peak MB": process.peak_rss_mb(),
                    },
                )
                mark = len(api.calls)
                prompts = 2 * projects
                while True:
                    sent = sum(
                        1
                        for c in api.calls[mark:]
                        if c.method == "sendMessage"
                        and FIRST_SECRETARY
                        <= c.params.get("chat_id", 0)
                        < FIRST_SECRETARY + prompts
                    )
                    if sent >= prompts or time.monotonic() - began > 900:
                        break
                    await asyncio.sleep(1)
                firsts = [
                    c.at
                    for c in api.calls[mark:]
                    if c.method == "sendMessage" and c.params.get("chat_id", 0) >= FIRST_SECRETARY
                ]
                spread = max(firsts) - min(firsts) if firsts else 0.0
                rss = process.rss_mb()
                cpu = process.cpu_seconds()
                await asyncio.sleep(20)
                idle = (process.cpu_seconds() - cpu) / 20 * 100
                print(
                    f"slot of {projects} projects:",
                    {
                        "prompts": sent,
                        "out in s": round(spread, 1),
                        "rss after MB": round(rss, 1),
                        "cpu % in the 20 s after": round(idle, 1),
                        "peak MB": process.peak_rss_mb(),
                    },
                )
    finally:
        await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()
    asyncio.run(main(args.projects, args.history))
