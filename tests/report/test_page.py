"""The report page from hand-made frames: absent tables are named, the synthetic banner follows the
publication, non-reportable NPS quarters are marked and left out of the line, and the Great
Expectations summary counts this run's results only."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from report.charts import Series, line_chart
from report.page import build_report

NOW = dt.datetime(2026, 11, 21, 6, 30)
PUBLICATION = {
    "run_id": "run-b",
    "as_of_date": dt.date(2026, 11, 20),
    "published_at": NOW,
    "synthetic": True,
    "verdict": "published with warnings",
    "warnings": 1,
}


def test_an_empty_publication_names_every_missing_table_and_fails_nothing() -> None:
    html = build_report({}, None, "analytics.duckdb", NOW)
    absent = set(re.findall(r'data-absent="([^"]+)"', html))
    assert {
        "marts.kpi_scorecard",
        "marts.mrr_movements_monthly",
        "marts.revenue_retention_monthly",
        "marts.revenue_cohorts",
        "marts.nps_summary",
        "marts.health_scores_daily",
        "marts.onboarding_progress",
        "audit.publications",
    } <= absent
    assert "synthetic-banner" not in html


def test_the_synthetic_banner_follows_the_publication() -> None:
    assert 'id="synthetic-banner"' in build_report({}, PUBLICATION, "a.duckdb", NOW)
    real = {**PUBLICATION, "synthetic": False}
    assert 'id="synthetic-banner"' not in build_report({}, real, "a.duckdb", NOW)


def test_non_reportable_nps_quarters_are_marked_and_not_drawn() -> None:
    nps = pl.DataFrame(
        {
            "period_type": ["quarter", "quarter", "quarter", "month"],
            "period_start": [dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1)]
            + [dt.date(2026, 7, 1)],
            "segment": ["all", "all", "all", "all"],
            "nps": [42.5, None, 10.0, 99.0],
            "nps_ci_low": [30.1, None, -5.0, 90.0],
            "nps_ci_high": [55.0, None, 24.0, 100.0],
            "responses": [80, 12, 64, 40],
            "reason": [None, "insufficient_sample", None, None],
        }
    )
    html = build_report({"marts.nps_summary": nps}, PUBLICATION, "a.duckdb", NOW)
    section = html[html.index("<h2 id='nps'>") : html.index("<h2 id='health'>")]
    # Two reportable quarters → two points; the month row (99.0) is not a quarter and not shown.
    assert section.count('class="point"') == 2
    assert section.count(">n/r</text>") == 1
    assert "not reportable: insufficient_sample" in section
    assert 'data-key="2026-04-01" data-value="12.0"' in section
    assert "99.0" not in section


def test_a_missing_value_is_a_gap_in_the_line_not_a_zero() -> None:
    svg = line_chart("t", "t", ["a", "b", "c", "d"], [Series("s", [1.0, None, 3.0, 4.0])])
    polylines = re.findall(r'points="([^"]+)"', svg)
    # Two segments: [a] alone and [c, d]; a zero at b would make one line of four points.
    assert [len(p.split()) for p in polylines] == [1, 2]
    assert svg.count('class="point"') == 3


def test_the_gx_summary_counts_this_runs_results_only() -> None:
    gx = pl.DataFrame(
        {
            "table": ["marts.mrr_monthly"] * 4 + ["marts.nps_summary"],
            "expectation": ["not_null", "unique", "between", "not_null", None],
            "column": ["mrr", "id", "mrr", "mrr", None],
            "success": [True, True, False, True, None],
            "unexpected_count": [0, 0, 3, 0, None],
            "details": ["", "", "3 below 0", "", "not_applicable: no rows"],
            "run_id": ["run-b", "run-b", "run-b", "run-a", "run-b"],
        }
    )
    html = build_report({"audit.gx_results": gx}, PUBLICATION, "a.duckdb", NOW)
    counts = dict(
        re.findall(r'data-metric="gx_results.count" data-key="([^"]+)" data-value="(\d+)"', html)
    )
    # run-b: two passed, one failed, one not applicable; run-a's row is another publication's.
    assert counts == {"passed": "2", "failed": "1", "not applicable": "1"}
    assert "3 below 0" in html
