"""End to end: /export as an XLSX workbook and as CSV files, for admins and leaders only."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import FakeUser
from tests.test_e2e_ledger import LEADER, SECRETARY

OTHER_LEADER = FakeUser(3002, "Chen Jing", "chenjing", "en")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


async def _history(bot: Harness) -> None:
    """A round answered with a photo, a problem extended and claimed solved, a contact."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await project_with(bot, "North Road", [])
    await invite_and_join(bot, 1, "leader", LEADER)
    await invite_and_join(bot, 2, "leader", OTHER_LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.api.send_media(SECRETARY, "photo", caption="North pit finished")
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "The power bureau must move it")
    await bot.send(SECRETARY, "Dig the south section first")
    await bot.send(LEADER, "/extend 1 2d waiting for the bureau")
    await bot.send(SECRETARY, "/resolve 1 Line moved")
    contact = await bot.send(LEADER, "/contact 1")
    await bot.press(LEADER, contact, "ct:v:1")
    await bot.send(LEADER, "Visited the site with the bureau")
    bot.clock.set(SLOT + timedelta(hours=16))
    await run_jobs(bot)


def _upload(bot: Harness) -> bytes:
    return bot.api.uploads[-1].data


async def test_the_workbook_has_every_table_with_local_times(bot: Harness) -> None:
    await _history(bot)
    sent = await bot.send(ADMIN, "/export")
    assert sent.method == "sendDocument"
    assert bot.api.uploads[-1].filename == "bangban-all-2026-03-03.xlsx"
    book = load_workbook(io.BytesIO(_upload(bot)))
    assert book.sheetnames == [
        "Projects",
        "People and roles",
        "Check-ins",
        "Problems",
        "Problem history",
        "Leaders' contacts",
        "Attachments",
        "Departments",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, sheet.title

    def rows(title: str) -> list[dict[str, object]]:
        sheet = book[title]
        values = list(sheet.iter_rows(values_only=True))
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]

    assert [r["Project"] for r in rows("Projects")] == ["South Road", "North Road"]
    checkin = rows("Check-ins")[0]
    assert checkin["Name"] == "Li Wei" and checkin["Status"] == "answered"
    assert checkin["Answers"] == "North pit finished" and checkin["Attachments"] == 1
    # A real date cell in Shanghai time (not UTC, not text), shown as the office writes it.
    answered = checkin["Answered"]
    assert isinstance(answered, datetime) and answered.strftime("%Y-%m-%d %H") == "2026-03-02 09"
    header = [c.value for c in book["Check-ins"][1]]
    cell = book["Check-ins"].cell(row=2, column=header.index("Answered") + 1)
    assert cell.number_format == "yyyy-mm-dd hh:mm" and cell.is_date
    problem = rows("Problems")[0]
    assert problem["Status"] == "awaiting confirmation" and problem["Extensions"] == 1
    assert problem["Coordination needed"] == "The power bureau must move it"
    assert problem["Proposed solution"] == "Dig the south section first"
    assert problem["Reported solved by"] == "Li Wei"
    events = [r["Event"] for r in rows("Problem history")]
    assert events[:3] == ["reported", "coordination needed", "proposed solution"]
    assert "extended" in events and "reported solved" in events
    extended = next(r for r in rows("Problem history") if r["Event"] == "extended")
    assert extended["Text"] == "waiting for the bureau"
    contact = rows("Leaders' contacts")[0]
    assert (contact["Leader"], contact["How"]) == ("Zhang San", "visit")
    attachment = rows("Attachments")[0]
    assert attachment["Belongs to"] == "progress report" and attachment["Kind"] == "photo"
    assert str(attachment["Telegram file id"]).startswith("F")


