"""Revenue marts on generated drops through the real `csw run`: the movement identity holds every
month, every paying customer is in exactly one cohort, the accounts the generator says paid are the
ones with a cohort, and the as-of month's MRR per customer equals a Stripe-derived figure computed
here straight from the subscription objects in the JSONL drops (newest version of each, status
active or past_due, price × quantity × monthly factor less recurring percent/amount-off coupons,
converted with the drop's fx_rates.csv) — a second implementation sharing no code with dbt."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

CSW = [sys.executable, "-m", "orchestration.cli"]
ROOT = Path(__file__).resolve().parents[2]
FACTOR = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}


def _csw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=1500, cwd=ROOT)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("revenue_synthetic")
    extracts = root / "extracts"
    generated = _csw(
        "generate", "--accounts", "150", "--months", "8", "--seed", "11",
        "--incremental-days", "3", "--out", str(extracts),
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]
    result = _csw("run", "--extracts", str(extracts), "--warehouse", str(root / "warehouse"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    con = duckdb.connect(str(root / "warehouse" / "published" / "analytics.duckdb"), read_only=True)
    yield extracts, con
    con.close()


def stripe_mrr_at(extracts: Path, as_of: dt.date) -> tuple[dict[str, Decimal], set[str]]:
    """MRR per Stripe customer at the end of `as_of` (reporting currency, rounded to the cent per
    customer), and the customers left out because an item is metered or has no unit amount."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC).timestamp()
    drops = sorted(
        p for p in (extracts / "stripe").iterdir() if dt.date.fromisoformat(p.name) <= as_of
    )
    newest: dict[str, dict] = {}
    for drop in drops:
        for line in (drop / "subscriptions.jsonl").read_text().splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # a truncated line is quarantined by ingest, never loaded
            newest[obj["id"]] = obj

    rates: dict[tuple[str, dt.date], float] = {}
    for drop in sorted((extracts / "fx_rates").glob("*/fx_rates.csv")):
        if dt.date.fromisoformat(drop.parent.name) <= as_of:
            for row in csv.DictReader(drop.open()):
                rates[(row["currency"].upper(), dt.date.fromisoformat(row["date"]))] = float(
                    row["rate"]
                )

    def rate(currency: str) -> float:
        if currency == "USD":
            return 1.0
        for back in range(8):
            day = as_of - dt.timedelta(days=back)
            if (currency, day) in rates:
                return rates[(currency, day)]
        raise AssertionError(f"no {currency} rate within 7 days before {as_of}")

    totals: dict[str, float] = defaultdict(float)
    skipped: set[str] = set()
    for sub in newest.values():
        if sub["status"] not in ("active", "past_due"):
            continue
        discounts = [
            d
            for d in (sub.get("discounts") or [])
            if isinstance(d, dict)
            and d["coupon"]["duration"] in ("forever", "repeating")
            and d["start"] <= end
            and (d.get("end") is None or d["end"] > end)
        ]
        percent = sum(d["coupon"].get("percent_off") or 0 for d in discounts)
        amount_off = sum(d["coupon"].get("amount_off") or 0 for d in discounts)
        items = sub["items"]["data"]
        gross = []
        for item in items:
            price = item["price"]
            recurring = price["recurring"]
            if recurring.get("usage_type") == "metered" or price.get("unit_amount") is None:
                skipped.add(sub["customer"])
            factor = FACTOR[recurring["interval"]] / recurring["interval_count"]
            gross.append(
                ((price.get("unit_amount") or 0) * item["quantity"] * factor, factor, price)
            )
        sub_gross = sum(g for g, _, _ in gross)
        for g, factor, price in gross:
            net = g * (1 - min(percent, 100) / 100)
            if sub_gross > 0:
                net -= amount_off * factor * g / sub_gross
            totals[sub["customer"]] += max(net, 0.0) * rate(price["currency"].upper())
    rounded = {
        c: (Decimal(repr(v)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for c, v in totals.items()
        if v > 0
    }
    return rounded, skipped


def test_identity_holds_every_month(run: tuple[Path, duckdb.DuckDBPyConnection]) -> None:
    _, con = run
    rows = con.execute(
        """select month, mrr_start, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr,
                  churned_mrr, mrr_end from marts.mrr_movements_monthly order by month"""
    ).fetchall()
    assert len(rows) >= 6
    previous_end = Decimal(0)
    for month, start, new, react, exp, contr, churn, end in rows:
        assert start == previous_end, month
        assert end == start + new + react + exp - contr - churn, month
        previous_end = end
    by_month = dict(
        con.execute("select month, sum(mrr) from marts.mrr_monthly group by month").fetchall()
    )
    assert by_month == {r[0]: r[7] for r in rows}


def test_every_paying_customer_is_in_exactly_one_cohort(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    extracts, con = run
    firsts = con.execute(
        """select stripe_customer_id, count(distinct first_paid_month), min(first_paid_month)
           from marts.mrr_monthly where mrr > 0 group by 1"""
    ).fetchall()
    assert all(n == 1 for _, n, _ in firsts)
    cohort_sizes = dict(
        con.execute(
            "select cohort_month, cohort_size from marts.revenue_cohorts where months_since_start = 0"
        ).fetchall()
    )
    per_cohort: dict[dt.date, int] = defaultdict(int)
    for _, _, first in firsts:
        per_cohort[first] += 1
    assert cohort_sizes == dict(per_cohort)

    truth = extracts.parent / "extracts_ground_truth" / "accounts_truth.csv"
    ever_paid = {
        r["stripe_customer_id"]
        for r in csv.DictReader(truth.open())
        if r["ever_paid"] == "true" and r["stripe_customer_id"]
    }
    assert {c for c, _, _ in firsts} <= ever_paid


def test_as_of_mrr_equals_the_stripe_derived_total(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    extracts, con = run
    as_of = con.execute("select max(valuation_date) from marts.mrr_monthly").fetchone()[0]
    expected, skipped = stripe_mrr_at(extracts, as_of)
    published = {
        c: m
        for c, m in con.execute(
            """select stripe_customer_id, mrr from marts.mrr_monthly
               where month = (select max(month) from marts.mrr_monthly) and mrr > 0"""
        ).fetchall()
    }
    for customer in skipped:
        expected.pop(customer, None)
        published.pop(customer, None)
    assert set(published) == set(expected)
    # FX products are floats on both sides; a cent's rounding may differ on a half-cent boundary.
    for customer, mrr in expected.items():
        assert abs(published[customer] - mrr) <= Decimal("0.01"), customer
    assert abs(sum(published.values()) - sum(expected.values())) <= Decimal("0.005") * len(expected)
