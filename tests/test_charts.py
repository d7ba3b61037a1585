"""Charts: Chinese drawn as Chinese (not boxes), /chart and /board for leaders and admins."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image, ImageChops

from bot.chartdata import ChartLabels, WeekPoint
from bot.charts import (
    cjk_font,
    progress_chart,
    ranking_chart,
    text_image,
)
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.test_digest import MONDAY, S2, _week
from tests.test_e2e_ledger import LEADER, SECRETARY


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _differs(a: bytes, b: bytes) -> bool:
    return ImageChops.difference(_image(a), _image(b)).getbbox() is not None


def test_chinese_characters_are_drawn_as_themselves() -> None:
    """A font without Chinese draws every character as the same box (and warns, which fails
    the run): two different characters must look different, and different from nothing."""
    assert "DejaVu" not in str(cjk_font().get_name())
    assert _differs(text_image("报"), text_image("进"))
    assert _differs(text_image("报送"), text_image(""))


def test_the_chart_draws_its_chinese_labels() -> None:
    points = [WeekPoint("W46", 0.8, 2, 1, 3), WeekPoint("W47", None, 0, 0, 3)]
    labels = ChartLabels("项目 1 南环路", "按时报送率", "问题", "新增", "销号", "未销号")
    blank = ChartLabels(" ", " ", " ", " ", " ", " ")
    drawn = progress_chart(points, labels)
    assert _image(drawn).size == (900, 600)
    assert _differs(drawn, progress_chart(points, blank))


ODD_NAMES = [
    "Road ٣ (Arabic-Indic three)",
    "Pit 🏗",
    "Cost $x^$ and $5",
    "A\tB\x07",
    "长" * 200,
    "W" * 200,
]


def test_names_the_font_cannot_draw_still_make_a_chart() -> None:
    """Project names are whatever admins typed: a character the font lacks is drawn as a
    stand-in and a 200-character name is shortened (not a warning, and so not a failed
    /board), and dollar signs are text, not matplotlib's math (an unbalanced formula would
    raise)."""
    board = ranking_chart(ODD_NAMES, [0.5, 0.25, 1.0, 0.0, 0.1, 0.2], "Board " + "W" * 200, "rate")
    assert _image(board).size[0] == 800
    points = [WeekPoint("W46", 0.8, 2, 1, 3)]
    labels = ChartLabels("W" * 200 + ODD_NAMES[2], "rate", "problems", "new", "done", "open")
    assert _image(progress_chart(points, labels)).size == (900, 600)
    # "$x^$" drawn as itself: it differs from the same name without it.
    assert _differs(text_image("$x^$"), text_image("$y^$"))


async def test_chart_and_board_for_leaders_and_admins(bot: Harness) -> None:
    await _week(bot)
    bot.clock.set(MONDAY + timedelta(days=7))
    sent = await bot.send(LEADER, "/chart 1 4w")
    assert sent.method == "sendPhoto"
    assert "Project 1 South Road" in sent.params["caption"]
    assert _image(bot.api.uploads[-1].data).size == (900, 600)

    board = (await bot.send(ADMIN, "/board 2026-03-01 2026-03-08")).params["text"]
    assert board.index("1. North Road") < board.index("2. South Road")
    assert "reported on time 86%" in board and "overdue now 1" in board
    assert "crossed off within the deadline 1/1" in board  # North Road's permit
    await bot.services.outbox.drain()
    assert bot.api.sent_to(ADMIN.id, "sendPhoto")

    for user, command in ((SECRETARY, "/chart"), (S2, "/board"), (SECRETARY, "/chart 1")):
        reply = (await bot.send(user, command)).params["text"]
        assert "Only admins and the chief leaders" in reply or "no report for you" in reply
    assert "Usage" in (await bot.send(LEADER, "/chart 99w")).params["text"]


async def test_the_board_counts_as_overdue_only_what_is_overdue_now(bot: Harness) -> None:
    """A problem due later today is not "overdue now" on this quarter's board."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(MONDAY)
    await bot.send(SECRETARY, "/newproblem 1 Crane")
    assert "2026-03-02 13:00" in (await bot.send(LEADER, "/deadline 1 4h")).params["text"]
    board = (await bot.send(ADMIN, "/board")).params["text"]
    assert "South Road" in board and "overdue now 0" in board
    bot.clock.set(MONDAY + timedelta(hours=5))
    assert "overdue now 1" in (await bot.send(ADMIN, "/board")).params["text"]


async def test_a_board_of_many_projects_arrives_whole(bot: Harness) -> None:
    """250 projects with long names: the ranking comes in several messages, none refused as
    too long, every project in it; the chart is a photo Telegram accepts (its dimensions)."""
    count = 250
    for number in range(1, count + 1):
        await bot.services.projects.create_project(ADMIN.id, f"{number:03d} " + "工程" * 60)
    mark = len(bot.api.calls)
    await bot.send(ADMIN, "/board")
    await bot.api.wait_for(lambda c: c.method == "sendPhoto", after=mark)
    texts = [
        c.params["text"]
        for c in bot.api.calls[mark:]
        if c.params.get("chat_id") == ADMIN.id and "text" in c.params
    ]
    ranking = "\n".join(t for t in texts if "工程" in t)
    assert [n for n in range(1, count + 1) if f"{n:03d} 工程" not in ranking] == []
    assert len(texts) > 1 and all(len(t) <= 4096 for t in texts)
    assert not bot.api.refusals
    width, height = _image(bot.api.uploads[-1].data).size
    assert width + height <= 10_000


def test_matplotlib_is_loaded_by_the_worker_that_draws_never_on_the_event_loop() -> None:
    """Run in a fresh interpreter (this one has loaded matplotlib already): the bot, its
    services and a /chart drawn through them import matplotlib only in a worker thread."""
    import subprocess
    import sys

    script = """
import asyncio, sys, threading
import bot.app, bot.board, bot.services, handlers
assert "matplotlib" not in sys.modules, "imported with the bot"
from bot.board import _progress_png
from bot.chartdata import ChartLabels, WeekPoint
seen = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib":
            seen.append(threading.current_thread() is threading.main_thread())
        return None
sys.meta_path.insert(0, Watch())
async def main():
    labels = ChartLabels("t", "r", "p", "n", "d", "o")
    await asyncio.to_thread(_progress_png, [WeekPoint("W1", 0.5, 1, 1, 1)], labels)
asyncio.run(main())
assert seen == [False], seen
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_weeks_are_labelled_by_their_dates_and_the_legend_stands_beside_the_plot() -> None:
    from bot.charts import progress_figure

    labels = ChartLabels("标题", "按时报送（%）", "问题", "新增", "销号", "未销号")
    points = [
        WeekPoint("3月2日—3月8日", 0.8, 2, 1, 3),
        WeekPoint("3月9日—3月15日", None, 0, 0, 3),
    ]
    figure = progress_figure(points, labels)
    figure.canvas.draw()
    _, bottom = figure.axes
    assert [tick.get_text() for tick in bottom.get_xticklabels()] == [p.label for p in points]
    legend = bottom.get_legend()
    assert legend is not None
    extent = legend.get_window_extent()
    assert extent.x0 >= bottom.get_window_extent().x1  # outside the plot, not over the bars
    # Each week's two bars sit either side of its label, centred on it.
    boxes = [patch.get_window_extent() for patch in bottom.patches]
    middles = [bottom.transData.inverted().transform(((b.x0 + b.x1) / 2, 0))[0] for b in boxes]
    assert abs((middles[0] + middles[len(points)]) / 2) < 1e-6
