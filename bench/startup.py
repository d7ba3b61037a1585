"""Cold start and a big slot: 10,000 projects, 20,000 secretaries and 100,000 rows of history.

Measured with the real ``python -m bot`` against the fake Bot API, beside the same bot on an
empty database and a bare PTB echo bot, in the same run:

- seconds from starting the process to its first update handled, and peak memory;
- every project due at the same slot a little later: seconds until all its prompts are out
  (at 1,000/s), prompts/s and CPU per prompt beside a bare PTB broadcast of as many messages
  in the same run, peak memory, and CPU use in the 20 s after (should be idle).

    python -m bench.startup [--projects 10000] [--history 100000] [--secretaries 2]
    python -m bench.startup --secretaries 10        # 100,000 prompts at one slot
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.fanout import run_baseline
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


async def main(projects: int, history: int, secretaries: int) -> None:
    prompts = secretaries * projects
    print(f"bare PTB broadcast of {prompts} at 1000/s:", await run_baseline(prompts, 1000))
    api = FakeBotAPI()
    await api.start()
    api.known_chats.update(range(FIRST_SECRETARY, FIRST_SECRETARY + prompts))
    api.known_chats.add(ADMIN.id)
    try:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.db"
            print("bare PTB echo bot:", await echo(api))
            print("bangban, empty database:", await cold(api, empty))
            path = Path(folder) / "big.db"
            slot = (datetime.now(UTC) + timedelta(seconds=150)).replace(second=0, microsecond=0)
            slot_at = time.monotonic() + (slot - datetime.now(UTC)).total_seconds()
            db = await Database.open(path)
            began = time.monotonic()
            await seed(db, projects, history, slot, secretaries)
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
                cpu_before = process.cpu_seconds()
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
                busy = cpu - cpu_before  # from the first update's answer: the slot's work
                await asyncio.sleep(20)
                idle = (process.cpu_seconds() - cpu) / 20 * 100
                print(
                    f"slot of {projects} projects:",
                    {
                        "prompts": sent,
                        "out in s": round(spread, 1),
                        "prompts/s": round(sent / spread, 1) if spread else 0.0,
                        "first after slot s": round(min(firsts) - slot_at, 2) if firsts else None,
                        "cpu ms per prompt": round(busy / max(sent, 1) * 1000, 2),
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
    parser.add_argument("--secretaries", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.projects, args.history, args.secretaries))
