"""Rule 12 on the churn reasons: the published rows against the month's churn and against the raw
Stripe subscriptions, on small frames worked by hand, and each defect the rule exists for put back."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.gate.churn_reason_rules import TARGET_ROWS, TARGET_TOTALS, churn_reasons_reconciled
from transforms.gate.independent_churn_reasons import expected_churn_reasons

MAR, APR = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
AS_OF = dt.date(2024, 4, 30)
EPOCH_MAR_10 = 1710028800  # 2024-03-10 00:00 UTC
EPOCH_MAR_31_LATE = 1711929599  # 2024-03-31 23:59:59 UTC
EPOCH_APR_1 = 1711929600  # 2024-04-01 00:00 UTC

# March: cus_a (100) ended with too_expensive, cus_b (40) ended with no details at all,
# cus_c (60) never ended a subscription (went unpaid). April: cus_d (10), unused, ended on the 1st.
CHURNED = pl.DataFrame(
    {
        "month": [MAR, MAR, MAR, APR],
        "customer": ["cus_a", "cus_b", "cus_c", "cus_d"],
        "churned_mrr": [100.0, 40.0, 60.0, 10.0],
    }
)
SUBSCRIPTIONS = pl.DataFrame(
    {
        "id": ["sub_a", "sub_a", "sub_b", "sub_d"],
        "customer": ["cus_a", "cus_a", "cus_b", "cus_d"],
        # sub_a's first drop did not know the feedback yet; its newest version does
        "ended_at": [EPOCH_MAR_10, EPOCH_MAR_10, EPOCH_MAR_31_LATE, EPOCH_APR_1],
        "cancellation_reason": ["cancellation_requested", "cancellation_requested", " ", "x"],
        "cancellation_feedback": [None, "too_expensive", None, "unused"],
        "_drop_date": [dt.date(2024, 3, 10), dt.date(2024, 3, 11), MAR, dt.date(2024, 4, 2)],
        "_line": [1, 1, 1, 1],
    }
)
MOVEMENTS = pl.DataFrame(
    {
        "month": [MAR, APR],
        "churned_mrr": [200.0, 10.0],
        "logos_churned": [3, 1],
        "customers_mrr_unknown": [0, 0],
    }
)
NG = "not given"
PUBLISHED = pl.DataFrame(
    {
        "month": [MAR, MAR, APR],
        "cancellation_reason": ["cancellation_requested", NG, "x"],
        "cancellation_feedback": ["too_expensive", NG, "unused"],
        "logos_lost": [1, 2, 1],
        "mrr_lost": [100.0, 100.0, 10.0],
    }
)


def _judge(published: pl.DataFrame, movements: pl.DataFrame = MOVEMENTS) -> dict[str, str]:
    results = churn_reasons_reconciled(published, movements, CHURNED, SUBSCRIPTIONS, AS_OF)
    names = {TARGET_TOTALS: "totals", TARGET_ROWS: "rows"}
    return {names[r.target]: r.status for r in results}


def test_the_recomputation_by_hand() -> None:
    expected = expected_churn_reasons(CHURNED, SUBSCRIPTIONS, AS_OF)
    assert expected.rows() == [
        (MAR, "cancellation_requested", "too_expensive", 1, 100.0),
        (MAR, NG, NG, 2, 100.0),
        (APR, "x", "unused", 1, 10.0),
    ]


def test_the_feedback_is_what_the_drops_up_to_the_as_of_date_knew() -> None:
    expected = expected_churn_reasons(CHURNED, SUBSCRIPTIONS, dt.date(2024, 3, 10))
    march = expected.filter(pl.col("month") == MAR)
    assert march.rows() == [(MAR, "cancellation_requested", NG, 1, 100.0), (MAR, NG, NG, 2, 100.0)]


def test_correct_reasons_pass() -> None:
    assert _judge(PUBLISHED) == {"totals": "pass", "rows": "pass"}


def test_dropping_the_not_given_rows_fails_both_checks() -> None:
    assert _judge(PUBLISHED.filter(pl.col("cancellation_feedback") != NG)) == {
        "totals": "fail",
        "rows": "fail",
    }


def test_a_reason_moved_to_another_feedback_fails_the_rows_not_the_totals() -> None:
    moved = PUBLISHED.with_columns(
        pl.when(pl.col("cancellation_feedback") == "too_expensive")
        .then(pl.lit("unused"))
        .otherwise(pl.col("cancellation_feedback"))
        .alias("cancellation_feedback")
    )
    assert _judge(moved) == {"totals": "pass", "rows": "fail"}


def test_a_customer_counted_under_two_subscriptions_fails() -> None:
    twice = pl.concat(
        [
            PUBLISHED,
            PUBLISHED.filter(pl.col("month") == APR).with_columns(
                pl.lit("y").alias("cancellation_reason")
            ),
        ]
    )
    assert _judge(twice) == {"totals": "fail", "rows": "fail"}


@pytest.mark.parametrize("amounts_published", [True, False])
def test_a_month_whose_total_is_unknown_must_have_no_amounts(amounts_published: bool) -> None:
    movements = MOVEMENTS.with_columns(
        pl.when(pl.col("month") == APR).then(1).otherwise(0).alias("customers_mrr_unknown"),
        pl.when(pl.col("month") == APR)
        .then(None)
        .otherwise(pl.col("churned_mrr"))
        .alias("churned_mrr"),
    )
    published = PUBLISHED
    if not amounts_published:
        published = PUBLISHED.with_columns(
            pl.when(pl.col("month") == APR).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("logos_lost", "mrr_lost")
        )
    expected = {"totals": "fail" if amounts_published else "pass", "rows": "pass"}
    assert _judge(published, movements) == expected


def test_not_built_is_not_applicable() -> None:
    results = churn_reasons_reconciled(None, MOVEMENTS, CHURNED, SUBSCRIPTIONS, AS_OF)
    assert {r.status for r in results} == {"not_applicable"}
