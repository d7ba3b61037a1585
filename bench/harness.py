"""Shared pieces of the benchmarks: the fake Bot API in this process, the bot (or a baseline)
in another, so that each has a core of its own; seeding; CPU time and memory of a process.

Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from storage import Database, Repositories
from storage.access import ADMIN as ADMIN_ROLE
from storage.access import Need
from storage.pg import PgDatabase
from tests import pgcluster
from tests.conftest import ADMIN, TOKEN
from tests.fakebot import FakeBotAPI

ROOT = Path(__file__).parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
# BENCH_ENGINE=postgres: the bot under measurement runs on PostgreSQL, a fresh database per
# database file a benchmark names, in a throwaway cluster on 127.0.0.1 (tests/pgcluster.py).
ENGINE = os.environ.get("BENCH_ENGINE", "sqlite")
_cluster: list[pgcluster.Cluster] = []
_databases: dict[Path, str] = {}


async def database_url(path: Path) -> str | None:
    """The PostgreSQL database standing for ``path`` (made on first use); None on SQLite."""
    if ENGINE != "postgres":
        return None
    if not _cluster:
        _cluster.append(pgcluster.start())
        atexit.register(_cluster[0].stop)
    name = _databases.get(path)
    if name is None:
        name = _databases[path] = f"bench{len(_databases) + 1}"
        admin = await asyncpg.connect(_cluster[0].url)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
    return _cluster[0].url_of(name)


async def open_database(path: Path) -> Database:
    url = await database_url(path)
    return await Database.open(path) if url is None else await PgDatabase.connect(url)


@dataclass
class Process:
    """A process under measurement."""

    handle: asyncio.subprocess.Process
    started: float

    @property
    def pid(self) -> int:
        return self.handle.pid

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far (the process must still run)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    async def reported_cpu(self) -> float:
        """The CPU time a process printed as its last line (``cpu <seconds>``) as it ended."""
        assert self.handle.stdout is not None
        output = (await self.handle.stdout.read()).decode().split()
        return float(output[-1]) if output[-2:-1] == ["cpu"] else float("nan")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in {"PATH", "HOME"}}
    env.update(values, PYTHONPATH=str(ROOT))
    return env


async def spawn(args: Sequence[str], cwd: Path, **env: str) -> Process:
    handle = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return Process(handle, time.monotonic())


@asynccontextmanager
async def bangban(api: FakeBotAPI, path: Path, rate: float, **env: str) -> AsyncIterator[Process]:
    """``python -m bot`` on ``path`` against ``api``; stopped with SIGTERM afterwards."""
    profile = os.environ.get("BENCH_PROFILE")  # a file: run the bot under cProfile into it
    args = ["-m", "cProfile", "-o", profile, "-m", "bot"] if profile else ["-m", "bot"]
    url = await database_url(path)
    if url is not None:
        env = {**env, "DATABASE_URL": url}
    process = await spawn(
        args,
        path.parent,
        BOT_TOKEN=TOKEN,
        ADMIN_IDS=str(ADMIN.id),
        DATABASE_PATH=str(path),
        BOT_API_BASE_URL=api.base_url,
        RATE_LIMIT_PER_SECOND=str(rate),
        LOG_LEVEL="WARNING",
        **env,
    )
    try:
        yield process
    finally:
        await stop(api, process)


@asynccontextmanager
async def baseline(api: FakeBotAPI, mode: str, *args: str) -> AsyncIterator[Process]:
    """The bare PTB bot of ``bench/baseline.py`` in ``mode`` (``echo`` or ``broadcast``)."""
    process = await spawn(["-m", "bench.baseline", mode, "--base-url", api.base_url, *args], ROOT)
    try:
        yield process
    finally:
        await stop(api, process)


async def stop(api: FakeBotAPI, process: Process) -> None:
    if process.handle.returncode is None:
        process.handle.terminate()
        await api.release_polls()
        try:
            await asyncio.wait_for(process.handle.wait(), 30)
        except TimeoutError:
            process.handle.kill()
            await process.handle.wait()
    api._released.clear()


async def seed_project(path: Path, secretaries: Sequence[int], name: str = "Bench") -> int:
    """A project with these secretaries, written before the bot starts; returns its id."""
    db = await open_database(path)
    try:
        repos = Repositories(db, [ADMIN.id])
        now = datetime.now(UTC)
        project = await repos.projects.create(
            Need(ADMIN.id, ADMIN_ROLE), name, "Asia/Shanghai", now
        )
        people = [(user_id, f"Secretary {user_id}", None, "zh-CN") for user_id in secretaries]
        await repos.members.import_members(project.id, "secretary", people, ADMIN.id, now)
        await settle(db)
        return project.id
    finally:
        await db.close()


async def settle(db: Database) -> None:
    """Planner statistics as a database in service has them: PostgreSQL's autovacuum analyzes a
    table once it has grown, but a benchmark that loads rows and starts the bot at once would
    have its queries planned for empty tables (20,000 members of one project read whole for
    every check-in). SQLite plans by its indexes alone; nothing to do."""
    if isinstance(db, PgDatabase):
        await db.execute("ANALYZE")


def quantiles(values: Sequence[float]) -> tuple[float, float]:
    """Median and 99th percentile, in milliseconds."""
    if len(values) < 2:
        return (values[0] * 1000 if values else 0.0, values[0] * 1000 if values else 0.0)
    cuts = statistics.quantiles(values, n=100)
    return statistics.median(values) * 1000, cuts[98] * 1000


async def started(api: FakeBotAPI, mark: int = 0, timeout: float = 120) -> float:
    """Wait until a bot has announced its commands (it is ready); the time it did."""
    call = await api.wait_for(lambda c: c.method == "setMyCommands", after=mark, timeout=timeout)
    return call.at
