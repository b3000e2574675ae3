"""Monthly engagement score (metrics.md §3) and the CSM portfolio, worked by hand.

Weights: logins 0.15 (target 30), active_users 0.15 (5), features_used 0.20 (10),
actions 0.20 (100), automation_rate 0.15 (1), csat 0.15 (5).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_engagement_config
from transforms.engagement import csm_portfolio, score_engagement

CONFIG = load_engagement_config()
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
SCHEMA = {
    "account_id": pl.String,
    "month": pl.Date,
    "logins": pl.Int64,
    "active_users": pl.Int64,
    "features_used": pl.Int64,
    "actions": pl.Int64,
    "automation_rate": pl.Float64,
    "csat": pl.Float64,
}
FULL = {
    "logins": 30,
    "active_users": 5,
    "features_used": 10,
    "actions": 100,
    "automation_rate": 1.0,
    "csat": 5.0,
}


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{"month": NOV, **FULL, **r} for r in rows], schema=SCHEMA)


def test_score_formula_and_caps() -> None:
    # logins 15/30 → 50; users 10/5 → capped 100; features 5/10 → 50; actions 250 → capped 100;
    # automation 0.4 → 40; csat 3/5 → 60
    # score = 0.15·50 + 0.15·100 + 0.20·50 + 0.20·100 + 0.15·40 + 0.15·60
    #       = 7.5 + 15 + 10 + 20 + 6 + 9 = 67.5 → displays 68 → medium
    row = score_engagement(
        _frame(
            [
                {
                    "account_id": "a",
                    "logins": 15,
                    "active_users": 10,
                    "features_used": 5,
                    "actions": 250,
                    "automation_rate": 0.4,
                    "csat": 3.0,
                }
            ]
        ),
        CONFIG,
    ).row(0, named=True)
    assert row["score"] == pytest.approx(67.5)
    assert row["score_display"] == 68
    assert row["level"] == "medium"
    assert row["coverage"] == pytest.approx(1.0)
    assert row["config_version"] == "2026.11.1"


def test_missing_input_rescales_weights() -> None:
    # csat missing (no ratings), automation 0.4 → 40, the rest at target (100):
    # score = (0.15·100 + 0.15·100 + 0.20·100 + 0.20·100 + 0.15·40)/0.85 = (70 + 6)/0.85
    #       = 89.41176470588235, coverage 0.85. Zero-filled it would be 76.
    row = score_engagement(
        _frame([{"account_id": "a", "automation_rate": 0.4, "csat": None}]), CONFIG
    ).row(0, named=True)
    assert row["coverage"] == pytest.approx(0.85)
    assert row["score"] == pytest.approx(89.41176470588235)
    assert row["level"] == "high"


def test_no_input_gives_no_score() -> None:
    row = score_engagement(_frame([{"account_id": "a", **dict.fromkeys(FULL)}]), CONFIG).row(
        0, named=True
    )
    assert row["score"] is None
    assert row["level"] is None
    assert row["coverage"] == 0.0


# Base for the level boundaries: users 5 → 0.15·100 = 15, actions 100 → 0.20·100 = 20,
# automation 0 → 0; logins L → 0.15·L/30·100 = 0.5·L, features F → 0.20·F/10·100 = 2·F,
# csat C → 0.15·C/5·100 = 3·C.
@pytest.mark.parametrize(
    ("logins", "features", "csat", "score", "display", "level"),
    [
        (28, 8, 1.5, 69.5, 70, "high"),  # 15 + 20 + 14 + 16 + 4.5 = 69.5 → 70
        (27, 8, 1.5, 69.0, 69, "medium"),  # 15 + 20 + 13.5 + 16 + 4.5 = 69
        (3, 0, 1.0, 39.5, 40, "medium"),  # 15 + 20 + 1.5 + 0 + 3 = 39.5 → 40
        (2, 0, 1.0, 39.0, 39, "low"),  # 15 + 20 + 1 + 0 + 3 = 39
    ],
)
def test_levels_apply_to_the_rounded_score(
    logins: int, features: int, csat: float, score: float, display: int, level: str
) -> None:
    row = {"logins": logins, "features_used": features, "automation_rate": 0.0, "csat": csat}
    out = score_engagement(_frame([{"account_id": "a", **row}]), CONFIG).row(0, named=True)
    assert out["score"] == pytest.approx(score)
    assert out["score_display"] == display
    assert out["level"] == level


def test_change_versus_previous_month() -> None:
    # a: logins 20 → 30: +50%; score Oct = 100 − 0.15·(100 − 20/30·100) = 100 − 5 = 95,
    #    Nov = 100: (100 − 95)/95·100 = 5.263157894736842%
    # b: Oct logins 0 → Nov 30: previous 0 → no logins change reported
    # c: only November → no change at all
    # d: Sep and Nov (no October) → Nov has no previous month
    rows = [
        {"account_id": "a", "month": OCT, "logins": 20},
        {"account_id": "a", "month": NOV},
        {"account_id": "b", "month": OCT, "logins": 0},
        {"account_id": "b", "month": NOV},
        {"account_id": "c", "month": NOV},
        {"account_id": "d", "month": dt.date(2026, 9, 1)},
        {"account_id": "d", "month": NOV},
    ]
    out = score_engagement(pl.DataFrame([{**FULL, **r} for r in rows], schema=SCHEMA), CONFIG)
    nov = {r["account_id"]: r for r in out.filter(pl.col("month") == NOV).iter_rows(named=True)}
    assert nov["a"]["logins_change_pct"] == pytest.approx(50.0)
    assert nov["a"]["score_change_pct"] == pytest.approx(5.263157894736842)
    assert nov["a"]["csat_change_pct"] == pytest.approx(0.0)
    assert nov["b"]["logins_change_pct"] is None
    assert nov["c"]["score_change_pct"] is None
    assert nov["d"]["score_change_pct"] is None


def test_csm_portfolio() -> None:
    # a: 100 high; b: logins 0, users 0, features 0 → 0.20·100 + 0.15·100 + 0.15·100 = 50 medium;
    # c: everything 0 but csat 5 → 15 low; d: no input → unscored. a, b, c → csm 1; d → csm 2.
    zero = {
        "logins": 0,
        "active_users": 0,
        "features_used": 0,
        "actions": 0,
        "automation_rate": 0.0,
    }
    engagement = score_engagement(
        _frame(
            [
                {"account_id": "a"},
                {"account_id": "b", "logins": 0, "active_users": 0, "features_used": 0},
                {"account_id": "c", **zero},
                {"account_id": "d", **dict.fromkeys(FULL)},
            ]
        ),
        CONFIG,
    )
    assignments = pl.DataFrame({"account_id": ["a", "b", "c", "d"], "csm_id": ["1", "1", "1", "2"]})
    rows = csm_portfolio(engagement, assignments).iter_rows(named=True)
    one, two = list(rows)
    assert (one["csm_id"], one["accounts"], one["high"], one["medium"], one["low"]) == (
        "1",
        3,
        1,
        1,
        1,
    )
    assert one["at_risk_accounts"] == ["c"]
    # mean = (100 + 50 + 15)/3 = 55
    assert one["mean_score"] == pytest.approx(55.0)
    assert (two["accounts"], two["unscored"], two["mean_score"]) == (1, 1, None)


def test_the_portfolio_counts_the_live_book_only() -> None:
    """metrics.md, population: a churned or never-paid account is not in a CSM's book (it kept
    zero-activity rows and showed as low before). Month ends: a paying, b churned, c never paid,
    d has no daily status that month (before its range) and MRR > 0 at the valuation, e neither."""
    from transforms.engagement import live_account_months

    month = NOV
    month_ends = pl.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "e"],
            "month": [month] * 5,
            "customer_status": ["paying", "churned", "never_paid", None, None],
            "mrr_positive": [True, False, None, True, None],
        }
    )
    live = live_account_months(month_ends)
    assert sorted(live["account_id"].to_list()) == ["a", "d"]
    engagement = score_engagement(
        _frame([{"account_id": a} for a in ("a", "b", "c", "d", "e")]), CONFIG
    )
    assignments = pl.DataFrame({"account_id": list("abcde"), "csm_id": ["1"] * 5})
    (row,) = csm_portfolio(engagement, assignments, live).iter_rows(named=True)
    assert row["accounts"] == 2
