"""End to end: the office's plan workbook, from /template to a preview to 导入, through the
fake Bot API's document upload and file download."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook, load_workbook

from tests.conftest import ADMIN, Harness
from tests.fakebot import buttons_of
from tests.test_e2e_ledger import SECRETARY


async def _template(bot: Harness) -> Workbook:
    sent = await bot.send(ADMIN, "/template")
    assert sent.method == "sendDocument"
    assert bot.api.uploads[-1].filename == "bangban-plan-template.xlsx"
    return load_workbook(io.BytesIO(bot.api.uploads[-1].data))


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(bot: Harness, data: bytes, name: str = "plan.xlsx") -> str:
    update = await bot.api.send_document(ADMIN, name, data)
    await bot.settled(update["update_id"])
    return str(bot.api.sent_to(ADMIN.id)[-1].params["text"])


async def test_a_filled_template_is_previewed_then_imported_once(bot: Harness) -> None:
    book = await _template(bot)
    projects, milestones = book["项目 Projects"], book["节点 Milestones"]
    assert projects["A1"].value == "项目名称 Name" and projects["B2"].value == "在建"
    projects.append(
        ["北环路", "签约", "1.2亿", 3000, "交通线", "北关镇", "2026-04-01", "2027-12-31", "通车"]
    )
    milestones.append(["北环路", "完成征地", date(2026, 5, 31)])
    milestones.append(["城南污水处理厂", "设备安装", "2026-12-31"])
    preview = await _upload(bot, _bytes(book))
    assert "2 new project(s), 0 changed, 0 unchanged" in preview, preview
    assert "3 new milestone(s)" in preview
    assert await bot.services.repos.projects.count() == 0  # nothing written yet
    message = bot.api.sent_to(ADMIN.id)[-1]
    assert [d for _, d in buttons_of(message)] == ["im:ok:1", "im:no:1"]
    done = await bot.press(ADMIN, message, "im:ok:1")
    assert "Imported" in done.params["text"]
    result = bot.api.message_of(message)["text"]
    assert "2 new project(s), 0 changed, 0 unchanged, 3 milestone(s) added" in result
    again = await bot.press(ADMIN, message, "im:ok:1")
    assert "imported already" in again.params["text"]
    assert await bot.services.repos.projects.count() == 2
    plan = (await bot.send(ADMIN, "/plan 2")).params["text"]
    assert "Stage: signed (签约)" in plan and "Total investment 1.2亿元" in plan
    assert "Work line: 交通线; locality: 北关镇" in plan
    listing = (await bot.send(ADMIN, "/milestones 1")).params["text"]
    assert "主体结构封顶, 2026-09-30" in listing and "设备安装, 2026-12-31" in listing
    # The same workbook again changes nothing; a changed figure is a change.
    projects["D3"] = 4000
    preview = await _upload(bot, _bytes(book))
    assert "0 new project(s), 1 changed, 1 unchanged" in preview and "0 new milestone(s)" in preview
    cancel = bot.api.sent_to(ADMIN.id)[-1]
    await bot.press(ADMIN, cancel, "im:no:2")
    assert "cancelled" in bot.api.message_of(cancel)["text"]
    plan = (await bot.send(ADMIN, "/plan 2")).params["text"]
    assert "planned this year 3,000万元" in plan


async def test_a_wrong_workbook_is_named_by_place_and_imports_nothing(bot: Harness) -> None:
    book = await _template(bot)
    projects = book["项目 Projects"]
    projects.append(["坏项目", "飞行", "很多", None, None, None, "2026-13-01", None, None])
    projects.append(["公式项目", None, "=1+1", None, None, None, None, None, None])
    projects.append(["倒序项目", None, None, None, None, None, "2026-06-01", "2026-01-01", None])
    book["节点 Milestones"].append(["不存在的项目", "某节点", "2026-05-01"])
    reply = await _upload(bot, _bytes(book))
    for expected in (
        "项目 Projects, row 3, column B: not a stage",
        "项目 Projects, row 3, column C: not an amount in 万元",
        "项目 Projects, row 3, column G: not a date",
        "项目 Projects, row 4, column C: a formula",
        "项目 Projects, row 5, column H: the completion is before the start",
        "节点 Milestones, row 3, column A: no such project",
        "Nothing was imported",
    ):
        assert expected in reply, (expected, reply)
    assert await bot.services.repos.projects.count() == 0
    assert "is not an .xlsx workbook" in await _upload(bot, b"a,b\n1,2\n", "plan.csv")
    assert "could not be read" in await _upload(bot, b"not a zip at all", "plan.xlsx")
    headers = Workbook()
    headers.active.title = "项目 Projects"
    headers.create_sheet("节点 Milestones")
    assert "has no column" in await _upload(bot, _bytes(headers))
    # A secretary's spreadsheet is a progress attachment, not an import.
    update = await bot.api.send_document(SECRETARY, "plan.xlsx", _bytes(book))
    await bot.settled(update["update_id"])
    assert "import" not in bot.api.sent_to(SECRETARY.id)[-1].params["text"].lower()
