"""Rule 16 on health scores older than the rolling window of int_account_daily_metrics."""

import datetime as dt

import polars as pl

from transforms import validation

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
    passed = validation.no_defaulted_inputs(
        {}, {}, _scores([old, kept], [1.0, 1.0]), metrics, CONFIG
    )[0]
    assert passed.status == "pass", passed.observed
    assert passed.observed.startswith("0 of 1 scores")
    assert "1 dated outside the inputs' days" in passed.observed
    # Inside the window a coverage that disagrees with the inputs (1.0 expected) still fails.
    failed = validation.no_defaulted_inputs(
        {}, {}, _scores([old, kept], [1.0, 0.5]), metrics, CONFIG
    )[0]
    assert failed.status == "fail" and failed.observed.startswith("1 of 1 scores")
