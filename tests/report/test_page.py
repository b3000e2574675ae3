"""The report page from hand-made frames: absent tables are named and the synthetic banner follows
the publication."""

from __future__ import annotations

import datetime as dt
import re

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
