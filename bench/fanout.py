"""Fan-out benchmark: N secretaries prompted at once, beside a bare PTB broadcast loop.

The real ``python -m bot`` (its own process) opens a round for N secretaries with
``/checkinnow`` and sends every prompt through its outbox. The baselines are bare PTB bots
(``bench/baseline.py broadcast``, no database, nothing durable) sending N messages with PTB's
AIORateLimiter at the same rate, and with no limiter at all (the ceiling). All talk to the fake
Bot API in this process, in the same run.

    python -m bench.fanout                        # 1,000 secretaries at 30/s
    python -m bench.fanout --count 10000 --rate 1000
    BENCH_ENGINE=postgres python -m bench.fanout --count 100000 --rate 1000 --replicas 2

With ``--replicas 2`` (PostgreSQL only) two bots share the database behind webhooks, as in
production; the command reaches the follower, which tells the leader to send (``NOTIFY``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from bench.harness import ENGINE, bangban, baseline, seed_project, started
from tests.conftest import ADMIN
from tests.fakebot import FakeBotAPI
from tests.test_replicas import _post
from tests.test_webhook import SECRET
from tests.test_webhook import _free_port as free_port
from tests.test_webhook import _update as update

FIRST = 100_000


class Deliveries:
    """Counts the messages to a range of chats as they arrive, without rescanning."""

    def __init__(self, api: FakeBotAPI, count: int) -> None:
        self._api, self._count, self._seen = api, count, 0
        self.per_chat: Counter[int] = Counter()
        self.first = self.last = 0.0

    def update(self) -> int:
        calls = self._api.calls
        for call in calls[self._seen :]:
            chat = call.params.get("chat_id")
            if (
                call.method == "sendMessage"
                and isinstance(chat, int)
                and FIRST <= chat < FIRST + self._count
            ):
                self.per_chat[chat] += 1
                self.first = self.first or call.at
                self.last = call.at
        self._seen = len(calls)
        return len(self.per_chat)

    async def all_in(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.update() < self._count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)


async def run_bangban(count: int, rate: float, replicas: int = 1) -> dict[str, Any]:
    api = FakeBotAPI()
    await api.start()
    try:
        api.known_chats.update(range(FIRST, FIRST + count))
        api.known_chats.add(ADMIN.id)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            await seed_project(path, range(FIRST, FIRST + count))
            async with AsyncExitStack() as stack:
                ports = [free_port() for _ in range(replicas)] if replicas > 1 else []
                processes = []
                targets: list[int | None] = [*ports] or [None]  # None: polling
                for port in targets:
                    mark = len(api.calls)
                    webhook = {} if port is None else _webhook(port)
                    processes.append(
                        await stack.enter_async_context(bangban(api, path, rate, **webhook))
                    )
                    await started(api, mark)
                await asyncio.sleep(3)  # start-up work done; the replicas see each other
                cpu = [process.cpu_seconds() for process in processes]
                deliveries = Deliveries(api, count)
                began = time.monotonic()
                if ports:  # to the last replica started: a follower
                    assert await _post(ports[-1], update(1, "/checkinnow 1")) == 200
                else:
                    await api.send_text(ADMIN, "/checkinnow 1")
                await deliveries.all_in(timeout=count / rate * 3 + 60)
                cpu = [p.cpu_seconds() - c for p, c in zip(processes, cpu, strict=True)]
                peak = [process.peak_rss_mb() for process in processes]
        received = deliveries.per_chat
        elapsed = deliveries.last - began
        return {
            "prompts/s": sum(received.values()) / elapsed,
            "seconds": elapsed,
            "first s": deliveries.first - began,
            "cpu s": sum(cpu),
            "peak RSS MB": max(peak),
            "lost": count - len(received),
            "duplicated": sum(n - 1 for n in received.values()),
        }
    finally:
        await api.stop()


def _webhook(port: int) -> dict[str, str]:
    return {
        "WEBHOOK_URL": "https://bot.example.org/hook",
        "WEB_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
    }


async def run_baseline(count: int, rate: float) -> dict[str, Any]:
    api = FakeBotAPI()
    await api.start()
    try:
        api.known_chats.update(range(FIRST, FIRST + count))
        deliveries = Deliveries(api, count)
        async with baseline(
            api, "broadcast", "--first", str(FIRST), "--count", str(count), "--rate", str(rate)
        ) as process:
            await deliveries.all_in(timeout=count / (rate or 1000) * 3 + 60)
            await process.handle.wait()
            cpu = await process.reported_cpu()
        elapsed = deliveries.last - deliveries.first
        return {
            "prompts/s": sum(deliveries.per_chat.values()) / elapsed,
            "seconds": elapsed,
            "cpu s": cpu,
            "lost": count - len(deliveries.per_chat),
        }
    finally:
        await api.stop()


async def main(count: int, rate: float, runs: int, replicas: int, ceiling: bool) -> None:
    if replicas > 1 and ENGINE != "postgres":
        raise SystemExit("several replicas need PostgreSQL: BENCH_ENGINE=postgres")
    for run in range(1, runs + 1):
        ours = await run_bangban(count, rate, replicas)
        limited = await run_baseline(count, rate)
        print(
            f"run {run}: {count} prompts at {rate:g}/s, {ENGINE}, {replicas} replica(s);"
            f" bangban / bare PTB at the same limit {ours['prompts/s'] / limited['prompts/s']:.2f}"
        )
        rows = [("bangban", ours), ("bare PTB, same limit", limited)]
        if ceiling:
            rows.append(("bare PTB, unthrottled", await run_baseline(count, 0)))
        for name, row in rows:
            cells = ", ".join(
                f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
                for key, value in row.items()
            )
            print(f"  {name:>20}: {cells}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument(
        "--no-ceiling", action="store_true", help="skip the unthrottled bare PTB broadcast"
    )
    args = parser.parse_args()
    asyncio.run(main(args.count, args.rate, args.runs, args.replicas, not args.no_ceiling))
