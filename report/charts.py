"""Inline SVG charts for the leadership report: plain strings, no scripts, fonts or external files.

Every chart is an `<svg class="chart" data-chart="<name>">` with a `<title>` and its data points as
elements, so a reader without the picture (or a test) can still find what was drawn. A missing value
(None) is a gap in a line, never a zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 760
HEIGHT = 280
MARGIN_LEFT = 70
MARGIN_RIGHT = 150
MARGIN_TOP = 20
MARGIN_BOTTOM = 50
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Series:
    """One named line or bar stack: a value (or None when missing) per x label."""

    name: str
    values: Sequence[float | None]
    color: str = ""


@dataclass(frozen=True)
class Band:
    """An interval drawn around a line: low and high per x label (None where there is none)."""

    low: Sequence[float | None]
    high: Sequence[float | None]
    color: str = "#1f77b4"


def _nice_range(values: Sequence[float], include_zero: bool) -> tuple[float, float]:
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - (0 if include_zero and low == 0 else pad), high + pad


def _frame(
    name: str, title: str, x_labels: Sequence[str], y_low: float, y_high: float, fmt: Callable
) -> tuple[list[str], Callable[[int], float], Callable[[float], float]]:
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    n = max(len(x_labels), 1)

    def x_of(i: int) -> float:
        return MARGIN_LEFT + plot_w * (i + 0.5) / n

    def y_of(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (v - y_low) / (y_high - y_low))

    parts = [
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{MARGIN_LEFT}" y="{MARGIN_TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="#fafafa" stroke="#ccc"/>',
    ]
    for k in range(5):
        v = y_low + (y_high - y_low) * k / 4
        y = y_of(v)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e4e4e4"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(fmt(v))}</text>"
        )
    step = max(1, math.ceil(len(x_labels) / 12))
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == len(x_labels) - 1:
            parts.append(
                f'<text x="{x_of(i):.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" '
                f'font-size="10">{escape(label)}</text>'
            )
    return parts, x_of, y_of


def _legend(series: Sequence[Series]) -> list[str]:
    parts = []
    for k, s in enumerate(series):
        y = MARGIN_TOP + 10 + 18 * k
        x = WIDTH - MARGIN_RIGHT + 12
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="12" height="12" fill="{s.color}"/>'
            f'<text x="{x + 18}" y="{y + 1}" font-size="11">{escape(s.name)}</text>'
        )
    return parts


def _colored(series: Sequence[Series]) -> list[Series]:
    return [
        s if s.color else Series(s.name, s.values, PALETTE[k % len(PALETTE)])
        for k, s in enumerate(series)
    ]


def line_chart(
    name: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:.2f}",
    band: Band | None = None,
    reference: float | None = None,
    not_reportable: Sequence[bool] = (),
) -> str:
    """Lines over x labels, an optional interval band, a dashed reference line (a target) and an
    'n/r' mark at each x whose value is not reportable."""
    series = _colored(series)
    present = [v for s in series for v in s.values if v is not None]
    if band is not None:
        present += [v for v in (*band.low, *band.high) if v is not None]
    if reference is not None:
        present.append(reference)
    if not present:
        return empty_chart(name, title, "no value to draw in this period")
    y_low, y_high = _nice_range(present, include_zero=False)
    parts, x_of, y_of = _frame(name, title, x_labels, y_low, y_high, fmt)
    if band is not None:
        for i, (lo, hi) in enumerate(zip(band.low, band.high, strict=True)):
            if lo is None or hi is None:
                continue
            half = (x_of(1) - x_of(0)) / 2 if len(x_labels) > 1 else 20
            parts.append(
                f'<rect class="band" x="{x_of(i) - half:.1f}" y="{y_of(hi):.1f}" width="{2 * half:.1f}" '
                f'height="{max(y_of(lo) - y_of(hi), 0.5):.1f}" fill="{band.color}" fill-opacity="0.15"/>'
            )
    if reference is not None:
        y = y_of(reference)
        parts.append(
            f'<line class="reference" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="#555" stroke-dasharray="5,4"/>'
            f'<text x="{WIDTH - MARGIN_RIGHT + 4}" y="{y + 4:.1f}" font-size="10">target {escape(fmt(reference))}</text>'
        )
    for s in series:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_of(i):.1f},{y_of(v):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(
                f'<polyline fill="none" stroke="{s.color}" stroke-width="2" points="{" ".join(seg)}"/>'
            )
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(
                    f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{s.color}">'
                    f"<title>{escape(s.name)} {escape(x_labels[i])}: {escape(fmt(v))}</title></circle>"
                )
    for i, flagged in enumerate(not_reportable):
        if flagged:
            parts.append(
                f'<text class="not-reportable" x="{x_of(i):.1f}" y="{HEIGHT - MARGIN_BOTTOM - 8}" '
                f'text-anchor="middle" font-size="11" fill="#8a6d00">n/r</text>'
            )
    parts += _legend(series)
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    name: str,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> str:
    """Bars stacked up from zero for positive values and down for negative ones, per x label."""
    series = _colored(series)
    ups = [sum(max(s.values[i] or 0.0, 0.0) for s in series) for i in range(len(x_labels))]
    downs = [sum(min(s.values[i] or 0.0, 0.0) for s in series) for i in range(len(x_labels))]
    if not x_labels:
        return empty_chart(name, title, "no month in this publication")
    y_low, y_high = _nice_range([*ups, *downs], include_zero=True)
    parts, x_of, y_of = _frame(name, title, x_labels, y_low, y_high, fmt)
    width = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(x_labels), 1) * 0.7
    for i, label in enumerate(x_labels):
        top, bottom = 0.0, 0.0
        for s in series:
            v = s.values[i]
            if v is None or v == 0:
                continue
            if v > 0:
                y1, y2 = y_of(top + v), y_of(top)
                top += v
            else:
                y1, y2 = y_of(bottom), y_of(bottom + v)
                bottom += v
            parts.append(
                f'<rect class="bar" x="{x_of(i) - width / 2:.1f}" y="{y1:.1f}" width="{width:.1f}" '
                f'height="{max(y2 - y1, 0.5):.1f}" fill="{s.color}">'
                f"<title>{escape(s.name)} {escape(label)}: {escape(fmt(v))}</title></rect>"
            )
    y0 = y_of(0.0)
    parts.append(
        f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="#333"/>'
    )
    parts += _legend(series)
    parts.append("</svg>")
    return "".join(parts)


def heatmap(
    name: str,
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[float | None]],
    fmt: Callable[[float], str] = lambda v: f"{v:.0%}",
    low: float = 0.0,
    high: float = 1.0,
) -> str:
    """A grid of cells shaded from white (low) to blue (high); an empty cell has no value."""
    if not row_labels or not column_labels:
        return empty_chart(name, title, "no cohort in this publication")
    cell_w, cell_h, left, top = 44, 20, 90, 30
    width = left + cell_w * len(column_labels) + 10
    height = top + cell_h * len(row_labels) + 10
    parts = [
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img">',
        f"<title>{escape(title)}</title>",
    ]
    for j, label in enumerate(column_labels):
        parts.append(
            f'<text x="{left + cell_w * (j + 0.5):.1f}" y="{top - 8}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    for i, label in enumerate(row_labels):
        y = top + cell_h * i
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="10">{escape(label)}</text>'
        )
        for j, value in enumerate(cells[i]):
            if value is None:
                continue
            share = min(max((value - low) / (high - low), 0.0), 1.0) if high > low else 1.0
            shade = int(255 - share * 190)
            text_color = "#fff" if share > 0.6 else "#000"
            x = left + cell_w * j
            parts.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}" '
                f'fill="rgb({shade},{shade + (255 - shade) // 3},255)">'
                f"<title>{escape(label)} +{escape(column_labels[j])}: {escape(fmt(value))}</title></rect>"
                f'<text x="{x + cell_w / 2:.1f}" y="{y + 14}" text-anchor="middle" font-size="9" '
                f'fill="{text_color}">{escape(fmt(value))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def empty_chart(name: str, title: str, message: str) -> str:
    """A chart frame that says why it has nothing to draw (still an SVG, so the page is whole)."""
    return (
        f'<svg class="chart empty" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} 60" width="{WIDTH}" height="60" role="img"><title>{escape(title)}</title>'
        f'<text x="10" y="35" font-size="13">{escape(message)}</text></svg>'
    )
