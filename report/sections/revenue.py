"""The revenue sections: MRR movements, net and gross revenue retention, revenue cohorts."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.charts import Series, heatmap, line_chart, stacked_bar_chart
from report.elements import absent_note, data_table, definitions_list, metric_cell, month_label

MOVEMENTS = (
    ("new_mrr", "new", "#2ca02c", 1),
    ("reactivation_mrr", "reactivation", "#17becf", 1),
    ("expansion_mrr", "expansion", "#1f77b4", 1),
    ("contraction_mrr", "contraction", "#ff7f0e", -1),
    ("churned_mrr", "churned", "#d62728", -1),
)


def movements_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """MRR movements by calendar month: a stacked bar chart and the numbers."""
    head = "<h2 id='mrr-movements'>MRR movements by month</h2>"
    frame = tables.get("marts.mrr_movements_monthly")
    if frame is None:
        return head + absent_note("marts.mrr_movements_monthly", "MRR movements")
    frame = frame.sort("month")
    labels = [month_label(m) for m in frame["month"]]
    series = [
        Series(label, [None if v is None else sign * float(v) for v in frame[col]], color)
        for col, label, color, sign in MOVEMENTS
    ]
    period = f"{frame['month'].min()} … {frame['month'].max()}" if frame.height else "no month"
    chart = stacked_bar_chart(
        "mrr_movements",
        "MRR movements by calendar month (decreases drawn below zero)",
        labels,
        series,
    )
    table = data_table(
        "mrr_movements_monthly",
        frame,
        "month",
        [(c, "money") for c in ("mrr_start", *(m[0] for m in MOVEMENTS), "net_new_mrr", "mrr_end")],
        "the numbers",
    )
    names = [f"mrr_movements_monthly.{c}" for c, *_ in MOVEMENTS] + [
        "mrr_movements_monthly.mrr_end"
    ]
    return (
        head
        + f'<p class="period">Period: calendar months {period}; the last month is valued at the as-of '
        "date. Amounts in the reporting currency.</p>"
        + chart
        + table
        + definitions_list(registry, names)
    )


def retention_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """Trailing-12-month and monthly NRR and GRR: two line charts and the numbers."""
    head = "<h2 id='retention'>Net and gross revenue retention</h2>"
    frame = tables.get("marts.revenue_retention_monthly")
    if frame is None:
        return head + absent_note("marts.revenue_retention_monthly", "Revenue retention")
    frame = frame.sort("month")
    labels = [month_label(m) for m in frame["month"]]

    def values(col: str) -> list[float | None]:
        return [None if v is None else float(v) for v in frame[col]]

    chart_12m = line_chart(
        "retention_12m",
        "Trailing-12-month NRR and GRR by month",
        labels,
        [Series("NRR 12m", values("nrr_12m")), Series("GRR 12m", values("grr_12m"))],
        fmt=lambda v: f"{v:.0%}",
    )
    chart_1m = line_chart(
        "retention_1m",
        "Monthly NRR and GRR",
        labels,
        [Series("NRR 1m", values("nrr_1m")), Series("GRR 1m", values("grr_1m"))],
        fmt=lambda v: f"{v:.1%}",
    )
    missing = frame.filter(pl.col("nrr_12m").is_null()).height
    table = data_table(
        "revenue_retention_monthly",
        frame,
        "month",
        [
            ("nrr_12m", "fraction"),
            ("grr_12m", "fraction"),
            ("nrr_12m_denominator", "money"),
            ("cohort_logos_12m", "count"),
            ("nrr_1m", "fraction"),
            ("grr_1m", "fraction"),
            ("mrr_start", "money"),
        ],
        "the numbers",
    )
    return (
        head
        + f'<p class="period">Period: calendar months {frame["month"].min()} … {frame["month"].max()}. '
        f"The 12-month rates need a month twelve months earlier with paying customers: {missing} "
        "month(s) have none and are left out of the line (not reportable), not drawn as zero.</p>"
        + chart_12m
        + chart_1m
        + table
        + definitions_list(
            registry,
            [
                "revenue_retention_monthly.nrr_12m",
                "revenue_retention_monthly.grr_12m",
                "revenue_retention_monthly.nrr_1m",
                "revenue_retention_monthly.grr_1m",
            ],
        )
    )


def cohorts_section(tables: Mapping[str, pl.DataFrame], registry: pl.DataFrame | None) -> str:
    """Revenue retention by cohort and month since the first paid month: a heatmap."""
    head = "<h2 id='cohorts'>Revenue cohorts</h2>"
    frame = tables.get("marts.revenue_cohorts")
    if frame is None:
        return head + absent_note("marts.revenue_cohorts", "Revenue cohorts")
    cohorts = sorted(frame["cohort_month"].unique().to_list())
    offsets = sorted(frame["months_since_start"].unique().to_list())
    lookup = {
        (r["cohort_month"], r["months_since_start"]): r["revenue_retention"]
        for r in frame.iter_rows(named=True)
    }
    cells = [
        [None if lookup.get((c, k)) is None else float(lookup[(c, k)]) for k in offsets]
        for c in cohorts
    ]
    peak = max((v for row in cells for v in row if v is not None), default=1.0)
    chart = heatmap(
        "revenue_cohorts",
        "Revenue retention by cohort (rows: first paid month; columns: months since)",
        [month_label(c) for c in cohorts],
        [str(k) for k in offsets],
        cells,
        high=max(peak, 1.0),
    )
    body = []
    for c, row in zip(cohorts, cells, strict=True):
        tds = "".join(
            metric_cell("revenue_cohorts.revenue_retention", f"{c.isoformat()}|{k}", v, "fraction")
            for k, v in zip(offsets, row, strict=True)
        )
        body.append(f'<tr><td class="text">{c.isoformat()}</td>{tds}</tr>')
    table = (
        "<details><summary>the numbers</summary><table><tr><th class='text'>cohort</th>"
        + "".join(f"<th>{k}</th>" for k in offsets)
        + "</tr>"
        + "".join(body)
        + "</table></details>"
    )
    return (
        head
        + f'<p class="period">Cohorts {cohorts[0] if cohorts else "—"} … {cohorts[-1] if cohorts else "—"}, '
        "each followed to the as-of month.</p>"
        + chart
        + table
        + definitions_list(registry, ["revenue_cohorts.revenue_retention"])
    )
