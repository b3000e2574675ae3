"""Expansion probability and opportunities, advocacy candidates (metrics.md §9), by hand.

Signal weights: approaching_limit 0.9, feature_attempts 0.8, team_growth 0.7,
success_metrics 0.7, high_engagement 0.6, nps_promoter 0.5, renewal_approaching 0.4 (sum 4.6).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_expansion_config
from transforms.expansion import (
    advocacy_candidates,
    advocacy_tier,
    expansion_opportunities,
    expansion_pipeline,
    score_expansion,
)

CONFIG = load_expansion_config()
DAY = dt.date(2026, 11, 20)
SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "csm_id": pl.String,
    "plan": pl.String,
    "mrr": pl.Float64,
    "seats": pl.Int64,
    "usage_vs_limit": pl.Float64,
    "blocked_feature_attempts": pl.Int64,
    "blocked_features": pl.Int64,
    "seat_growth_90d": pl.Float64,
    "active_user_growth_90d": pl.Float64,
    "success_metrics_exceeded": pl.Boolean,
    "engagement_score": pl.Float64,
    "nps_score": pl.Float64,
    "days_to_renewal": pl.Int64,
}
# Every signal evaluable, none triggered.
QUIET = {
    "csm_id": "csm1",
    "plan": "growth",
    "mrr": 1000.0,
    "seats": 10,
    "usage_vs_limit": 0.5,
    "blocked_feature_attempts": 0,
    "blocked_features": 0,
    "seat_growth_90d": 0.0,
    "active_user_growth_90d": 0.0,
    "success_metrics_exceeded": False,
    "engagement_score": 50.0,
    "nps_score": 7.0,
    "days_to_renewal": 200,
}


def _frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(
        [{"account_id": f"a{i}", "as_of_date": DAY, **QUIET, **r} for i, r in enumerate(rows)],
        schema=SCHEMA,
    )


def _scored(**overrides) -> dict:
    return score_expansion(_frame(overrides), CONFIG).row(0, named=True)


def test_no_signal_gives_probability_zero() -> None:
    row = _scored()
    assert row["triggered_signals"] == []
    assert row["evaluated_weight"] == pytest.approx(4.6)
    assert row["probability"] == 0.0


@pytest.mark.parametrize(
    ("overrides", "signal"),
    [
        ({"usage_vs_limit": 0.81}, "approaching_limit"),
        ({"blocked_feature_attempts": 4}, "feature_attempts"),
        ({"seat_growth_90d": 0.2}, "team_growth"),
        ({"active_user_growth_90d": 0.25}, "team_growth"),
        ({"success_metrics_exceeded": True}, "success_metrics"),
        ({"engagement_score": 81.0}, "high_engagement"),
        ({"nps_score": 9.0}, "nps_promoter"),
        ({"days_to_renewal": 60}, "renewal_approaching"),
    ],
)
def test_each_signal_fires_at_its_threshold(overrides: dict, signal: str) -> None:
    assert _scored(**overrides)["triggered_signals"] == [signal]


@pytest.mark.parametrize(
    "overrides",
    [
        {"usage_vs_limit": 0.8},  # > 0.8 is required
        {"blocked_feature_attempts": 3},  # > 3 is required
        {"seat_growth_90d": 0.19, "active_user_growth_90d": 0.1},
        {"engagement_score": 80.0},  # > 80 is required
        {"nps_score": 8.0},
        {"days_to_renewal": 61},
    ],
)
def test_signals_just_short_of_their_threshold_do_not_fire(overrides: dict) -> None:
    assert _scored(**overrides)["triggered_signals"] == []


def test_probability_over_all_evaluable_signals() -> None:
    # approaching_limit 0.9 + nps_promoter 0.5 = 1.4 of 4.6 → 0.30434… → 0.30
    row = _scored(usage_vs_limit=0.95, nps_score=10.0)
    assert row["triggered_weight"] == pytest.approx(1.4)
    assert row["probability"] == 0.30


def test_unevaluable_signal_is_left_out_of_the_denominator() -> None:
    # No success-plan data and no NPS response: evaluated weight = 4.6 − 0.7 − 0.5 = 3.4.
    # approaching_limit 0.9 + high_engagement 0.6 = 1.5 → 1.5/3.4 = 0.441176… → 0.44
    # (counting them as not triggered would give 1.5/4.6 = 0.326… → 0.33)
    row = _scored(
        usage_vs_limit=0.95, engagement_score=90.0, success_metrics_exceeded=None, nps_score=None
    )
    assert row["evaluated_signals"] == [
        "approaching_limit",
        "feature_attempts",
        "team_growth",
        "high_engagement",
        "renewal_approaching",
    ]
    assert row["evaluated_weight"] == pytest.approx(3.4)
    assert row["probability"] == 0.44


def test_probability_with_two_evaluable_signals() -> None:
    # Only approaching_limit (0.9, not triggered) and renewal_approaching (0.4, 30 days ≤ 60)
    # evaluable: 0.4/1.3 = 0.307692… → 0.31
    row = _scored(
        blocked_feature_attempts=None,
        seat_growth_90d=None,
        active_user_growth_90d=None,
        success_metrics_exceeded=None,
        engagement_score=None,
        nps_score=None,
        days_to_renewal=30,
    )
    assert row["evaluated_weight"] == pytest.approx(1.3)
    assert row["probability"] == 0.31


def test_no_evaluable_signal_gives_no_probability() -> None:
    row = _scored(**{k: None for k in QUIET if k not in ("csm_id", "plan", "mrr", "seats")})
    assert row["evaluated_weight"] == 0.0
    assert row["probability"] is None


def test_opportunities_and_their_values() -> None:
    # approaching_limit, team_growth (+20%) and feature_attempts all fire on a growth plan:
    # upsell to pro at 0.5 × 1000 = 500;
    # seats: ceil(10 × 1.2) − 10 = 12 − 10 = 2 seats × 1000/10 = 200;
    # features: 2 blocked features × 50 = 100.
    # probability = (0.9 + 0.7 + 0.8)/4.6 = 2.4/4.6 = 0.5217… → 0.52
    frame = _frame(
        {
            "usage_vs_limit": 0.9,
            "seat_growth_90d": 0.2,
            "blocked_feature_attempts": 5,
            "blocked_features": 2,
        }
    )
    out = expansion_opportunities(frame, CONFIG)
    assert out.select("type", "product", "estimated_value", "probability", "timing").rows() == [
        ("add_features", "Feature add-on", 100.0, 0.52, "now"),
        ("add_seats", "Additional seats", pytest.approx(200.0), 0.52, "now"),
        ("upsell", "pro", 500.0, 0.52, "now"),
    ]
    assert out["signals"].to_list()[0] == ["approaching_limit", "feature_attempts", "team_growth"]


def test_seat_opportunity_uses_the_larger_growth_and_rounds_seats_up() -> None:
    # Seats +10%, active users +35%: growth 0.35; ceil(10 × 1.35) = ceil(13.5) = 14 → 4 seats
    # × 1000/10 = 400.
    out = expansion_opportunities(
        _frame({"seat_growth_90d": 0.1, "active_user_growth_90d": 0.35}), CONFIG
    )
    assert out.select("type", "estimated_value").rows() == [("add_seats", pytest.approx(400.0))]


def test_enterprise_has_no_upsell_and_missing_mrr_gives_no_value() -> None:
    out = expansion_opportunities(
        _frame({"plan": "enterprise", "usage_vs_limit": 0.9}, {"usage_vs_limit": 0.9, "mrr": None}),
        CONFIG,
    )
    assert out.select("account_id", "type", "product", "estimated_value").rows() == [
        ("a1", "upsell", "pro", None),
    ]


def test_pipeline_per_csm_type_and_timing() -> None:
    # csm1: two upsells (500 + 250) and one feature add-on (50 × 1); csm2: an upsell, MRR unknown.
    frame = _frame(
        {"usage_vs_limit": 0.9},
        {"usage_vs_limit": 0.9, "mrr": 500.0},
        {"blocked_feature_attempts": 4, "blocked_features": 1},
        {"csm_id": "csm2", "usage_vs_limit": 0.9, "mrr": None},
    )
    pipeline = expansion_pipeline(expansion_opportunities(frame, CONFIG))
    assert pipeline.select(
        "csm_id", "type", "timing", "opportunities", "estimated_value", "unvalued"
    ).rows() == [
        ("csm1", "add_features", "now", 1, 50.0, 0),
        ("csm1", "upsell", "now", 2, 750.0, 0),
        ("csm2", "upsell", "now", 1, 0.0, 1),
    ]


def _advocacy_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "account_id": pl.String,
            "nps_score": pl.Float64,
            "health_score": pl.Float64,
            "advocacy_status": pl.String,
            "mrr": pl.Float64,
        },
        orient="row",
    )


def test_advocacy_filters() -> None:
    frame = _advocacy_frame(
        [
            ("ok", 9.0, 70.0, None, 100.0),  # NPS 9 and health 70: both at their minimum
            ("status_none", 10.0, 90.0, "none", 50.0),
            ("nps8", 8.0, 90.0, None, 900.0),
            ("health69", 10.0, 69.9, None, 800.0),
            ("already", 10.0, 95.0, "case_study", 700.0),
            ("no_nps", None, 95.0, None, 600.0),
        ]
    )
    out = advocacy_candidates(frame, CONFIG)
    assert out.select("rank", "account_id").rows() == [(1, "ok"), (2, "status_none")]


def test_advocacy_orders_by_mrr_and_keeps_the_top_20() -> None:
    # 25 qualifying accounts with MRR 100, 200, …, 2500 (acc01 … acc25): the top 20 are
    # acc25 … acc06 (MRR 2500 down to 600); acc01 … acc05 are cut.
    rows = [(f"acc{i:02d}", 10.0, 80.0, None, 100.0 * i) for i in range(1, 26)]
    out = advocacy_candidates(_advocacy_frame(rows), CONFIG)
    assert out.height == 20
    assert out["account_id"].to_list() == [f"acc{i:02d}" for i in range(25, 5, -1)]
    assert out["rank"].to_list() == list(range(1, 21))
    assert out["mrr"].to_list()[0] == 2500.0
    assert out["mrr"].to_list()[-1] == 600.0


def test_advocacy_ties_in_mrr_break_by_account_id() -> None:
    rows = [("b", 9.0, 80.0, None, 100.0), ("a", 9.0, 80.0, None, 100.0)]
    assert advocacy_candidates(_advocacy_frame(rows), CONFIG)["account_id"].to_list() == ["a", "b"]


def test_advocacy_tiers() -> None:
    points = pl.Series([0, 299, 300, 799, 800, 5000])
    got = pl.select(advocacy_tier(pl.lit(points), CONFIG)).to_series().to_list()
    assert got == ["Fan", "Fan", "Champion", "Champion", "Ambassador", "Ambassador"]
