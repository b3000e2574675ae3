"""The KPI scorecard section: each KPI by period with its target, status, change and interval."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import polars as pl

from report.elements import absent_note, definitions_list, metric_cell, value_text


def scorecard_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """The KPI scorecard: each KPI by period, against its target, with definitions."""
    frame = tables.get("marts.kpi_scorecard")
    html = ["<h2 id='scorecard'>KPI scorecard</h2>"]
    if frame is None:
        return html[0] + absent_note("marts.kpi_scorecard", "KPI scorecard")
    order = {"month": 0, "quarter": 1, "trailing_12_months": 2}
    frame = frame.sort(
        pl.col("kpi"), pl.col("period_type").replace_strict(order, default=9, return_dtype=pl.Int8)
    )
    rows = []
    for r in frame.iter_rows(named=True):
        key = f"{r['kpi']}|{r['period_type']}"
        status_class = r["status"].replace(" ", "-")
        interval = (
            f"{value_text(r['interval_low'], r['unit'])} – {value_text(r['interval_high'], r['unit'])}"
            if r["interval_low"] is not None
            else f'<span title="{escape(r["interval_method"] or "")}">none (every unit counted)</span>'
            if (r["interval_method"] or "").startswith("none")
            else "—"
        )
        target = f"{escape(r['target_operator'])} {value_text(r['target_value'], r['unit'])}"
        change = (
            "—"
            if r["change"] is None
            else f"{r['change'] * 100:+.1f} pp"
            if r["unit"] == "fraction"
            else f"{r['change']:+.1f}"
        )
        status = escape(r["status"]) + (
            f"<br><small>{escape(r['status_reason'])}</small>" if r["status_reason"] else ""
        )
        rows.append(
            "<tr>"
            f'<td class="text">{escape(r["label"])}</td>'
            f'<td class="text">{escape(r["period_type"].replace("_", " "))}<br><small>'
            f"{r['period_start']} … {r['period_end']}</small></td>"
            + metric_cell("kpi_scorecard.value", key, r["value"], r["unit"])
            + f'<td class="text">{target}</td>'
            f'<td class="text {status_class}" data-metric="kpi_scorecard.status" data-key="{escape(key)}" '
            f'data-value="{escape(r["status"])}">{status}</td>'
            + metric_cell("kpi_scorecard.previous_value", key, r["previous_value"], r["unit"])
            + metric_cell("kpi_scorecard.change", key, r["change"], r["unit"], text=change)
            + metric_cell("kpi_scorecard.sample_size", key, r["sample_size"], "count")
            + f'<td class="text">{interval}</td>'
            f'<td class="text"><code>{escape(r["registry_entry"])}</code></td>'
            "</tr>"
        )
    html.append(
        '<table id="kpi-scorecard"><tr><th class="text">KPI</th><th class="text">period</th>'
        '<th>value</th><th class="text">target</th><th class="text">status</th><th>previous</th>'
        '<th>change</th><th>n</th><th class="text">95% interval</th><th class="text">registry entry</th></tr>'
        + "".join(rows)
        + "</table>"
    )
    html.append(definitions_list(registry, sorted(set(frame["registry_entry"].to_list()))))
    return "".join(html)
