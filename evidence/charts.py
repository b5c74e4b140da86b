"""Server-rendered bar charts: the geometry of an SVG, worked out here so the template only
draws it. No JavaScript; every chart sits beside a table of the same numbers and a sentence
saying what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 720
LABEL_WIDTH = 260  # room for an organisation's name left of its bar
VALUE_WIDTH = 110  # room for the value right of the bar
BAR_HEIGHT = 22
GAP = 8
TOP = 28  # room for the median and quartile labels
LABEL_CHARS = 38


@dataclass
class Bar:
    label: str
    value_text: str
    y: int
    width: float
    text_y: int


@dataclass
class Marker:
    label: str
    x: float


@dataclass
class BarChart:
    bars: list[Bar]
    markers: list[Marker]
    height: int
    width: int = WIDTH
    bar_x: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT
    plot_width: int = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    @property
    def value_x_offset(self) -> int:
        return self.bar_x + 6


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(rows: list[tuple[str, Decimal, str]], markers: list[tuple[str, Decimal | None]] = ()) -> BarChart:
    """Rows of (label, value, value as text), drawn top to bottom; markers are vertical lines
    (the median, the quartiles) across every bar."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max([value for _, value, _ in rows] + [value for _, value in markers if value is not None] + [Decimal(0)])
    scale = (plot / float(largest)) if largest > 0 else 0.0
    bars = []
    for i, (label, value, text) in enumerate(rows):
        y = TOP + i * (BAR_HEIGHT + GAP)
        bars.append(Bar(label=_short(label), value_text=text, y=y, width=round(float(value) * scale, 1), text_y=y + 16))
    lines = [Marker(label=label, x=round(LABEL_WIDTH + float(value) * scale, 1)) for label, value in markers if value is not None]
    height = TOP + len(rows) * (BAR_HEIGHT + GAP) + 4
    return BarChart(bars=bars, markers=lines, height=height)
