"""Fan-out benchmark: N secretaries due in the same minute, against the fake Bot API.

Runs the real Application (AIORateLimiter on) against tests/fakebot.py on 127.0.0.1 and
prints prompts per second, the ratio to RATE_LIMIT_PER_SECOND, and lost/duplicated counts.

    python -m bench.fanout            # 1,000 secretaries
    python -m bench.fanout --large    # 10,000 secretaries
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_application, services_of, start, stop
from bot.config import Settings
from storage import Database
from tests.fakebot import FakeBotAPI, FakeClock

SLOT = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Asia/Shanghai
ADMIN_ID = 1


async def run(count: int, rate: float) -> dict[str, float | int]:
    api = FakeBotAPI()
    await api.start()
    clock = FakeClock(SLOT - timedelta(minutes=5))
    with tempfile.TemporaryDirectory() as tmp:
        values: dict[str, Any] = {
            "bot_token": "1:bench",
            "admin_ids": [ADMIN_ID],
            "database_path": Path(tmp) / "bench.db",
            "bot_api_base_url": api.base_url,
            "rate_limit_per_second": rate,
        }
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        db = await Database.open(settings.database_path)
        app = build_application(settings, db, clock)
        services = services_of(app)
        project = await services.projects.create_project(ADMIN_ID, "Bench")
        people = [(10_000 + n, f"Secretary {n}", None, "zh-CN") for n in range(count)]
        api.known_chats.update(p[0] for p in people)  # they have all opened the bot
        await services.repos.members.import_members(
            project.id, "secretary", people, ADMIN_ID, clock.now()
        )
        await services.schedules.set_schedule(ADMIN_ID, [str(project.id), "daily", "09:00"])
        await start(app, poll_timeout=timedelta(seconds=1))
        clock.set(SLOT)
        began = time.perf_counter()
        report = await services.rounds.tick()
        queued = time.perf_counter() - began
        await services.outbox.drain()
        elapsed = time.perf_counter() - began
        await api.release_polls()
        await stop(app)
        await db.close()
    await api.stop()
    prompts = Counter(c.params["chat_id"] for c in api.calls if c.method == "sendMessage")
    expected = {p[0] for p in people}
    return {
        "secretaries": count,
        "queued_in_s": queued,
        "opened_rounds": report.opened,
        "seconds": elapsed,
        "prompts_per_second": sum(prompts.values()) / elapsed,
        "ratio_to_limit": sum(prompts.values()) / elapsed / rate,
        "lost": len(expected - set(prompts)),
        "duplicated": sum(n - 1 for n in prompts.values() if n > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="10,000 secretaries")
    parser.add_argument("--count", type=int, help="any number of secretaries")
    parser.add_argument("--rate", type=float, default=30.0, help="RATE_LIMIT_PER_SECOND")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    count = args.count or (10_000 if args.large else 1_000)
    result = asyncio.run(run(count, args.rate))
    for key, value in result.items():
        print(f"{key:>20}: {value:.3f}" if isinstance(value, float) else f"{key:>20}: {value}")


if __name__ == "__main__":
    main()
