"""The report page from hand-made frames: absent core tables are named, optional sections are left
out when their table is not published, the synthetic banner follows the publication, and no
registry gap or internal name reaches the page."""

from __future__ import annotations

import datetime as dt
import functools
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


def _data_value(html: str, metric: str, key: str) -> str:
    """The unrounded value a figure of the page carries (data-value), found by metric and key."""
    found = re.search(
        rf'data-metric="{metric}" data-key="{re.escape(key)}" data-value="([^"]*)"', html
    )
    assert found, (metric, key)
    return found.group(1)


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
            "csm_id": ["csm_1", None, "csm_1"],
            "csm_label": ["csm_1", "unassigned", "csm_1"],
            "csm_name": ["Ada Lovelace", None, "Ada Lovelace"],
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
    assert ">csm_1<" not in html  # the name, not the id
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


def test_renewals_due_by_window_with_the_at_risk_named_and_the_forecast_beside_its_outcome() -> (
    None
):
    """Worked by hand: in 30 days, 500 (acc_a, grade D: at risk) + 300 (acc_b, safe) = 800, 500 at
    risk; in 61 to 90 days one renewal not scored today (200), neither at risk nor safe; the passed
    renewal is in no window."""
    day = dt.date(2026, 11, 20)
    renewals = pl.DataFrame(
        {
            "renewal_id": ["s_a:2026-12-01", "s_b:2026-12-10", "s_c:2027-02-01", "s_d:2026-10-01"],
            "account_id": ["acc_a", "acc_b", "acc_c", "acc_d"],
            "account_name": ["Acme", "Beta", "Core", "Delta"],
            "csm_name": ["Ada Lovelace", None, "Ada Lovelace", None],
            "term_end": [
                dt.date(2026, 12, 1),
                dt.date(2026, 12, 10),
                dt.date(2027, 2, 1),
                dt.date(2026, 10, 1),
            ],
            "renewal_window": ["within_30_days", "within_30_days", "within_90_days", "passed"],
            "mrr_at_stake": [500.0, 300.0, 200.0, 900.0],
            "is_at_risk": [True, False, None, True],
            "cancel_requested": [False, False, None, True],
            "health_grade": ["D", "B", None, "F"],
            "open_churn_signals": [["no_login_7_days"], [], None, ["cancellation_request"]],
        }
    )
    forecast = pl.DataFrame(
        {
            "month": [dt.date(2026, 10, 1), dt.date(2026, 12, 1)],
            "scope": ["all", "all"],
            "outcomes_complete": [True, False],
            "mrr_due": [900.0, 800.0],
            "expected_mrr_kept": [700.0, None],
            "actual_mrr_kept": [0.0, None],
            "forecast_error": [700.0, None],
        }
    )
    tables = {"marts.renewals": renewals, "marts.renewal_forecast_monthly": forecast}
    html = build_report(tables, PUBLICATION, "a.duckdb", NOW)
    assert 'id="renewals"' in html and day.year == 2026
    value = functools.partial(_data_value, html)
    assert value("renewals.mrr_at_stake", "within_30_days") == "800.0"
    assert value("renewals.at_risk", "within_30_days") == "1.0"
    assert value("renewals.at_risk_mrr", "within_30_days") == "500.0"
    assert value("renewals.not_scored", "within_90_days") == "1.0"
    assert value("renewals.at_risk", "within_90_days") == "0.0"
    assert value("renewals.count", "within_60_days") == "0.0"
    # The at-risk list names the account, its CSM and why; the passed renewal is not in it.
    assert ">Acme<" in html and "health grade D; signals: no login 7 days" in html
    assert ">Delta<" not in html
    assert value("renewal_forecast_monthly.forecast_error", "2026-10-01") == "700.0"
    assert value("renewal_forecast_monthly.expected_mrr_kept", "2026-12-01") == ""


def test_risk_cases_open_by_trigger_and_the_playbook_rates_with_not_reportable_months() -> None:
    """Worked by hand: three open cases (two cancellation requests, 400 + MRR unknown; one grade
    D/F, 100), one closed case left out; all open: 3 cases, 500 known, 1 unknown; the months'
    rates as published, October's completion below its minimum sample shown n/r."""
    cases = pl.DataFrame(
        {
            "case_id": ["a:1", "b:1", "c:1", "d:1"],
            "trigger": ["cancellation_request", "cancellation_request", "grade_d_or_f", "nps_x"],
            "outcome": ["open", "open", "open", "lost"],
            "mrr_at_stake": [400.0, None, 100.0, 900.0],
            "actions_matched": [0, 2, 0, 0],
            "escalated_to": ["cs_manager", None, None, "cs_manager"],
        }
    )
    monthly = pl.DataFrame(
        {
            "month": [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 11, 1)],
            "scope": ["all", "all", "csm"],
            "actions_due": [5, 40, 40],
            "completion_rate": [None, 0.75, 0.75],
            "completion_ci_low": [None, 0.6, 0.6],
            "completion_ci_high": [None, 0.86, 0.86],
            "cases_closed": [30, 31, 31],
            "save_rate": [0.5, None, None],
            "save_ci_low": [0.33, None, None],
            "save_ci_high": [0.67, None, None],
        }
    )
    tables = {"marts.risk_cases": cases, "marts.playbook_completion_monthly": monthly}
    html = build_report(tables, PUBLICATION, "a.duckdb", NOW)
    assert 'id="risk-cases"' in html
    value = functools.partial(_data_value, html)
    assert value("risk_cases.open", "cancellation_request") == "2.0"
    assert value("risk_cases.mrr_at_stake_known", "cancellation_request") == "400.0"
    assert value("risk_cases.mrr_unknown", "cancellation_request") == "1.0"
    assert value("risk_cases.no_action", "cancellation_request") == "1.0"
    assert value("risk_cases.escalated", "cancellation_request") == "1.0"
    assert value("risk_cases.open", "all") == "3.0"
    assert value("risk_cases.mrr_at_stake_known", "all") == "500.0"
    assert value("risk_cases.escalated", "all") == "1.0"
    assert 'data-key="nps_x"' not in html  # the closed case's trigger has no open case
    assert ">Health grade D or F<" in html
    assert value("playbook_completion_monthly.completion_rate", "2026-10-01") == ""
    assert value("playbook_completion_monthly.completion_rate", "2026-11-01") == "0.75"
    assert value("playbook_completion_monthly.save_rate", "2026-10-01") == "0.5"
    assert "60.0% – 86.0%" in html and "33.0% – 67.0%" in html
    october = html[html.index('data-key="2026-10-01"') :]
    assert ">n/r<" in october[: october.index("</tr>")]
