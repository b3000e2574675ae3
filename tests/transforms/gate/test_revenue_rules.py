"""Rules 2, 3, 7, 16's revenue part (transforms/gate/revenue_rules.py) and rule 12's MRR comparison
(transforms/gate/mrr_sample_rules.py) on hand-made frames."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import mrr_sample_rules, results, revenue_rules


def _by_target(results: list[results.RuleResult]) -> dict[str, results.RuleResult]:
    return {r.target: r for r in results}


def test_churn_method_identity_gap_and_unregistered_metrics() -> None:
    months = [dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    movements = pl.DataFrame(
        {
            "month": months,
            # Sep: 0 + 100 + 0 + 0 − 0 − 0 = 100 ✓. Oct: 100 + 0 + 0 + 20 − 5 − 10 = 105, published 106.
            "mrr_start": [0.0, 100.0],
            "new_mrr": [100.0, 0.0],
            "reactivation_mrr": [0.0, 0.0],
            "expansion_mrr": [0.0, 20.0],
            "contraction_mrr": [0.0, 5.0],
            "churned_mrr": [0.0, 10.0],
            "mrr_end": [100.0, 106.0],
        }
    )
    retention = pl.DataFrame(
        {"month": months, "period_end": months, "method": ["logo, monthly", None]}
    )
    results = _by_target(
        revenue_rules.churn_method_documented(
            ["mrr_monthly.mrr", "mrr_monthly.churned_mrr"],
            {"mrr_monthly.mrr"},
            retention,
            movements,
        )
    )
    assert results["audit.metric_registry"].status == "fail"
    assert "mrr_monthly.churned_mrr" in results["audit.metric_registry"].observed
    assert results["marts.revenue_retention_monthly"].observed.startswith("1 of 2 rows")
    assert results["marts.mrr_movements_monthly"].status == "fail"
    assert "2026-10-01: gap 1.00" in results["marts.mrr_movements_monthly"].observed


def test_cohorts_count_each_paying_customer_once() -> None:
    mrr = pl.DataFrame(
        {
            "stripe_customer_id": ["a", "a", "b", "c"],
            "month": [
                dt.date(2026, 9, 1),
                dt.date(2026, 10, 1),
                dt.date(2026, 10, 1),
                dt.date(2026, 10, 1),
            ],
            "mrr": [10.0, 0.0, 5.0, 0.0],  # c never paid: not in any cohort
            "first_paid_month": [
                dt.date(2026, 9, 1),
                dt.date(2026, 9, 1),
                dt.date(2026, 10, 1),
                None,
            ],
        }
    )
    good = pl.DataFrame(
        {
            "cohort_month": [dt.date(2026, 9, 1), dt.date(2026, 10, 1)],
            "months_since_start": [0, 0],
            "cohort_size": [1, 1],
        }
    )
    assert revenue_rules.cohorts_consistent(mrr, good)[0].status == "pass"
    bad = good.with_columns(cohort_size=pl.Series([1, 0]))
    result = revenue_rules.cohorts_consistent(mrr, bad)[0]
    # 2 paying customers, October's cohort lists 0 of its 1: coverage 1/2.
    assert result.status == "fail" and "coverage 50.00%" in result.observed


def test_cross_source_shares() -> None:
    results = _by_target(
        revenue_rules.cross_source(
            {"a": (2, 100), "b": (3, 100), "c": (6, 100), "d": (0, 0)}, 0.02, 0.05
        )
    )
    # 2% is not over 2%; 3% warns; 6% fails; no comparable records: not applicable.
    assert [results[k].status for k in "abcd"] == ["pass", "warn", "fail", "not_applicable"]


def test_sample_verification_checks_metered_customers_and_leaves_out_only_unconvertible() -> None:
    independent = pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(12)],
            "mrr_minor": [1000.0] * 12,
            "metered": [True] + [False] * 11,
            "from_invoices": [False] * 12,
            "missing_rate": [False] * 11 + [True],
        }
    )
    dbt = independent.select("customer_id", "mrr_minor").with_columns(
        mrr_minor=pl.when(pl.col("customer_id") == "c0").then(0.0).otherwise(1000.0)
    )
    published = dbt.select("customer_id", mrr=pl.col("mrr_minor") / 100)
    results = mrr_sample_rules.sample_verification(
        independent,
        dbt,
        published,
        0,
        0,
        [f"c{i}" for i in range(12)],
        dt.date(2026, 11, 1),
        min_sample=10,
    )
    total, sample, churn = results
    assert total.status == "fail" and "1 with metered items" in total.observed
    assert "1 left out: no FX rate within 7 days" in total.observed
    assert sample.status == "fail"
    assert sample.observed.startswith("1 of 11 sampled customers differ: c0: independent 10.000000")
    assert churn.status == "pass"


def test_month_total_does_not_depend_on_row_order() -> None:
    """Rule 12's total is the exact sum: a plain float sum of these rows gives 0 or 2 by order."""
    independent = pl.DataFrame(
        {"metered": [False] * 4, "missing_rate": [False] * 4, "from_invoices": [False] * 4}
    )
    values = [1e17, 100.0, -1e17, 100.0]
    messages = set()
    for order in ([0, 1, 2, 3], [1, 3, 0, 2], [2, 0, 1, 3]):
        column = [values[i] for i in order]
        joined = pl.DataFrame(
            {
                "customer_id": [f"cus_{i}" for i in order],
                "ind": column,
                "inter": column,
                "pub": [v / 100 for v in column],
                "unknown_anywhere": [False] * 4,
                "unknown_everywhere": [False] * 4,
            }
        )
        result = mrr_sample_rules._month_total(joined, independent, set(), "month 2026-01-01")
        messages.add(result.observed)
    assert messages == {
        "independent 2.000000, dbt unrounded 2.000000, published 2.00 over 4 customers "
        "(0 with metered items, 0 valued from invoice lines; 0 left out: no FX rate within 7 days)"
    }


