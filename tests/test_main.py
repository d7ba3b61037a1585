"""The real process: ``python -m bot`` serves updates, stops on SIGTERM, never logs the token."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ADMIN, TOKEN, process_env
from tests.fakebot import FakeBotAPI
from tests.test_crash import FIRST, seed, start_bot


async def test_python_m_bot_serves_and_stops_cleanly(api: FakeBotAPI, tmp_path: Path) -> None:
    env = process_env(api, tmp_path / "bangban.db", LOG_LEVEL="DEBUG")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # Read the DEBUG log as it comes: a full pipe (64 KB; the migrations' scripts alone come
    # near it) would stop the bot at its next log line.
    talk = asyncio.create_task(process.communicate())
    try:
        await api.wait_for(lambda c: c.method == "setMyCommands", timeout=30)
        mark = len(api.calls)
        await api.send_text(ADMIN, "/newproject 东区道路")
        reply = await api.reply_to(ADMIN.id, after=mark, timeout=30)
        assert "东区道路" in reply.params["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        await api.release_polls()
        _, stderr = await asyncio.wait_for(talk, 30)
    assert process.returncode == 0, stderr.decode()
    assert TOKEN not in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_a_second_signal_exits_at_once(api: FakeBotAPI, tmp_path: Path) -> None:
    """The first SIGTERM waits for the send in flight (here one Telegram never answers); an
    operator who signals again does not wait."""
    path = tmp_path / "bangban.db"
    await seed(path, count=1)
    api.known_chats.update({FIRST, ADMIN.id})
    api.fail("sendMessage", hang=True, chat_id=FIRST)  # the prompt's send hangs
    process = await start_bot(api, path)
    try:
        mark = len(api.calls)
        await api.send_text(ADMIN, "/checkinnow 1")
        await api.reply_to(ADMIN.id, after=mark, timeout=30)
        await asyncio.sleep(0.5)  # the prompt is in flight, unanswered
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        assert process.returncode is None  # still waiting for the send
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        await api.release_polls()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 130, stderr.decode()[-1000:]
    assert "second signal" in stderr.decode()


async def test_a_start_that_fails_half_way_is_shut_down(api: FakeBotAPI, tmp_path: Path) -> None:
    """Telegram refuses the menus after initialize: run_until raises, and what start()
    initialised (the HTTP clients, the updater) is shut down, not left open."""
    from telegram.error import NetworkError

    from bot.app import build_application, run_until
    from storage import Database
    from tests.conftest import make_settings
    from tests.fakebot import FakeClock

    settings = make_settings(api, tmp_path / "b.db")
    db = await Database.open(settings.database_path)
    try:
        application = build_application(settings, db, FakeClock(datetime(2026, 3, 2, tzinfo=UTC)))
        api.fail("setMyCommands", 500, times=100)
        with pytest.raises(NetworkError):
            await run_until(application, asyncio.Event())
        assert not application._initialized
    finally:
        await db.close()
