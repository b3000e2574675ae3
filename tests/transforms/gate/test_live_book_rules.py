"""Rules 18 and 19 and rule 16's daily-rate part (transforms/gate/live_book_rules.py) on hand-made
counts: each passes on clean counts and fails on the defect it exists for."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.live_book_rules import (
    daily_rates_without_denominator,
    delivered_days_covered,
    live_book_only,
)

DAY = dt.date(2026, 11, 20)


def _outside(**counts: int) -> pl.DataFrame:
    return pl.DataFrame(
        [(table, 100, n, f"acc_1 on {DAY}" if n else None) for table, n in counts.items()],
        schema={"table": pl.String, "rows": pl.Int64, "outside": pl.Int64, "example": pl.String},
        orient="row",
    )


def _units(*units: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kpi": ["portfolio_mean_health_score"] * len(units),
            "period_type": ["month"] * len(units),
            "sample_unit": list(units),
        }
    )


def test_r18_passes_when_every_row_is_live_and_the_population_is_stated() -> None:
    results = live_book_only(
        _outside(health=0, signals=0), _units("live accounts (paying or trialing) with a score")
    )
    assert [r.status for r in results] == ["pass", "pass", "pass"]


def test_r18_fails_on_a_row_outside_the_live_book_naming_it() -> None:
    (health, portfolio) = live_book_only(_outside(health=3), _units("live accounts"))
    assert health.status == "fail" and portfolio.status == "pass"
    assert health.observed == "3 of 100 rows for an account not live that day"
    assert f"acc_1 on {DAY}" in health.message


def test_r18_fails_when_a_portfolio_figure_does_not_name_its_population() -> None:
    results = live_book_only(_outside(health=0), _units("accounts with a health score", "live x"))
    assert results[-1].status == "fail" and results[-1].observed.startswith("1 of 2")


def test_r18_is_not_applicable_before_any_status() -> None:
    assert [r.status for r in live_book_only(None, None)] == ["not_applicable"]


def _days(*rows: tuple[int, bool, int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            (DAY + dt.timedelta(days=d), delivered, live, scored)
            for d, delivered, live, scored in rows
        ],
        schema={
            "as_of_date": pl.Date,
            "delivered": pl.Boolean,
            "live_accounts": pl.Int64,
            "scored_accounts": pl.Int64,
        },
        orient="row",
    )


def test_r19_an_empty_delivered_day_that_kept_its_scores_passes() -> None:
    (result,) = delivered_days_covered(_days((0, True, 100, 95), (1, True, 100, 95)), 2, 10)
    assert result.status == "pass"


def test_r19_scores_emptied_on_a_delivered_day_block() -> None:
    # 95% scored the day before, 0% on a day whose drops were delivered: the quiet-day defect.
    (result,) = delivered_days_covered(_days((0, True, 100, 95), (1, True, 100, 0)), 2, 10)
    assert result.status == "fail"
    assert result.observed == "0.0% of 100 live accounts scored, 95.0% the day before"


def test_r19_warns_between_its_thresholds_and_skips_undelivered_days() -> None:
    # 95% → 90% is 5 points: a warning; day 2 was not delivered, so it is not judged.
    results = delivered_days_covered(
        _days((0, True, 100, 95), (1, True, 100, 90), (2, False, 100, 0)), 2, 10
    )
    assert [r.status for r in results] == ["warn"]


def test_r16_a_rate_with_a_value_and_no_denominator_blocks() -> None:
    counts = pl.DataFrame(
        {
            "rate": ["dau_mau_ratio", "payment_health"],
            "denominator": ["monthly_active_users", "payment_attempts_90d"],
            "rows": [294, 294],
            "filled": [81, 0],
        }
    )
    dau, payment = daily_rates_without_denominator(counts)
    assert dau.status == "fail" and payment.status == "pass"
    assert dau.observed == "81 of 294 rows with a value where monthly_active_users is NULL or 0"
