"""The report page from hand-made frames: absent core tables are named, optional sections are left
out when their table is not published, the synthetic banner follows the publication, and no
registry gap or internal name reaches the page."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from report.page import OPTIONAL_SECTIONS, build_report

NOW = dt.datetime(2026, 11, 21, 6, 30)
PUBLICATION = {
    "run_id": "run-b",
    "as_of_date": dt.date(2026, 11, 20),
    "published_at": NOW,
    "synthetic": True,
    "verdict": "published with warnings",
    "warnings": 1,
}
REGISTRY = pl.DataFrame(
    {
        "name": ["churn_reasons_monthly.mrr_lost"],
        "definition": ["MRR lost in the month by the reason given."],
    }
)
CHURN = pl.DataFrame(
    {
        "month": [dt.date(2026, 10, 1), dt.date(2026, 10, 1)],
        "cancellation_reason": ["too_expensive", None],
        "logos_lost": [2, 1],
        "mrr_lost": [300.0, 50.0],
    }
)


def test_an_empty_publication_names_every_missing_core_table_and_fails_nothing() -> None:
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
    # Optional sections are left out, not announced as missing.
    assert not {table for table, _ in OPTIONAL_SECTIONS} & absent
    assert 'id="churn-reasons"' not in html
    assert "synthetic-banner" not in html


def test_an_optional_section_appears_when_its_table_is_published() -> None:
    tables = {"marts.churn_reasons_monthly": CHURN, "audit.metric_registry": REGISTRY}
    html = build_report(tables, PUBLICATION, "a.duckdb", NOW)
    assert 'id="churn-reasons"' in html and ">Not given<" in html and ">Too expensive<" in html
    # Only definitions the registry has; a figure it lacks is not announced on the page.
    assert "MRR lost in the month by the reason given." in html
    assert "no registry entry" not in html
    assert 'href="#churn-reasons"' in html


def test_each_csms_book_is_shown_with_the_unassigned_row_and_feeds_the_renewals_due() -> None:
    day = dt.date(2026, 11, 20)
    book = pl.DataFrame(
        {
            "as_of_date": [day, day, day - dt.timedelta(days=1)],
            "csm_id": ["csm_1", "unassigned", "csm_1"],
            "csm_label": ["Ada Lovelace", "unassigned", "Ada Lovelace"],
            "live_accounts": [10, 4, 99],
            "mrr": [5000.0, 800.0, 1.0],
            "renewals_due_90d": [2, 1, 50],
            "renewal_mrr_due_90d": [900.0, 100.0, 7.0],
            "renewal_terms_unknown": [0, 1, 0],
            "open_alerts": [3, 0, 0],
            "accounts_without_qbr_90d": [1, None, 0],
        }
    )
    html = build_report({"marts.csm_book_daily": book}, PUBLICATION, "a.duckdb", NOW)
    assert 'id="csm-book"' in html and ">Ada Lovelace<" in html and ">unassigned<" in html
    # The summary adds up the latest day over every row, the unassigned one included: 900 + 100.
    assert 'data-metric="summary.renewal_mrr_due_90d" data-key="" data-value="1000.0"' in html
    assert "3 renewals due within 90 days of 20 Nov 2026" in html
    assert "the terms of 1 account(s) are not known" in html


def test_no_internal_name_is_a_heading_or_label_on_the_page() -> None:
    tables = {"marts.churn_reasons_monthly": CHURN, "audit.metric_registry": REGISTRY}
    html = build_report(tables, PUBLICATION, "a.duckdb", NOW)
    visible = re.findall(r"<(?:h\d|th|dt|span class=\"fact-label\")[^>]*>([^<]*)<", html)
    assert visible and not [t for t in visible if re.search(r"[a-z]+_[a-z]+", t)]


def test_the_synthetic_banner_follows_the_publication() -> None:
    assert 'id="synthetic-banner"' in build_report({}, PUBLICATION, "a.duckdb", NOW)
    real = {**PUBLICATION, "synthetic": False}
    assert 'id="synthetic-banner"' not in build_report({}, real, "a.duckdb", NOW)
