"""Rule 12's independent MRR (transforms/gate/independent_revenue.py) on hand-made Stripe frames:
MRR from versions, from invoice history before the first drop (each line over its own period, a
mid-term change from its proration charge), metered items, and what is missing staying missing.
Every expected figure is worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest

from transforms.gate import independent_revenue

LINE_SCHEMA = {
    "invoice_line_id": pl.String,
    "subscription_id": pl.String,
    "subscription_item_id": pl.String,
    "price_id": pl.String,
    "invoice_created_at": pl.Datetime,
    "period_start_at": pl.Datetime,
    "period_end_at": pl.Datetime,
    "currency": pl.String,
    "is_proration": pl.Boolean,
    "amount": pl.Int64,
    "quantity": pl.Int64,
    "unit_amount": pl.Float64,
    "factor": pl.Float64,
    "line_mrr_minor": pl.Float64,
    "charge_mrr_minor": pl.Float64,
}


def _no_lines() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_SCHEMA)


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
    """independent_invoice_line_mrr's output for full lines: (line, subscription, item, invoice
    created, period start, period end, currency, monthly amount)."""
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
                "is_proration": False,
                "amount": None,
                "quantity": None,
                "unit_amount": None,
                "factor": None,
                "line_mrr_minor": amount,
                "charge_mrr_minor": None,
            }
            for line, sub, item, created, start, end, currency, amount in rows
        ],
        schema=LINE_SCHEMA,
    )


STAGED_LINE = {
    "invoice_id": "inv2",
    "subscription_id": None,
    "subscription_item_id": None,
    "price_id": None,
    "line_type": "subscription",
    "is_proration": False,
    "currency": "usd",
    "amount": 1000,
    "discount_amount": 0,
    "quantity": 1,
    "unit_amount": None,
    "unit_amount_decimal": None,
    "period_start_at": T(2025, 2, 1),
    "period_end_at": T(2025, 3, 1),
}


def _staged(rows: list[dict]) -> pl.DataFrame:
    """Staged invoice lines: STAGED_LINE with each row's own values."""
    return pl.DataFrame([{**STAGED_LINE, **row} for row in rows], infer_schema_length=None)


def _prices(rows: list[tuple[str, float]] | None = None) -> pl.DataFrame:
    """Item versions as rule 12 reads them for prices: price_id, unit_amount."""
    return pl.DataFrame(
        rows or [], schema={"price_id": pl.String, "unit_amount": pl.Float64}, orient="row"
    )


