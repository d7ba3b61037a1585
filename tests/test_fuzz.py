"""Conversation fuzz: a few thousand random updates through the fake Bot API (tests/fuzzing.py).

Asserted: no unhandled exception and no apology, every private command answered, every press
answered exactly once, and the database sound afterwards."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from tests.conftest import start_harness
from tests.fakebot import FakeBotAPI, FakeClock
from tests.fuzzing import database_problems, fuzz, setup_world

UPDATES = 2000
SEED = 20261126


async def test_random_updates_are_all_answered_and_nothing_breaks(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", rate_limit_per_second=1000)
    await setup_world(bot)
    caplog.set_level(logging.ERROR)
    report = await fuzz(bot, random.Random(SEED), UPDATES)
    assert report.unanswered == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert report.apologies == 0
    assert await database_problems(bot) == []
    methods = report.methods
    assert methods["sendMessage"] > UPDATES / 2 and methods["answerCallbackQuery"] > UPDATES / 10
