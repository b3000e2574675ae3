"""Rules 14, 15, 16's rates and 17 (transforms/gate/publication_rules.py) on hand-made frames."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import health_rules, publication_rules


def test_personal_data_fails_on_any_address() -> None:
    hits = pl.DataFrame(
        {
            "table": ["marts.nps_responses", "marts.dim_accounts"],
            "column": ["comment", "name"],
            "rows": [2, 0],
        }
    )
    results = publication_rules.personal_data(hits)
    assert [(r.target, r.status) for r in results] == [
        ("marts.nps_responses.comment", "fail"),
        ("all text columns", "fail"),
    ]
    assert publication_rules.personal_data(hits.with_columns(rows=pl.lit(0)))[0].status == "pass"


def test_email_pattern_matches_addresses_only() -> None:
    texts = pl.Series(
        ["mail jane.doe+cs@mail.example.co.uk now", "see [email]", "user@localhost", "a@b.io"]
    )
    assert texts.str.contains(publication_rules.EMAIL_PATTERN).to_list() == [
        True,
        False,
        False,
        True,
    ]


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
    ci = publication_rules.confidence_intervals(
        tables, {"marts.r.logo_churn_rate": ["logo_churn_ci_low", "logo_churn_ci_high"]}
    )[0]
    assert ci.status == "fail" and ci.observed.startswith("1 of 2 rows")
    period = publication_rules.period_comparison(
        tables, {"marts.r": {"start": "month", "end": "period_end", "previous": "mrr_start"}}
    )[0]
    assert period.status == "fail" and period.observed.startswith("1 rows without period bounds")
    defaulted = health_rules.no_defaulted_inputs(
        tables, {"marts.r.logo_churn_rate": "logos_start"}, None, None, None
    )
    assert defaulted[0].status == "fail" and defaulted[0].observed.startswith("1 of 2 rows")
    assert defaulted[1].status == "not_applicable"


def test_period_comparison_checks_each_previous_value_against_the_previous_row() -> None:
    # NPS per segment: September (n < 30) has no NPS, so October's previous NPS must be NULL with
    # its reason; November's must be October's 40.0. A previous value filled with 0 where
    # September has none, and one copied wrong, both fail with the figures.
    summary = pl.DataFrame(
        {
            "period_type": ["month"] * 3,
            "segment": ["all"] * 3,
            "period_start": [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)],
            "period_end": [dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 30)],
            "previous_period_start": [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)],
            "nps": [None, 40.0, 45.0],
            "previous_nps": [None, None, 40.0],
            "change_reason": ["no_previous_period", "insufficient_sample", None],
        }
    )  # fmt: skip
    spec = {
        "start": "period_start",
        "end": "period_end",
        "previous": "previous_nps",
        "previous_reason": "change_reason",
        "value": "nps",
        "keys": ["period_type", "segment"],
        "previous_start": "previous_period_start",
    }
    ok = publication_rules.period_comparison(
        {"marts.nps_summary": summary}, {"marts.nps_summary": spec}
    )
    assert ok[0].status == "pass", ok[0].observed
    filled = summary.with_columns(previous_nps=pl.Series([None, 0.0, 41.0]))
    (result,) = publication_rules.period_comparison(
        {"marts.nps_summary": filled}, {"marts.nps_summary": spec}
    )
    assert result.status == "fail"
    assert (
        "2 whose previous value is not the previous period's nps, 0 with a previous value where "
        "that period has none" in result.observed
    )
    assert "2026-10-01: previous_nps 0.0, the previous period's nps None" in result.observed
    assert "2026-11-01: previous_nps 41.0, the previous period's nps 40.0" in result.observed


def test_period_comparison_allows_zero_only_before_a_series_that_starts_from_nothing() -> None:
    # MRR movements: the first month starts from nothing (0 allowed); a month whose previous
    # month is missing from the table may not carry a start of its own.
    movements = pl.DataFrame(
        {
            "month": [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 4, 1)],
            "valuation_date": [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 4, 30)],
            "mrr_start": [0.0, 100.0, 120.0],
            "mrr_end": [100.0, 120.0, 130.0],
        }
    )
    spec = {
        "start": "month",
        "end": "valuation_date",
        "previous": "mrr_start",
        "value": "mrr_end",
        "zero_before_first": True,
    }
    (result,) = publication_rules.period_comparison({"m": movements}, {"m": spec})
    assert result.status == "fail"
    assert "0 whose previous value is not the previous period's mrr_end, 1 with a previous value " \
        "where that period has none: 2026-04-01: mrr_start 120.0, no previous period's value" in (
        result.observed
    )  # fmt: skip
    (ok,) = publication_rules.period_comparison({"m": movements.head(2)}, {"m": spec})
    assert ok.status == "pass"