def test_invoice_lines_as_monthly_amounts_over_their_own_periods() -> None:
    invoices = pl.DataFrame(
        {
            "invoice_id": ["inv1", "inv2", "inv3"],
            "subscription_id": ["s1", "s1", "s1"],
            "status": ["paid", "open", "void"],
            "created_at": [T(2025, 1, 1), T(2025, 2, 1), T(2025, 2, 1)],
        }
    )
    rows = [
        # a month (Jan 1 → Feb 1); its discount comes off: (3000 − 500) × 1
        {"invoice_line_id": "l1", "invoice_id": "inv1", "subscription_item_id": "i1",
         "amount": 3000, "discount_amount": 500, "period_start_at": T(2025, 1, 1),
         "period_end_at": T(2025, 2, 1)},
        # a year (whatever the item bills today): 12000 / 12
        {"invoice_line_id": "l2", "subscription_item_id": "i2", "amount": 12000,
         "period_end_at": T(2026, 2, 1)},
        # three months: 900 / 3
        {"invoice_line_id": "l3", "subscription_item_id": "i3", "amount": 900,
         "period_end_at": T(2025, 5, 1)},
        # a month anchored on the 31st: Jan 31 → Feb 28, then Feb 28 → Mar 31 (each × 1)
        {"invoice_line_id": "l31a", "period_start_at": T(2025, 1, 31), "period_end_at": T(2025, 2, 28)},
        {"invoice_line_id": "l31b", "period_start_at": T(2025, 2, 28), "period_end_at": T(2025, 3, 31)},
        # 10 days (not a month, not whole weeks): 1000 × 365/12 / 10
        {"invoice_line_id": "l4", "period_end_at": T(2025, 2, 11)},
        # 14 days, two weeks: 1000 × 52/12 / 2
        {"invoice_line_id": "l5", "period_end_at": T(2025, 2, 15)},
        # 36 hours: not a billing period at all, no factor: NULL
        {"invoice_line_id": "odd", "period_end_at": T(2025, 2, 2, 12)},
        # a proration charge of 2 × price p9 (the price's unit from any item: 450) within l3's
        # quarter: 450 × 2 × 1/3 (the full line's factor) = 300; the credit has no value
        {"invoice_line_id": "charge", "subscription_item_id": "i3", "price_id": "p9",
         "is_proration": True, "amount": 500, "quantity": 2, "period_start_at": T(2025, 3, 1),
         "period_end_at": T(2025, 5, 1)},
        {"invoice_line_id": "credit", "subscription_item_id": "i3", "is_proration": True,
         "amount": -400, "period_start_at": T(2025, 3, 1), "period_end_at": T(2025, 5, 1)},
        {"invoice_line_id": "one_time", "line_type": "invoiceitem"},
        {"invoice_line_id": "void", "invoice_id": "inv3"},
        {"invoice_line_id": "empty_period", "period_end_at": T(2025, 2, 1)},
    ]  # fmt: skip
    result = independent_revenue.independent_invoice_line_mrr(
        invoices, _staged(rows), _prices([("p9", 450.0)])
    )
    values = {
        r["invoice_line_id"]: (r["line_mrr_minor"], r["charge_mrr_minor"])
        for r in result.iter_rows(named=True)
    }
    assert set(values) == {"l1", "l2", "l3", "l31a", "l31b", "l4", "l5", "odd", "charge", "credit"}
    assert values["l1"] == (2500.0, None) and values["l2"] == (1000.0, None)
    assert values["l3"] == (pytest.approx(300.0), None)
    assert values["l31a"] == (1000.0, None) and values["l31b"] == (1000.0, None)
    assert values["l4"] == (pytest.approx(1000 * 365 / 12 / 10), None)
    assert values["l5"] == (pytest.approx(1000 * 52 / 12 / 2), None)
    assert values["odd"] == (None, None)
    assert values["charge"] == (None, pytest.approx(300.0))
    assert values["credit"] == (None, None)
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
            # ended after Sep 30; first seen canceled, so it counts only where an invoice covers the date
            ("s8", "c5", "canceled", jan, T(2026, 10, 10), None),
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
            ("e", "s8", "i8", T(2026, 9, 1), T(2026, 9, 1), T(2026, 10, 1), "EUR", 1000.0),
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
    # c4: trialing, never started, or ended: nothing. c5: canceled later, its line covers Sep 30:
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


# -- history as the invoices tell it ------------------------------------------------------------

HISTORY_DROP = dt.date(2026, 11, 6)


def _subscription(sub: str, customer: str, status: str, **dates: dt.datetime) -> dict:
    """A first (and only) subscription version seen in the first drop."""
    return {
        "subscription_id": sub,
        "customer_id": customer,
        "status": status,
        "started_at": dates.get("started_at", T(2025, 1, 1)),
        "ended_at": dates.get("ended_at"),
        "trial_end_at": None,
        "valid_from_drop": HISTORY_DROP,
        "valid_to_drop": None,
    }


def _item(sub: str, item: str, price: str, unit: float, interval: str, quantity: int) -> dict:
    """The item as the first drop shows it (today's price and quantity)."""
    return {
        "subscription_id": sub,
        "subscription_item_id": item,
        "price_id": price,
        "quantity": quantity,
        "unit_amount": unit,
        "recurring_interval": interval,
        "recurring_interval_count": 1,
        "recurring_usage_type": "licensed",
        "currency": "usd",
        "valid_from_drop": HISTORY_DROP,
        "valid_to_drop": None,
    }


def _history(
    subs: list[dict], items: list[dict], lines: list[dict], statuses: dict[str, str] | None = None
) -> Callable[..., dict[str, float | None]]:
    """MRR per customer on a date before the first drop, from staged rows (no discounts, USD)."""
    statuses = statuses or {}
    invoice_ids = sorted({row["invoice_id"] for row in lines})
    invoices = pl.DataFrame(
        {
            "invoice_id": invoice_ids,
            "subscription_id": [None] * len(invoice_ids),
            "status": [statuses.get(i, "paid") for i in invoice_ids],
            "created_at": [T(2025, 1, 1)] * len(invoice_ids),
        },
        schema_overrides={"subscription_id": pl.String},
    )
    item_frame = pl.DataFrame(items, schema_overrides={"valid_to_drop": pl.Date})
    valued = independent_revenue.independent_invoice_line_mrr(
        invoices, _staged(lines), item_frame.select("price_id", "unit_amount")
    )
    sub_frame = pl.DataFrame(
        subs,
        schema_overrides={
            "ended_at": pl.Datetime,
            "trial_end_at": pl.Datetime,
            "valid_to_drop": pl.Date,
        },
    )
    no_discounts = pl.DataFrame(
        schema={
            "parent_object": pl.String, "parent_id": pl.String, "percent_off": pl.Float64,
            "amount_off": pl.Float64, "duration": pl.String, "duration_in_months": pl.Int64,
            "started_at": pl.Datetime, "ends_at": pl.Datetime, "valid_from_drop": pl.Date,
            "valid_to_drop": pl.Date,
        }
    )  # fmt: skip
    no_fx = pl.DataFrame(
        schema={"rate_date": pl.Date, "currency": pl.String, "rate_to_reporting": pl.Float64}
    )

    def on(day: dt.date, discounts: pl.DataFrame = no_discounts) -> dict[str, float | None]:
        result = independent_revenue.independent_mrr(
            sub_frame, item_frame, discounts, valued, no_fx, day, HISTORY_DROP, "USD"
        )
        return dict(result.select("customer_id", "mrr_minor").iter_rows())

    return on


