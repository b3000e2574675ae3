"""Rule 12's independent MRR (transforms/gate/independent_revenue.py) on hand-made Stripe frames:
MRR from versions, from invoice history before the first drop, and metered items."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.gate import independent_revenue


def _no_lines() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "invoice_line_id": pl.String,
            "subscription_id": pl.String,
            "subscription_item_id": pl.String,
            "price_id": pl.String,
            "invoice_created_at": pl.Datetime,
            "period_start_at": pl.Datetime,
            "period_end_at": pl.Datetime,
            "currency": pl.String,
            "line_mrr_minor": pl.Float64,
        }
    )


def test_independent_mrr_by_hand() -> None:
    day = dt.date(2026, 11, 20)
    subs = pl.DataFrame(
        {
            "subscription_id": ["s1", "s2", "s3"],
            "customer_id": ["c1", "c2", "c1"],
            "status": ["active", "active", "canceled"],
            "started_at": [dt.datetime(2026, 1, 1)] * 3,
            "ended_at": [None, None, None],
            "trial_end_at": [None, None, None],
            "valid_from_drop": [dt.date(2026, 11, 1)] * 3,
            "valid_to_drop": [None, None, None],
        },
        schema_overrides={
            "valid_to_drop": pl.Date,
            "ended_at": pl.Datetime,
            "trial_end_at": pl.Datetime,
        },
    )
    items = pl.DataFrame(
        {
            "subscription_id": ["s1", "s1", "s2", "s3"],
            "subscription_item_id": ["i1", "i2", "i3", "i4"],
            "quantity": [2, 1, 1, 1],
            "unit_amount": [1000, 12000, 5000, 999],
            "recurring_interval": ["month", "year", "month", "month"],
            "recurring_interval_count": [1, 1, 1, 1],
            "recurring_usage_type": ["licensed"] * 4,
            "currency": ["usd", "usd", "eur", "usd"],
            "valid_from_drop": [dt.date(2026, 11, 1)] * 4,
            "valid_to_drop": [None] * 4,
        },
        schema_overrides={"valid_to_drop": pl.Date},
    )
    discounts = pl.DataFrame(
        {
            "parent_object": ["subscription", "customer"],
            "parent_id": ["s1", "c2"],
            "percent_off": [10.0, None],
            "amount_off": [None, 500.0],
            "duration": ["forever", "forever"],
            "duration_in_months": [None, None],
            "started_at": [dt.datetime(2026, 1, 1)] * 2,
            "ends_at": [None, None],
            "valid_from_drop": [None, None],
            "valid_to_drop": [None, None],
        },
        schema_overrides={
            "ends_at": pl.Datetime,
            "duration_in_months": pl.Int64,
            "valid_from_drop": pl.Date,
            "valid_to_drop": pl.Date,
        },
    )
    fx = pl.DataFrame(
        {
            "rate_date": [dt.date(2026, 11, 19), dt.date(2026, 11, 21)],
            "currency": ["EUR", "EUR"],
            "rate_to_reporting": [1.2, 9.9],
        }
    )
    result = dict(
        independent_revenue.independent_mrr(
            subs, items, discounts, _no_lines(), fx, day, dt.date(2026, 11, 1), "USD"
        )
        .select("customer_id", "mrr_minor")
        .iter_rows()
    )
    # c1: s1 gross = 1000×2×1 + 12000×1/12 = 3000; −10% → 2700 (s3 canceled: left out).
    # c2: s2 gross 5000, customer discount 500 off → 4500 EUR × 1.2 (rate of the 19th, not the 21st) = 5400.
    assert result == pytest.approx({"c1": 2700.0, "c2": 5400.0})


FIRST_DROP = dt.date(2026, 11, 6)


T = dt.datetime


def _lines(rows: list[tuple]) -> pl.DataFrame:
    """independent_invoice_line_mrr's output: (line, subscription, item, invoice created, period
    start, period end, currency, monthly amount)."""
    return pl.DataFrame(
        [
            {
                "invoice_line_id": line,
                "subscription_id": sub,
                "subscription_item_id": item,
                "price_id": None,
                "invoice_created_at": created,
                "period_start_at": start,
                "period_end_at": end,
                "currency": currency,
                "line_mrr_minor": amount,
            }
            for line, sub, item, created, start, end, currency, amount in rows
        ],
        schema={
            "invoice_line_id": pl.String,
            "subscription_id": pl.String,
            "subscription_item_id": pl.String,
            "price_id": pl.String,
            "invoice_created_at": pl.Datetime,
            "period_start_at": pl.Datetime,
            "period_end_at": pl.Datetime,
            "currency": pl.String,
            "line_mrr_minor": pl.Float64,
        },
    )


def test_invoice_lines_as_monthly_amounts() -> None:
    invoices = pl.DataFrame(
        {
            "invoice_id": ["inv1", "inv2", "inv3"],
            "subscription_id": ["s1", "s1", "s1"],
            "status": ["paid", "open", "void"],
            "created_at": [T(2025, 1, 1), T(2025, 2, 1), T(2025, 2, 1)],
        }
    )
    base = {
        "invoice_id": "inv2",
        "subscription_id": None,
        "subscription_item_id": None,
        "price_id": None,
        "line_type": "subscription",
        "is_proration": False,
        "recurring_interval": None,
        "recurring_interval_count": None,
        "currency": "usd",
        "amount": 1000,
        "discount_amount": None,
        "period_start_at": T(2025, 2, 1),
        "period_end_at": T(2025, 3, 1),
    }
    rows = [
        # the line's own interval; its discount comes off: (3000 − 500) × 1
        {"invoice_line_id": "l1", "invoice_id": "inv1", "subscription_item_id": "i1",
         "recurring_interval": "month", "recurring_interval_count": 1, "amount": 3000,
         "discount_amount": 500, "period_start_at": T(2025, 1, 1), "period_end_at": T(2025, 2, 1)},
        # no interval on the line: the current item's (yearly) → 12000 / 12
        {"invoice_line_id": "l2", "subscription_item_id": "i2", "amount": 12000,
         "period_end_at": T(2026, 2, 1)},
        # neither: the period's months (3 month boundaries) → 900 / 3
        {"invoice_line_id": "l3", "subscription_item_id": "i3", "amount": 900,
         "period_end_at": T(2025, 5, 1)},
        # less than a month: 10 days → 1000 × 365/12 / 10
        {"invoice_line_id": "l4", "period_end_at": T(2025, 2, 11)},
        # every 2 weeks → 1000 × 52/12 / 2
        {"invoice_line_id": "l5", "recurring_interval": "week", "recurring_interval_count": 2},
        {"invoice_line_id": "proration", "is_proration": True},
        {"invoice_line_id": "one_time", "line_type": "invoiceitem"},
        {"invoice_line_id": "void", "invoice_id": "inv3"},
        {"invoice_line_id": "empty_period", "period_end_at": T(2025, 2, 1)},
    ]  # fmt: skip
    lines = pl.DataFrame([{**base, **row} for row in rows], infer_schema_length=None)
    current_items = pl.DataFrame(
        {
            "subscription_item_id": ["i2"],
            "recurring_interval": ["year"],
            "recurring_interval_count": [1],
        }
    )
    result = independent_revenue.independent_invoice_line_mrr(invoices, lines, current_items)
    assert dict(result.select("invoice_line_id", "line_mrr_minor").iter_rows()) == pytest.approx(
        {
            "l1": 2500.0,
            "l2": 1000.0,
            "l3": 300.0,
            "l4": 3041.6666666666665,
            "l5": 2166.6666666666665,
        }
    )
    # the invoice's subscription stands in for the line's; currencies upper-case
    assert set(result["subscription_id"]) == {"s1"} and set(result["currency"]) == {"USD"}


def _stripe() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Subscriptions, items, discounts, invoice lines and FX rates for the valuation tests."""
    jan = T(2026, 1, 1)
    subs = pl.DataFrame(
        [
            ("s1", "c1", "active", jan, None, None),
            ("s2", "c2", "active", jan, None, None),
            ("s3", "c3", "unpaid", jan, None, None),  # no invoice covers Sep 30: not counted
            ("s4", "c3", "paused", jan, None, None),  # an invoice covers Sep 30: counted
            ("s5", "c4", "trialing", jan, None, T(2026, 10, 15)),  # in trial on Sep 30
            ("s6", "c4", "incomplete_expired", jan, None, None),  # never started
            ("s7", "c4", "canceled", jan, T(2026, 9, 15), None),  # ended before Sep 30
            ("s8", "c5", "canceled", jan, T(2026, 10, 10), None),  # ended after Sep 30
            ("s9", "c6", "active", jan, None, None),  # GBP, no rate within 7 days
        ],
        schema=[
            "subscription_id",
            "customer_id",
            "status",
            "started_at",
            "ended_at",
            "trial_end_at",
        ],
        orient="row",
    ).with_columns(valid_from_drop=pl.lit(FIRST_DROP), valid_to_drop=pl.lit(None, pl.Date))
    items = pl.DataFrame(
        [
            ("s1", "i1", 1, 5000.0, "month", "licensed", "usd"),
            ("s2", "i2", 3, 1000.0, "month", "licensed", "usd"),
            ("s2", "i3", 1, None, "month", "metered", "usd"),
            ("s4", "i4", 1, 9999.0, "month", "licensed", "usd"),
            ("s8", "i8", 1, 1000.0, "month", "licensed", "eur"),
            ("s9", "i9", 1, 1000.0, "month", "licensed", "gbp"),
        ],
        schema=[
            "subscription_id",
            "subscription_item_id",
            "quantity",
            "unit_amount",
            "recurring_interval",
            "recurring_usage_type",
            "currency",
        ],
        orient="row",
    ).with_columns(
        recurring_interval_count=pl.lit(1),
        valid_from_drop=pl.lit(FIRST_DROP),
        valid_to_drop=pl.lit(None, pl.Date),
    )
    discounts = pl.DataFrame(
        [
            ("subscription", "s2", 10.0, None),  # s2's own 10% replaces c2's 50%
            ("customer", "c2", 50.0, None),
            ("subscription_item", "i1", None, 100.0),  # 100 off item i1 every month
        ],
        schema=["parent_object", "parent_id", "percent_off", "amount_off"],
        orient="row",
    ).with_columns(
        duration=pl.lit("forever"),
        duration_in_months=pl.lit(None, pl.Int64),
        started_at=pl.lit(jan),
        ends_at=pl.lit(None, pl.Datetime),
        valid_from_drop=pl.lit(None, pl.Date),
        valid_to_drop=pl.lit(None, pl.Date),
    )
    lines = _lines(
        [
            # two invoices for s1's September: the newer one (re-issued) counts
            ("a", "s1", "i1", T(2026, 9, 1), T(2026, 9, 1), T(2026, 10, 1), "USD", 2000.0),
            ("b", "s1", "i1", T(2026, 9, 2), T(2026, 9, 1), T(2026, 10, 1), "USD", 2100.0),
            ("p", "s4", "i4", T(2026, 9, 1), T(2026, 9, 1), T(2026, 10, 1), "USD", 700.0),
            # s2's metered item, billed in arrears: neither line covers Sep 30
            ("m1", "s2", "i3", T(2026, 8, 1), T(2026, 7, 1), T(2026, 8, 1), "USD", 400.0),
            ("m2", "s2", "i3", T(2026, 9, 1), T(2026, 8, 1), T(2026, 9, 1), "USD", 450.0),
        ]
    )
    fx = pl.DataFrame(
        {
            "rate_date": [dt.date(2026, 9, 20), dt.date(2026, 9, 25), dt.date(2026, 9, 20)],
            "currency": ["EUR", "EUR", "GBP"],
            "rate_to_reporting": [5.0, 1.1, 1.3],
        }
    )
    return subs, items, discounts, lines, fx


