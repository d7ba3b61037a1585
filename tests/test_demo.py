"""The demo: the whole loop without a token, through the real bot and the fake Bot API."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from bot.demo import run_demo

STAGES = (
    "欢迎，李伟！您已成为项目 1“南环路污水管网”的首办秘书",  # registration by invite link
    "📋 进展报送：项目 1",  # scheduled prompts
    "报送内容已收到（南环路污水管网，含附件）",  # a photo answer
    "🆕 项目 1“南环路污水管网”新反映问题",  # a problem forwarded at once
    "⏰ 提醒",  # a reminder
    "未按时报送 1",  # a miss, in the round summary
    "📊 进展报送汇总",  # round summaries
    "提请首席负责人督办（一级督办）",  # escalated to the leader
    "二级督办（提请领导小组高位统筹）",  # and to the leadership group
    "已记录“南环路污水管网”与企业对接",  # the leader's weekly contact
    "📋 每周调度",  # the weekly digest
    # published, numbered
    "🤖 → 重大项目建设领导小组: 重大项目365帮办工作通报\n〔2026〕第1期\n关于第10周",
    "问题 #1 已销号",  # crossed off after confirmation
    "bangban-chart.png",
    "已导入：新项目 1 个，变动 1 个",  # the plan imported from the template
    "形象进度 ▓▓▓▓▓▓▓▓▓▓ 100%",  # a milestone done on time
    "已代表县供电公司签收",  # a department signed for the problem handed to it
    "坐班签到成功",  # and sat in the office
    "说明原因",  # a project behind its plan asked to explain
    "综合得分",  # the board ranks by progress against the plan
)


async def test_the_demo_shows_every_stage_and_writes_its_files(tmp_path: Path) -> None:
    lines: list[str] = []
    written = await run_demo(tmp_path, lines.append)
    transcript = "\n".join(lines)
    for stage in STAGES:
        assert stage in transcript, stage
    # A stage that names its weekday happens on that day (2026-03-08, a Sunday, was headed 周一).
    headers = [line for line in lines if line.startswith("\n══")]
    assert any("（周一）· 周一：每周调度" in line for line in headers), headers
    for line in headers:
        shown = line.split("（")[1][:2]
        named = line.split("· ")[1][:2]
        assert not named.startswith("周") or named == shown, line
    names = sorted({path.name for path in written})
    assert names == [
        "bangban-all-2026-03-14.xlsx",
        "bangban-all-2026-03-14.zip",
        "bangban-board.png",
        "bangban-chart.png",
        "bangban-plan-template.xlsx",
        "调度会材料-2026-W10-交通线.docx",  # and one per work line
        "调度会材料-2026-W10-城建线.docx",
        "调度会材料-2026-W10.docx",
        "通报〔2026〕第1期.docx",
    ]
    book = load_workbook(tmp_path / "bangban-all-2026-03-14.xlsx")
    assert "问题台帐" in book.sheetnames
    with zipfile.ZipFile(tmp_path / "bangban-all-2026-03-14.zip") as archive:
        assert "进展报送.csv" in archive.namelist()
    assert (tmp_path / "bangban-chart.png").read_bytes().startswith(b"\x89PNG")


def test_python_m_bot_demo_runs_from_a_fresh_folder(tmp_path: Path) -> None:
    """The command README gives, in a folder with no .env and no token."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", str(tmp_path / "out")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Files written to" in result.stdout and "二级督办" in result.stdout
    assert (tmp_path / "out" / "bangban-board.png").exists()


async def test_a_second_demo_into_the_same_folder_starts_afresh(tmp_path: Path) -> None:
    """Run twice into one folder, the demo tells the same story instead of stopping half-way."""
    await run_demo(tmp_path, lambda line: None)
    lines: list[str] = []
    await run_demo(tmp_path, lines.append)
    transcript = "\n".join(lines)
    assert "已有名为" not in transcript
    for stage in STAGES:
        assert stage in transcript, stage
