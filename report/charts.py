"""The report's charts: Altair specifications rendered to static SVG by vl-convert.

vl-convert runs Vega in an embedded JavaScript engine: no browser, no network (it is told to refuse
every external URL; the data is inline), and the page gets plain SVG, no script. Text is measured
with the first font of `FONT` found on the machine that builds the report; DejaVu Sans is among the
widest sans fonts, so a reader whose browser falls back to a narrower one sees more space, never
overlapping labels.

Charts take long frames (one row per mark) with plain Python values; a missing value (None) is a
gap, never a zero. Each returns `Markup` of one `<svg data-chart="<name>">`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import altair as alt
import vl_convert
from markupsafe import Markup

from report.formats import currency_symbol

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
# Plot areas fit A4 portrait (about 718 px between 10 mm margins) with the axis labels beside them.
WIDTH = 590
HEIGHT = 210
LABEL_SIZE = 11
INK = "#333333"
MUTED = "#666666"
# Average advance of a DejaVu Sans character at 1 px font size (digits and letters): used to space
# category labels so that none overlap, rather than letting Vega drop them at random.
CHAR_WIDTH = 0.64


@dataclass(frozen=True)
class Target:
    """A dashed reference line (a KPI target) with its label."""

    value: float
    label: str
    color: str = MUTED


def axis_format(unit: str) -> str:
    """The d3 format of a value axis: $ and k/M for money, % for fractions, k for counts."""
    return {"money": "$.3~s", "fraction": ".0%", "count": ".3~s", "score": "~d"}.get(unit, "~g")


def _locale(currency: str | None) -> dict:
    """d3's number locale: thousands separators, the currency's symbol, a true minus sign."""
    return {
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": [currency_symbol(currency or "USD"), ""],
        "minus": "\u2212",
    }


def shown_labels(labels: Sequence[str], width: float, font_size: float = LABEL_SIZE) -> list[str]:
    """The category labels to print under `width` px so that none overlaps the next: every k-th,
    counted back from the last (the latest period is always labelled)."""
    if not labels:
        return []
    widest = max(len(line) for label in labels for line in label.split("|"))
    step = max(1, math.ceil((widest * CHAR_WIDTH * font_size + 8) / (width / len(labels))))
    return list(reversed(list(reversed(labels))[::step]))


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT, background="white", padding=8)
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=LABEL_SIZE,
            titleFontSize=LABEL_SIZE,
            titleFontWeight="normal",
            labelColor=INK,
            titleColor=INK,
            gridColor="#e6e6e6",
            domainColor="#999999",
            tickColor="#999999",
        )
        .configure_legend(
            orient="top",
            labelFontSize=LABEL_SIZE,
            titleFontSize=LABEL_SIZE,
            titleFontWeight="normal",
            symbolSize=90,
            columnPadding=14,
        )
    )


def render(chart: alt.TopLevelMixin, name: str, description: str, currency: str | None) -> Markup:
    """The chart as an inline SVG string tagged with its name and described for screen readers."""
    svg = vl_convert.vegalite_to_svg(
        _configured(chart).to_dict(), allowed_base_urls=[], format_locale=_locale(currency)
    )
    tag = f'<svg data-chart="{escape(name)}" role="img" aria-label="{escape(description)}" '
    return Markup(svg.replace("<svg ", tag, 1))


def _x(order: Sequence[str], width: float, title: str | None = None) -> alt.X:
    """A category x axis in the given order, labels thinned so that none overlap."""
    return alt.X(
        "x:N",
        # The whole domain, in order, in every layer: categories with no value keep their place.
        scale=alt.Scale(domain=list(order)),
        title=title,
        axis=alt.Axis(
            values=shown_labels(order, width),
            labelAngle=0,
            labelExpr="split(datum.label, '|')",
            labelOverlap="greedy",
            ticks=False,
        ),
    )


def _zero_rule() -> alt.Chart:
    """A dark line at zero, so the zero of a value axis is marked as well as labelled."""
    return alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color=INK).encode(y="zero:Q")


def _targets(targets: Sequence[Target], x: alt.X, x_last: str) -> list[alt.Chart]:
    """Dashed target lines, each labelled at the right end, just above the line."""
    layers = []
    for t in targets:
        data = alt.Data(values=[{"y": t.value, "x": x_last, "label": t.label}])
        layers.append(
            alt.Chart(data)
            .mark_rule(color=t.color, strokeDash=[5, 4], ariaRoleDescription="target line")
            .encode(y="y:Q")
        )
        layers.append(
            alt.Chart(data)
            .mark_text(align="right", baseline="bottom", dy=-3, color=t.color, fontSize=10)
            .encode(x=x, y="y:Q", text="label:N")
        )
    return layers


def stacked_bars(
    name: str,
    description: str,
    rows: list[dict],
    x_order: Sequence[str],
    series: Sequence[tuple[str, str]],
    unit: str,
    currency: str | None = None,
) -> Markup:
    """Bars stacked from zero, positive values up and negative ones down (`rows`: x, series,
    value); `series` are (name, colour) in stacking and legend order."""
    names = [s for s, _ in series]
    data = [{**r, "order": names.index(r["series"])} for r in rows if r["value"] not in (None, 0)]
    bars = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=_x(x_order, WIDTH),
            y=alt.Y(
                "value:Q",
                stack="zero",
                title=None,
                scale=alt.Scale(zero=True, nice=True),
                axis=alt.Axis(format=axis_format(unit), tickCount=6, labelFlush=False),
            ),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=names, range=[c for _, c in series]),
                legend=alt.Legend(title=None),
                sort=names,
            ),
            order=alt.Order("order:Q"),
        )
    )
    chart = alt.layer(bars, _zero_rule()).properties(width=WIDTH, height=HEIGHT)
    return render(chart, name, description, currency)


def lines(
    name: str,
    description: str,
    rows: list[dict],
    x_order: Sequence[str],
    series: Sequence[tuple[str, str]],
    unit: str,
    targets: Sequence[Target] = (),
    band: list[dict] | None = None,
    not_reportable: Sequence[str] = (),
    currency: str | None = None,
) -> Markup:
    """Lines with points over categories (`rows`: x, series, value; a None value breaks the line),
    an optional interval band (`band`: x, low, high), dashed targets and "n/r" at the x labels whose
    value is not reportable. The value axis starts at zero."""
    names = [s for s, _ in series]
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=names, range=[c for _, c in series]),
        legend=alt.Legend(title=None) if len(series) > 1 else None,
        sort=names,
    )
    y = alt.Y(
        "value:Q",
        title=None,
        scale=alt.Scale(zero=True, nice=True),
        axis=alt.Axis(format=axis_format(unit), tickCount=6),
    )
    drawn = [r for r in _with_segments(rows) if r["value"] is not None]
    base = alt.Chart(alt.Data(values=drawn)).encode(x=_x(x_order, WIDTH), y=y, color=color)
    layers: list[alt.Chart] = []
    if band:
        pieces = _with_segments([{**b, "series": "band", "value": b["low"]} for b in band])
        layers.append(
            alt.Chart(alt.Data(values=[b for b in pieces if b["value"] is not None]))
            .mark_area(opacity=0.18, color=series[0][1])
            .encode(x=_x(x_order, WIDTH), y=alt.Y("low:Q"), y2="high:Q", detail="segment:N")
        )
    layers += [
        base.mark_line(strokeWidth=2).encode(detail="segment:N"),
        base.mark_point(filled=True, size=30),
        _zero_rule(),
        *_targets(targets, _x(x_order, WIDTH), x_order[-1]),
    ]
    if not_reportable:
        layers.append(
            alt.Chart(alt.Data(values=[{"x": x, "y": 0, "t": "n/r"} for x in not_reportable]))
            .mark_text(baseline="bottom", dy=-4, color="#8a6d00", fontSize=10)
            .encode(x=_x(x_order, WIDTH), y="y:Q", text="t:N")
        )
    chart = alt.layer(*layers).properties(width=WIDTH, height=HEIGHT)
    return render(chart, name, description, currency)


def _with_segments(rows: list[dict]) -> list[dict]:
    """Each row with a `segment` id per series that changes after every missing value, so a line is
    drawn in pieces across gaps instead of joining over them."""
    segment: dict[str, int] = {}
    out = []
    for r in rows:
        key = r["series"]
        if r["value"] is None:
            segment[key] = segment.get(key, 0) + 1
        out.append({**r, "segment": f"{key}#{segment.get(key, 0)}"})
    return out


def bars_and_intervals(
    name: str,
    description: str,
    bars: list[dict],
    points: list[dict],
    x_order: Sequence[str],
    labels: tuple[str, str],
    colors: tuple[str, str] = ("#9ecae1", "#08519c"),
    unit: str = "fraction",
) -> Markup:
    """Bars of one rate (`bars`: x, value) beside points of another with their 95% interval
    (`points`: x, value, low, high), both on one value axis from zero."""
    color = alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(labels), range=list(colors)),
        legend=alt.Legend(title=None),
        sort=list(labels),
    )
    y = alt.Y(
        "value:Q",
        title=None,
        scale=alt.Scale(zero=True, nice=True),
        axis=alt.Axis(format=axis_format(unit), tickCount=6),
    )
    bar_rows = [{**b, "series": labels[0]} for b in bars if b["value"] is not None]
    point_rows = [{**p, "series": labels[1]} for p in points if p["value"] is not None]
    x = _x(x_order, WIDTH)
    layers = [
        alt.Chart(alt.Data(values=bar_rows)).mark_bar(size=10).encode(x=x, y=y, color=color),
        alt.Chart(alt.Data(values=point_rows))
        .mark_rule(color=colors[1])
        .encode(x=x, y="low:Q", y2="high:Q"),
        alt.Chart(alt.Data(values=point_rows))
        .mark_point(filled=True, size=30)
        .encode(x=x, y=y, color=color),
        _zero_rule(),
    ]
    return render(
        alt.layer(*layers).properties(width=WIDTH, height=HEIGHT), name, description, None
    )


def heatmap(
    name: str,
    description: str,
    cells: list[dict],
    rows: Sequence[str],
    columns: Sequence[str],
    high: float,
    column_title: str,
) -> Markup:
    """A grid shaded from white (0) to dark blue (`high`), each cell with its value as a whole
    percentage when the cell is wide enough (`cells`: row, column, value); a cell whose value is
    missing (not reportable) is grey, never white, so it cannot be read as zero."""
    cell_w = max(12, min(34, math.floor(WIDTH / max(len(columns), 1))))
    cell_h = 17
    x = alt.X(
        "column:N",
        scale=alt.Scale(domain=list(columns)),
        title=column_title,
        axis=alt.Axis(orient="top", labelAngle=0, ticks=False, values=shown_labels(columns, WIDTH)),
    )
    y = alt.Y("row:N", scale=alt.Scale(domain=list(rows)), title=None, axis=alt.Axis(ticks=False))
    known = alt.Chart(alt.Data(values=[c for c in cells if c["value"] is not None]))
    missing = [c for c in cells if c["value"] is None]
    layers = [
        alt.Chart(alt.Data(values=missing or [{"row": rows[0], "column": columns[0]}]))
        .mark_rect(stroke="white", strokeWidth=1, color="#d9d9d9", opacity=1 if missing else 0)
        .encode(x=x, y=y),
        known.mark_rect(stroke="white", strokeWidth=1).encode(
            x=x,
            y=y,
            color=alt.Color(
                "value:Q",
                scale=alt.Scale(domain=[0, high], scheme="blues"),
                legend=alt.Legend(
                    title=None, format=".0%", orient="bottom", gradientLength=300, tickCount=4
                ),
            ),
        ),
    ]
    if cell_w >= 22:
        layers.append(
            known.transform_calculate(label="format(datum.value * 100, '.0f')")
            .mark_text(fontSize=9)
            .encode(
                x=x,
                y=y,
                text="label:N",
                color=alt.condition(
                    alt.datum.value > high * 0.55, alt.value("white"), alt.value("#1a1a1a")
                ),
            )
        )
    chart = alt.layer(*layers).properties(width=cell_w * len(columns), height=cell_h * len(rows))
    return render(chart, name, description, None)