def test_mrr_before_the_first_drop_comes_from_invoice_history() -> None:
    subs, items, discounts, lines, fx = _stripe()
    result = {
        r["customer_id"]: r
        for r in independent_revenue.independent_mrr(
            subs, items, discounts, lines, fx, dt.date(2026, 9, 30), FIRST_DROP, "USD"
        ).iter_rows(named=True)
    }
    mrr = {c: r["mrr_minor"] for c, r in result.items() if not r["missing_rate"]}
    # c1: the newest line covering Sep 30 (2100), not the price (5000 − 100).
    # c2: no line covers s2 → the price: 1000 × 3 less s2's own 10% = 2700, plus the metered
    #     item's last invoiced amount, the line whose period ends last (450).
    # c3: s3 unpaid and uncovered, left out; s4 paused but covered by its line: 700.
    # c4: trialing, never started, or ended: nothing. c5: canceled later, counted by its dates:
    #     1000 EUR × the rate of Sep 25 (the latest within 7 days, not Sep 20's).
    assert mrr == pytest.approx({"c1": 2100.0, "c2": 3150.0, "c3": 700.0, "c5": 1100.0})
    assert result["c1"]["from_invoices"] and not result["c2"]["from_invoices"]
    assert result["c2"]["metered"] and not result["c1"]["metered"]
    # c6: the only GBP rate is 10 days old: not convertible, flagged (never converted at 1).
    assert result["c6"]["missing_rate"]


def test_mrr_on_drop_dates_values_metered_items_at_their_last_invoice() -> None:
    subs, items, discounts, lines, fx = _stripe()
    fx = pl.concat(
        [
            fx,
            pl.DataFrame(
                {
                    "rate_date": [dt.date(2026, 11, 20)],
                    "currency": ["GBP"],
                    "rate_to_reporting": [1.5],
                }
            ),
        ]
    )
    result = dict(
        independent_revenue.independent_mrr(
            subs, items, discounts, lines, fx, dt.date(2026, 11, 20), FIRST_DROP, "USD"
        )
        .select("customer_id", "mrr_minor")
        .iter_rows()
    )
    # The versions decide now: unpaid, paused, trialing, incomplete and canceled count for nothing.
    # c1: 5000 less the item's 100 a month = 4900. c2: 2700 + the metered item's last line, 450.
    # c6: 1000 GBP × 1.5.
    assert result == pytest.approx({"c1": 4900.0, "c2": 3150.0, "c6": 1500.0})
