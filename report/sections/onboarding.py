"""The onboarding section: accounts by onboarding status, time to first value, completion rate."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import polars as pl

from report.elements import absent_note, definitions_list, metric_cell, value_text


def onboarding_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """Accounts by onboarding status, median time to first value, completion rate."""
    head = "<h2 id='onboarding'>Onboarding and time to first value</h2>"
    frame = tables.get("marts.onboarding_progress")
    if frame is None:
        return head + absent_note("marts.onboarding_progress", "Onboarding and time to first value")
    latest = frame["as_of_date"].max()
    frame = frame.filter(pl.col("as_of_date") == latest)
    status_counts = frame.group_by("status").agg(pl.len().alias("accounts")).sort("status")
    rows = "".join(
        f'<tr><td class="text">{escape(r["status"])}</td>'
        + metric_cell("onboarding_progress.accounts", r["status"], r["accounts"], "count")
        + "</tr>"
        for r in status_counts.iter_rows(named=True)
    )
    known = frame["time_to_first_value_days"].drop_nulls()
    median = None if known.is_empty() else float(known.median())
    parts = [
        head,
        f'<p class="period">Every onboarding account as of {latest}.</p>',
        "<table><tr><th class='text'>status</th><th>accounts</th></tr>",
        rows,
        "</table>",
        "<p>Median time to first value: "
        f'<strong data-metric="onboarding_progress.time_to_first_value_days.median" '
        f'data-value="{"" if median is None else repr(median)}">{value_text(median, "days")}</strong> '
        f"over the {known.len()} accounts that reached first value (accounts still on their way "
        "have no value yet and are not counted).</p>",
    ]
    completion = tables.get("marts.onboarding_completion")
    if completion is None:
        parts.append(absent_note("marts.onboarding_completion", "Onboarding completion rate"))
    else:
        overall = completion.filter(
            (pl.col("as_of_date") == completion["as_of_date"].max()) & (pl.col("program") == "all")
        )
        for r in overall.iter_rows(named=True):
            interval = (
                f" (95% interval {value_text(r['rate_low'], 'fraction')} – "
                f"{value_text(r['rate_high'], 'fraction')})"
                if r["rate_low"] is not None
                else ""
            )
            parts.append(
                "<p>Onboarding completion: "
                f'<strong data-metric="onboarding_completion.rate" data-key="all" '
                f'data-value="{"" if r["rate"] is None else repr(r["rate"])}">'
                f"{value_text(r['rate'], 'fraction')}</strong>{interval}: {r['completed']} of the "
                f"{r['window_ended']} accounts whose onboarding window has ended completed every "
                f"required step within it (as of {r['as_of_date']}).</p>"
            )
    parts.append(
        definitions_list(
            registry,
            ["onboarding_progress.time_to_first_value_days", "onboarding_completion.rate"],
        )
    )
    return "".join(parts)
