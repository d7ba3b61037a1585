"""What a chart is drawn from: plain data, importable without matplotlib (which loads in the
worker thread that draws, never on the event loop)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WeekPoint:
    label: str  # the week's dates, e.g. 3月2日—3月8日
    rate: float | None  # reporting rate, 0..1
    new: int
    resolved: int
    open: int  # unresolved at the week's end


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    rate: str
    problems: str
    new: str
    resolved: str
    open: str
