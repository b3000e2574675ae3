"""Rules 4, 5 and 16 (transforms/gate/health_rules.py) on hand-made frames and configs."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import health_rules, results


def _by_target(results: list[results.RuleResult]) -> dict[str, results.RuleResult]:
    return {r.target: r for r in results}


def test_health_weights_must_sum_to_one_and_scores_carry_version() -> None:
    config = {
        "version": "1",
        "components": {
            "usage": {
                "label": "Usage",
                "weight": 0.6,
                "metrics": {"dau": {"ideal": 1, "weight": 1.0, "direction": "higher"}},
            },
            "support": {
                "label": "Support",
                "weight": 0.5,
                "metrics": {"csat": {"ideal": 5, "weight": 0.9, "direction": "higher"}},
            },
        },
    }
    scores = pl.DataFrame({"config_version": ["1", None]})
    results = _by_target(
        health_rules.health_weights_documented(config, scores, config_file="health_score.yml")
    )
    observed = results["config/health_score.yml"].observed
    assert (
        "component weights sum to 1.1" in observed
        and "support: metric weights sum to 0.9" in observed
    )
    assert results["marts.health_scores_daily"].observed == "1 of 2 scores without config_version"


def test_calibration_age_in_calendar_months_and_auc() -> None:
    as_of = dt.date(2026, 11, 20)
    frame = lambda day, auc: pl.DataFrame({"calibration_date": [day], "auc": [auc]})  # noqa: E731
    # 2026-08-20 → 2026-11-20: 3 months, not over 3 → warn (over 2).
    assert (
        health_rules.health_calibration(frame(dt.date(2026, 8, 20), 0.9), as_of, 2, 3, 0.8)[
            0
        ].status
        == "warn"
    )
    # 2026-08-19: the 20th has passed the 19th, still 3 whole months; 2026-07-19: 4 → fail.
    assert (
        health_rules.health_calibration(frame(dt.date(2026, 7, 19), 0.9), as_of, 2, 3, 0.8)[
            0
        ].status
        == "fail"
    )
    # 1 month old but AUC 0.75 < 0.80 → warn.
    assert (
        health_rules.health_calibration(frame(dt.date(2026, 10, 20), 0.75), as_of, 2, 3, 0.8)[
            0
        ].status
        == "warn"
    )
    assert (
        health_rules.health_calibration(frame(dt.date(2026, 10, 20), 0.85), as_of, 2, 3, 0.8)[
            0
        ].status
        == "pass"
    )
    assert health_rules.health_calibration(None, as_of, 2, 3, 0.8)[0].status == "not_applicable"


def test_calibration_age_is_the_runs_and_the_auc_the_pooled_one() -> None:
    as_of = dt.date(2026, 11, 20)
    # One run on 2026-11-20 backtesting month-ends up to 2026-08-31 (their 90 days have passed):
    # the run is 0 months old, so no age warning; its pooled AUC 0.83 is judged, not the last
    # month-end's 0.62.
    run = pl.DataFrame(
        {
            "scope": ["calibration_date", "calibration_date", "pooled_12m"],
            "calibration_date": [dt.date(2026, 7, 31), dt.date(2026, 8, 31), None],
            "auc": [0.9, 0.62, 0.83],
            "as_of_date": [as_of] * 3,
        }
    )
    result = health_rules.health_calibration(run, as_of, 2, 3, 0.8)[0]
    assert result.status == "pass"
    assert (
        "last calibration 2026-11-20 (0 months" in result.observed
        and "AUC 0.830" in result.observed
    )
    # The same run seen from 2027-03-21 is 4 calendar months old → fail.
    assert health_rules.health_calibration(run, dt.date(2027, 3, 21), 2, 3, 0.8)[0].status == "fail"
    # Without a pooled row, the latest month-end's AUC (0.62 < 0.80) → warn.
    assert health_rules.health_calibration(run.head(2), as_of, 2, 3, 0.8)[0].status == "warn"


def test_calibration_warning_states_the_figures_it_pooled() -> None:
    """The words match the row: 9 month-ends pooled is "9 month-ends", not a fixed 12 (#30)."""
    as_of = dt.date(2026, 11, 20)
    run = pl.DataFrame(
        {
            "scope": ["pooled_12m"],
            "calibration_date": [None],
            "pool_first_date": [dt.date(2025, 12, 31)],
            "pool_last_date": [dt.date(2026, 8, 31)],
            "calibration_dates": [9],
            "accounts": [1500],
            "churned_accounts": [186],
            "horizon_days": [90],
            "auc": [0.682],
            "as_of_date": [as_of],
        },
        schema_overrides={"calibration_date": pl.Date},
    )
    result = health_rules.health_calibration(run, as_of, 2, 3, 0.8)[0]
    assert result.status == "warn"
    assert result.observed == (
        "last calibration 2026-11-20 (0 months before 2026-11-20), AUC 0.682 pooled over "
        "9 month-ends (2025-12-31 … 2026-08-31), 186 churned of 1500 account-dates within 90 days"
    )


def test_health_coverage_must_match_the_inputs_present() -> None:
    config = {
        "components": {
            "usage": {
                "weight": 0.6,
                "metrics": {"dau": {"weight": 0.5}, "logins": {"weight": 0.5}},
            },
            "support": {"weight": 0.4, "metrics": {"csat": {"weight": 1.0}}},
        }
    }
    day = dt.date(2026, 11, 20)
    metrics = pl.DataFrame(
        {
            "account_id": ["a", "b"],
            "as_of_date": [day, day],
            "dau": [0.5, None],
            "logins": [3.0, None],
            "csat": [None, 4.0],
        },
        schema_overrides={"dau": pl.Float64, "logins": pl.Float64, "csat": pl.Float64},
    )
    # a: 0.6×0.5 + 0.6×0.5 = 0.6 (csat missing). b: 0.4 (only csat); b's usage score 0 has no input.
    scores = pl.DataFrame(
        {
            "account_id": ["a", "b"],
            "as_of_date": [day, day],
            "coverage": [0.6, 1.0],
            "usage_score": [80.0, 0.0],
            "support_score": [None, 75.0],
        }
    )
    result = health_rules.no_defaulted_inputs({}, {}, scores, metrics, config)[0]
    assert result.status == "fail"
    assert result.observed.startswith("1 of 2 scores with coverage ≠ inputs present")
    assert "1 component scores with none of their inputs" in result.observed


CONFIG = {"components": {"usage": {"weight": 1.0, "metrics": {"logins": {"weight": 1.0}}}}}


def _scores(days: list[dt.date], coverage: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "account_id": ["a"] * len(days),
            "as_of_date": days,
            "coverage": coverage,
            "usage_score": [50.0] * len(days),
        }
    )


def test_a_score_before_the_inputs_window_is_not_judged_but_one_inside_is() -> None:
    old, kept = dt.date(2025, 10, 16), dt.date(2026, 11, 20)
    metrics = pl.DataFrame(
        {"account_id": ["a"], "as_of_date": [kept], "logins": [3.0]},
        schema_overrides={"logins": pl.Float64},
    )
    # The 2025-10-16 score has no input row because that day left the window: not judged.
    passed = health_rules.no_defaulted_inputs(
        {}, {}, _scores([old, kept], [1.0, 1.0]), metrics, CONFIG
    )[0]
    assert passed.status == "pass", passed.observed
    assert passed.observed.startswith("0 of 1 scores")
    assert "1 dated outside the inputs' days" in passed.observed
    # Inside the window a coverage that disagrees with the inputs (1.0 expected) still fails.
    failed = health_rules.no_defaulted_inputs(
        {}, {}, _scores([old, kept], [1.0, 0.5]), metrics, CONFIG
    )[0]
    assert failed.status == "fail" and failed.observed.startswith("1 of 1 scores")
