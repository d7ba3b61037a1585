"""One busy chat must not slow everyone else: an unrelated person's reply latency while one chat
floods the bot, beside the same person's latency with the bot idle, in the same run.

Three phases, each with the same person sending /help and waiting for each answer:
idle; while a stranger's private chat sends 300 updates at once; while an unbound group (a
stranger can add the bot to any group) sends 300 ``/help@bot`` (the bot may answer a group 20
times a minute). Reported: median and 99th-percentile latency per phase and their ratio to idle.

    python -m bench.busy_chat [--flood 300] [--samples 30] [--rate 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.harness import bangban, quantiles, seed_project, started
from bench.updates import Answers
from tests.conftest import ADMIN
from tests.fakebot import BOT_USERNAME, FakeBotAPI, FakeGroup, FakeUser

FLOODER = FakeUser(66_000, "Flood", "flood", "en")
GROUP = FakeGroup(-100_660_000, "Somebody's group")


async def _latencies(api: FakeBotAPI, answers: Answers, samples: int) -> list[float]:
    """The admin's /help, one after the other: from sending to the answer leaving the bot."""
    found = []
    for _ in range(samples):
        waiting = answers.expect(ADMIN.id)
        began = time.monotonic()
        await api.send_text(ADMIN, "/help")
        call = await asyncio.wait_for(waiting, 120)
        found.append(call.at - began)
        await asyncio.sleep(0.05)
    return found


async def _flood(api: FakeBotAPI, count: int, group: FakeGroup | None) -> None:
    text = f"/help@{BOT_USERNAME}" if group else "/help"
    for _ in range(count):
        await api.send_text(FLOODER, text, group=group)


async def run(flood: int, samples: int, rate: float) -> dict[str, tuple[float, float]]:
    api = FakeBotAPI()
    await api.start()
    try:
        api.known_chats.update({ADMIN.id, FLOODER.id, GROUP.id})
        answers = Answers(api)
        figures: dict[str, tuple[float, float]] = {}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            await seed_project(path, [], "Bench")
            async with bangban(api, path, rate):
                await started(api)
                await _latencies(api, answers, 3)  # warm up
                figures["idle"] = quantiles(await _latencies(api, answers, samples))
                for name, group in (("private flood", None), ("group flood", GROUP)):
                    await _flood(api, flood, group)
                    await asyncio.sleep(0.2)  # the flood is queued in the bot
                    figures[name] = quantiles(await _latencies(api, answers, samples))
        return figures
    finally:
        await api.stop()


async def main(flood: int, samples: int, rate: float) -> None:
    figures = await run(flood, samples, rate)
    idle = figures["idle"][0]
    print(f"an unrelated person's /help while one chat sends {flood} updates (limit {rate:g}/s)")
    for name, (median, p99) in figures.items():
        ratio = median / idle
        print(f"  {name:>13}: p50 {median:.1f} ms, p99 {p99:.1f} ms, p50 / idle {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=300)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rate", type=float, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.flood, args.samples, args.rate))
