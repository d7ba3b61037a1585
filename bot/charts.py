"""PNG charts for /chart and /board, drawn headless (matplotlib's Agg canvas, no pyplot state)
in a worker thread. Chinese labels need a CJK font: a system one if there is one, else the
Noto Sans CJK SC that the ``mplfonts`` package ships (SIL Open Font License 1.1)."""

from __future__ import annotations

import functools
import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.ticker import MaxNLocator

from bot.chartdata import ChartLabels, WeekPoint

SYSTEM_CJK = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
)
BUNDLED = ("fonts", "NotoSansCJKsc-Regular.otf")


@functools.cache
def cjk_font() -> font_manager.FontProperties:
    """A font that draws Chinese: a system CJK font, else the bundled Noto Sans CJK SC."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in SYSTEM_CJK:
        if name in installed:
            return font_manager.FontProperties(family=name)
    spec = importlib.util.find_spec("mplfonts")
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent.joinpath(*BUNDLED)
        if path.exists():
            return font_manager.FontProperties(fname=str(path))
    raise RuntimeError("no CJK font: install fonts-noto-cjk or the mplfonts package")


@functools.cache
def _drawable_characters() -> frozenset[str]:
    """The characters the CJK font has glyphs for."""
    font = cjk_font()
    path = font.get_file() or font_manager.findfont(font)
    return frozenset(chr(code) for code in FT2Font(str(path)).get_charmap())


MAX_HEIGHT_INCHES = 90.0  # 9,000 pixels at 100 dpi, beside 800 wide
NAME_CHARS = 24  # a project name beside a bar; longer ones leave no room for the bars
TITLE_CHARS = 70


def drawable(text: str, limit: int = TITLE_CHARS) -> str:
    """``text`` as the chart can draw it: at most ``limit`` characters (a name of 200 would
    push the plot off the figure: matplotlib warns and lays nothing out); a character the font
    lacks (an emoji, another script) becomes a box, where matplotlib would warn and draw
    nothing useful; dollar signs stay text rather than start matplotlib's math, which raises
    on a formula it cannot parse."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    known = _drawable_characters()
    stand_in = "□" if "□" in known else "?"
    shown = []
    for character in text:
        if character == "\n" or character in known:
            shown.append(character)
        elif character.isspace():
            shown.append(" ")
        else:
            shown.append(stand_in)
    return "".join(shown).replace("$", r"\$")


def progress_chart(points: Sequence[WeekPoint], labels: ChartLabels) -> bytes:
    """Weekly reporting rate above, problems new / crossed off / open below."""
    return _png(progress_figure(points, labels))


def progress_figure(points: Sequence[WeekPoint], labels: ChartLabels) -> Figure:
    """The chart's figure, laid out (tests read where its parts are)."""
    font = cjk_font()
    figure = Figure(figsize=(9, 6), dpi=100)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    xs = list(range(len(points)))
    rates = [p.rate * 100 if p.rate is not None else float("nan") for p in points]
    top.plot(xs, rates, marker="o", color="#1f6feb")
    top.set_ylim(0, 105)
    top.set_ylabel(drawable(labels.rate), fontproperties=font)
    top.grid(alpha=0.3)
    width = 0.38
    bottom.bar(
        [x - width / 2 for x in xs], [p.new for p in points], width, label=drawable(labels.new)
    )
    bottom.bar(
        [x + width / 2 for x in xs],
        [p.resolved for p in points],
        width,
        label=drawable(labels.resolved),
    )
    bottom.plot(
        xs, [p.open for p in points], marker="s", color="#d1242f", label=drawable(labels.open)
    )
    bottom.set_ylabel(drawable(labels.problems), fontproperties=font)
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    # The legend beside the plot, not over its bars; each week's bars centred on its label.
    bottom.legend(prop=font, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    bottom.grid(alpha=0.3)
    bottom.set_xticks(xs, [drawable(p.label, 16) for p in points], fontproperties=font)
    for tick in bottom.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    figure.suptitle(drawable(labels.title), fontproperties=font)
    figure.tight_layout()
    return figure


def ranking_chart(names: Sequence[str], rates: Sequence[float], title: str, axis: str) -> bytes:
    """Projects' reporting rates as horizontal bars, best on top."""
    font = cjk_font()
    # Telegram refuses a photo whose width and height add up to more than 10,000 pixels; with
    # hundreds of projects the bars get thinner instead (the text has the whole ranking).
    height = min(max(3.0, 0.45 * len(names) + 1.5), MAX_HEIGHT_INCHES)
    figure = Figure(figsize=(8, height), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    ys = list(range(len(names)))[::-1]
    axes.barh(ys, [r * 100 for r in rates], color="#1f6feb")
    axes.set_yticks(ys, [drawable(name, NAME_CHARS) for name in names], fontproperties=font)
    axes.set_xlim(0, 100)
    axes.set_xlabel(drawable(axis), fontproperties=font)
    axes.set_title(drawable(title), fontproperties=font)
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return _png(figure)


def text_image(text: str) -> bytes:
    """One line of text alone (tests compare glyphs with it)."""
    figure = Figure(figsize=(2, 1), dpi=100)
    FigureCanvasAgg(figure)
    figure.text(0.1, 0.4, drawable(text), fontproperties=cjk_font(), fontsize=24)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
