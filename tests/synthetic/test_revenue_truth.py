"""The generator's billing changes and its revenue ground truth, read back from the drop files with
plain json/csv (tests/synthetic/helpers.py), independently of the generator's code.

The ground truth (mrr_truth.csv) is checked against the drops here: the as-of month against the
newest subscription objects (price × quantity × monthly factor, less the 20% coupon, at the day's
FX rate), months before the first drop against the switchers' and upgraders' invoice lines.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from synthetic.generator import GenerationSummary
from tests.synthetic.helpers import csv_rows, drops, latest_stripe, unix_day


def _truth(out: Path, name: str) -> list[dict[str, str]]:
    with (out.parent / (out.name + "_ground_truth") / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _lines_of(invoices: dict[str, dict[str, Any]], subscription: str) -> list[dict[str, Any]]:
    """Every line of the subscription's paid or open invoices, with its invoice's creation time."""
    found = []
    for inv in invoices.values():
        if inv["status"] not in ("paid", "open"):
            continue
        if inv["parent"]["subscription_details"]["subscription"] != subscription:
            continue
        found += [{**line, "created": inv["created"]} for line in inv["lines"]["data"]]
    return found


def _days(line: dict[str, Any]) -> int:
    return (line["period"]["end"] - line["period"]["start"]) // 86_400


@pytest.fixture(scope="module")
def changes(small_run: GenerationSummary) -> list[dict[str, str]]:
    return _truth(small_run.out_dir, "billing_changes.csv")


def test_customers_switch_billing_interval_both_ways(
    small_run: GenerationSummary, changes: list[dict[str, str]]
) -> None:
    invoices = latest_stripe(small_run.out_dir, "invoices")
    switches = [c for c in changes if c["kind"].startswith("interval_")]
    kinds = {(c["kind"], c["before_first_drop"]) for c in switches}
    assert ("interval_monthly_to_annual", "true") in kinds
    assert ("interval_annual_to_monthly", "true") in kinds
    for change in switches:
        cycles = sorted(
            (x for x in _lines_of(invoices, change["subscription_id"]) if not x["proration"]),
            key=lambda x: x["period"]["start"],
        )
        starts = [unix_day(x["period"]["start"]) for x in cycles]
        at = starts.index(change["effective_on"])
        before, after = cycles[at - 1], cycles[at]
        # A monthly period is 28–31 days, an annual one 365 or 366.
        assert (28 <= _days(before) <= 31) == (change["before"] == "month"), change
        assert (365 <= _days(after) <= 366) == (change["after"] == "year"), change
        assert before["pricing"]["price_details"]["price"].endswith(change["before"])
        assert after["pricing"]["price_details"]["price"].endswith(change["after"])


def test_mid_term_upgrades_before_the_first_drop_are_proration_pairs_net_of_discount(
    small_run: GenerationSummary, changes: list[dict[str, str]]
) -> None:
    out = small_run.out_dir
    invoices = latest_stripe(out, "invoices")
    discounted = {s["id"] for s in latest_stripe(out, "subscriptions").values() if s["discounts"]}
    mid_term = [
        c
        for c in changes
        if c["kind"] in ("upgrade", "seats_added") and c["before_first_drop"] == "true"
    ]
    assert len(mid_term) >= 10
    seen_discounted = False
    for change in mid_term:
        lines = _lines_of(invoices, change["subscription_id"])
        pair = [
            x
            for x in lines
            if x["proration"] and unix_day(x["period"]["start"]) == change["effective_on"]
        ]
        credit, charge = sorted(pair, key=lambda x: x["amount"])
        assert credit["amount"] < 0 < charge["amount"]
        assert credit["period"] == charge["period"]
        # Stripe's default: proration amounts already net of discounts, never discounted again.
        assert not credit["discount_amounts"] and not charge["discount_amounts"]
        assert not credit["discountable"] and not charge["discountable"]
        cycle = next(
            x
            for x in lines
            if not x["proration"]
            and x["period"]["start"] < credit["period"]["start"]
            and x["period"]["end"] == credit["period"]["end"]
        )
        share = Fraction(
            credit["period"]["end"] - credit["period"]["start"],
            cycle["period"]["end"] - cycle["period"]["start"],
        )
        net = Fraction(4, 5) if change["subscription_id"] in discounted else Fraction(1)
        seen_discounted |= net != 1
        # What was billed per period until now: the latest earlier change of this period, else
        # the cycle line (net of its discount).
        earlier = [
            x
            for x in lines
            if x["proration"]
            and x["amount"] > 0
            and cycle["period"]["start"] < x["period"]["start"] < credit["period"]["start"]
        ]
        if earlier:
            last = max(earlier, key=lambda x: x["period"]["start"])
            old = Fraction(last["pricing"]["unit_amount_decimal"]) * last["quantity"] * net
        else:
            old = cycle["amount"] - sum(d["amount"] for d in cycle["discount_amounts"])
        new = Fraction(charge["pricing"]["unit_amount_decimal"]) * charge["quantity"] * net
        # Each is the unused (credit) or remaining (charge) share, rounded to the minor unit.
        assert abs(-credit["amount"] - old * share) <= Fraction(1, 2)
        assert abs(charge["amount"] - new * share) <= Fraction(1, 2)
    assert seen_discounted or not discounted


def _rates(out: Path) -> dict[tuple[str, str], Decimal]:
    rates = {}
    for drop in drops(out, "fx_rates"):
        for _line, row in csv_rows(drop / "fx_rates.csv"):
            rates[(row["currency"], row["date"])] = Decimal(row["rate"])
    return rates


def _cents(minor: Fraction, rate: Decimal) -> Decimal:
    value = Decimal(minor.numerator) / Decimal(minor.denominator) * rate / 100
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_the_as_of_month_of_the_truth_equals_the_newest_subscriptions(
    small_run: GenerationSummary,
) -> None:
    out = small_run.out_dir
    as_of = small_run.drop_dates[-1].isoformat()
    rates = _rates(out)
    expected: dict[str, Fraction] = defaultdict(Fraction)
    currency_of = {}
    for sub in latest_stripe(out, "subscriptions").values():
        if sub["status"] not in ("active", "past_due"):
            continue
        net = Fraction(4, 5) if sub["discounts"] else Fraction(1)  # the LOYAL20 coupon
        for item in sub["items"]["data"]:
            price = item["price"]
            months = {"month": 1, "year": 12}[price["recurring"]["interval"]]
            gross = Fraction(price["unit_amount"] * item["quantity"], months)
            expected[sub["customer"]] += gross * net
        currency_of[sub["customer"]] = sub["currency"].upper()
    truth = {
        r["stripe_customer_id"]: Decimal(r["mrr"])
        for r in _truth(out, "mrr_truth.csv")
        if r["valuation_date"] == as_of and Decimal(r["mrr"]) > 0
    }
    want = {
        c: _cents(m, Decimal(1) if currency_of[c] == "USD" else rates[(currency_of[c], as_of)])
        for c, m in expected.items()
        if m > 0
    }
    assert truth == want


def test_history_of_switchers_and_upgraders_follows_their_invoice_lines(
    small_run: GenerationSummary, changes: list[dict[str, str]]
) -> None:
    out = small_run.out_dir
    invoices = latest_stripe(out, "invoices")
    subscriptions = latest_stripe(out, "subscriptions")
    first_drop = small_run.drop_dates[0]
    truth = {(r["stripe_customer_id"], r["month"]): r for r in _truth(out, "mrr_truth.csv")}
    checked = 0
    for change in changes:
        effective = dt.date.fromisoformat(change["effective_on"])
        month_end = (effective.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        month_end -= dt.timedelta(days=1)
        sub = subscriptions[change["subscription_id"]]
        if month_end >= first_drop or sub["currency"] != "usd":
            continue
        if len([s for s in subscriptions.values() if s["customer"] == sub["customer"]]) > 1:
            continue
        end_ts = dt.datetime.combine(month_end + dt.timedelta(days=1), dt.time(), dt.UTC)
        at = int(end_ts.timestamp())
        covering = [
            x
            for x in _lines_of(invoices, sub["id"])
            if x["period"]["start"] < at <= x["period"]["end"]
        ]
        cycle = max((x for x in covering if not x["proration"]), key=lambda x: x["created"])
        charges = [x for x in covering if x["proration"] and x["amount"] > 0]
        months = 12 if _days(cycle) >= 365 else 1
        if charges and max(c["period"]["start"] for c in charges) > cycle["period"]["start"]:
            charge = max(charges, key=lambda x: x["period"]["start"])
            net = Fraction(4, 5) if sub["discounts"] else Fraction(1)
            minor = Fraction(charge["pricing"]["unit_amount_decimal"]) * charge["quantity"]
            minor = minor * net / months
        else:
            discount = sum(d["amount"] for d in cycle["discount_amounts"])
            minor = Fraction(cycle["amount"] - discount, months)
        row = truth[(sub["customer"], month_end.replace(day=1).isoformat())]
        assert Decimal(row["mrr"]) == _cents(minor, Decimal(1)), (change, row)
        checked += 1
    assert checked >= 10


def test_movements_truth_adds_up_every_month(small_run: GenerationSummary) -> None:
    out = small_run.out_dir
    customers = _truth(out, "mrr_truth.csv")
    previous_end = Decimal(0)
    for row in _truth(out, "mrr_movements_truth.csv"):
        money = {k: Decimal(v) for k, v in row.items() if k.endswith("mrr") or k.startswith("mrr")}
        assert money["mrr_start"] == previous_end, row["month"]
        assert money["mrr_end"] == (
            money["mrr_start"]
            + money["new_mrr"]
            + money["reactivation_mrr"]
            + money["expansion_mrr"]
            - money["contraction_mrr"]
            - money["churned_mrr"]
        ), row["month"]
        of_month = [c for c in customers if c["month"] == row["month"]]
        assert money["mrr_end"] == sum((Decimal(c["mrr"]) for c in of_month), Decimal(0))
        assert int(row["logos_end"]) == sum(1 for c in of_month if Decimal(c["mrr"]) > 0)
        previous_end = money["mrr_end"]
    assert previous_end > 0
