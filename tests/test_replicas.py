"""Two replicas on one PostgreSQL behind webhooks: either takes any update, one leads (runs the
scheduler, sends the outbox); killed with SIGKILL in the middle of a fan-out, the leader is
replaced within 10 s, no prompt is lost and at most the few in flight are sent twice."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from bot.outbox import IN_FLIGHT
from storage.pg import PgDatabase
from tests import pgcluster
from tests.conftest import ADMIN, process_env
from tests.fakebot import FakeBotAPI
from tests.test_crash import seed_into
from tests.test_webhook import SECRET, _free_port, _update

PROMPTS = 1000
FIRST = 40_000
MOST_DUPLICATES = 5  # in flight at the kill (docs/reliability.md)
TAKEOVER = 10.0  # seconds


async def _replica(
    api: FakeBotAPI, folder: Path, url: str, port: int, **settings: str
) -> asyncio.subprocess.Process:
    env = process_env(
        api,
        folder / "unused.db",
        **{
            "DATABASE_URL": url,
            "RATE_LIMIT_PER_SECOND": "300",
            "WEBHOOK_URL": "https://bot.example.org/hook",
            "WEB_PORT": str(port),
            "WEBHOOK_SECRET": SECRET,
            **settings,
        },
    )
    mark = len(api.calls)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await api.wait_for(lambda c: c.method == "setWebhook", after=mark, timeout=30)
    return process


def _prompts(api: FakeBotAPI, count: int = PROMPTS) -> Counter[int]:
    return Counter(
        c.params["chat_id"]
        for c in api.calls
        if c.method == "sendMessage" and FIRST <= c.params["chat_id"] < FIRST + count
    )


async def _post(port: int, update: dict[str, object]) -> int:
    async with httpx.AsyncClient() as client:
        sent = await client.post(
            f"http://127.0.0.1:{port}/hook",
            content=json.dumps(update),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        )
    return sent.status_code


async def _seeded(api: FakeBotAPI, cluster: pgcluster.Cluster, name: str, secretaries: int) -> str:
    """A new database ``name`` with project 1 and its secretaries, who (and the admin) can be
    written to; its URL."""
    admin = await asyncpg.connect(cluster.url)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    url = cluster.url_of(name)
    await seed_into(await PgDatabase.connect(url), secretaries, FIRST)
    api.known_chats.update(range(FIRST, FIRST + secretaries))
    api.known_chats.add(ADMIN.id)
    return url


@pytest.mark.timeout(180)  # two processes, a fan-out and a takeover: longer than most
async def test_the_leader_killed_mid_fan_out_is_replaced_and_nothing_is_lost(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    url = await _seeded(api, pg_cluster, "replicas", PROMPTS)
    first_port, second_port = _free_port(), _free_port()
    leader = await _replica(api, tmp_path, url, first_port)
    follower = await _replica(api, tmp_path, url, second_port)
    try:
        # The follower takes the command and sends nothing itself: while the leader is paused,
        # no prompt goes out; resumed, the leader (told through the database) sends them.
        leader.send_signal(signal.SIGSTOP)
        try:
            assert await _post(second_port, _update(1, "/checkinnow 1")) == 200
            await asyncio.sleep(1.5)
            assert sum(_prompts(api).values()) == 0
        finally:
            leader.send_signal(signal.SIGCONT)
        await api.wait_for(lambda c: sum(_prompts(api).values()) >= 200, timeout=30)
        leader.kill()
        killed = time.monotonic()
        await leader.wait()
        before = sum(_prompts(api).values())
        assert before < PROMPTS, "the fan-out ended before the kill; nothing was tested"
        mark = len(api.calls)
        resumed = await api.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id", 0) >= FIRST,
            after=mark,
            timeout=30,
        )
        assert resumed.at - killed < TAKEOVER, resumed.at - killed
        await api.wait_for(lambda c: len(_prompts(api)) == PROMPTS, timeout=120)
        # Either replica still takes any update.
        mark = len(api.calls)
        assert await _post(second_port, _update(2, "/projects")) == 200
        assert "Plant" in (await api.reply_to(ADMIN.id, after=mark, timeout=30)).params["text"]
    finally:
        for process in (leader, follower):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(follower.communicate(), 30)
        await leader.wait()
    received = _prompts(api)
    assert len(received) == PROMPTS  # none lost
    assert sum(n - 1 for n in received.values()) <= MOST_DUPLICATES, received.most_common(8)
    assert b"Traceback" not in stderr, stderr.decode()[-3000:]


@pytest.mark.timeout(120)
async def test_one_chats_updates_are_answered_in_order_whichever_replica_each_reaches(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    url = await _seeded(api, pg_cluster, "ordered", 1)
    ports = [_free_port(), _free_port()]
    replicas = [await _replica(api, tmp_path, url, port) for port in ports]
    try:
        mark = len(api.calls)
        asked = list(range(9001, 9021))
        for n, problem in enumerate(asked):  # in order, each to the other replica
            assert await _post(ports[n % 2], _update(100 + n, f"/problem {problem}")) == 200
        # The same update posted to both (a retried webhook): answered once.
        for port in ports:
            assert await _post(port, _update(200, "/problem 9999")) == 200
        await api.wait_for(
            lambda c: "9999" in str(c.params.get("text", "")), after=mark, timeout=30
        )
        await asyncio.sleep(1)  # a second answer to the update posted twice would come now
    finally:
        for process in replicas:
            process.send_signal(signal.SIGTERM)
        stderrs = [(await asyncio.wait_for(p.communicate(), 30))[1] for p in replicas]
    answers = [
        int(word.strip("#.。"))
        for c in api.calls[mark:]
        if c.method == "sendMessage" and c.params.get("chat_id") == ADMIN.id
        for word in str(c.params["text"]).split()
        if word.strip("#.。").isdigit() and int(word.strip("#.。")) >= 9001
    ]
    assert answers == [*asked, 9999]
    for stderr in stderrs:
        assert b"Traceback" not in stderr, stderr.decode()[-3000:]


async def _health(port: int) -> int:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}/healthz", timeout=15)).status_code
        except httpx.HTTPError:
            return 0


async def _until(predicate: Callable[[], Awaitable[bool]]) -> None:
    """Ask until ``predicate`` holds (the caller bounds the wait)."""
    for _ in itertools.count():
        if await predicate():
            return
        await asyncio.sleep(0.2)


@pytest.mark.timeout(150)
async def test_a_replica_that_loses_its_database_says_so_and_sends_the_rest_once_it_is_back(
    api: FakeBotAPI, pg_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    count = 400
    url = await _seeded(api, pg_cluster, "cut", count)
    admin = await asyncpg.connect(pg_cluster.url)
    port = health = _free_port()  # one server: the webhook and /healthz
    replica = await _replica(api, tmp_path, url, port, RATE_LIMIT_PER_SECOND="50")
    try:
        assert await _health(health) == 200
        assert await _post(port, _update(1, "/checkinnow 1")) == 200
        await api.wait_for(lambda c: sum(_prompts(api, count).values()) >= 40, timeout=30)
        await admin.execute("ALTER DATABASE cut ALLOW_CONNECTIONS false")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'cut'"
        )
        await asyncio.wait_for(_until(lambda: _healthy(health, 503)), 20)
        during = sum(_prompts(api, count).values())
        await asyncio.sleep(2)
        assert sum(_prompts(api, count).values()) - during <= IN_FLIGHT  # it stopped sending
        await admin.execute("ALTER DATABASE cut ALLOW_CONNECTIONS true")
        await asyncio.wait_for(_until(lambda: _healthy(health, 200)), 20)
        await api.wait_for(lambda c: len(_prompts(api, count)) == count, timeout=60)
        await asyncio.sleep(1)  # a second copy of any would come now
    finally:
        await admin.close()
        replica.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(replica.communicate(), 30)
    received = _prompts(api, count)
    assert len(received) == count  # none lost
    assert received.most_common(1)[0][1] == 1, received.most_common(4)  # none twice
    assert b"Traceback" not in stderr, stderr.decode()[-3000:]


async def _healthy(port: int, status: int) -> bool:
    return await _health(port) == status
