"""Churn by cancellation reason (marts.churn_reasons_monthly): MRR lost per reason over the
last 12 months, "not given" its own reason; shown only when the table is published."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from report.elements import Section, Table, cell
from report.formats import month_name


def churn_reasons_section(tables: Mapping[str, pl.DataFrame]) -> Section:
    """MRR and customers lost per cancellation reason over the latest 12 months published."""
    frame = tables["marts.churn_reasons_monthly"]
    months = sorted(frame["month"].unique().to_list())[-12:]
    recent = frame.filter(pl.col("month").is_in(months))
    by_reason = (
        recent.group_by("cancellation_reason")
        .agg(pl.col("logos_lost").sum(), pl.col("mrr_lost").sum())
        .sort("mrr_lost", descending=True, nulls_last=True)
    )
    rows = tuple(
        (
            str(r["cancellation_reason"] or "not given").replace("_", " ").capitalize(),
            cell(
                "churn_reasons.logos_lost", str(r["cancellation_reason"]), r["logos_lost"], "count"
            ),
            cell("churn_reasons.mrr_lost", str(r["cancellation_reason"]), r["mrr_lost"], "money"),
        )
        for r in by_reason.iter_rows(named=True)
    )
    span = f"{month_name(months[0])} to {month_name(months[-1])}" if months else "no month"
    return Section(
        "churn-reasons",
        "Why customers left",
        intro=(
            f"Customers who churned {span}, by the reason they gave Stripe when cancelling; "
            "“not given” is its own reason, so the rows add up to the churn of those months.",
        ),
        tables=(Table("churn-reasons", ("Reason", "Customers lost", "MRR lost"), rows),),
        definitions=("churn_reasons_monthly.mrr_lost",),
    )
