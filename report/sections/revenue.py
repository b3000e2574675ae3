"""The revenue sections: MRR movements, net and gross revenue retention, revenue cohorts."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.charts import Target, heatmap, lines, stacked_bars
from report.elements import Figure, Section, Table, absent_section, cell
from report.formats import month_name, percent
from report.sections.common import axis_month, currency_of, numbers_table

MOVEMENTS = (
    ("new_mrr", "New", "#2ca02c", 1),
    ("reactivation_mrr", "Reactivation", "#17becf", 1),
    ("expansion_mrr", "Expansion", "#1f77b4", 1),
    ("contraction_mrr", "Contraction", "#ff7f0e", -1),
    ("churned_mrr", "Churned", "#d62728", -1),
)


def _months(frame: pl.DataFrame) -> str:
    """The months a frame covers, in words."""
    if frame.is_empty():
        return "no month"
    return f"{month_name(frame['month'].min())} to {month_name(frame['month'].max())}"


def movements_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """MRR movements by calendar month: a stacked bar chart (decreases below zero) and the numbers."""
    frame = tables.get("marts.mrr_movements_monthly")
    if frame is None:
        return absent_section(
            "mrr-movements", "MRR movements", "marts.mrr_movements_monthly", "MRR movements"
        )
    frame = frame.sort("month")
    currency = currency_of(frame) or "USD"
    order = [axis_month(m) for m in frame["month"]]
    rows = [
        {"x": axis_month(r["month"]), "series": label, "value": sign * float(r[col])}
        for r in frame.iter_rows(named=True)
        for col, label, _, sign in MOVEMENTS
        if r[col] is not None
    ]
    chart = stacked_bars(
        "mrr_movements",
        "MRR movements by calendar month; decreases drawn below zero",
        rows,
        order,
        [(label, color) for _, label, color, _ in MOVEMENTS],
        "money",
        currency,
    )
    columns = [(c, "money") for c in ("mrr_start", *(m[0] for m in MOVEMENTS))]
    columns += [("net_new_mrr", "money"), ("mrr_end", "money")]
    return Section(
        "mrr-movements",
        "MRR movements by month",
        intro=(
            f"Calendar months {_months(frame)}; the last month is valued at the as-of date. "
            f"Amounts in {currency}. Every paying customer is counted: no interval, nothing sampled.",
        ),
        figures=(
            Figure(
                "Where MRR came from and went, month by month",
                chart,
                "Increases above zero (new, reactivation, expansion), decreases below "
                f"(contraction, churned); {frame.height} months.",
            ),
        ),
        tables=(
            numbers_table(
                "mrr-movements-numbers",
                "mrr_movements_monthly",
                frame,
                "month",
                columns,
                currency,
            ),
        ),
        definitions=(*(f"mrr_movements_monthly.{c}" for c, *_ in MOVEMENTS),)
        + ("mrr_movements_monthly.mrr_end",),
    )


def _rate_rows(frame: pl.DataFrame, columns: tuple[tuple[str, str], ...]) -> list[dict]:
    return [
        {"x": axis_month(r["month"]), "series": label, "value": r[c]}
        for r in frame.iter_rows(named=True)
        for c, label in columns
    ]


def retention_section(
    tables: Mapping[str, pl.DataFrame], targets: Mapping[str, float] | None = None
) -> Section:
    """Trailing-12-month and monthly NRR and GRR: two line charts and the numbers."""
    frame = tables.get("marts.revenue_retention_monthly")
    if frame is None:
        return absent_section(
            "retention", "Revenue retention", "marts.revenue_retention_monthly", "revenue retention"
        )
    frame = frame.sort("month")
    order = [axis_month(m) for m in frame["month"]]
    colors = [("NRR", "#1f4e99"), ("GRR", "#e377c2")]
    twelve = (("nrr_12m", "NRR"), ("grr_12m", "GRR"))
    missing = [axis_month(r["month"]) for r in frame.iter_rows(named=True) if r["nrr_12m"] is None]
    chart_12m = lines(
        "retention_12m",
        "Trailing-12-month NRR and GRR by month",
        _rate_rows(frame, twelve),
        order,
        colors,
        "fraction",
        targets=[Target(v, f"{k} target") for k, v in (targets or {}).items()],
        not_reportable=missing,
    )
    chart_1m = lines(
        "retention_1m",
        "NRR and GRR of each single month",
        _rate_rows(frame, (("nrr_1m", "NRR"), ("grr_1m", "GRR"))),
        order,
        colors,
        "fraction",
    )
    logos = frame.filter(pl.col("nrr_12m").is_not_null())["cohort_logos_12m"].drop_nulls()
    n_text = (
        f"n = {int(logos.min()):,}–{int(logos.max()):,} customers paying 12 months earlier"
        if logos.len()
        else "no month is reportable yet"
    )
    columns = (
        ("nrr_12m", "fraction"),
        ("grr_12m", "fraction"),
        ("nrr_12m_denominator", "money"),
        ("cohort_logos_12m", "count"),
        ("nrr_1m", "fraction"),
        ("grr_1m", "fraction"),
        ("mrr_start", "money"),
    )
    return Section(
        "retention",
        "Net and gross revenue retention",
        intro=(
            f"Calendar months {_months(frame)}. The 12-month rates compare each month's MRR "
            "with the MRR of the customers paying twelve months earlier; "
            f"{len(missing)} month(s) have no such customers: marked n/r (not reportable) and "
            "left out of the line, not drawn as zero.",
        ),
        figures=(
            Figure(
                "Revenue retention over the trailing 12 months",
                chart_12m,
                f"{n_text}; every customer is counted, so no interval.",
            ),
            Figure(
                "Revenue retention of each single month",
                chart_1m,
                "MRR kept from the customers paying at the start of the month; every customer "
                "counted, no interval.",
            ),
        ),
        tables=(
            numbers_table(
                "retention-numbers",
                "revenue_retention_monthly",
                frame,
                "month",
                columns,
                currency_of(frame) or "USD",
            ),
        ),
        definitions=tuple(f"revenue_retention_monthly.{c}" for c, _ in columns[:2] + columns[4:6]),
    )


def cohorts_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """Revenue retention by cohort and month since the first paid month: a heat map with sizes."""
    frame = tables.get("marts.revenue_cohorts")
    if frame is None:
        return absent_section("cohorts", "Revenue cohorts", "marts.revenue_cohorts", "cohorts")
    cohorts = sorted(frame["cohort_month"].unique().to_list())
    offsets = sorted(frame["months_since_start"].unique().to_list())
    sizes = {
        r["cohort_month"]: r["cohort_size"]
        for r in frame.filter(pl.col("months_since_start") == 0).iter_rows(named=True)
    }

    def row_label(c: object) -> str:
        size = sizes.get(c)
        return f"{month_name(c, short=True)} (n = {'—' if size is None else f'{size:,}'})"  # type: ignore[arg-type]

    cells = [
        {
            "row": row_label(r["cohort_month"]),
            "column": str(r["months_since_start"]),
            "value": None if r["revenue_retention"] is None else float(r["revenue_retention"]),
        }
        for r in frame.iter_rows(named=True)
    ]
    peak = max((c["value"] for c in cells if c["value"] is not None), default=1.0)
    chart = heatmap(
        "revenue_cohorts",
        "Revenue retention by cohort (rows: first paid month; columns: months since)",
        cells,
        [row_label(c) for c in cohorts],
        [str(k) for k in offsets],
        high=max(peak, 1.0),
        column_title="Months since the first paid month",
    )
    lookup = {
        (r["cohort_month"], r["months_since_start"]): r["revenue_retention"]
        for r in frame.iter_rows(named=True)
    }
    rows = tuple(
        (
            row_label(c),
            *(
                cell(
                    "revenue_cohorts.revenue_retention",
                    f"{c.isoformat()}|{k}",
                    lookup.get((c, k)),
                    "fraction",
                    # Whole percents: two dozen months side by side must fit the page.
                    text=percent(lookup[(c, k)], 0) if lookup.get((c, k)) is not None else "",
                )
                for k in offsets
            ),
        )
        for c in cohorts
    )
    return Section(
        "cohorts",
        "Revenue cohorts",
        intro=(
            f"Customers grouped by their first paid month ({len(cohorts)} cohorts), each followed "
            "to the as-of month. A cell is the cohort's MRR that month as a share of its MRR in "
            "its first month; n is the cohort's size in customers.",
        ),
        figures=(
            Figure(
                "Share of each cohort's starting MRR kept, by months since it started",
                chart,
                "Each row is a cohort, labelled with its size n; every customer counted, no "
                "interval. Grey: not reportable (a cohort below its minimum size); blank: a "
                "month the cohort has not reached yet.",
            ),
        ),
        tables=(
            Table(
                "cohort-numbers",
                ("Cohort", *(str(k) for k in offsets)),
                rows,
                caption="the numbers",
                collapsed=True,
            ),
        ),
        definitions=("revenue_cohorts.revenue_retention", "revenue_cohorts.cohort_size"),
    )
