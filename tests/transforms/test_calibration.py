"""The calibration of the health score against churn (transforms/calibration.py) on hand-made rows."""

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

from transforms.calibration import (
    CalibrationConfig,
    calibrate,
    calibration_dates,
    churn_outcomes,
    mann_whitney_auc,
)

CONFIG = CalibrationConfig(version="test.1", horizon_days=90, pooled_dates=12)


def test_auc_counts_pairs_with_ties_half() -> None:
    # churned scores 10, 50; retained 50, 80, 90. Pairs (churned lower than retained):
    # 10<50, 10<80, 10<90 → 3; 50 vs 50 tie → 0.5; 50<80, 50<90 → 2. AUC = 5.5 / (2·3) = 0.916666…
    scores = pl.Series([10.0, 50.0, 50.0, 80.0, 90.0])
    churned = pl.Series([True, True, False, False, False])
    assert mann_whitney_auc(scores, churned) == pytest.approx(5.5 / 6)


def test_auc_is_null_without_both_classes() -> None:
    assert mann_whitney_auc(pl.Series([1.0, 2.0]), pl.Series([False, False])) is None


def _daily(account: str, first: dt.date, last: dt.date, status: str) -> list[dict]:
    days = (last - first).days + 1
    return [
        {
            "account_id": account,
            "as_of_date": first + dt.timedelta(days=n),
            "customer_status": status,
        }
        for n in range(days)
    ]


def test_churn_outcomes_count_churns_between_month_ends() -> None:
    """t = 2026-05-31, horizon 90 days: the window is 06-01 … 08-29; its month ends are 06-30 and
    07-31. A label from month-end valuations sees only those two days."""
    t = dt.date(2026, 5, 31)
    end = dt.date(2026, 9, 30)
    statuses = pl.DataFrame(
        # late: paying until 08-14, churned from 08-15 — after the last month end of the window
        # (07-31), before t + 90 (08-29): churned, which a month-end label misses.
        _daily("late", t, dt.date(2026, 8, 14), "paying")
        + _daily("late", dt.date(2026, 8, 15), end, "churned")
        # early: churned on 06-10 → churned
        + _daily("early", t, dt.date(2026, 6, 9), "paying")
        + _daily("early", dt.date(2026, 6, 10), end, "churned")
        # after: churned on 08-30 = t + 91, outside the window → not churned
        + _daily("after", t, dt.date(2026, 8, 29), "paying")
        + _daily("after", dt.date(2026, 8, 30), end, "churned")
        # paused for a week in July: MRR 0 in the window → churned (it went to 0)
        + _daily("paused", t, dt.date(2026, 7, 9), "paying")
        + _daily("paused", dt.date(2026, 7, 10), dt.date(2026, 7, 16), "paused")
        + _daily("paused", dt.date(2026, 7, 17), end, "paying")
        # trial: trialing on t → its own segment, not in the population
        + _daily("trial", t, end, "trialing")
        # stay: paying throughout; unknown: paying, its status unknown (Stripe stale) for a week
        + _daily("stay", t, end, "paying")
        + _daily("unknown", t, dt.date(2026, 6, 30), "paying")
        + [
            {"account_id": "unknown", "as_of_date": dt.date(2026, 7, d), "customer_status": None}
            for d in range(1, 8)
        ]
        + _daily("unknown", dt.date(2026, 7, 8), end, "paying"),
        schema={"account_id": pl.String, "as_of_date": pl.Date, "customer_status": pl.String},
    )
    out = churn_outcomes(statuses, [t], CONFIG.horizon_days).sort("account_id")
    assert out.select("account_id", "churned", "churned_on").rows() == [
        ("after", False, None),
        ("early", True, dt.date(2026, 6, 10)),
        ("late", True, dt.date(2026, 8, 15)),
        ("paused", True, dt.date(2026, 7, 10)),
        ("stay", False, None),
        ("unknown", False, None),
    ]


