"""The executive summary's book figures (live MRR, at-risk MRR, renewals due) and KPI targets.

Each figure names its population and counts only it; a figure whose table is not published is
left out of the summary rather than shown as zero.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Fact, cell
from report.formats import day_name
from report.sections.common import currency_of
from report.sections.health import at_risk

# The KPI whose target a chart draws as a line, by the chart's series name.
TARGET_KPIS = {
    "NRR": "net_revenue_retention_12m",
    "GRR": "gross_revenue_retention_12m",
    "NPS": "nps",
}


def kpi_targets(tables: Mapping[str, pl.DataFrame]) -> dict[str, float]:
    """The targets the charts draw, from the scorecard (none when it is not published)."""
    frame = tables.get("marts.kpi_scorecard")
    if frame is None:
        return {}
    found = dict(frame.select("kpi", "target_value").unique("kpi").iter_rows())
    return {
        series: float(found[kpi])
        for series, kpi in TARGET_KPIS.items()
        if found.get(kpi) is not None
    }


def live_book(accounts: pl.DataFrame) -> list[Fact]:
    """The live book's MRR: the current MRR of the paying accounts, with any not valued named."""
    paying = accounts.filter(pl.col("customer_status") == "paying")
    valued = paying["current_mrr"].drop_nulls()
    unknown = paying.height - valued.len()
    note = f"n = {paying.height:,} paying accounts"
    if unknown:
        note += f"; {unknown:,} of them have no known MRR and are not in the sum"
    total = float(valued.sum()) if valued.len() else None
    return [
        Fact(
            "Live book MRR",
            cell("summary.live_mrr", "", total, "money", currency_of(accounts) or "USD"),
            note,
        )
    ]


def renewals_due(book: pl.DataFrame) -> list[Fact]:
    """Renewals due in the next 90 days over the whole book (every CSM and the unassigned row)."""
    latest = book.filter(pl.col("as_of_date") == book["as_of_date"].max())
    day = day_name(latest["as_of_date"][0])
    unknown = int(latest["renewal_terms_unknown"].sum() or 0)
    note = f"{int(latest['renewals_due_90d'].sum() or 0):,} renewals due within 90 days of {day}"
    if unknown:
        note += f"; the terms of {unknown:,} account(s) are not known and are not counted"
    mrr = latest["renewal_mrr_due_90d"]
    total = None if mrr.null_count() == latest.height else float(mrr.sum())
    return [
        Fact(
            "Renewal MRR due in 90 days",
            cell("summary.renewal_mrr_due_90d", "", total, "money"),
            note,
        )
    ]


def book_facts(tables: Mapping[str, pl.DataFrame]) -> list[Fact]:
    """The summary's book figures for the tables published: live MRR, at risk, renewals due."""
    facts: list[Fact] = []
    accounts = tables.get("marts.dim_accounts")
    if accounts is not None and {"customer_status", "current_mrr"} <= set(accounts.columns):
        facts += live_book(accounts)
    risk = at_risk(tables)
    if risk is not None:
        facts.append(
            Fact(
                "At-risk MRR",
                cell("summary.at_risk_mrr", "", risk.mrr_at_stake, "money"),
                f"{len(risk.reasons):,} live accounts graded D/F or with a high churn signal "
                f"({risk.trialing:,} trialing)",
            )
        )
    # Renewals: marts.csm_book_daily (#23) carries each CSM's renewals due in 90 days. When
    # marts.renewals is published, its own section belongs in page.OPTIONAL_SECTIONS.
    book = tables.get("marts.csm_book_daily")
    if book is not None and not book.is_empty():
        facts += renewals_due(book)
    return facts
