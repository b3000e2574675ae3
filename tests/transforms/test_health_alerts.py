"""CS alerts as episodes (metrics.md §2, transforms/health_alerts.py) on hand-made daily rows over
five days D-4 … D; every expected episode is worked out in the comments."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_health_config
from transforms.health_alerts import alert_conditions, alert_episodes

CONFIG = load_health_config()
D = dt.date(2026, 11, 20)
DAYS = [D - dt.timedelta(days=n) for n in (4, 3, 2, 1, 0)]
COMPONENTS = ("product_usage", "engagement", "support", "relationship", "financial")


def _score(account: str, day: int, score: float, change: float = 0.0, grade: str = "B", **extra):
    """A health row of DAYS[day]; `change` is score − score 7 days earlier."""
    row = {
        "account_id": account,
        "as_of_date": DAYS[day],
        "score": score,
        "score_display": round(score),
        "score_lookback": score - change,
        "score_change": change,
        "grade": grade,
        "csm_id": "csm_1",
        "customer_status": "paying",
    } | {f"{c}_change": 0.0 for c in COMPONENTS}
    return row | extra


def _signal(account: str, day: int, signal: str, severity: str, status: str = "paying"):
    return {
        "account_id": account,
        "as_of_date": DAYS[day],
        "signal": signal,
        "severity": severity,
        "observed_value": 1.0,
        "operator": "==",
        "threshold": 1.0,
        "customer_status": status,
    }


@pytest.fixture(scope="module")
def episodes() -> pl.DataFrame:
    scores = [
        # drop: fell more than 15 points on D-3 and D-2 (engagement −30, usage −10, support +5 on
        # D-3), recovered on D-1 → one episode, D-3 … D-2, closed D-1 (still paying).
        _score("drop", 0, 70.0),
        _score("drop", 1, 50.0, -20.0, engagement_change=-30.0, product_usage_change=-10.0,
               support_change=5.0),
        _score("drop", 2, 52.0, -16.0),
        _score("drop", 3, 60.0, -10.0),
        _score("drop", 4, 65.0, -5.0),
        # grade: D every day → one episode, open (closed_on NULL).
        *[_score("grade", d, 30.0, grade="D") for d in range(5)],
        # gap: F on D-4, D-3, not D-2, F again D-1 and D → two episodes.
        *[_score("gap", d, 15.0 if d != 2 else 45.0, grade="F" if d != 2 else "C")
          for d in range(5)],
        # cancel: paying D-4 … D-1, churns on D (its terminal row): never graded at risk.
        *[_score("cancel", d, 75.0) for d in range(4)],
        _score("cancel", 4, 75.0, customer_status="churned"),
    ]  # fmt: skip
    signals = [
        # cancellation request D-3 … D-1, and on the terminal day: one episode closed on D
        # because the account left the live book.
        *[_signal("cancel", d, "cancellation_request", "high") for d in (1, 2, 3)],
        _signal("cancel", 4, "cancellation_request", "high", status="churned"),
        # a medium signal is a daily fact, never an alert
        _signal("grade", 2, "no_login_7_days", "medium"),
    ]
    mrr = pl.DataFrame(
        [
            {"account_id": a, "as_of_date": day, "mrr_at_stake": 6000.0 if a == "cancel" else 100.0}
            for a in ("drop", "grade", "gap", "cancel")
            for day in DAYS
        ]
    )
    conditions = alert_conditions(pl.DataFrame(scores), pl.DataFrame(signals), mrr, CONFIG)
    statuses = pl.DataFrame(
        [
            {"account_id": a, "as_of_date": day, "customer_status": s}
            for a in ("drop", "grade", "gap")
            for day, s in zip(DAYS, ["paying"] * 5, strict=True)
        ]
        + [{"account_id": "cancel", "as_of_date": D, "customer_status": "churned"}]
    )
    return alert_episodes(conditions, statuses, D, CONFIG)


def _rows(episodes: pl.DataFrame, account: str) -> list[dict]:
    return episodes.filter(pl.col("account_id") == account).sort("opened_on").to_dicts()


def test_a_drop_over_two_days_is_one_episode_closed_when_it_clears(episodes) -> None:
    (drop,) = _rows(episodes, "drop")
    assert (drop["alert"], drop["opened_on"], drop["closed_on"], drop["close_reason"]) == (
        "health_score_drop",
        DAYS[1],
        DAYS[3],
        "condition_cleared",
    )
    assert (drop["days_held"], drop["opening_value"], drop["latest_value"]) == (2, 50.0, 52.0)
    assert drop["opening_previous_value"] == 70.0 and drop["severity"] == "high"
    # what moved it: the two components that fell most, largest fall first (support rose)
    assert drop["components_moved"] == "engagement -30.0, product_usage -10.0"
    assert drop["reason"] == "health score fell from 70 to 50 in 7 days"


def test_a_grade_held_every_day_is_one_open_episode(episodes) -> None:
    (grade,) = _rows(episodes, "grade")
    assert (grade["alert"], grade["opened_on"], grade["closed_on"], grade["days_held"]) == (
        "at_risk_grade",
        DAYS[0],
        None,
        5,
    )
    assert grade["severity"] == "critical" and grade["close_reason"] is None


def test_a_condition_that_lapses_and_returns_is_two_episodes(episodes) -> None:
    first, second = _rows(episodes, "gap")
    assert (first["opened_on"], first["closed_on"]) == (DAYS[0], DAYS[2])
    assert (second["opened_on"], second["closed_on"]) == (DAYS[3], None)


def test_a_cancellation_request_stays_open_until_the_account_churns(episodes) -> None:
    (cancel,) = _rows(episodes, "cancel")
    assert (cancel["alert"], cancel["signal"], cancel["opened_on"]) == (
        "churn_signal",
        "cancellation_request",
        DAYS[1],
    )
    # closed on the churn day (the terminal row opens and holds nothing), as left_live_book
    assert (cancel["closed_on"], cancel["close_reason"], cancel["days_held"]) == (
        D,
        "left_live_book",
        3,
    )
    # 6,000 of MRR at stake ≥ the configured 5,000: high raised to critical
    assert (cancel["base_severity"], cancel["severity"], cancel["mrr_at_stake"]) == (
        "high",
        "critical",
        6000.0,
    )


def test_no_account_has_one_alert_as_two_rows_on_consecutive_days(episodes) -> None:
    ordered = episodes.sort("account_id", "alert", "signal", "opened_on")
    for (_, _, _), group in ordered.group_by("account_id", "alert", "signal"):
        rows = group.sort("opened_on").to_dicts()
        for before, after in zip(rows, rows[1:], strict=False):
            assert after["opened_on"] > before["latest_on"] + dt.timedelta(days=1)
    assert episodes["episode_id"].n_unique() == episodes.height == 5
