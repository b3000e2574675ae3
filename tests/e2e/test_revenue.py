"""The revenue marts through the real `csw run`, each run checked against a second implementation
written here that shares no code with dbt.

dbt-labs' mrr-playbook data, against an independent implementation in plain Python over the
playbook's CSV. The playbook (`subscription_periods.csv`: one row per subscription with a monthly
amount, end exclusive) becomes one initial Stripe drop dated 2019-12-31 (`playbook_drops.py`):
subscriptions still running on that date are active (set to cancel at their end), earlier ones
canceled. Every month before the drop is therefore valued from history (subscription dates, paid
invoice lines) and December 2019 from the drop's subscription versions, so both paths are exercised.

Differences from the playbook's own output, and why they do not change the expected numbers:
- The playbook snapshots each month on its first day (date_month) and counts a subscription when
  start_date <= date_month < end_date. We value MRR at the end of the month's last day. Every date
  in the CSV is the first of a month, so "active on the 1st of m" and "active at the end of m" pick
  the same subscriptions; the independent implementation below uses the end-of-month rule.
- Its "upgrade"/"downgrade" are our expansion/contraction; it leaves unchanged months without a
  category where we say retained (and inactive for months at zero after a churn). New, churn and
  reactivation mean the same: churn lands in the first month at zero, reactivation is MRR again
  after a month at zero.
- Its months run to the current date; ours stop at the as-of month (the drop date, 2019-12-31),
  and the drop holds only what exists then: the four periods starting 2020-01-01 are not in it.

Generated drops (issue #22): 15 months with customers who moved from monthly to annual billing
and back and who changed plan or seats mid-term, most of it before the first drop, where only
invoices tell of it. Published MRR per customer and month equals the generator's ground truth to
the cent (worked out from the simulator's own records, not from the drops) and so do the month's
movements; the gate's independent recomputations agree with it (rule 6 from the raw invoices,
rule 12 from staging, every month); the movement identity holds every month, every paying customer
is in exactly one cohort, and the as-of month's MRR per customer equals a Stripe-derived figure
computed here straight from the subscription objects in the JSONL drops (newest version of each,
status active or past_due, price × quantity × monthly factor less recurring percent/amount-off
coupons, converted with the drop's fx_rates.csv).

The same run, broken on purpose, is test_revenue_defects.py's.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import csw
from tests.e2e.playbook_drops import Period, read_periods, write_playbook_drop

pytestmark = pytest.mark.slow

# ------------------------------------------------------------------------- dbt-labs' mrr-playbook

DROP_DATE = dt.date(2019, 12, 31)


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, m = [], first
    while m <= last:
        months.append(m)
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return months


def expected_by_month(periods: list[Period]) -> dict[dt.date, dict[str, float]]:
    """Total MRR, active customers and movement counts per month, from the CSV alone.

    A subscription counts in month m when start <= (end of m's last day) < end, i.e. start <= last
    day of m and end > last day of m (end exclusive, all timestamps at midnight UTC).
    """
    customers = sorted({p.customer_id for p in periods})
    first = min(p.start for p in periods).replace(day=1)
    months = _months(first, DROP_DATE.replace(day=1))

    def mrr(customer: int, month: dt.date) -> int:
        last_day = min(_month_end(month), DROP_DATE)
        return sum(
            p.monthly_amount
            for p in periods
            if p.customer_id == customer and p.start <= last_day and p.end > last_day
        )

    table = {c: [mrr(c, m) for m in months] for c in customers}
    result: dict[dt.date, dict[str, float]] = {}
    for i, month in enumerate(months):
        counts: Counter[str] = Counter()
        total = 0
        for c in customers:
            now = table[c][i]
            before = table[c][i - 1] if i else 0
            ever_before = any(v > 0 for v in table[c][:i])
            total += now
            if before == 0 and now > 0:
                counts["reactivation" if ever_before else "new"] += 1
            elif before > 0 and now == 0:
                counts["churn"] += 1
            elif before > 0 and now > before:
                counts["expansion"] += 1
            elif before > 0 and now < before:
                counts["contraction"] += 1
            elif before > 0:
                counts["retained"] += 1
        result[month] = {
            "mrr": total,
            "active": sum(1 for c in customers if table[c][i] > 0),
            **{k: counts[k] for k in ("new", "reactivation", "expansion", "contraction", "churn")},
            "retained": counts["retained"],
        }
    return result


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("mrr_playbook")
    extracts = root / "extracts"
    write_playbook_drop(extracts, DROP_DATE, read_periods())
    warehouse = root / "warehouse"
    result = csw(
        "run", "--extracts", str(extracts), "--warehouse", str(warehouse),
        "--date", DROP_DATE.isoformat(), timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    con = duckdb.connect(str(warehouse / "published" / "analytics.duckdb"), read_only=True)
    yield con
    con.close()


def test_monthly_mrr_customers_and_movements_match_an_independent_count(
    published: duckdb.DuckDBPyConnection,
) -> None:
    expected = expected_by_month(read_periods())
    rows = published.execute(
        """
        select month, mrr_end, logos_end, logos_new, logos_reactivated, logos_expanded,
               logos_contracted, logos_churned, logos_retained
        from marts.mrr_movements_monthly order by month
        """
    ).fetchall()
    actual = {
        r[0]: {
            "mrr": float(r[1]),
            "active": r[2],
            "new": r[3],
            "reactivation": r[4],
            "expansion": r[5],
            "contraction": r[6],
            "churn": r[7],
            "retained": r[8],
        }
        for r in rows
    }
    assert list(actual) == list(expected)
    for month, want in expected.items():
        assert actual[month] == want, month


def test_a_few_months_worked_by_hand(published: duckdb.DuckDBPyConnection) -> None:
    rows = {
        r[0]: r[1:]
        for r in published.execute(
            "select month, mrr_start, new_mrr, mrr_end, logos_end from marts.mrr_movements_monthly"
        ).fetchall()
    }
    # 2017-09: customers 2 (25) and 3 (50) start; 2017-10: 3 ends (churn 50), 4 starts (25).
    assert [float(v) for v in rows[dt.date(2017, 9, 1)]] == [0, 75, 75, 2]
    assert [float(v) for v in rows[dt.date(2017, 10, 1)]] == [75, 25, 50, 2]
    # 2017-11 and 2017-12: nobody pays (2 and 4 ended 2017-11-01), yet the months are there.
    assert [float(v) for v in rows[dt.date(2017, 11, 1)]] == [50, 0, 0, 0]
    assert [float(v) for v in rows[dt.date(2017, 12, 1)]] == [0, 0, 0, 0]
    # customer 1: 50 until 2019-02-01, nothing in Feb and Mar 2019, 50 again from 2019-04-01.
    customer_1 = dict(
        published.execute(
            "select month, movement_category from marts.mrr_monthly where account_id = 'acc_1'"
        ).fetchall()
    )
    assert customer_1[dt.date(2018, 11, 1)] == "new"
    assert customer_1[dt.date(2019, 2, 1)] == "churn"
    assert customer_1[dt.date(2019, 3, 1)] == "inactive"
    assert customer_1[dt.date(2019, 4, 1)] == "reactivation"
    assert customer_1[dt.date(2019, 6, 1)] == "expansion"  # 50 → 75, across two subscriptions


def test_trailing_twelve_month_nrr_and_grr_by_hand(published: duckdb.DuckDBPyConnection) -> None:
    # Cohort of 2019-12: customers paying at the end of 2018-12, MRR then → MRR at the end of 2019-12:
    #   1: 50→0, 5: 25→40, 6: 65→65, 7: 70→0, 9: 75→75, 10: 25→35, 11: 50→50, 12: 50→50,
    #   17: 50→95, 18: 50→0, 21: 50→0, 22: 25→0
    #   Σ then = 585, Σ now = 410, Σ min = 0+25+65+0+75+25+50+50+50+0+0+0 = 340
    # Cohort of 2019-11: paying at the end of 2018-11, MRR then → at the end of 2019-11:
    #   1: 50→0, 5: 50→25, 6: 65→65, 7: 70→70, 9: 75→75, 10: 25→25, 11: 50→50, 12: 50→50,
    #   17: 25→100, 18: 90→50, 21: 25→50
    #   Σ then = 575, Σ now = 560, Σ min = 0+25+65+70+75+25+50+50+25+50+25 = 460
    rows = {
        r[0]: r[1:]
        for r in published.execute(
            """
            select month, cohort_logos_12m, nrr_12m_denominator, nrr_12m_numerator,
                   grr_12m_numerator, nrr_12m, grr_12m, method, trailing_12m_reason
            from marts.revenue_retention_monthly
            """
        ).fetchall()
    }
    # The sums are published; the rates are not: 12 and 11 customers are below the minimum of 30
    # (metrics.md, small samples), so NRR 410/585 and GRR 340/585 are NULL with the reason.
    dec = rows[dt.date(2019, 12, 1)]
    assert dec[:4] == (12, 585, 410, 340)
    assert (dec[4], dec[5]) == (None, None)
    assert dec[7] == "insufficient_sample: 12 customers twelve months earlier, fewer than 30"
    nov = rows[dt.date(2019, 11, 1)]
    assert nov[:4] == (11, 575, 560, 460)
    assert (nov[4], nov[5]) == (None, None)
    assert nov[7].startswith("insufficient_sample: 11 customers")
    assert "12 months" in dec[6]
    # No month 12 months earlier with MRR: no trailing figure rather than a made-up one.
    assert rows[dt.date(2018, 6, 1)][4] is None


def test_every_paying_customer_is_in_one_cohort_and_registry_covers_metrics(
    published: duckdb.DuckDBPyConnection,
) -> None:
    paying = published.execute(
        "select count(distinct stripe_customer_id) from marts.mrr_monthly where mrr > 0"
    ).fetchone()[0]
    in_cohorts = published.execute(
        "select sum(cohort_size) from marts.revenue_cohorts where months_since_start = 0"
    ).fetchone()[0]
    started = {p.customer_id for p in read_periods() if p.start <= DROP_DATE}
    assert paying == in_cohorts == len(started)
    accounts = published.execute(
        "select count(*), count(account_id), sum(current_mrr) from marts.dim_accounts"
    ).fetchone()
    assert accounts[0] == accounts[1] == paying
    assert float(accounts[2]) == expected_by_month(read_periods())[dt.date(2019, 12, 1)]["mrr"]
    registered = {
        r[0] for r in published.execute("select name from audit.metric_registry").fetchall()
    }
    assert "revenue_retention_monthly.nrr_12m" in registered
    assert "mrr_movements_monthly.churned_mrr" in registered


# ------------------------------------------------------------------------- generated drops

FACTOR = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}


@pytest.fixture(scope="module")
def run(revenue_history: tuple[Path, Path]) -> tuple[Path, duckdb.DuckDBPyConnection]:
    extracts, warehouse = revenue_history
    con = duckdb.connect(str(warehouse / "published" / "analytics.duckdb"), read_only=True)
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


# ------------------------------------------------------------------------- history against the truth


def _truth(extracts: Path, name: str) -> list[dict[str, str]]:
    with (extracts.parent / "extracts_ground_truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_history_has_interval_switches_and_mid_term_changes_before_the_first_drop(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    extracts, _ = run
    before = Counter(
        c["kind"]
        for c in _truth(extracts, "billing_changes.csv")
        if c["before_first_drop"] == "true"
    )
    assert before["interval_monthly_to_annual"] >= 2
    assert before["interval_annual_to_monthly"] >= 1
    assert before["upgrade"] + before["seats_added"] >= 10


def test_published_mrr_per_customer_and_month_equals_the_ground_truth_to_the_cent(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    extracts, con = run
    truth = {
        (r["stripe_customer_id"], r["month"]): (Decimal(r["mrr"]), r["account_id"])
        for r in _truth(extracts, "mrr_truth.csv")
    }
    published = {
        (customer, month.isoformat()): (mrr, account)
        for customer, month, mrr, account in con.execute(
            "select stripe_customer_id, month, mrr, account_id from marts.mrr_monthly"
        ).fetchall()
    }
    assert len(truth) > 900
    differing = {k: (truth.get(k), published.get(k)) for k in set(truth) | set(published)}
    differing = {k: v for k, v in differing.items() if v[0] != v[1]}
    assert differing == {}, sorted(differing.items())[:5]


def test_mrr_movements_per_month_equal_the_ground_truth(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    extracts, con = run
    columns = [
        "mrr_start", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
        "churned_mrr", "mrr_end", "logos_start", "logos_new", "logos_reactivated",
        "logos_expanded", "logos_contracted", "logos_churned", "logos_end",
    ]  # fmt: skip
    truth = {
        r["month"]: tuple(Decimal(r[c]) for c in columns)
        for r in _truth(extracts, "mrr_movements_truth.csv")
    }
    published = {
        row[0].isoformat(): tuple(Decimal(v) for v in row[1:])
        for row in con.execute(
            f"select month, {', '.join(columns)} from marts.mrr_movements_monthly order by month"
        ).fetchall()
    }
    assert len(published) == 16 and published == truth


def test_the_gates_recomputations_from_raw_invoices_and_staging_agree_to_the_cent(
    run: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    _, con = run
    rows = con.execute(
        """
        select rule, target, status, observed_value from audit.check_results
        where run_id = (select run_id from audit.publications order by published_at desc limit 1)
            and rule in ('r06_revenue_source', 'r12_sample_verification')
            and target like 'marts.mrr_monthly%'
        """
    ).fetchall()
    assert {r[2] for r in rows} == {"pass"}, [r for r in rows if r[2] != "pass"]
    (rule_6,) = [r for r in rows if r[0] == "r06_revenue_source"]
    # Every customer-month against the raw invoices: none differs by more than a cent (plus the
    # rounding of proration lines).
    assert rule_6[3].startswith("0 of ") and "differ from what Stripe billed" in rule_6[3]
    months = [r for r in rows if r[1].startswith("marts.mrr_monthly total, month")]
    assert len(months) == 16
    assert any(r[1] == "marts.mrr_monthly accounts" for r in rows)
