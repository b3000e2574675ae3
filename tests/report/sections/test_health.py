"""The report's health sections count the live book only (metrics.md, population)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from report.page import render_section
from report.sections.health import at_risk_section, health_section

DAY = dt.date(2026, 11, 20)


def _tables() -> dict[str, pl.DataFrame]:
    health = pl.DataFrame(
        {
            "account_id": ["live_d", "live_a", "trial_f", "churned_f"],
            "as_of_date": [DAY] * 4,
            "grade": ["D", "A", "F", "F"],
            # churned_f's row is its terminal day: it churned today and is not at risk any more
            "customer_status": ["paying", "paying", "trialing", "churned"],
        }
    )
    signals = pl.DataFrame(
        {
            "account_id": ["live_a", "churned_f"],
            "as_of_date": [DAY, DAY],
            "signal": ["cancellation_request", "cancellation_request"],
            "severity": ["high", "high"],
            "customer_status": ["paying", "churned"],
        }
    )
    accounts = pl.DataFrame(
        {
            "account_id": ["live_d", "live_a", "trial_f", "churned_f"],
            "account_name": ["D", "A", "T", "C"],
            "current_mrr": [1000.0, 250.5, 0.0, 9999.0],
        }
    )
    return {
        "marts.health_scores_daily": health,
        "marts.churn_signals_daily": signals,
        "marts.dim_accounts": accounts,
    }


def test_accounts_at_risk_count_live_accounts_with_the_mrr_at_stake() -> None:
    section = render_section(at_risk_section(_tables()))
    # live_d (grade D), live_a (cancellation request), trial_f (grade F, a trial): 3 live accounts;
    # MRR at stake 1000 + 250.50 + 0; churned_f (9,999) is not counted.
    assert 'data-metric="at_risk.accounts" data-key="" data-value="3.0">3<' in section
    assert "1 of them trialing" in section
    assert 'data-metric="at_risk.mrr_at_stake" data-key="" data-value="1250.5">$1,250<' in section
    assert "churned_f" not in section


def test_the_grade_distribution_leaves_out_a_terminal_row() -> None:
    section = render_section(health_section(_tables()))
    assert "Live accounts (paying or trialing that day)" in section
    # F: trial_f only (churned_f's terminal row is not counted: it would make 2)
    assert 'data-key="2026-11-20|F" data-value="1.0"' in section
    # trialing accounts are their own segment: trial_f counted apart too
    assert 'data-key="2026-11-20|F|trialing" data-value="1.0"' in section
    assert 'data-key="2026-11-20|D|trialing" data-value="0.0"' in section
