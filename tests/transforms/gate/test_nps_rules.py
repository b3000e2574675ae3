"""Rules 1, 9 and 10 (transforms/gate/nps_rules.py) on small hand-made frames."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate import nps_rules
from transforms.gate.nps_rules import nps_formula

SEPT = dt.date(2026, 9, 1)
OCT = dt.date(2026, 10, 1)


def frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "period_type": pl.String,
            "period_start": pl.Date,
            "segment": pl.String,
            "responses": pl.Int64,
            "promoters": pl.Int64,
            "passives": pl.Int64,
            "detractors": pl.Int64,
            "nps": pl.Float64,
        },
        orient="row",
    )


# 40 P, 35 Pa, 25 D of 100: NPS 100·(40 − 25)/100 = 15
PUBLISHED = frame(
    [
        ("month", SEPT, "all", 100, 40, 35, 25, 15.0),
        # a period without responses: a row of zeros in the published table only
        ("month", OCT, "all", 0, 0, 0, 0, None),
        # not reportable (n < 30): counts compared, NPS NULL
        ("month", SEPT, "smb", 3, 1, 1, 1, None),
    ]
)
INDEPENDENT = frame(
    [
        ("month", SEPT, "all", 100, 40, 35, 25, 15.0),
        ("month", SEPT, "smb", 3, 1, 1, 1, 0.0),
    ]
)


def test_agreeing_implementations_pass() -> None:
    results = nps_formula(PUBLISHED, INDEPENDENT)
    assert [r.status for r in results] == ["pass"]
    assert results[0].observed == (
        "2 period × segment rows with responses, 1 NPS compared, 0 mismatching"
    )


def test_difference_within_tolerance_passes_and_beyond_fails() -> None:
    # 15 · 1e-9 = 1.5e-8 allowed: 1e-9 off passes, 1e-7 off fails
    close = INDEPENDENT.with_columns(
        nps=pl.when(pl.col("segment") == "all").then(15.0 + 1e-9).otherwise(pl.col("nps"))
    )
    assert nps_formula(PUBLISHED, close)[-1].status == "pass"
    far = INDEPENDENT.with_columns(
        nps=pl.when(pl.col("segment") == "all").then(15.0 + 1e-7).otherwise(pl.col("nps"))
    )
    failed = [r for r in nps_formula(PUBLISHED, far) if r.status == "fail"]
    assert [r.target for r in failed] == ["nps_summary[month 2026-09-01 all]", "nps_summary"]
    assert "nps 15.0 vs 15.0000001" in failed[0].observed


def test_zero_nps_is_compared_absolutely() -> None:
    # 10 P, 10 D of 30 → NPS 0; a relative test alone could not accept any difference from 0
    published = frame([("quarter", SEPT, "all", 30, 10, 10, 10, 0.0)])
    independent = frame([("quarter", SEPT, "all", 30, 10, 10, 10, 1e-12)])
    assert nps_formula(published, independent)[-1].status == "pass"
    independent = frame([("quarter", SEPT, "all", 30, 10, 10, 10, 0.001)])
    assert nps_formula(published, independent)[-1].status == "fail"


def test_count_mismatch_and_missing_rows_fail_with_figures() -> None:
    independent = frame(
        [
            ("month", SEPT, "all", 100, 41, 34, 25, 16.0),
            # responses the published side does not have
            ("month", OCT, "all", 2, 1, 0, 1, 0.0),
        ]
    )
    failed = [r for r in nps_formula(PUBLISHED, independent) if r.status == "fail"]
    by_target = {r.target: r.observed for r in failed}
    assert by_target["nps_summary[month 2026-09-01 all]"] == (
        "published vs independent: promoters 40 vs 41; passives 35 vs 34; "
        "nps 15.0 vs 16.0 (difference -1)"
    )
    assert by_target["nps_summary[month 2026-10-01 all]"] == (
        "independent: 2 responses; published: no row"
    )
    assert by_target["nps_summary[month 2026-09-01 smb]"] == (
        "published: 3 responses; independent: no row"
    )
    assert by_target["nps_summary"].endswith("3 mismatching")


def test_published_nps_without_independent_figure_fails() -> None:
    independent = INDEPENDENT.with_columns(
        nps=pl.when(pl.col("segment") == "all").then(None).otherwise(pl.col("nps"))
    )
    failed = [r for r in nps_formula(PUBLISHED, independent) if r.status == "fail"]
    assert "nps 15.0 vs NULL" in failed[0].observed


def test_no_responses_is_not_applicable() -> None:
    results = nps_formula(PUBLISHED.filter(pl.col("responses") == 0), frame([]))
    assert [(r.status, r.observed) for r in results] == [("not_applicable", "0 responses")]


def _summary(rows: list[dict]) -> pl.DataFrame:
    base = {
        "period_type": "month",
        "period_start": dt.date(2026, 10, 1),
        "period_end": dt.date(2026, 10, 31),
        "segment": "all",
    }
    return pl.DataFrame([{**base, **r} for r in rows])


def test_nps_sample_sizes() -> None:
    ok = _summary([{"responses": 120, "nps": 10.0}])
    assert nps_rules.nps_sample_size(ok, 30, 50, 100)[0].status == "pass"
    warn = _summary([{"responses": 60, "nps": 10.0, "period_type": "quarter"}])  # quarter < 100
    assert nps_rules.nps_sample_size(warn, 30, 50, 100)[0].status == "warn"
    fail = _summary([{"responses": 29, "nps": 10.0}, {"responses": 29, "nps": None}])
    result = nps_rules.nps_sample_size(fail, 30, 50, 100)[0]
    assert result.status == "fail" and "1 with n < 30" in result.observed
    assert nps_rules.nps_sample_size(None, 30, 50, 100)[0].status == "not_applicable"


def test_response_rates_from_thirty_sends_of_ended_periods() -> None:
    as_of = dt.date(2026, 11, 18)
    summary = _summary(
        [
            {"sends": 100, "responded_sends": 4},  # 4% < 5%: fail
            {"sends": 29, "responded_sends": 0},  # fewer than 30 sends: not rated
            # November is in progress on the as-of date: its sends have had no time to be answered
            {
                "sends": 32,
                "responded_sends": 1,
                "period_start": dt.date(2026, 11, 1),
                "period_end": dt.date(2026, 11, 30),
            },
        ]
    )
    result = nps_rules.survey_response_rate(summary, as_of, 30, 0.05, 0.10)[0]
    assert result.status == "fail" and "1 periods rated" in result.observed
    assert "2026-11-01" not in result.observed
    warn = _summary([{"sends": 100, "responded_sends": 9}])  # 9% < 10%
    assert nps_rules.survey_response_rate(warn, as_of, 30, 0.05, 0.10)[0].status == "warn"
    # October is rated from its last day on, not before
    october = _summary([{"sends": 100, "responded_sends": 4}])
    rated = nps_rules.survey_response_rate(october, dt.date(2026, 10, 31), 30, 0.05, 0.10)
    assert rated[0].status == "fail"
    early = nps_rules.survey_response_rate(october, dt.date(2026, 10, 30), 30, 0.05, 0.10)
    assert early[0].status == "not_applicable"
    none = _summary([{"sends": 0, "responded_sends": 0}])
    assert nps_rules.survey_response_rate(none, as_of, 30, 0.05, 0.10)[0].status == (
        "not_applicable"
    )
