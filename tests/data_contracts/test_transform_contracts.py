"""The pandera contracts of data_contracts/transform_contracts.py accept what the transforms take
and produce, and reject what the conventions forbid (NaN for missing, out-of-range values,
duplicate keys)."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
import pytest

from data_contracts import transform_contracts as tc
from orchestration.config import (
    load_churn_signals_config,
    load_engagement_config,
    load_expansion_config,
    load_health_config,
    load_lifecycle_config,
    load_onboarding_config,
)
from transforms.churn_signals import detect_churn_signals
from transforms.engagement import score_engagement
from transforms.expansion import expansion_opportunities
from transforms.health import add_trends, score_health
from transforms.health_alerts import alert_conditions, alert_episodes
from transforms.lifecycle import INPUT_COLUMNS, empty_state, run_lifecycle
from transforms.onboarding import onboarding_progress

DAY = dt.date(2026, 11, 20)
HEALTH = load_health_config()


def _health_input(**overrides) -> pl.DataFrame:
    values = {m.name: m.ideal for m in HEALTH.metrics} | {"usage_vs_limit": 0.5}
    values["nps_score"] = None
    rows = [
        {"account_id": "a", "as_of_date": DAY, **values, **overrides},
        {"account_id": "b", "as_of_date": DAY, **dict.fromkeys(values)},
    ]
    schema = {"account_id": pl.String, "as_of_date": pl.Date} | dict.fromkeys(values, pl.Float64)
    return pl.DataFrame(rows, schema=schema)


def test_health_input_and_outputs_follow_their_contracts() -> None:
    # a: usage = 0.4·0 + 0.3·100 + 0.3·0 = 30 → score = 0.3·30 + 0.7·100 = 79; b: nothing → NULL
    metrics = _health_input(dau_mau_ratio=0.0, conversations_per_week=0.0)
    tc.HealthMetricsInput.validate(metrics)
    scores = score_health(metrics, HEALTH)
    tc.HealthScoresOutput.validate(scores)
    earlier = scores.with_columns(
        pl.col("as_of_date") - dt.timedelta(days=7), pl.col("score") + 20.0
    )
    trended = add_trends(scores, earlier, HEALTH)
    tc.HealthScoresOutput.validate(trended)
    live = trended.with_columns(
        pl.lit("paying").alias("customer_status"), pl.lit("csm_1").alias("csm_id")
    )
    no_signals = pl.DataFrame(
        schema={
            "account_id": pl.String,
            "as_of_date": pl.Date,
            "signal": pl.String,
            "severity": pl.String,
            "observed_value": pl.Float64,
            "operator": pl.String,
            "threshold": pl.Float64,
            "customer_status": pl.String,
        }
    )
    no_mrr = pl.DataFrame(
        schema={"account_id": pl.String, "as_of_date": pl.Date, "mrr_at_stake": pl.Float64}
    )
    conditions = alert_conditions(live, no_signals, no_mrr, HEALTH)
    alerts = alert_episodes(conditions, live.head(0), DAY, HEALTH)
    assert alerts["alert"].to_list() == ["health_score_drop"]  # 99 → 79
    tc.AlertEpisodesOutput.validate(alerts)


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"nps_score": 11.0}, "less_than_or_equal_to"),
        ({"dau_mau_ratio": float("nan")}, "no_nan"),
        ({"open_tickets": -1.0}, "greater_than_or_equal_to"),
    ],
)
def test_health_input_contract_rejects_impossible_values(overrides: dict, rule: str) -> None:
    with pytest.raises(pa.errors.SchemaErrors) as error:
        tc.HealthMetricsInput.validate(_health_input(**overrides), lazy=True)
    assert rule in str(error.value)


def test_health_input_contract_rejects_duplicate_keys() -> None:
    metrics = _health_input()
    with pytest.raises(pa.errors.SchemaError, match="unique"):
        tc.HealthMetricsInput.validate(pl.concat([metrics, metrics]))


def test_churn_signal_contracts() -> None:
    inputs = pl.DataFrame(
        [
            {
                "account_id": "a",
                "as_of_date": DAY,
                "days_since_last_login": 20,
                "usage_30d": 10.0,
                "usage_prev_30d": 100.0,
                "nps_score": None,
                "open_tickets": 3,
                "failed_payments_30d": 1,
                "cancellation_requested": True,
                "competitor_mentions_90d": 2,
            }
        ],
        schema_overrides={"nps_score": pl.Float64},
    )
    tc.ChurnSignalInput.validate(inputs)
    out = detect_churn_signals(inputs, load_churn_signals_config())
    assert out.height == 7  # every rule but nps_detractor
    tc.ChurnSignalsOutput.validate(out)


def test_lifecycle_contracts() -> None:
    inputs = pl.DataFrame(
        [
            {
                "account_id": "a",
                "as_of_date": DAY + dt.timedelta(days=i),
                "subscription_state": "trialing" if i == 0 else "active",
                "health_score": None,
                "days_without_login": 0,
                "high_urgent_open_tickets": 0,
                "nps_score": None,
                "onboarding_completion": 0.2 * i,
                "tenure_days": i,
                "term_months": 1,
                "current_period_end": DAY + dt.timedelta(days=30),
                "expansion_opportunity": False,
                "mrr_rose": False,
            }
            for i in range(6)
        ],
        schema=INPUT_COLUMNS,
    )
    tc.LifecycleDailyInput.validate(inputs)
    run = run_lifecycle(inputs, empty_state(), load_lifecycle_config())
    tc.LifecycleStagesOutput.validate(run.daily_stages)
    tc.LifecycleTransitionsOutput.validate(run.transitions)
    tc.LifecycleState.validate(run.final_state)
    # trial (entered) → onboarding → adopting once completion reaches 0.8 on day 4
    assert run.transitions["to_stage"].to_list() == ["trial", "onboarding", "adopting"]


def test_engagement_contracts() -> None:
    monthly = pl.DataFrame(
        {
            "account_id": ["a", "a"],
            "month": [dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
            "logins": [10, 20],
            "active_users": [2, 3],
            "features_used": [4, 5],
            "actions": [40, 50],
            "automation_rate": [0.5, None],
            "csat": [4.0, 4.5],
        }
    )
    tc.EngagementMonthlyInput.validate(monthly)
    tc.EngagementMonthlyOutput.validate(score_engagement(monthly, load_engagement_config()))
    with pytest.raises(pa.errors.SchemaError, match="first day of the month"):
        tc.EngagementMonthlyInput.validate(monthly.head(1).with_columns(pl.lit(DAY).alias("month")))


def test_expansion_contracts() -> None:
    inputs = pl.DataFrame(
        [
            {
                "account_id": "a",
                "as_of_date": DAY,
                "csm_id": "c1",
                "plan": "starter",
                "mrr": 100.0,
                "seats": 2,
                "usage_vs_limit": 0.9,
                "blocked_feature_attempts": 5,
                "blocked_features": 1,
                "seat_growth_90d": 0.5,
                "active_user_growth_90d": None,
                "success_metrics_exceeded": None,
                "engagement_score": 60.0,
                "nps_score": 9.0,
                "days_to_renewal": 100,
            }
        ],
        schema_overrides={
            "active_user_growth_90d": pl.Float64,
            "success_metrics_exceeded": pl.Boolean,
        },
    )
    tc.ExpansionInput.validate(inputs)
    out = expansion_opportunities(inputs, load_expansion_config())
    assert out["type"].to_list() == ["add_features", "add_seats", "upsell"]
    tc.ExpansionOpportunitiesOutput.validate(out)


def test_onboarding_contracts() -> None:
    accounts = pl.DataFrame(
        {"account_id": ["a"], "segment": ["smb"], "onboarding_start": [DAY - dt.timedelta(days=2)]}
    )
    steps = pl.DataFrame({"account_id": ["a"], "step": ["welcome"], "completed_on": [DAY]})
    tc.OnboardingAccountInput.validate(accounts)
    tc.OnboardingStepInput.validate(steps)
    tc.OnboardingProgressOutput.validate(
        onboarding_progress(accounts, steps, DAY, load_onboarding_config())
    )
