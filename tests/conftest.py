"""Fixtures: a fake clock, real databases (an SQLite file; PostgreSQL in a throwaway cluster),
the fake Bot API and the real Application."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.app import build_application, start, stop
from bot.config import Settings
from bot.jobs import App, services_of
from bot.services import Services
from handlers.updates import UpdateProcessor
from storage import Database, Repositories
from storage.pg import PgDatabase
from tests import pgcluster
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeUser

ADMIN = FakeUser(1001, "Ada", "ada_admin", "en")
TOKEN = "123456:TEST-token"
ROOT = Path(__file__).parent.parent


def process_env(api: FakeBotAPI, database: Path, **settings: str) -> dict[str, str]:
    """The environment of a real ``python -m bot`` against the fake Bot API: none of this
    machine's settings, the test's instead."""
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in {"PATH", "HOME"}}
    env.update(
        BOT_TOKEN=TOKEN,
        ADMIN_IDS=str(ADMIN.id),
        DATABASE_PATH=str(database),
        BOT_API_BASE_URL=api.base_url,
        PYTHONPATH=str(ROOT),
    )
    env.update(settings)
    return env


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))


# The end-to-end leg's engine: BANGBAN_TEST_ENGINE=postgres runs every harness on PostgreSQL
# (one database per file path, so a restart in a test finds its data again).
ENGINE = os.environ.get("BANGBAN_TEST_ENGINE", "sqlite")
_shared_cluster: list[pgcluster.Cluster] = []
_pg_names: dict[Path, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if ENGINE != "postgres":
        return
    for item in items:
        if item.get_closest_marker("sqlite_only") is not None:
            item.add_marker(pytest.mark.skip(reason="about SQLite itself: the SQLite leg runs it"))


def _cluster() -> pgcluster.Cluster:
    if not _shared_cluster:
        _shared_cluster.append(pgcluster.start())
    return _shared_cluster[0]


def pytest_sessionfinish() -> None:
    while _shared_cluster:
        _shared_cluster.pop().stop()


async def _pg_database_for(path: Path) -> PgDatabase:
    cluster = _cluster()
    name = _pg_names.get(path)
    if name is None:
        name = _pg_names[path] = f"h{len(_pg_names) + 1}"
        admin = await asyncpg.connect(cluster.url)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
    return await PgDatabase.connect(cluster.url_of(name))


@pytest.fixture(scope="session")
def pg_cluster() -> pgcluster.Cluster:
    """One throwaway PostgreSQL cluster for the run; a test that needs it is skipped, with the
    reason, only when no server can be started here."""
    try:
        cluster = _cluster()
    except pgcluster.NoServer as exc:
        pytest.skip(f"PostgreSQL: {exc}")
    return cluster


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same repository tests on both engines: an SQLite file, and a fresh database in the
    run's PostgreSQL cluster."""
    if request.param == "sqlite":
        database = await Database.open(tmp_path / "bangban.db")
        yield database
        await database.close()
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"t{next(_databases)}"
    admin = await asyncpg.connect(cluster.url)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        pg = await PgDatabase.connect(cluster.url_of(name))
        yield pg
        await pg.close()
    finally:
        await admin.execute(f"DROP DATABASE {name}")
        await admin.close()


@pytest.fixture
def repos(db: Database) -> Repositories:
    return Repositories(db, [ADMIN.id])


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI()
    await server.start()
    yield server
    await server.stop()


def make_settings(api: FakeBotAPI, path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "admin_ids": [ADMIN.id],
        "database_path": path,
        "bot_api_base_url": api.base_url,
        "default_language": "zh-CN",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# What a reply to a command may be: a message, or a file (an export).
REPLY_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


@dataclass
class Harness:
    """A running bot against the fake API, with helpers that act as users."""

    app: App
    api: FakeBotAPI
    clock: FakeClock
    db: Database

    @property
    def services(self) -> Services:
        return services_of(self.app)

    async def send(
        self, user: FakeUser, text: str, *, drain: bool = True, **kwargs: Any
    ) -> ApiCall:
        """Send text as ``user`` and return the bot's first message back to that chat.

        First delivers what earlier updates queued, so that the next message there is the
        reply; ``drain=False`` leaves the outbox as it is (to act before it is delivered).
        """
        if drain:
            await self.services.outbox.drain()
        mark = len(self.api.calls)
        update = await self.api.send_text(user, text, **kwargs)
        group = kwargs.get("group")
        chat_id = group.id if group is not None else user.id
        reply = await self.api.wait_for(
            lambda c: c.method in REPLY_METHODS and c.params.get("chat_id") == chat_id, after=mark
        )
        await self.settled(update["update_id"])  # and whatever else the update does
        return reply

    async def press(
        self, user: FakeUser, call: ApiCall, data: str, *, drain: bool = True
    ) -> ApiCall:
        """Press a button under the message ``call`` sent; returns the bot's answer to it.
        ``drain=False``: leave the outbox as it is, as in :meth:`send`."""
        if drain:
            await self.services.outbox.drain()
        mark = len(self.api.calls)
        query_id = await self.api.press(user, self.api.message_of(call), data)
        answer = await self.api.wait_for(
            lambda c: (
                c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
            ),
            after=mark,
        )
        # The answer comes first; wait for the edit and follow-ups the press also caused.
        await self.settled(self.api.last_update_id)
        return answer

    async def settled(self, update_id: int) -> None:
        """Wait (at most 5 s) until the bot has finished handling the update with this id."""
        processor = self.app.update_processor
        assert isinstance(processor, UpdateProcessor)
        await asyncio.wait_for(processor.wait_for(update_id), 5)


# Harnesses still running when a test ends (it failed half-way) are stopped by the autouse
# fixture below, so a failing test never leaves a polling bot behind to hang the run.
_running: list[Harness] = []


async def start_harness(
    api: FakeBotAPI,
    clock: FakeClock,
    path: Path,
    *,
    database: dict[str, Any] | None = None,
    **overrides: Any,
) -> Harness:
    """Start the real bot on a database file; ``database`` goes to ``Database.open`` (busy
    timeout, patience), everything else into the settings."""
    settings = make_settings(api, path, **overrides)
    if ENGINE == "postgres":
        try:
            database_: Database = await _pg_database_for(settings.database_path)
        except pgcluster.NoServer as exc:
            pytest.skip(f"PostgreSQL: {exc}")
    else:
        database_ = await Database.open(settings.database_path, **(database or {}))
    application = build_application(settings, database_, clock)
    api._released.clear()
    harness = Harness(application, api, clock, database_)
    _running.append(harness)
    try:
        await start(application, poll_timeout=timedelta(seconds=1))
    except BaseException:
        await stop_harness(harness)
        raise
    return harness


async def stop_harness(harness: Harness) -> None:
    if harness not in _running:
        return
    _running.remove(harness)
    try:
        await harness.api.release_polls()
        await stop(harness.app)
    finally:
        await harness.db.close()


@pytest.fixture(autouse=True)
async def _stop_leftover_harnesses() -> AsyncIterator[None]:
    yield
    while _running:
        await stop_harness(_running[-1])


@pytest.fixture
async def bot(api: FakeBotAPI, clock: FakeClock, tmp_path: Path) -> AsyncIterator[Harness]:
    harness = await start_harness(api, clock, tmp_path / "bangban.db")
    yield harness
    await stop_harness(harness)
