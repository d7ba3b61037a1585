"""Updates of different people are handled at once; one person's stay in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import project_with, run_jobs
from tests.fakebot import FakeUser
from tests.test_e2e_checkins import SLOT

S1 = FakeUser(2001, "Li Wei", "liwei", "en")


async def test_a_slow_update_holds_up_only_its_own_chat(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    answers = bot.services.answers
    text = answers.text
    release = asyncio.Event()

    async def slow_first(user_id: int, body: str, *args: Any, **kwargs: Any) -> Any:
        if body == "first":
            await release.wait()  # the first answer takes its time
        return await text(user_id, body, *args, **kwargs)

    monkeypatch.setattr(answers, "text", slow_first)
    first = await bot.api.send_text(S1, "first")
    second = await bot.api.send_text(S1, "second")
    try:
        # Meanwhile someone else is answered at once.
        assert "Plant" in (await bot.send(ADMIN, "/projects")).params["text"]
    finally:
        release.set()
    await bot.settled(first["update_id"])
    await bot.settled(second["update_id"])
    rows = await bot.db.fetchall("SELECT text FROM answers ORDER BY id")
    assert [row["text"] for row in rows] == ["first", "second"]  # in the order sent
