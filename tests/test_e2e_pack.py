"""End to end: the dispatch meeting's material (调度会材料) as a Word document, read back with
python-docx: projects, labelled answers, each open problem's needs and proposal, the matters
put to the meeting."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import FakeUser
from tests.test_e2e_checkins import SLOT
from tests.test_e2e_ledger import LEADER, SECRETARY


def _read(data: bytes) -> tuple[list[str], list[list[str]]]:
    document = Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    return paragraphs, rows


async def test_the_pack_reads_as_the_meeting_works(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await project_with(bot, "North Road", [])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/questions 1 形象进度 | 下周计划")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, "Trench 60% dug")
    await bot.send(SECRETARY, "Lay pipes on the north side")
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "The power bureau must move the line")
    await bot.send(SECRETARY, "Dig the south section first")
    await bot.send(LEADER, "/extend 1 2d waiting for the bureau")
    sent = await bot.send(ADMIN, "/pack")
    assert sent.method == "sendDocument"
    assert bot.api.uploads[-1].filename == "调度会材料-2026-W10.docx"
    paragraphs, rows = _read(bot.api.uploads[-1].data)
    assert paragraphs[:2] == [
        "Material for the weekly dispatch meeting (调度会材料)",
        "week 10 (2 March – 8 March)",
    ]
    assert "1. South Road" in paragraphs and "2. North Road" in paragraphs
    assert "2 March Li Wei — 形象进度: Trench 60% dug" in paragraphs
    assert "2 March Li Wei — 下周计划: Lay pipes on the north side" in paragraphs
    assert rows[0][:4] == ["No.", "Problem", "Coordination needed", "Proposed solution"]
    assert rows[1][:4] == [
        "#1",
        "Power line blocks the excavation",
        "The power bureau must move the line",
        "Dig the south section first",
    ]
    assert "Matters put to the meeting (提请会议研究事项)" in paragraphs
    assert any("an extension was asked for: waiting for the bureau" in p for p in paragraphs)
    assert "New problems (1): #1 Power line blocks the excavation" in paragraphs
    # Only for admins; a week not begun is refused; an empty week says so.
    assert "Only admins" in (await bot.send(LEADER, "/pack")).params["text"]
    assert "has not begun" in (await bot.send(ADMIN, "/pack 2026-W30")).params["text"]
    assert (
        "No project is on a work line “soon”"
        in (await bot.send(ADMIN, "/pack soon")).params["text"]
    )


async def test_answers_keep_their_labels_wherever_they_are_shown(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/questions 1 形象进度 | 下周计划")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, "Trench 60% dug")
    await bot.send(SECRETARY, "Lay pipes")
    bot.clock.set(SLOT + timedelta(hours=15))  # the round closes: its summary goes out
    await run_jobs(bot)
    summary = [c for c in bot.api.sent_to(LEADER.id) if "Round summary" in c.params["text"]]
    assert (
        summary and "形象进度: Trench 60% dug / 下周计划: Lay pipes" in summary[-1].params["text"]
    )
    read_back = (await bot.send(LEADER, "/answers 1 2026-03-02 2026-03-02")).params["text"]
    assert "形象进度: Trench 60% dug" in read_back and "下周计划: Lay pipes" in read_back
    await bot.send(ADMIN, "/export")
    book = load_workbook(io.BytesIO(bot.api.uploads[-1].data))
    values = list(book["Check-ins"].iter_rows(values_only=True))
    rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    assert rows[0]["Answers"] == "形象进度：Trench 60% dug / 下周计划：Lay pipes"


async def test_a_pack_per_work_line(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await project_with(bot, "North Road", [])
    await bot.send(ADMIN, "/plan 1 line 城建线")
    await bot.send(ADMIN, "/plan 2 line 交通线")
    await bot.send(ADMIN, "/pack 2026-W10 城建线")
    assert bot.api.uploads[-1].filename == "调度会材料-2026-W10-城建线.docx"
    paragraphs, _ = _read(bot.api.uploads[-1].data)
    assert paragraphs[1] == "week 10 (2 March – 8 March), work line 城建线"
    assert "1. South Road" in paragraphs and not any("North Road" in p for p in paragraphs)
    unknown = (await bot.send(ADMIN, "/pack 工业线")).params["text"]
    assert "No project is on a work line “工业线”" in unknown


async def test_every_admin_gets_the_material_made_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each admin's copy is a message of its own, sent once each, but the document is built
    once for all of them (per language and work line), not once per admin."""
    from datetime import UTC, datetime

    second = FakeUser(4002, "Zhao Min", "zhaomin", "zh-CN")
    await project_with(bot, "South Road", [SECRETARY])
    await bot.send(ADMIN, "/plan 1 line 城建线")
    await invite_and_join(bot, None, "admin", second)
    third = FakeUser(4003, "Qian Li", "qianli", "zh-CN")
    await invite_and_join(bot, None, "admin", third)
    pack = bot.services.pack
    built: list[tuple[str, str | None]] = []
    document = pack.document

    async def counted(period: Any, lang: str, *args: Any) -> tuple[str, bytes]:
        built.append((lang, args[0] if args else None))
        return await document(period, lang, *args)

    monkeypatch.setattr(pack, "document", counted)
    bot.clock.set(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))  # Monday 09:00: last week's digest
    await bot.services.digest.tick()
    await bot.services.outbox.drain()
    for admin in (ADMIN, second, third):
        names = [c.params.get("caption", "") for c in bot.api.sent_to(admin.id, "sendDocument")]
        assert len(names) == 2, (admin, names)  # the county's and the line's
    # ADMIN reads English, the other two Chinese: two languages, two documents each.
    assert sorted(built, key=str) == sorted(
        [("en", None), ("en", "城建线"), ("zh-CN", None), ("zh-CN", "城建线")], key=str
    )


async def test_the_material_reads_every_project_not_the_first_thousand(bot: Harness) -> None:
    """The meeting's material covers every active project (ProjectRepo.active, which the
    plans' stall sweep reads too): the page of 1,000 that /projects reads is no limit here."""
    from storage.db import to_db

    await bot.send(ADMIN, "/start")
    stamp = to_db(bot.clock.now())
    async with bot.db.write() as conn:
        await conn.executemany(
            "INSERT INTO projects (name, timezone, created_at, created_by) VALUES (?, ?, ?, ?)",
            [(f"Bulk {n:04d}", "Asia/Shanghai", stamp, ADMIN.id) for n in range(1001)],
        )
    assert len(await bot.services.repos.projects.active()) == 1001
    blocks = await bot.services.pack._blocks(bot.services.pack.period([]), "en")
    headings = [str(b[1]) for b in blocks if b[0] == "heading" and "Bulk" in str(b[1])]
    assert len(headings) == 1001 and "Bulk 1000" in headings[-1]
