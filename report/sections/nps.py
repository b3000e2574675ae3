"""The NPS section: the quarterly trend with its interval; a non-reportable quarter is marked."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import polars as pl

from report.charts import Band, Series, line_chart
from report.elements import absent_note, definitions_list, metric_cell


def _pick(frame: pl.DataFrame, *names: str) -> str | None:
    """The first of `names` that is a column of `frame` (None if none is)."""
    return next((n for n in names if n in frame.columns), None)


def nps_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """NPS by quarter with its interval; a non-reportable quarter is marked, not drawn."""
    head = "<h2 id='nps'>NPS</h2>"
    frame = tables.get("marts.nps_summary")
    if frame is None:
        return head + absent_note("marts.nps_summary", "NPS trend")
    if "period_type" in frame.columns:
        frame = frame.filter(pl.col("period_type") == "quarter")
    if "segment" in frame.columns:
        frame = frame.filter(pl.col("segment") == "all")
    period_col = _pick(frame, "period_start", "period")
    low_col = _pick(frame, "nps_ci_low", "ci_low", "interval_low")
    high_col = _pick(frame, "nps_ci_high", "ci_high", "interval_high")
    n_col = _pick(frame, "responses", "n_responses", "n")
    reason_col = _pick(frame, "reason", "nps_reason", "not_reportable_reason")
    if period_col is None or "nps" not in frame.columns:
        return head + (
            '<p class="absent">marts.nps_summary has no nps / period column this report knows; '
            f"its columns are: {escape(', '.join(frame.columns))}.</p>"
        )
    frame = frame.sort(period_col)
    labels = [str(p) for p in frame[period_col]]
    band = (
        Band(
            [None if v is None else float(v) for v in frame[low_col]],
            [None if v is None else float(v) for v in frame[high_col]],
        )
        if low_col and high_col
        else None
    )
    chart = line_chart(
        "nps_trend",
        "NPS by quarter with its 95% interval (n/r: not reportable, too few responses)",
        labels,
        [Series("NPS", [None if v is None else float(v) for v in frame["nps"]])],
        fmt=lambda v: f"{v:.0f}",
        band=band,
        reference=50.0,
        not_reportable=[v is None for v in frame["nps"]],
    )
    columns = [("nps", "score")]
    columns += [(c, "score") for c in (low_col, high_col) if c]
    columns += [(n_col, "count")] if n_col else []
    rows = []
    for r in frame.iter_rows(named=True):
        key = str(r[period_col])
        note = escape(r[reason_col]) if reason_col and r[reason_col] else ""
        if r["nps"] is None:
            note = "not reportable" + (f": {note}" if note else "")
        cells = "".join(metric_cell(f"nps_summary.{c}", key, r[c], unit) for c, unit in columns)
        rows.append(
            f'<tr><td class="text">{escape(key)}</td>{cells}<td class="text">{note}</td></tr>'
        )
    table = (
        "<table><tr><th class='text'>quarter</th>"
        + "".join(f"<th>{escape(c)}</th>" for c, _ in columns)
        + "<th class='text'>note</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return (
        head
        + '<p class="period">Quarters, all segments. A quarter with too few responses has no NPS: '
        "it is marked not reportable and left out of the line.</p>"
        + chart
        + table
        + definitions_list(registry, ["nps_summary.nps"])
    )