def _monthly_lines(sub: str, item: str, price: str, amount: int, months: list[int]) -> list[dict]:
    """Full monthly lines of 2026 for the given months (the 1st to the 1st)."""
    return [
        {"invoice_line_id": f"{sub}_m{m}", "invoice_id": f"in_{sub}_m{m}", "subscription_id": sub,
         "subscription_item_id": item, "price_id": price, "amount": amount,
         "period_start_at": T(2026, m, 1), "period_end_at": T(2026, m + 1, 1)}
        for m in months
    ]  # fmt: skip


def test_a_monthly_to_annual_switch_keeps_its_monthly_history() -> None:
    # c1 paid 9900 a month Jan–May, then 99000 for a year from Jun 1; the first drop shows the
    # annual price. Mar 31: the monthly line, 9900 (not 9900/12 as today's interval would make
    # it); Jun 30: the annual line, 99000/12 = 8250.
    lines = _monthly_lines("s1", "i1", "price_m", 9900, [1, 2, 3, 4, 5])
    lines.append(
        {"invoice_line_id": "s1_y", "invoice_id": "in_s1_y", "subscription_id": "s1",
         "subscription_item_id": "i1", "price_id": "price_y", "amount": 99000,
         "period_start_at": T(2026, 6, 1), "period_end_at": T(2027, 6, 1)}
    )  # fmt: skip
    on = _history(
        [_subscription("s1", "c1", "active")],
        [_item("s1", "i1", "price_y", 99000.0, "year", 1)],
        lines,
    )
    assert on(dt.date(2026, 3, 31)) == pytest.approx({"c1": 9900.0})
    assert on(dt.date(2026, 6, 30)) == pytest.approx({"c1": 8250.0})


def test_an_annual_to_monthly_switch_keeps_its_annual_history() -> None:
    # c2 paid 99000 for Mar 2025 → Mar 2026, then 9900 a month; the first drop shows the monthly
    # price. Jan 31: the annual line, 99000/12 = 8250 (not 99000 a month); Apr 30: 9900.
    lines = [
        {"invoice_line_id": "s2_y", "invoice_id": "in_s2_y", "subscription_id": "s2",
         "subscription_item_id": "i2", "price_id": "price_y", "amount": 99000,
         "period_start_at": T(2025, 3, 1), "period_end_at": T(2026, 3, 1)}
    ] + _monthly_lines("s2", "i2", "price_m", 9900, [3, 4, 5])  # fmt: skip
    on = _history(
        [_subscription("s2", "c2", "active")],
        [_item("s2", "i2", "price_m", 9900.0, "month", 1)],
        lines,
    )
    assert on(dt.date(2026, 1, 31)) == pytest.approx({"c2": 8250.0})
    assert on(dt.date(2026, 4, 30)) == pytest.approx({"c2": 9900.0})


