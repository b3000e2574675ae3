"""Rule 6's account of what Stripe billed: each customer's invoiced subscription amounts spread over
their service periods, per month, in Polars from the raw Stripe rows as ingest loaded them.

It reads neither the dbt models nor the staging views, and shares no code with them or with rule
12's recomputation (tests/transforms/gate/test_independence.py keeps it so): what it shares with
what it checks is metrics.md §1 and Stripe's own invoices.

On the valuation date d (its end): a subscription line of a paid or open invoice whose service
period covers d counts for the invoice's customer, when its subscription counts on d — its version
of d is active or past_due; before the first drop its first version's dates (started ≤ d < ended,
trial over, never-started ones left out). The invoice's status is the one its newest version up to
d says (before the first drop: up to the as-of date, as history is read). A full line is worth
(amount − discounts) over its period in months: a period of n whole months (28–31 days each,
within 3 days) is n months; else whole weeks (52/12 a month), else days (365/12). A proration line
bills part of the full period it falls in: (amount − discounts) over that share of the period,
which values a mid-term change at the new amount from its start, as metrics.md §1 does. Its amount
is rounded to the minor unit by Stripe, so dividing by a small share magnifies that rounding: each
such line carries its bound (1 minor unit over its share, a month) into the comparison's tolerance.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

DAYS_PER_MONTH = 365.25 / 12
NEVER_STARTED = ["incomplete", "incomplete_expired"]
COUNTED = ["active", "past_due"]
#: A renewal's invoice is a draft for about an hour after the period ends (Stripe finalizes it
#: then) and reaches the next day's drop: a counting subscription whose last invoiced period ended
#: this many days before the valuation date or less is awaiting its invoice, not unbilled.
RENEWAL_INVOICE_DAYS = 3


def _epoch(day: dt.date) -> int:
    """Unix seconds at the start of `day` (UTC)."""
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def _monthly_factor_of_period(seconds: pl.Expr) -> pl.Expr:
    """The factor that turns an amount billed over a period of `seconds` into a monthly amount."""
    days = seconds.cast(pl.Float64) / 86_400
    months = (days / DAYS_PER_MONTH).round(0)
    whole_days = (days - days.round(0)).abs() < 1e-6
    return (
        pl.when((months >= 1) & ((days - months * DAYS_PER_MONTH).abs() <= 3))
        .then(1.0 / months)
        .when(whole_days & (days.round(0) % 7 == 0))
        .then(52.0 / 12 / (days.round(0) / 7))
        .when(whole_days)
        .then(365.0 / 12 / days.round(0))
    )


def _newest_per_drop(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per id and drop: the last line of the drop's file carrying it."""
    return frame.sort("_drop_date", "_line").unique([key, "_drop_date"], keep="last")


def _as_known_on(versions: pl.DataFrame, key: str, day: dt.date) -> pl.DataFrame:
    """Each id's newest version among the drops dated up to `day`."""
    return (
        versions.filter(pl.col("_drop_date") <= day)
        .sort("_drop_date", "_line")
        .unique(key, keep="last")
    )


