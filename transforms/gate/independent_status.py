"""Rule 18's second path to who is live: per Stripe customer and day, whether one of its
subscriptions is live, in Polars from the raw subscription rows as ingest loaded them.

It reads neither the dbt models nor the staging views and shares no code with the customer status
of `int_account_daily_metrics` (tests/transforms/gate/test_independence.py keeps it so): what it
shares with what it checks is metrics.md's population convention and Stripe's own statuses.

On day d a subscription is in the version the newest drop dated ≤ d delivered (the newest line of
that drop when a drop holds it twice). It is live when that version's status is `active`,
`past_due` or `trialing`. The judgement is one-sided: a customer live here may still be outside the
live book (an active subscription worth 0 is not paying), but a customer with no live subscription
on d and on d − 1 (its terminal day allowed) is certainly not live on d.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

#: Stripe subscription statuses in which a customer is paying (past_due included) or trialing.
LIVE_SUBSCRIPTION_STATUSES = ("active", "past_due", "trialing")


def live_customers_by_day(subscriptions: pl.DataFrame, days: list[dt.date]) -> pl.DataFrame:
    """(customer, day) for every day of `days` on which a subscription of the customer is live.

    `subscriptions`: raw rows with id, customer, status, _drop_date, _line (every drop's version)."""
    if subscriptions.is_empty() or not days:
        return pl.DataFrame(schema={"customer": pl.String, "day": pl.Date})
    versions = (
        subscriptions.sort("id", "_drop_date", "_line")
        .unique(["id", "_drop_date"], keep="last", maintain_order=True)
        .select("id", "customer", "status", pl.col("_drop_date").alias("valid_from"))
        .sort("valid_from")
    )
    wanted = (
        versions.select("id")
        .unique()
        .join(pl.DataFrame({"day": days}, schema={"day": pl.Date}), how="cross")
        .sort("day")
    )
    # Both sides are sorted on the day within each id (Polars cannot check it with `by`).
    on_day = wanted.join_asof(
        versions,
        left_on="day",
        right_on="valid_from",
        by="id",
        strategy="backward",
        check_sortedness=False,
    )
    return (
        on_day.filter(pl.col("status").is_in(list(LIVE_SUBSCRIPTION_STATUSES)))
        .select("customer", "day")
        .unique()
        .sort("customer", "day")
    )


def judged_rows(checked: pl.DataFrame, subscriptions: pl.DataFrame) -> pl.DataFrame:
    """The rows of `checked` whose day is after the first drop of `subscriptions`: before it a
    subscription's state comes from its dates, not from a version, and the day before the first
    drop has no version either (none at all without subscription rows)."""
    if subscriptions.is_empty():
        return checked.clear()
    return checked.filter(pl.col("day") > subscriptions["_drop_date"].min())


def rows_of_customers_not_live(
    checked: pl.DataFrame, accounts: pl.DataFrame, subscriptions: pl.DataFrame
) -> pl.DataFrame:
    """The rows of `checked` (table, account_id, day) whose account had no live subscription on
    the day nor on the day before (its terminal day), with the account's Stripe customer (NULL:
    the account names none, so it never paid), among the `judged_rows` (`subscriptions` holds
    every drop's rows from some day on and each subscription's newest row before it: its earliest
    drop date is the first drop whenever a row predates that day).

    `accounts`: account_id, stripe_customer_id (the newest version of every account, deleted ones
    included)."""
    checked = judged_rows(checked, subscriptions)
    if checked.is_empty():
        return checked.with_columns(pl.lit(None, pl.String).alias("customer")).clear()
    days = sorted(set(checked["day"].to_list()))
    window = sorted(set(days) | {d - dt.timedelta(days=1) for d in days})
    live = live_customers_by_day(subscriptions, window)
    live_today_or_before = pl.concat(
        [live, live.with_columns(pl.col("day") + pl.duration(days=1))]
    ).unique()
    return (
        checked.join(
            accounts.select("account_id", pl.col("stripe_customer_id").alias("customer")),
            on="account_id",
            how="left",
        )
        .join(live_today_or_before, on=["customer", "day"], how="anti")
        .sort("table", "day", "account_id")
    )