def test_sample_verification_with_unknown_mrr() -> None:
    # c0's MRR is unknown on every side (a metered item never invoiced): it matches, and is left
    # out of the total (10 × 10.00 = 100.00). c1 is unknown to the recomputation but dbt filled
    # 0: a mismatch on the sample and the total, with the figures.
    customers = [f"c{i}" for i in range(11)]
    unknown = {"c0", "c1"}
    independent = pl.DataFrame(
        {
            "customer_id": customers,
            "mrr_minor": [None if c in unknown else 1000.0 for c in customers],
            "unknown": [c in unknown for c in customers],
            "metered": [c in unknown for c in customers],
            "from_invoices": [False] * 11,
            "missing_rate": [False] * 11,
        }
    )
    dbt = pl.DataFrame(
        {
            "customer_id": customers,
            "mrr_minor": [None if c == "c0" else 0.0 if c == "c1" else 1000.0 for c in customers],
        }
    )
    published = dbt.select("customer_id", mrr=pl.col("mrr_minor") / 100)
    total, sample, _ = mrr_sample_rules.sample_verification(
        independent, dbt, published, 0, 0, customers, dt.date(2026, 11, 1), min_sample=10
    )
    assert total.status == "fail"
    assert total.observed.startswith("independent 90.000000, dbt unrounded 90.000000")
    assert "1 with MRR unknown on every side, 1 unknown on one side only: c1" in total.observed
    assert sample.status == "fail"
    assert sample.observed == (
        "1 of 11 sampled customers differ: c1: independent unknown, dbt 0.000000, published 0.00"
    )


def test_accounts_mapped_keeps_deleted_accounts_on_their_history() -> None:
    # cus_d's account acc_d was deleted: its history stays acc_d's; published without an account
    # in two months, the rule fails with the figures. cus_b is claimed by a deleted account and a
    # live one: the live one (acc_b2) has it. cus_x is claimed by no account: NULL is right.
    accounts = pl.DataFrame(
        {
            "account_id": ["acc_d", "acc_b1", "acc_b2"],
            "stripe_customer_id": ["cus_d", "cus_b", "cus_b"],
            "deleted_at": [dt.datetime(2026, 5, 1), dt.datetime(2026, 4, 1), None],
        }
    )
    months = [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    published = pl.DataFrame(
        {
            "month": months * 3,
            "customer_id": ["cus_d", "cus_d", "cus_b", "cus_b", "cus_x", "cus_x"],
            "account_id": ["acc_d", "acc_d", "acc_b2", "acc_b2", None, None],
        }
    )
    assert mrr_sample_rules.accounts_mapped(published, accounts).status == "pass"
    lost = published.with_columns(
        account_id=pl.when(pl.col("customer_id") == "cus_d").then(None).otherwise("account_id")
    )
    result = mrr_sample_rules.accounts_mapped(lost, accounts)
    assert result.status == "fail"
    assert result.observed == (
        "1 of 3 customers mapped to another account than the one claiming them (deleted accounts "
        "included): cus_d: published None, claimed by acc_d (deleted) in 2 months"
    )


def test_no_defaulted_revenue_inputs_names_each_kind() -> None:
    # A metered item valued although never invoiced (the 0 a coalesce would give) and a price
    # valued without its interval count (the 1 a coalesce would give): both fail rule 16.
    defaults = pl.DataFrame(
        {
            "kind": ["metered item valued with no invoice", "price valued with no interval count"],
            "customer_id": ["cus_m", "cus_q"],
            "valuation_date": [dt.date(2026, 10, 31), dt.date(2026, 11, 20)],
            "subscription_item_id": ["si_m", "si_q"],
        }
    )
    (result,) = revenue_rules.no_defaulted_revenue_inputs(defaults)
    assert result.status == "fail"
    assert result.observed == (
        "2 item amounts computed from a missing input (metered item valued with no invoice 1, "
        "price valued with no interval count 1): metered item valued with no invoice: cus_m "
        "2026-10-31 si_m, price valued with no interval count: cus_q 2026-11-20 si_q"
    )
    (clean,) = revenue_rules.no_defaulted_revenue_inputs(defaults.clear())
    assert clean.status == "pass"
    (absent,) = revenue_rules.no_defaulted_revenue_inputs(results.Absent("not built"))
    assert absent.status == "not_applicable"


def test_identity_leaves_months_of_unknown_mrr_unjudged() -> None:
    # October's MRR is not known (a customer's is NULL): its figures are NULL and November, which
    # follows it, cannot be compared with its end. Neither is a broken identity.
    movements = pl.DataFrame(
        {
            "month": [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
            "mrr_start": [0.0, None, 120.0],
            "new_mrr": [100.0, None, 0.0],
            "reactivation_mrr": [0.0, None, 0.0],
            "expansion_mrr": [0.0, None, 10.0],
            "contraction_mrr": [0.0, None, 0.0],
            "churned_mrr": [0.0, None, 0.0],
            "mrr_end": [100.0, None, 130.0],
        }
    )
    result = revenue_rules.churn_method_documented([], set(), None, movements)[2]
    assert result.status == "pass"
    assert result.observed == (
        "0 of 3 months break the identity; 1 months not judged: a customer's MRR is not known"
    )