def test_calibration_precision_recall_and_churn_by_grade() -> None:
    t = dt.date(2026, 1, 31)
    scores = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "as_of_date": [t] * 4,
            "score": [15.0, 30.0, 85.0, 70.0],
            "grade": ["F", "D", "A", "B"],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "calibration_date": [t] * 4,
            "churned": [True, False, False, True],
        }
    )
    row = calibrate(scores, outcomes, ("D", "F"), CONFIG).row(0, named=True)
    # flagged D/F: a, b; churned: a, d. TP = 1 → precision 1/2, recall 1/2.
    assert (row["flagged_at_risk"], row["true_positives"]) == (2, 1)
    assert row["precision_at_risk"] == pytest.approx(0.5)
    assert row["recall_at_risk"] == pytest.approx(0.5)
    # Pairs churned (15, 70) vs retained (30, 85): 15<30, 15<85, 70<85 → 3 of 4.
    assert row["auc"] == pytest.approx(0.75)
    assert (row["accounts_grade_f"], row["churned_grade_f"], row["churn_rate_grade_f"]) == (
        1,
        1,
        1.0,
    )
    assert (row["accounts_grade_c"], row["churn_rate_grade_c"]) == (0, None)


def test_pooled_row_takes_the_latest_dates_together() -> None:
    t1, t2, t3 = dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)
    scores = pl.DataFrame(
        {
            "account_id": ["a", "b", "a", "b", "a", "b"],
            "as_of_date": [t1, t1, t2, t2, t3, t3],
            "score": [90.0, 10.0, 85.0, 15.0, 30.0, 50.0],
            "grade": ["A", "F", "A", "F", "D", "C"],
        }
    )
    outcomes = pl.DataFrame(
        {
            "account_id": ["a", "b", "a", "b", "a", "b"],
            "calibration_date": [t1, t1, t2, t2, t3, t3],
            "churned": [False, True, False, False, True, False],
        }
    )
    out = calibrate(scores, outcomes, ("D", "F"), replace(CONFIG, pooled_dates=2))
    assert out["scope"].to_list() == ["calibration_date"] * 3 + ["pooled_12m"]
    pooled = out.row(3, named=True)
    # Pooled over the latest 2 dates, t2 and t3: pairs (a,t2) 85 A no, (b,t2) 15 F no,
    # (a,t3) 30 D churned, (b,t3) 50 C no. Churned 30 vs retained 85, 15, 50: lower than 85 and
    # 50 → 2 of 3. Flagged D/F: (b,t2), (a,t3) → TP 1: precision 1/2, recall 1/1.
    assert pooled["calibration_date"] is None
    assert (pooled["pool_first_date"], pooled["pool_last_date"]) == (t2, t3)
    assert (pooled["calibration_dates"], pooled["accounts"], pooled["churned_accounts"]) == (
        2,
        4,
        1,
    )
    assert pooled["auc"] == pytest.approx(2 / 3)
    assert (pooled["precision_at_risk"], pooled["recall_at_risk"]) == (0.5, 1.0)
    assert (pooled["accounts_grade_a"], pooled["churned_grade_a"]) == (1, 0)
    assert (pooled["accounts_grade_d"], pooled["churn_rate_grade_d"]) == (1, 1.0)
    assert (pooled["accounts_grade_f"], pooled["churn_rate_grade_f"]) == (1, 0.0)
    # t1 alone: churned b (10) below retained a (90) → AUC 1.
    assert out.row(0, named=True)["auc"] == pytest.approx(1.0)


def test_calibration_dates_are_month_ends_whose_horizon_has_passed() -> None:
    valuation = [
        dt.date(2026, 1, 15),  # not a month end
        dt.date(2026, 1, 31),  # + 90 days = 05-01 <= as of 05-01
        dt.date(2026, 2, 28),  # + 90 days = 05-29 > as of
        dt.date(2025, 12, 31),
    ]
    assert calibration_dates(valuation, dt.date(2026, 5, 1), 90) == [
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
    ]
