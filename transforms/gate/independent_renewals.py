"""The gate's own derivation of renewals and their outcomes (metrics.md §11), from the raw Stripe
invoices and what Stripe billed per customer and month (rule 6's independent_billing), sharing no
code with the dbt models it checks (int_renewals_with_outcomes, marts.renewals).

A renewal is the end of a subscription line of a paid or open invoice (the invoice's newest version
by the as-of date) whose own service period is 12 months or more, not a proration. Its outcome
compares the customer's billed MRR of the month before the term-end month (the as-of month for a
later renewal) with that of the month holding term end + grace days, once that month has ended.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.independent_billing import subscription_lines

SECONDS_PER_MONTH = 30.436875 * 86_400
OUTCOME_TOLERANCE = 0.02


def renewal_terms(invoices: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """customer_id, subscription_id, term_end (UTC date) of every term of 12 months or more.

    `invoices` and `lines`: the raw columns independent_billing.subscription_lines takes, of drops
    dated up to the as-of date."""
    billed = subscription_lines(invoices, lines)
    newest = billed.group_by("invoice_id").agg(pl.col("_drop_date").max().alias("newest_drop"))
    return (
        billed.join(newest, on="invoice_id")
        .filter(
            (pl.col("_drop_date") == pl.col("newest_drop"))
            & pl.col("status").is_in(["paid", "open"])
            & ~pl.col("is_proration")
            & (((pl.col("period_end") - pl.col("period_start")) / SECONDS_PER_MONTH).round() >= 12)
        )
        .select(
            "customer_id",
            "subscription_id",
            pl.from_epoch("period_end", time_unit="s").dt.date().alias("term_end"),
        )
        .unique()
        .sort("subscription_id", "term_end")
    )


def _month_start(column: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1mo")


def renewal_outcomes(
    terms: pl.DataFrame, billed_months: pl.DataFrame, as_of: dt.date, grace_days: int
) -> pl.DataFrame:
    """`terms` with mrr_before, mrr_after (NULL until measured, or where Stripe's billing of the
    month is not known) and outcome (NULL likewise, and where nothing was billed before).

    `billed_months`: customer_id, month, billed_mrr (major units; a customer-month absent billed
    nothing), billed_known (False where what Stripe billed that month cannot be told)."""
    as_of_month = as_of.replace(day=1)
    months = billed_months.select("customer_id", "month", "billed_mrr", "billed_known")
    dated = terms.with_columns(
        before_month=pl.min_horizontal(
            _month_start("term_end").dt.offset_by("-1mo"), pl.lit(as_of_month)
        ),
        outcome_month=(pl.col("term_end") + pl.duration(days=grace_days)).dt.truncate("1mo"),
    ).with_columns(measured_on=pl.col("outcome_month").dt.month_end())

    def lookup(frame: pl.DataFrame, month: str, prefix: str) -> pl.DataFrame:
        renamed = months.rename(
            {"month": month, "billed_mrr": f"{prefix}_mrr", "billed_known": f"{prefix}_known"}
        )
        return frame.join(renamed, on=["customer_id", month], how="left").with_columns(
            pl.col(f"{prefix}_mrr").fill_null(0.0), pl.col(f"{prefix}_known").fill_null(True)
        )

    valued = lookup(lookup(dated, "before_month", "before"), "outcome_month", "after")
    measured = pl.col("measured_on") <= as_of
    before, after = pl.col("before_mrr"), pl.col("after_mrr")
    outcome = (
        pl.when(~measured | ~pl.col("before_known") | ~pl.col("after_known") | (before <= 0))
        .then(None)
        .when(after == 0)
        .then(pl.lit("churned"))
        .when((after - before).abs() <= OUTCOME_TOLERANCE * before + 1e-9)
        .then(pl.lit("renewed"))
        .when(after > before)
        .then(pl.lit("expanded"))
        .otherwise(pl.lit("contracted"))
    )
    return valued.with_columns(
        mrr_before=pl.when(pl.col("before_known")).then(before),
        mrr_after=pl.when(measured & pl.col("after_known")).then(after),
        outcome_measurable=measured & pl.col("before_known") & pl.col("after_known"),
        outcome=outcome,
    ).select(
        "customer_id",
        "subscription_id",
        "term_end",
        "mrr_before",
        "mrr_after",
        "outcome_measurable",
        "outcome",
    )