def test_a_mid_term_upgrade_before_the_first_drop_lands_in_its_month() -> None:
    # c3 pays 3 seats × 9900 with a 20% forever coupon; on Sep 16 it goes to 4 seats (a credit for
    # 3 seats and a charge for 4 over Sep 16 → Oct 1, net of the coupon). Aug 31: the full line,
    # 29700 − 5940 = 23760. Sep 30: from the charge, 9900 × 4 × 1 (its full line's month) less 20%
    # = 31680 — not the full line of September (23760), nor today's 5 seats (39600).
    lines = _monthly_lines("s3", "i3", "price_m", 29700, [8, 9])
    for line in lines:
        line["discount_amount"] = 5940
        line["quantity"] = 3
    lines += [
        {"invoice_line_id": "s3_credit", "invoice_id": "in_s3_up", "subscription_id": "s3",
         "subscription_item_id": "i3", "price_id": "price_m", "is_proration": True,
         "amount": -11880, "quantity": 3, "unit_amount_decimal": "9900",
         "period_start_at": T(2026, 9, 16), "period_end_at": T(2026, 10, 1)},
        {"invoice_line_id": "s3_charge", "invoice_id": "in_s3_up", "subscription_id": "s3",
         "subscription_item_id": "i3", "price_id": "price_m", "is_proration": True,
         "amount": 15840, "quantity": 4, "unit_amount_decimal": "9900",
         "period_start_at": T(2026, 9, 16), "period_end_at": T(2026, 10, 1)},
    ]  # fmt: skip
    coupon = pl.DataFrame(
        {
            "parent_object": ["subscription"], "parent_id": ["s3"], "percent_off": [20.0],
            "amount_off": [None], "duration": ["forever"], "duration_in_months": [None],
            "started_at": [T(2025, 1, 1)], "ends_at": [None], "valid_from_drop": [None],
            "valid_to_drop": [None],
        },
        schema_overrides={
            "amount_off": pl.Float64, "duration_in_months": pl.Int64, "ends_at": pl.Datetime,
            "valid_from_drop": pl.Date, "valid_to_drop": pl.Date,
        },
    )  # fmt: skip
    on = _history(
        [_subscription("s3", "c3", "active")],
        [_item("s3", "i3", "price_m", 9900.0, "month", 5)],
        lines,
    )
    assert on(dt.date(2026, 8, 31), coupon) == pytest.approx({"c3": 23760.0})
    assert on(dt.date(2026, 9, 30), coupon) == pytest.approx({"c3": 31680.0})


def test_a_deleted_customer_keeps_its_history_until_its_subscription_ended() -> None:
    # c4 churned: its subscription is canceled in the first drop (ended Oct 15; the customer was
    # deleted in Stripe since, which the valuation never reads). Paid through Sep: counted on Aug
    # 31; its Sep invoice went uncollectible (dunning that failed), so it is not counted on Sep
    # 30 though its dates alone would count it; Oct 31: ended.
    lines = _monthly_lines("s4", "i4", "price_m", 5000, [8, 9, 10])
    on = _history(
        [_subscription("s4", "c4", "canceled", ended_at=T(2026, 10, 15))],
        [_item("s4", "i4", "price_m", 5000.0, "month", 1)],
        lines,
        statuses={"in_s4_m9": "uncollectible", "in_s4_m10": "void"},
    )
    assert on(dt.date(2026, 8, 31)) == pytest.approx({"c4": 5000.0})
    assert on(dt.date(2026, 9, 30)) == {}
    assert on(dt.date(2026, 10, 31)) == {}


def test_what_is_missing_stays_missing() -> None:
    # c5's metered item was never invoiced and c6's price lacks its interval count: both amounts
    # are unknown (NULL), not 0 and not valued as if the count were 1; c7 (known) is 1200.
    subs = pl.DataFrame(
        [_subscription(s, c, "active") for s, c in (("s5", "c5"), ("s6", "c6"), ("s7", "c7"))],
        schema_overrides={"ended_at": pl.Datetime, "trial_end_at": pl.Datetime, "valid_to_drop": pl.Date},
    )  # fmt: skip
    metered = _item("s5", "i5", "price_x", 10.0, "month", 1) | {"recurring_usage_type": "metered"}
    no_count = _item("s6", "i6", "price_q", 3000.0, "month", 1) | {"recurring_interval_count": None}
    items = pl.DataFrame(
        [metered, no_count, _item("s7", "i7", "price_k", 1200.0, "month", 1)],
        schema_overrides={"valid_to_drop": pl.Date, "recurring_interval_count": pl.Int64},
    )
    _, _, discounts, _, fx = _stripe()
    result = independent_revenue.independent_mrr(
        subs, items, discounts.clear(), _no_lines(), fx, dt.date(2026, 11, 20), HISTORY_DROP, "USD"
    )
    rows = {r["customer_id"]: r for r in result.iter_rows(named=True)}
    assert rows["c5"]["mrr_minor"] is None and rows["c5"]["unknown"]
    assert rows["c6"]["mrr_minor"] is None and rows["c6"]["unknown"]
    assert rows["c7"]["mrr_minor"] == pytest.approx(1200.0) and not rows["c7"]["unknown"]
