"""Escalation latency: from a problem's deadline to its card in the leader's chat.

The real ``python -m bot`` runs against the fake Bot API with problems whose deadlines fall a
few seconds after start; the time each card arrives is compared with its deadline.

    python -m bench.escalation [--problems 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import bangban, quantiles, started
from storage import Database, Repositories
from storage.access import ADMIN as ADMIN_ROLE
from storage.access import MEMBER, Need
from tests.conftest import ADMIN
from tests.fakebot import ApiCall, FakeBotAPI

LEADER, SECRETARY = 3001, 2001


async def _seed(path: Path, deadlines: list[datetime]) -> None:
    db = await Database.open(path)
    try:
        repos = Repositories(db, [ADMIN.id])
        now = datetime.now(UTC)
        project = await repos.projects.create(
            Need(ADMIN.id, ADMIN_ROLE), "Plant", "Asia/Shanghai", now
        )
        await repos.members.import_members(
            project.id, "leader", [(LEADER, "Leader", None, "en")], ADMIN.id, now
        )
        await repos.members.import_members(
            project.id, "secretary", [(SECRETARY, "Secretary", None, "en")], ADMIN.id, now
        )
        for n, deadline in enumerate(deadlines):
            await repos.problems.create(
                Need(SECRETARY, MEMBER, project.id), f"Problem {n}", deadline, now, timedelta(0)
            )
    finally:
        await db.close()


async def main(problems: int) -> None:
    api = FakeBotAPI()
    await api.start()
    cards: list[ApiCall] = []
    api.listeners.append(
        lambda c: (
            cards.append(c)
            if c.method == "sendMessage" and c.params.get("chat_id") == LEADER
            else None
        )
    )
    api.known_chats.update({LEADER, SECRETARY, ADMIN.id})
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            first = datetime.now(UTC) + timedelta(seconds=15)
            deadlines = [first + timedelta(seconds=3 * n) for n in range(problems)]
            await _seed(path, deadlines)
            async with bangban(api, path, 30):
                await started(api)
                waited = time.monotonic()
                while len(cards) < problems and time.monotonic() - waited < 120:
                    await asyncio.sleep(0.1)
        # The fake records monotonic times; convert each deadline to the same clock.
        offset = time.monotonic() - datetime.now(UTC).timestamp()
        delays = []
        for card in cards:
            number = int(card.params["text"].split("Problem #")[1].split(":")[0]) - 1
            delays.append(card.at - (deadlines[number].timestamp() + offset))
        median, _ = quantiles(delays)
        print(
            f"{len(cards)} of {problems} cards; deadline to card: median {median:.0f} ms,"
            f" worst {max(delays) * 1000:.0f} ms (the 60 s sweep alone: up to 60,000 ms)"
        )
    finally:
        await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=5)
    asyncio.run(main(parser.parse_args().problems))
