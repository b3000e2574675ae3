"""Rule 12 on the churn reasons (metrics.md §11): `marts.churn_reasons_monthly` adds up, month by
month, to the churn of `marts.mrr_movements_monthly`, and each of its rows equals the independent
recomputation from the raw Stripe subscriptions (`independent_churn_reasons`).

A pure judge: the published tables and the raw rows in, results out. Amounts are compared within
half a cent (they are sums of cent amounts), counts exactly.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.independent_churn_reasons import expected_churn_reasons
from transforms.gate.results import RuleResult, listed, not_applicable

R12 = "r12_sample_verification"
TARGET_TOTALS = "marts.churn_reasons_monthly (month totals against mrr_movements_monthly)"
TARGET_ROWS = "marts.churn_reasons_monthly (rows against raw Stripe subscriptions)"
CENT_TOLERANCE = 0.005
KEY = ["month", "cancellation_reason", "cancellation_feedback"]


def _month_totals(published: pl.DataFrame, movements: pl.DataFrame) -> RuleResult:
    """Each month's rows sum to its churned MRR and logos; a month whose total is unknown has
    NULL amounts only."""
    sums = published.group_by("month").agg(
        pl.col("mrr_lost").cast(pl.Float64).sum().alias("mrr_lost"),
        pl.col("logos_lost").sum().alias("logos_lost"),
        pl.col("mrr_lost").is_not_null().any().alias("any_amount"),
    )
    joined = movements.select(
        "month",
        pl.col("churned_mrr").cast(pl.Float64),
        pl.col("logos_churned").cast(pl.Int64),
        "customers_mrr_unknown",
    ).join(sums, on="month", how="full", coalesce=True)
    known = pl.col("customers_mrr_unknown") == 0
    differs = (
        pl.col("customers_mrr_unknown").is_null()  # a month of reasons with no movements row
        | (
            known
            & (
                ((pl.col("mrr_lost").fill_null(0.0) - pl.col("churned_mrr")).abs() > CENT_TOLERANCE)
                | (pl.col("logos_lost").fill_null(0) != pl.col("logos_churned"))
            )
        )
        | (~known & pl.col("any_amount").fill_null(False))
    )
    bad = joined.filter(differs).sort("month")
    shown = [
        f"{r['month']}: reasons {r['logos_lost'] or 0} logos / {r['mrr_lost'] or 0:.2f}, "
        f"movements {r['logos_churned']} / {r['churned_mrr']}"
        for r in bad.iter_rows(named=True)
    ]
    return RuleResult(
        R12,
        TARGET_TOTALS,
        "fail" if bad.height else "pass",
        f"{bad.height} of {joined.height} months differ" + (f": {listed(shown)}" if shown else ""),
        f"error on any month off by more than {CENT_TOLERANCE} or by any logo",
        "the churn reasons must add up to each month's churned MRR and logos"
        if bad.height
        else "every month's reasons add up to its churned MRR and logos",
    )


def _rows_reproduced(
    published: pl.DataFrame, movements: pl.DataFrame, expected: pl.DataFrame
) -> RuleResult:
    """Every (month, reason, feedback) row of a month whose total is known equals the
    recomputation from raw."""
    known_months = movements.filter(pl.col("customers_mrr_unknown") == 0).select("month")
    mine = published.join(known_months, on="month").select(
        *KEY, pl.col("logos_lost").cast(pl.Int64), pl.col("mrr_lost").cast(pl.Float64)
    )
    theirs = expected.join(known_months, on="month")
    joined = mine.join(theirs, on=KEY, how="full", coalesce=True, suffix="_raw")
    bad = joined.filter(
        (pl.col("logos_lost").fill_null(0) != pl.col("logos_lost_raw").fill_null(0))
        | (
            (pl.col("mrr_lost").fill_null(0.0) - pl.col("mrr_lost_raw").fill_null(0.0)).abs()
            > CENT_TOLERANCE
        )
    ).sort(KEY)
    shown = [
        f"{r['month']} {r['cancellation_reason']}/{r['cancellation_feedback']}: published "
        f"{r['logos_lost'] or 0} / {r['mrr_lost'] or 0:.2f}, raw {r['logos_lost_raw'] or 0} / "
        f"{r['mrr_lost_raw'] or 0:.2f}"
        for r in bad.iter_rows(named=True)
    ]
    return RuleResult(
        R12,
        TARGET_ROWS,
        "fail" if bad.height else "pass",
        f"{bad.height} of {joined.height} reason rows differ"
        + (f": {listed(shown)}" if shown else ""),
        "error on any row that differs",
        "the churn reasons differ from the raw subscriptions' cancellation_details"
        if bad.height
        else "every reason row reproduced from the raw subscriptions",
    )


def churn_reasons_reconciled(
    published: pl.DataFrame | None,
    movements: pl.DataFrame | None,
    churned: pl.DataFrame | None,
    subscriptions: pl.DataFrame | None,
    as_of: dt.date,
) -> list[RuleResult]:
    """Rule 12 on the churn reasons: month totals against the movements, rows against raw.

    `churned`: month, customer, churned_mrr of every customer-month with movement churn;
    `subscriptions`: the raw Stripe subscription rows (see `expected_churn_reasons`)."""
    if published is None or movements is None:
        reason = "churn reasons or MRR movements not built"
        return [
            not_applicable(R12, TARGET_TOTALS, reason),
            not_applicable(R12, TARGET_ROWS, reason),
        ]
    results = [_month_totals(published, movements)]
    if churned is None or subscriptions is None:
        results.append(not_applicable(R12, TARGET_ROWS, "no raw Stripe subscriptions loaded"))
    else:
        expected = expected_churn_reasons(churned, subscriptions, as_of)
        results.append(_rows_reproduced(published, movements, expected))
    return results
