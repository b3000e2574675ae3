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
