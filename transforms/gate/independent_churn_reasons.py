"""Rule 12's second path to the churn reasons (metrics.md §11): per month, cancellation reason and
feedback, the customers lost and their MRR, in Polars from the raw Stripe subscription rows as
ingest loaded them and the churned customers of the month.

It reads neither the dbt models nor the staging views and shares no code with
`marts.churn_reasons_monthly` (tests/transforms/gate/test_independence.py keeps it so). What it
shares with what it checks is the attribution rule of metrics.md §11: a churned customer counts
once, under the subscription of that customer that ended in the churn month (the latest end, then
the highest id), as the newest version in drops dated up to the as-of date shows it (the newest
line of a drop that holds it twice); with no such subscription, or no details given, the reason
and feedback are "not given".
"""

from __future__ import annotations

import datetime as dt

import polars as pl

NOT_GIVEN = "not given"

SCHEMA = {
    "month": pl.Date,
    "cancellation_reason": pl.String,
    "cancellation_feedback": pl.String,
    "logos_lost": pl.Int64,
    "mrr_lost": pl.Float64,
}


def newest_subscriptions(subscriptions: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Each subscription's newest raw version in drops dated ≤ `as_of`: id, customer, the month
    it ended in (UTC; NULL when it has not ended), the end itself, reason and feedback."""
    text = ("cancellation_reason", "cancellation_feedback")
    ended = pl.from_epoch(pl.col("ended_at"), time_unit="s")
    return (
        subscriptions.filter(pl.col("_drop_date") <= as_of)
        .sort("id", "_drop_date", "_line")
        .unique("id", keep="last", maintain_order=True)
        .select(
            "id",
            "customer",
            ended.alias("ended"),
            ended.dt.truncate("1mo").dt.date().alias("ended_month"),
            *[
                pl.when(pl.col(c).str.strip_chars() == "")
                .then(None)
                .otherwise(pl.col(c).str.strip_chars())
                .alias(c)
                for c in text
            ],
        )
    )


def expected_churn_reasons(
    churned: pl.DataFrame, subscriptions: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """(month, reason, feedback) → customers lost and MRR lost.

    `churned`: one row per customer and month with the movement churn (month, customer,
    churned_mrr); `subscriptions`: raw rows (id, customer, ended_at in epoch seconds, the two
    cancellation columns, _drop_date, _line)."""
    if churned.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    ended = newest_subscriptions(subscriptions, as_of).filter(pl.col("ended").is_not_null())
    candidates = churned.join(
        ended,
        left_on=["customer", "month"],
        right_on=["customer", "ended_month"],
        how="left",
    )
    # the latest end first, then the highest id; a customer without one keeps its single null row
    attributed = candidates.sort(
        "customer", "month", "ended", "id", descending=[False, False, True, True], nulls_last=True
    ).unique(["customer", "month"], keep="first", maintain_order=True)
    return (
        attributed.with_columns(
            pl.col("cancellation_reason").fill_null(NOT_GIVEN),
            pl.col("cancellation_feedback").fill_null(NOT_GIVEN),
        )
        .group_by("month", "cancellation_reason", "cancellation_feedback")
        .agg(
            pl.len().cast(pl.Int64).alias("logos_lost"),
            pl.col("churned_mrr").cast(pl.Float64).sum().alias("mrr_lost"),
        )
        .sort("month", "cancellation_reason", "cancellation_feedback")
        .cast(SCHEMA)
    )
