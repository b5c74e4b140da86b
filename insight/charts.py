"""Small server-rendered SVG charts: horizontal bars and lines, with axis labels.

Each function returns the geometry a template (templates/insight/_bar_chart.html,
_line_chart.html) draws. The chart is an image with a title and description; the data table
beside it carries the same numbers for anyone who cannot see it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# NHS identity colours with at least 3:1 contrast against white, told apart by shape too.
SERIES_STYLES = (
    {"colour": "#005eb8", "dash": "", "marker": "circle"},
    {"colour": "#330072", "dash": "6 4", "marker": "square"},
    {"colour": "#007f3b", "dash": "2 3", "marker": "circle"},
)


def nice_ticks(highest: float, count: int = 4) -> list[float]:
    """Round axis values from 0 to at least `highest`: 0, 5, 10... or 0, 250, 500..."""
    if highest <= 0:
        return [0, 1]
    raw = highest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [0.0]
    while ticks[-1] < highest:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def format_number(value: float | None) -> str:
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


@dataclass
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    kind: str
    ticks: list[dict] = field(default_factory=list)
    bars: list[dict] = field(default_factory=list)
    series: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    x_axis_label: str = ""
    y_axis_label: str = ""
    plot: dict = field(default_factory=dict)


def bar_chart(*, id: str, title: str, description: str, items: list[tuple[str, float]],
              axis_label: str) -> Chart:
    """Horizontal bars, one per (label, value), with the value written at the end of each."""
    # Long names are cut to fit beside the bars; the table below the chart has them in full.
    label_width, row, top, width = 250, 28, 10, 640
    plot_width = width - label_width - 60
    ticks = nice_ticks(max((v or 0 for _l, v in items), default=0))
    scale = plot_width / ticks[-1]
    bars = []
    for i, (label, value) in enumerate(items):
        y = top + i * row
        length = (value or 0) * scale
        bars.append({
            "label": label if len(label) <= 30 else label[:29].rstrip() + "…",
            "y": y, "text_y": y + row / 2 + 5, "length": round(length, 1),
            "value": format_number(value), "value_x": round(label_width + length + 6, 1),
        })
    axis_y = top + len(items) * row + 4
    return Chart(
        id=id, title=title, description=description, width=width, height=axis_y + 44, kind="bar",
        bars=bars, x_axis_label=axis_label,
        ticks=[{"x": round(label_width + t * scale, 1), "label": format_number(t)} for t in ticks],
        plot={"left": label_width, "top": top, "bottom": axis_y, "bar_height": row - 8,
              "label_x": label_width - 8, "tick_label_y": axis_y + 16, "axis_label_y": axis_y + 36,
              "centre": label_width + plot_width / 2},
    )


def line_chart(*, id: str, title: str, description: str, x_labels: list[str],
               series: list[tuple[str, list[float | None]]], y_axis_label: str) -> Chart:
    """Lines over a shared x axis (months, usually); a None value leaves a gap in its line."""
    width, height = 640, 300
    left, right, top, bottom = 64, 20, 16, 240
    values = [v for _name, vs in series for v in vs if v is not None]
    ticks = nice_ticks(max(values, default=0))
    y_scale = (bottom - top) / ticks[-1]
    step = (width - left - right) / max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return round(left + i * step, 1)

    def y_at(v: float) -> float:
        return round(bottom - v * y_scale, 1)

    every = max(1, math.ceil(len(x_labels) / 6))
    drawn = []
    for n, ((name, vs), style) in enumerate(zip(series, SERIES_STYLES * 3, strict=False)):
        points = [(x_at(i), y_at(v)) for i, v in enumerate(vs) if v is not None]
        legend_y = height + 4 + 24 * n
        drawn.append({
            "name": name, **style,
            "path": " ".join(f"{x},{y}" for x, y in points),
            "points": [{"x": x, "y": y, "corner_x": x - 4, "corner_y": y - 4} for x, y in points],
            "legend_y": legend_y, "legend_text_y": legend_y + 5,
        })
    return Chart(
        id=id, title=title, description=description, width=width, height=height + 24 * len(series),
        kind="line", series=drawn, y_axis_label=y_axis_label,
        ticks=[{"y": y_at(t), "label_y": y_at(t) + 4, "label": format_number(t)} for t in ticks],
        x_labels=[{"x": x_at(i), "label": label} for i, label in enumerate(x_labels) if i % every == 0],
        plot={"left": left, "right": width - right, "top": top, "bottom": bottom,
              "tick_label_x": left - 8, "x_label_y": bottom + 18,
              "axis_label_x": 14, "axis_label_centre": (top + bottom) / 2,
              "legend_y": height},
    )
