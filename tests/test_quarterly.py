"""一季度一公开: the quarter's board goes out by itself on the first workday after the quarter,
from 09:00, once, to every leadership group and every admin, as a chart and a workbook
(county-wide and per work line)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from tests.conftest import ADMIN, Harness
from tests.test_e2e_ledger import GROUP, SECRETARY, setup

# 2026-04-01 is a Wednesday; 09:00 in Shanghai is 01:00 UTC.
APRIL_FIRST_0900 = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


async def _sweep(bot: Harness) -> bool:
    published = await bot.services.quarterly.tick()
    await bot.services.outbox.drain()
    return published


async def test_the_quarters_board_goes_out_once_on_the_first_workday(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/plan 1 line 工业线")
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/cancel")
    await bot.send(ADMIN, "/holiday 2026-04-01")  # the office's own calendar: a day off
    bot.clock.set(datetime(2026, 3, 31, 10, 0, tzinfo=UTC))  # the quarter is not over
    assert not await _sweep(bot)
    bot.clock.set(APRIL_FIRST_0900 + timedelta(hours=2))  # a holiday: not yet
    assert not await _sweep(bot)
    bot.clock.set(APRIL_FIRST_0900 + timedelta(days=1, minutes=-1))  # 08:59 on the 2nd
    assert not await _sweep(bot)
    mark = len(bot.api.uploads)
    bot.clock.advance(timedelta(minutes=1))
    assert await _sweep(bot)
    sent = [c for c in bot.api.calls if c.method == "sendDocument"]
    to = {(c.params["chat_id"], c.params.get("message_thread_id")) for c in sent[-4:]}
    assert {chat for chat, _ in to} == {GROUP.id, ADMIN.id}
    files = {u.filename for u in bot.api.uploads[mark:]}
    assert files == {"bangban-board-2026-Q1.png", "bangban-board-2026-Q1.xlsx"}
    workbook = next(u for u in bot.api.uploads[mark:] if u.filename.endswith(".xlsx"))
    book = load_workbook(io.BytesIO(workbook.data))
    assert book.sheetnames == ["County", "工业线"]
    header, first = list(book["County"].iter_rows(values_only=True))[:2]
    assert header[:2] == ("Rank", "Project") and first[:2] == (1, "South Road")
    # Once: later sweeps, and a restart's, send nothing more.
    uploads = len(bot.api.uploads)
    bot.clock.advance(timedelta(hours=3))
    assert not await _sweep(bot)
    assert len(bot.api.uploads) == uploads