def subscription_lines(invoices: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Every version of every invoice (newest per drop) with its subscription lines that bill a
    period: invoice_id, customer_id, subscription_id, subscription_item_id, status, created,
    _drop_date, _line, line_id, is_proration, amount, discount, currency, period_start,
    period_end.

    `invoices`: raw.stripe__invoices columns id, customer, subscription, status, created,
    _drop_date, _file, _line. `lines`: raw.stripe__invoice_lines columns invoice_id, id, type,
    parent_type, amount, discount_amount, currency, period_start, period_end, proration,
    subscription, subscription_item, _drop_date, _file, _line (those of its invoice's row).
    """
    versions = _newest_per_drop(invoices, "id")
    return (
        lines.join(
            versions.select(
                invoice_id="id",
                customer_id="customer",
                invoice_subscription="subscription",
                status="status",
                created="created",
                _drop_date="_drop_date",
                _file="_file",
                _line="_line",
            ),
            on=["invoice_id", "_drop_date", "_file", "_line"],
            how="inner",
        )
        .filter(
            (
                (pl.col("type") == "subscription")
                | (pl.col("parent_type") == "subscription_item_details")
            )
            & (pl.col("period_end") > pl.col("period_start"))
        )
        .select(
            "invoice_id",
            "customer_id",
            pl.coalesce("subscription", "invoice_subscription").alias("subscription_id"),
            pl.col("subscription_item").alias("subscription_item_id"),
            "status",
            "created",
            "_drop_date",
            "_line",
            pl.col("id").alias("line_id"),
            pl.col("proration").fill_null(False).alias("is_proration"),
            "amount",
            pl.col("discount_amount").alias("discount"),
            pl.col("currency").str.to_uppercase(),
            "period_start",
            "period_end",
        )
    )


def _subscriptions_counted(
    subscriptions: pl.DataFrame, day: dt.date, first_drop: dt.date, v_end: int
) -> pl.DataFrame:
    """The subscriptions that count on `day` (see the module docstring): subscription_id,
    customer_id, and whether only an invoice covering the day can make it count (a subscription
    first seen unpaid, paused or canceled, on a date before the first drop)."""
    versions = _newest_per_drop(subscriptions, "id")
    if day >= first_drop:
        known = _as_known_on(versions, "id", day)
        return known.filter(pl.col("status").is_in(COUNTED)).select(
            subscription_id="id", customer_id="customer", needs_invoice=pl.lit(False)
        )
    first = versions.sort("_drop_date", "_line").unique("id", keep="first")
    return first.filter(
        ~pl.col("status").is_in(NEVER_STARTED)
        & (pl.col("start_date") < v_end)
        & (pl.col("ended_at").is_null() | (pl.col("ended_at") >= v_end))
        & (pl.col("trial_end").is_null() | (pl.col("trial_end") < v_end))
    ).select(
        subscription_id="id",
        customer_id="customer",
        needs_invoice=pl.col("status").is_in(["unpaid", "paused", "canceled"]),
    )


def _billed_on(
    billed: pl.DataFrame,
    subscriptions: pl.DataFrame,
    day: dt.date,
    first_drop: dt.date,
    as_of: dt.date,
) -> pl.DataFrame:
    """Each counted line covering `day` with its monthly amount (`minor`) and rounding bound; and
    per customer the subscriptions that count on the day with no invoice covering it that no
    invoice can confirm (`unbilled`): before the first drop, those metrics.md §1 values at their
    current price; on and after it, those whose renewal invoice may not be delivered yet (their
    last invoiced period ended at most RENEWAL_INVOICE_DAYS before the day)."""
    v_end = _epoch(day + dt.timedelta(days=1))
    counted = _subscriptions_counted(subscriptions, day, first_drop, v_end)
    known = _as_known_on(billed, "line_id", day if day >= first_drop else as_of)
    full_periods = known.filter(~pl.col("is_proration")).select(
        "subscription_item_id",
        full_start="period_start",
        full_end="period_end",
        full_created="created",
    )
    covering = known.filter(
        pl.col("status").is_in(["paid", "open"])
        & (pl.col("period_start") < v_end)
        & (pl.col("period_end") >= v_end)
    ).join(counted, on="subscription_id", how="semi")
    # A re-issued invoice for the same period replaces the earlier one: the newest full line of
    # an item counts once.
    full = (
        covering.filter(~pl.col("is_proration"))
        .with_columns(key=pl.coalesce("subscription_item_id", "line_id"))
        .sort("created", "line_id")
        .unique("key", keep="last")
        .with_columns(
            minor=(pl.col("amount") - pl.col("discount"))
            * _monthly_factor_of_period(pl.col("period_end") - pl.col("period_start")),
            bound=pl.lit(0.0),
            unreconcilable=pl.lit(False),
        )
    )
    partial = (
        covering.filter(pl.col("is_proration"))
        .join(full_periods, on="subscription_item_id", how="left")
        .with_columns(
            contains=(pl.col("full_start") <= pl.col("period_start"))
            & (pl.col("full_end") >= pl.col("period_end"))
        )
        .with_columns(pl.col("contains").fill_null(False))
        # the newest full line whose period holds the proration's; none: not reconcilable
        .sort("contains", "full_created", nulls_last=False)
        .unique("line_id", keep="last")
        .with_columns(
            share=(pl.col("period_end") - pl.col("period_start")).cast(pl.Float64)
            / (pl.col("full_end") - pl.col("full_start")).cast(pl.Float64),
            factor=_monthly_factor_of_period(pl.col("full_end") - pl.col("full_start")),
        )
        .with_columns(
            minor=pl.when("contains").then(
                (pl.col("amount") - pl.col("discount")) / pl.col("share") * pl.col("factor")
            ),
            bound=pl.when("contains").then(pl.col("factor") / pl.col("share")),
            unreconcilable=~pl.col("contains"),
        )
    )
    columns = ["customer_id", "currency", "minor", "bound", "unreconcilable"]
    lines = pl.concat([full.select(columns), partial.select(columns)]).with_columns(
        unbilled=pl.lit(False), drafted=pl.lit(False)
    )
    # A change made late on the day (seats, plan) has its proration invoice still a draft in the
    # day's drop (Stripe finalizes it about an hour later): the subscription counts at its new
    # amount, and no finalized invoice says so yet. What it is worth on the day no invoice confirms.
    drafted = (
        known.filter(
            (pl.col("status") == "draft")
            & (pl.col("period_start") < v_end)
            & (pl.col("period_end") >= v_end)
        )
        .join(counted, on="subscription_id", how="semi")
        .select("customer_id")
        .unique()
    )
    uncovered = counted.join(
        covering.select("subscription_id").unique(), on="subscription_id", how="anti"
    )
    if day >= first_drop:
        # On and after the first drop a counting subscription with no covering invoice is compared
        # (billed 0), unless its last invoiced period ended in the last RENEWAL_INVOICE_DAYS days.
        recent = known.filter(
            pl.col("status").is_in(["paid", "open"])
            & (pl.col("period_end") < v_end)
            & (pl.col("period_end") >= v_end - (RENEWAL_INVOICE_DAYS + 1) * 86_400)
        )
        unbilled = uncovered.join(
            recent.select("subscription_id").unique(), on="subscription_id", how="semi"
        )
    else:
        unbilled = uncovered.filter(~pl.col("needs_invoice"))
    return pl.concat(
        [
            lines,
            _not_billed(unbilled, unbilled=True, drafted=False),
            _not_billed(drafted, unbilled=False, drafted=True),
        ]
    )


def _not_billed(customers: pl.DataFrame, *, unbilled: bool, drafted: bool) -> pl.DataFrame:
    """A row per customer_id of `customers` that bills nothing and says why (`_billed_on`'s
    columns)."""
    return customers.select(
        "customer_id",
        currency=pl.lit(None, pl.String),
        minor=pl.lit(0.0),
        bound=pl.lit(0.0),
        unreconcilable=pl.lit(False),
        unbilled=pl.lit(unbilled),
        drafted=pl.lit(drafted),
    )


def _rates_on(fx: pl.DataFrame, day: dt.date, reporting: str) -> pl.DataFrame:
    """Units of the reporting currency per unit of each currency on `day`: that day's rate or the
    latest in the 7 days before it (a rate delivered twice: the newer delivery)."""
    rates = (
        fx.filter((pl.col("date") <= day) & (pl.col("date") >= day - dt.timedelta(days=7)))
        .with_columns(pl.col("currency").str.to_uppercase())
        .filter(pl.col("currency") != reporting)
        .sort("date", "_drop_date", "_line")
        .unique("currency", keep="last")
        .select("currency", pl.col("rate").cast(pl.Float64))
    )
    return pl.concat([rates, pl.DataFrame({"currency": [reporting], "rate": [1.0]})])


def billed_mrr(
    invoices: pl.DataFrame,
    lines: pl.DataFrame,
    subscriptions: pl.DataFrame,
    fx: pl.DataFrame,
    valuations: list[tuple[dt.date, dt.date]],
    as_of: dt.date,
    reporting_currency: str,
) -> pl.DataFrame:
    """What Stripe billed per customer and month, in minor units of the reporting currency,
    unrounded: customer_id, month, valuation_date, billed_minor, bound_minor (the most the minor
    units Stripe rounded proration lines to can move it), lines, unreconcilable (proration lines
    with no full period to fall in), unbilled (subscriptions that count on the date with no paid or
    open invoice covering it, before the first drop or awaiting a renewal's invoice: what they are
    worth no invoice says), drafted (a draft invoice covers the date for a counted subscription: a
    change whose proration invoice Stripe has not finalized yet),
    missing_rate (an amount in a currency with no FX rate in the 7 days before the date: not
    converted, never at 1).

    `subscriptions`: raw.stripe__subscriptions columns id, customer, status, start_date, ended_at,
    trial_end, _drop_date, _line; `fx`: raw.fx_rates__fx_rates columns date, currency, rate,
    _drop_date, _line; `valuations`: (month, valuation date) pairs. See `subscription_lines`.
    """
    schema = {
        "customer_id": pl.String,
        "month": pl.Date,
        "valuation_date": pl.Date,
        "billed_minor": pl.Float64,
        "bound_minor": pl.Float64,
        "lines": pl.UInt32,
        "unreconcilable": pl.UInt32,
        "unbilled": pl.UInt32,
        "drafted": pl.UInt32,
        "missing_rate": pl.Boolean,
    }
    if subscriptions.is_empty():
        return pl.DataFrame(schema=schema)
    first_drop = subscriptions["_drop_date"].min()
    billed = subscription_lines(invoices, lines)
    reporting = reporting_currency.upper()
    months = []
    for month, day in valuations:
        counted = _billed_on(billed, subscriptions, day, first_drop, as_of)
        months.append(
            counted.join(_rates_on(fx, day, reporting), on="currency", how="left")
            .with_columns(line=~pl.col("unbilled") & ~pl.col("drafted"))
            .group_by("customer_id")
            .agg(
                billed_minor=(pl.col("minor") * pl.col("rate")).filter("line").sum(),
                bound_minor=(pl.col("bound") * pl.col("rate")).filter("line").sum(),
                lines=pl.col("line").sum(),
                unreconcilable=pl.col("unreconcilable").sum(),
                unbilled=pl.col("unbilled").sum(),
                drafted=pl.col("drafted").sum(),
                missing_rate=(pl.col("rate").is_null() & pl.col("line")).any(),
            )
            .with_columns(month=pl.lit(month), valuation_date=pl.lit(day))
        )
    if not months:
        return pl.DataFrame(schema=schema)
    return pl.concat(months).select(list(schema)).cast(schema)
