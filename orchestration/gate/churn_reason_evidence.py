"""Rule 12's churn-reason evidence: the published churn reasons and MRR movements, the customers
that churned each month, and the raw Stripe subscription rows the reasons are recomputed from."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from orchestration.gate.reading import table_or_none
from orchestration.warehouse_io import read_frame, table_exists


def churned_customers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """month, customer, churned_mrr of every customer-month with movement churn (None: not built)."""
    if not table_exists(con, "marts", "mrr_monthly"):
        return None
    return read_frame(
        con,
        "select month, stripe_customer_id as customer, churned_mrr from marts.mrr_monthly "
        "where movement_category = 'churn'",
    )


def ended_subscription_rows(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """Every raw row, in drops up to the as-of date, of the subscriptions some drop showed ended
    (only those can name a churn's reason; None: no raw subscriptions loaded)."""
    if not table_exists(con, "raw", "stripe__subscriptions"):
        return None
    return read_frame(
        con,
        """
        select id, customer, ended_at, cancellation_reason, cancellation_feedback, _drop_date, _line
        from raw.stripe__subscriptions
        where _drop_date <= ?
          and id in (
              select id from raw.stripe__subscriptions where ended_at is not null and _drop_date <= ?
          )
        """,
        [as_of, as_of],
    )


def read_churn_reason_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """`churn_reasons_monthly` (None while not built), `churned_customers` and
    `ended_subscription_rows`; the movements come from the revenue reader."""
    return {
        "churn_reasons_monthly": table_or_none(con, "marts", "churn_reasons_monthly"),
        "churned_customers": churned_customers(con),
        "ended_subscription_rows": ended_subscription_rows(con, as_of),
    }