async def test_csv_in_a_zip_opens_in_excel_and_leaders_see_only_their_projects(
    bot: Harness,
) -> None:
    await _history(bot)
    await bot.send(LEADER, "/export csv")
    assert bot.api.uploads[-1].filename == "bangban-mine-2026-03-03.zip"
    with zipfile.ZipFile(io.BytesIO(_upload(bot))) as archive:
        names = archive.namelist()
        assert "Check-ins.csv" in names and len(names) == 7
        raw = archive.read("Projects.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese
    projects = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert projects[0][:2] == ["Project id", "Project"]
    assert [row[1] for row in projects[1:]] == ["South Road"]  # not North Road

    await bot.send(ADMIN, "/language zh")
    await bot.send(ADMIN, "/export csv 1")
    with zipfile.ZipFile(io.BytesIO(_upload(bot))) as archive:
        text = archive.read("问题台帐.csv").decode("utf-8-sig")
    assert "待确认销号" in text and "拟解决办法" in text


async def test_export_is_refused_to_secretaries_and_other_leaders(bot: Harness) -> None:
    await _history(bot)
    uploads = len(bot.api.uploads)
    for user, command in ((SECRETARY, "/export"), (SECRETARY, "/export 1")):
        reply = (await bot.send(user, command)).params["text"]
        assert "nothing to export" in reply or "Only admins and the chief leaders" in reply
    refused = (await bot.send(OTHER_LEADER, "/export 1")).params["text"]
    assert "Only admins and the chief leaders in charge of project 1" in refused
    assert len(bot.api.uploads) == uploads


async def test_texts_that_look_like_formulas_stay_text(bot: Harness) -> None:
    """A progress answer is what the secretary typed, not a formula: '=2+3' is not computed
    (or, mistyped, left broken) when the office opens the export; a name Telegram passed with
    a control character does not stop the workbook from being written."""
    odd = FakeUser(2005, "Wu\x1bFang", "wufang", "en")
    await project_with(bot, "South Road", [SECRETARY, odd], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(SECRETARY, "=2+3 floors done")
    await bot.send(odd, "-10% behind plan")
    await bot.send(ADMIN, "/export")
    book = load_workbook(io.BytesIO(_upload(bot)))
    cells = {c.value: c.data_type for row in book["Check-ins"].iter_rows() for c in row}
    assert cells["=2+3 floors done"] == "s" and cells["-10% behind plan"] == "s"
    assert "WuFang" in {c.value for row in book["People and roles"].iter_rows() for c in row}
    await bot.send(ADMIN, "/export csv")
    with zipfile.ZipFile(io.BytesIO(_upload(bot))) as archive:
        text = archive.read("Check-ins.csv").decode("utf-8-sig")
    # Excel would evaluate a cell that starts with = + - or @: the quote keeps it text.
    assert "'=2+3 floors done" in text and "'-10% behind plan" in text


async def test_the_history_names_the_system_and_the_supervision_level(bot: Harness) -> None:
    """办理记录 an office can file: an automatic step is the system's, an escalation says its
    level, a long text wraps in its cell, columns are as wide as their content."""
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    long_text = "供电线路迁改未完成，北段开挖无法进行，需要供电公司尽快安排停电窗口并完成迁改" * 2
    await bot.send(SECRETARY, f"/newproblem 1 {long_text}")
    bot.clock.advance(timedelta(days=4))
    await run_jobs(bot)
    await bot.services.escalation.tick()
    await bot.send(ADMIN, "/export")
    book = load_workbook(io.BytesIO(_upload(bot)))
    sheet = book["Problem history"]
    values = list(sheet.iter_rows(values_only=True))
    rows = [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    escalated = next(r for r in rows if r["Event"] == "escalated")
    assert escalated["Who"] == "Bangban" and escalated["Supervision level"] == "level 1"
    reported = next(r for r in rows if r["Event"] == "reported")
    assert reported["Who"] == "Li Wei" and reported["Supervision level"] is None
    problems = book["Problems"]
    header = [c.value for c in problems[1]]
    text = problems.cell(row=2, column=header.index("Text") + 1)
    assert text.alignment.wrap_text
    width = problems.column_dimensions[chr(ord("A") + header.index("Text"))].width
    assert width is not None and width >= 40


async def test_export_files_zips_the_photos_themselves(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/export files: the files fetched from Telegram, a folder per project, named by date and
    person; split in parts under the upload limit; a leader gets only their projects'."""
    await _history(bot)  # a photo with the report of project 1
    await bot.services.conversation.expect(SECRETARY.id, "note", problem_id=1)
    sent = len(bot.api.calls)
    await bot.api.send_media(SECRETARY, "photo", caption="Pole moved")
    await bot.api.reply_to(SECRETARY.id, after=sent)
    mark = len(bot.api.uploads)
    await bot.send(ADMIN, "/export files 2026-03-01 2026-03-03")
    await bot.api.wait_for(
        lambda c: c.method == "sendDocument" and c.params.get("chat_id") == ADMIN.id
    )
    parts = bot.api.uploads[mark:]
    assert [p.filename for p in parts] == ["bangban-files-all-2026-03-01-2026-03-03-1.zip"]
    archive = zipfile.ZipFile(io.BytesIO(parts[0].data))
    names = archive.namelist()
    assert [n.split("_", 1)[0] for n in names] == ["South Road/2026-03-02", "South Road/2026-03-03"]
    assert all("_Li Wei_" in n and n.endswith(".jpg") for n in names)
    assert archive.read(names[0]).startswith(b"\x89PNG")  # the bytes themselves

    # Over the limit, the files are split over several parts.
    monkeypatch.setattr("bot.export_files.PART_LIMIT", 50)
    mark = len(bot.api.uploads)
    await bot.send(ADMIN, "/export files 2026-03-01 2026-03-03")
    await bot.services.outbox.drain()
    assert len(bot.api.uploads[mark:]) == 2
    assert all(
        len(zipfile.ZipFile(io.BytesIO(u.data)).namelist()) == 1 for u in bot.api.uploads[mark:]
    )

    # A leader of the other project has nothing in it; an empty period says so.
    none = (await bot.send(OTHER_LEADER, "/export files 2026-03-01 2026-03-03")).params
    assert "Fetching" in none["text"]
    await bot.services.outbox.drain()
    said = bot.api.sent_to(OTHER_LEADER.id)[-1].params["text"]
    assert "No photos or files were sent between 2026-03-01 and 2026-03-03" in said
