"""The gate's rules on hand-made frames: each can pass, warn and fail at its thresholds."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms import validation

AS_OF = dt.date(2026, 11, 20)


def _log(rows: list[dict]) -> pl.DataFrame:
    base = {
        "file": "x.jsonl",
        "status": "loaded",
        "rows_read": 1,
        "rows_loaded": 1,
        "rows_quarantined": 0,
        "manifest_rows": 1,
        "loaded_at": dt.datetime(2026, 11, 21, 6),
    }
    return pl.DataFrame([{**base, **row} for row in rows])


def test_freshness_thresholds_in_hours() -> None:
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF},  # 0 h
            {"source": "app_db", "drop_date": AS_OF - dt.timedelta(days=2)},  # 48 h: not over 48
            {
                "source": "ticketing",
                "drop_date": AS_OF - dt.timedelta(days=3),
            },  # 72 h: warn, not over 72
            {"source": "fx_rates", "drop_date": AS_OF - dt.timedelta(days=4)},  # 96 h: error
            {
                "source": "stripe",
                "drop_date": AS_OF + dt.timedelta(days=1),
            },  # after as-of: not seen
        ]
    )
    results = {
        r.target: r
        for r in validation.freshness(log, AS_OF, ["stripe", "app_db", "ticketing"], 48, 72)
    }
    assert results["stripe"].status == "pass" and results["stripe"].observed == "0 h"
    assert results["app_db"].status == "pass" and results["app_db"].observed == "48 h"
    assert results["ticketing"].status == "warn" and results["ticketing"].observed == "72 h"
    assert results["fx_rates"].status == "fail" and results["fx_rates"].observed == "96 h"


def test_freshness_missing_drop_is_not_a_delivery() -> None:
    log = _log(
        [
            {"source": "stripe", "drop_date": AS_OF - dt.timedelta(days=5)},
            {"source": "stripe", "drop_date": AS_OF, "status": "missing_drop"},
        ]
    )
    results = {r.target: r for r in validation.freshness(log, AS_OF, ["stripe", "app_db"], 48, 72)}
    assert results["stripe"].status == "fail" and results["stripe"].observed == "120 h"
    assert results["app_db"].status == "fail" and results["app_db"].observed == "no drop"


def test_nothing_lost_flags_unreconciled_files_and_warns_on_quarantine() -> None:
    log = _log(
        [
            {
                "source": "stripe",
                "drop_date": AS_OF,
                "rows_read": 10,
                "rows_loaded": 9,
                "rows_quarantined": 1,
                "manifest_rows": 10,
            },
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "file": "events.parquet",
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 5,
            },
        ]
    )
    results = validation.nothing_lost(log, AS_OF)
    assert [(r.target, r.status) for r in results] == [("all files", "warn")]
    assert results[0].observed == "2 files, 15 rows read, 1 quarantined, 0 unreconciled"

    lossy = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 3,
                "rows_quarantined": 1,
                "manifest_rows": 5,
            }
        ]
    )
    results = validation.nothing_lost(lossy, AS_OF)
    assert [r.status for r in results] == ["fail", "fail"]
    assert results[0].target == "app_db/2026-11-20/x.jsonl"

    short_manifest = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 6,
            }
        ]
    )
    assert validation.nothing_lost(short_manifest, AS_OF)[0].status == "fail"

    # A re-ingest logs the file again: only its latest delivery counts.
    redelivered = _log(
        [
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 3,
                "rows_quarantined": 1,
            },
            {
                "source": "app_db",
                "drop_date": AS_OF,
                "rows_read": 5,
                "rows_loaded": 5,
                "manifest_rows": 5,
                "status": "replaced",
                "loaded_at": dt.datetime(2026, 11, 22),
            },
        ]
    )
    assert [r.status for r in validation.nothing_lost(redelivered, AS_OF)] == ["pass"]

    clean = _log([{"source": "app_db", "drop_date": AS_OF}])
    assert [r.status for r in validation.nothing_lost(clean, AS_OF)] == ["pass"]


def test_personal_data_fails_on_any_address() -> None:
    hits = pl.DataFrame(
        {
            "table": ["marts.nps_responses", "marts.dim_accounts"],
            "column": ["comment", "name"],
            "rows": [2, 0],
        }
    )
    results = validation.personal_data(hits)
    assert [(r.target, r.status) for r in results] == [
        ("marts.nps_responses.comment", "fail"),
        ("all text columns", "fail"),
    ]
    assert validation.personal_data(hits.with_columns(rows=pl.lit(0)))[0].status == "pass"


def test_email_pattern_matches_addresses_only() -> None:
    texts = pl.Series(
        ["mail jane.doe+cs@mail.example.co.uk now", "see [email]", "user@localhost", "a@b.io"]
    )
    assert texts.str.contains(validation.EMAIL_PATTERN).to_list() == [True, False, False, True]


def _by_target(results: list[validation.RuleResult]) -> dict[str, validation.RuleResult]:
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
        validation.churn_method_documented(
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
    assert validation.cohorts_consistent(mrr, good)[0].status == "pass"
    bad = good.with_columns(cohort_size=pl.Series([1, 0]))
    result = validation.cohorts_consistent(mrr, bad)[0]
    # 2 paying customers, October's cohort lists 0 of its 1: coverage 1/2.
    assert result.status == "fail" and "coverage 50.00%" in result.observed


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
    results = _by_target(validation.health_weights_documented(config, scores))
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
        validation.health_calibration(frame(dt.date(2026, 8, 20), 0.9), as_of, 2, 3, 0.8)[0].status
        == "warn"
    )
    # 2026-08-19: the 20th has passed the 19th, still 3 whole months; 2026-07-19: 4 → fail.
    assert (
        validation.health_calibration(frame(dt.date(2026, 7, 19), 0.9), as_of, 2, 3, 0.8)[0].status
        == "fail"
    )
    # 1 month old but AUC 0.75 < 0.80 → warn.
    assert (
        validation.health_calibration(frame(dt.date(2026, 10, 20), 0.75), as_of, 2, 3, 0.8)[
            0
        ].status
        == "warn"
    )
    assert (
        validation.health_calibration(frame(dt.date(2026, 10, 20), 0.85), as_of, 2, 3, 0.8)[
            0
        ].status
        == "pass"
    )
    assert validation.health_calibration(None, as_of, 2, 3, 0.8)[0].status == "not_applicable"


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
    result = validation.health_calibration(run, as_of, 2, 3, 0.8)[0]
    assert result.status == "pass"
    assert (
        "last calibration 2026-11-20 (0 months" in result.observed
        and "AUC 0.830" in result.observed
    )
    # The same run seen from 2027-03-21 is 4 calendar months old → fail.
    assert validation.health_calibration(run, dt.date(2027, 3, 21), 2, 3, 0.8)[0].status == "fail"
    # Without a pooled row, the latest month-end's AUC (0.62 < 0.80) → warn.
    assert validation.health_calibration(run.head(2), as_of, 2, 3, 0.8)[0].status == "warn"


def test_cross_source_shares() -> None:
    results = _by_target(
        validation.cross_source(
            {"a": (2, 100), "b": (3, 100), "c": (6, 100), "d": (0, 0)}, 0.02, 0.05
        )
    )
    # 2% is not over 2%; 3% warns; 6% fails; no comparable records: not applicable.
    assert [results[k].status for k in "abcd"] == ["pass", "warn", "fail", "not_applicable"]


def _summary(rows: list[dict]) -> pl.DataFrame:
    base = {"period_type": "month", "period_start": dt.date(2026, 10, 1), "segment": "all"}
    return pl.DataFrame([{**base, **r} for r in rows])


def test_nps_sample_sizes() -> None:
    ok = _summary([{"responses": 120, "nps": 10.0}])
    assert validation.nps_sample_size(ok, 30, 50, 100)[0].status == "pass"
    warn = _summary([{"responses": 60, "nps": 10.0, "period_type": "quarter"}])  # quarter < 100
    assert validation.nps_sample_size(warn, 30, 50, 100)[0].status == "warn"
    fail = _summary([{"responses": 29, "nps": 10.0}, {"responses": 29, "nps": None}])
    result = validation.nps_sample_size(fail, 30, 50, 100)[0]
    assert result.status == "fail" and "1 with n < 30" in result.observed
    assert validation.nps_sample_size(None, 30, 50, 100)[0].status == "not_applicable"


def test_response_rates_from_thirty_sends() -> None:
    summary = _summary(
        [
            {"sends": 100, "responded_sends": 4},  # 4% < 5%: fail
            {"sends": 29, "responded_sends": 0},  # fewer than 30 sends: not rated
        ]
    )
    result = validation.survey_response_rate(summary, 30, 0.05, 0.10)[0]
    assert result.status == "fail" and "1 periods rated" in result.observed
    warn = _summary([{"sends": 100, "responded_sends": 9}])  # 9% < 10%
    assert validation.survey_response_rate(warn, 30, 0.05, 0.10)[0].status == "warn"
    none = _summary([{"sends": 0, "responded_sends": 0}])
    assert validation.survey_response_rate(none, 30, 0.05, 0.10)[0].status == "not_applicable"


def test_staged_counts_against_raw_deduplicated() -> None:
    counts = pl.DataFrame(
        {
            "raw_table": ["raw.x", "raw.y"],
            "staging_model": ["stg_x", "stg_y"],
            "raw_deduplicated": [5, 3],
            "staged": [5, 2],
        }
    )
    results = _by_target(validation.staged_counts(counts))
    assert results["staging.stg_y"].status == "fail" and "staging.stg_x" not in results
    assert results["staging models"].observed == "2 models compared, 1 differ"


def _no_lines() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "invoice_line_id": pl.String,
            "subscription_id": pl.String,
            "subscription_item_id": pl.String,
            "price_id": pl.String,
            "invoice_created_at": pl.Datetime,
            "period_start_at": pl.Datetime,
            "period_end_at": pl.Datetime,
            "currency": pl.String,
            "line_mrr_minor": pl.Float64,
        }
    )


def test_independent_mrr_by_hand() -> None:
    day = dt.date(2026, 11, 20)
    subs = pl.DataFrame(
        {
            "subscription_id": ["s1", "s2", "s3"],
            "customer_id": ["c1", "c2", "c1"],
            "status": ["active", "active", "canceled"],
            "started_at": [dt.datetime(2026, 1, 1)] * 3,
            "ended_at": [None, None, None],
            "trial_end_at": [None, None, None],
            "valid_from_drop": [dt.date(2026, 11, 1)] * 3,
            "valid_to_drop": [None, None, None],
        },
        schema_overrides={
            "valid_to_drop": pl.Date,
            "ended_at": pl.Datetime,
            "trial_end_at": pl.Datetime,
        },
    )
    items = pl.DataFrame(
        {
            "subscription_id": ["s1", "s1", "s2", "s3"],
            "subscription_item_id": ["i1", "i2", "i3", "i4"],
            "quantity": [2, 1, 1, 1],
            "unit_amount": [1000, 12000, 5000, 999],
            "recurring_interval": ["month", "year", "month", "month"],
            "recurring_interval_count": [1, 1, 1, 1],
            "recurring_usage_type": ["licensed"] * 4,
            "currency": ["usd", "usd", "eur", "usd"],
            "valid_from_drop": [dt.date(2026, 11, 1)] * 4,
            "valid_to_drop": [None] * 4,
        },
        schema_overrides={"valid_to_drop": pl.Date},
    )
    discounts = pl.DataFrame(
        {
            "parent_object": ["subscription", "customer"],
            "parent_id": ["s1", "c2"],
            "percent_off": [10.0, None],
            "amount_off": [None, 500.0],
            "duration": ["forever", "forever"],
            "duration_in_months": [None, None],
            "started_at": [dt.datetime(2026, 1, 1)] * 2,
            "ends_at": [None, None],
            "valid_from_drop": [None, None],
            "valid_to_drop": [None, None],
        },
        schema_overrides={
            "ends_at": pl.Datetime,
            "duration_in_months": pl.Int64,
            "valid_from_drop": pl.Date,
            "valid_to_drop": pl.Date,
        },
    )
    fx = pl.DataFrame(
        {
            "rate_date": [dt.date(2026, 11, 19), dt.date(2026, 11, 21)],
            "currency": ["EUR", "EUR"],
            "rate_to_reporting": [1.2, 9.9],
        }
    )
    result = dict(
        validation.independent_mrr(
            subs, items, discounts, _no_lines(), fx, day, dt.date(2026, 11, 1), "USD"
        )
        .select("customer_id", "mrr_minor")
        .iter_rows()
    )
    # c1: s1 gross = 1000×2×1 + 12000×1/12 = 3000; −10% → 2700 (s3 canceled: left out).
    # c2: s2 gross 5000, customer discount 500 off → 4500 EUR × 1.2 (rate of the 19th, not the 21st) = 5400.
    assert result == pytest.approx({"c1": 2700.0, "c2": 5400.0})


def test_sample_is_seeded_from_the_as_of_date() -> None:
    customers = [f"c{i}" for i in range(40)]
    first = validation.sample_accounts(customers, dt.date(2026, 11, 20), 12)
    assert first == validation.sample_accounts(list(reversed(customers)), dt.date(2026, 11, 20), 12)
    assert len(first) == 12 and first != validation.sample_accounts(
        customers, dt.date(2026, 11, 21), 12
    )


def test_anomalies_and_annotations() -> None:
    changes = [10.0, -10.0, 12.0, -12.0, 11.0, 500.0, 9000.0]
    mrr = pl.DataFrame(
        {
            "stripe_customer_id": [f"c{i}" for i in range(7)],
            "month": [dt.date(2026, 10, 1)] * 7,
            # c6 is a new customer (previous 0): its whole MRR is a movement, not a change measured.
            "previous_mrr": [100.0] * 6 + [0.0],
            "mrr": [100.0 + c for c in changes[:6]] + [9000.0],
            "mrr_change": changes,
        }
    )
    # median of the six = (10 + 11)/2 = 10.5; |x − 10.5| = 0.5, 20.5, 1.5, 22.5, 0.5, 489.5 → MAD = (1.5 + 20.5)/2 = 11;
    # c5: 0.6745 × 489.5 / 11 = 30.0 > 3.5; c3: 0.6745 × −22.5 / 11 = −1.38, not an anomaly.
    negatives = pl.DataFrame(
        {"table_name": ["staging.stg_stripe__charges"], "entity_id": ["ch_1"], "amount": [-5.0]}
    )
    usage = pl.DataFrame(
        {
            "account_id": ["a"] * 5,
            "date": [dt.date(2026, 11, d) for d in range(1, 6)],
            "events": [5, 6, 5, 7, 200],
        }
    )  # median 6; 200 > 10 × 6 and ≥ 50
    duplicates = pl.DataFrame(
        {
            "table_name": ["raw.stripe__customers"],
            "entity_id": ["cus_1"],
            "drop_date": [dt.date(2026, 11, 2)],
            "copies": [2],
        }
    )
    anomalies = validation.detect_anomalies(mrr, negatives, usage, duplicates, 3.5, 10, 50)
    assert sorted(anomalies["anomaly_id"].to_list()) == [
        "duplicate_id:raw.stripe__customers:cus_1:2026-11-02",
        "mrr_change:marts.mrr_monthly:c5:2026-10-01",
        "negative_amount:staging.stg_stripe__charges:ch_1:",
        "usage_spike:staging.stg_app_db__events:a:2026-11-05",
    ]
    annotations = [
        {
            "anomaly_id": "mrr_change:marts.mrr_monthly:c5:2026-10-01",
            "reviewer": "ana",
            "note": "annual upgrade",
            "date": "2026-11-21",
        },
        {
            "anomaly_id": "negative_amount:staging.stg_stripe__charges:ch_1:",
            "reviewer": "ana",
            "note": "",
            "date": "2026-11-21",
        },
    ]
    closed = validation.close_annotated(anomalies, annotations)
    # The second annotation has no note: it closes nothing.
    assert closed.filter(pl.col("status") == "closed")["entity_id"].to_list() == ["c5"]
    result = validation.outliers_investigated(closed)[0]
    assert result.status == "warn" and result.observed.startswith("3 open of 4")


def test_intervals_periods_and_defaults() -> None:
    retention = pl.DataFrame(
        {
            "month": [dt.date(2026, 9, 1), dt.date(2026, 10, 1)],
            "period_end": [dt.date(2026, 9, 30), None],
            "mrr_start": [0.0, 100.0],
            "logos_start": [0, 10],
            "logo_churn_rate": [
                0.0,
                0.1,
            ],  # September has no logo at its start: 0.0 is a filled default
            "logo_churn_ci_low": [None, 0.02],
            "logo_churn_ci_high": [None, 0.4],
        }
    )
    tables = {"marts.r": retention}
    ci = validation.confidence_intervals(
        tables, {"marts.r.logo_churn_rate": ["logo_churn_ci_low", "logo_churn_ci_high"]}
    )[0]
    assert ci.status == "fail" and ci.observed.startswith("1 of 2 rows")
    period = validation.period_comparison(
        tables, {"marts.r": {"start": "month", "end": "period_end", "previous": "mrr_start"}}
    )[0]
    assert period.status == "fail" and period.observed.startswith("1 rows without period bounds")
    defaulted = validation.no_defaulted_inputs(
        tables, {"marts.r.logo_churn_rate": "logos_start"}, None, None, None
    )
    assert defaulted[0].status == "fail" and defaulted[0].observed.startswith("1 of 2 rows")
    assert defaulted[1].status == "not_applicable"


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
    result = validation.no_defaulted_inputs({}, {}, scores, metrics, config)[0]
    assert result.status == "fail"
    assert result.observed.startswith("1 of 2 scores with coverage ≠ inputs present")
    assert "1 component scores with none of their inputs" in result.observed
