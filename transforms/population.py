"""The live book of metrics.md ("population"): which account-days customer-success figures describe.

Each account has a customer status per day from Stripe (dbt `int_account_status_daily`, computed in
`int_account_daily_metrics`): paying (past_due included), trialing, paused, churned, never_paid.
Health scores, churn signals, alerts and lifecycle risk are computed for the live book only —
paying accounts, trialing ones as their own segment — and a churned account keeps one terminal row,
on the day it churns, and nothing after; a never-paid account is never scored.
"""

from __future__ import annotations

import polars as pl

#: Statuses in the live book (a churned account is in it on its terminal day only).
LIVE_STATUSES = ("paying", "trialing")
#: Every status a day can have; NULL when Stripe does not cover the day.
CUSTOMER_STATUSES = ("paying", "trialing", "paused", "churned", "never_paid")
POPULATION_LABEL = "live book (paying and trialing accounts, and churned ones on their churn day)"


def live_book(metrics: pl.DataFrame) -> pl.DataFrame:
    """The rows of `metrics` (int_account_daily_metrics rows) in the live book that day."""
    if "in_live_book" not in metrics.columns:
        raise ValueError(
            "the daily metrics lack in_live_book; rebuild int_account_daily_metrics "
            "(dbt run --select int_account_daily_metrics --full-refresh)"
        )
    return metrics.filter(pl.col("in_live_book").fill_null(False))
