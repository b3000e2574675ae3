"""Words for the page: what a reader sees in place of a table's or a column's internal name."""

from __future__ import annotations

# Column → heading. A column the page shows and this map lacks is a bug the page test catches
# (no snake_case heading reaches the page).
COLUMNS = {
    "month": "Month",
    "mrr_start": "MRR at start",
    "new_mrr": "New",
    "reactivation_mrr": "Reactivation",
    "expansion_mrr": "Expansion",
    "contraction_mrr": "Contraction",
    "churned_mrr": "Churned",
    "net_new_mrr": "Net new MRR",
    "mrr_end": "MRR at end",
    "nrr_12m": "NRR, 12 months",
    "grr_12m": "GRR, 12 months",
    "nrr_12m_denominator": "MRR 12 months earlier",
    "cohort_logos_12m": "Customers 12 months earlier",
    "nrr_1m": "NRR, month",
    "grr_1m": "GRR, month",
    "nps": "NPS",
    "nps_ci_low": "95% interval, low",
    "nps_ci_high": "95% interval, high",
    "responses": "Responses",
}

# Metric registry entry → the term the definitions list uses.
TERMS = {
    "mrr_movements_monthly.new_mrr": "New MRR",
    "mrr_movements_monthly.reactivation_mrr": "Reactivation MRR",
    "mrr_movements_monthly.expansion_mrr": "Expansion MRR",
    "mrr_movements_monthly.contraction_mrr": "Contraction MRR",
    "mrr_movements_monthly.churned_mrr": "Churned MRR",
    "mrr_movements_monthly.mrr_end": "MRR at the end of a month",
    "revenue_retention_monthly.nrr_12m": "Net revenue retention, trailing 12 months",
    "revenue_retention_monthly.grr_12m": "Gross revenue retention, trailing 12 months",
    "revenue_retention_monthly.nrr_1m": "Net revenue retention, one month",
    "revenue_retention_monthly.grr_1m": "Gross revenue retention, one month",
    "revenue_cohorts.revenue_retention": "Cohort revenue retention",
    "revenue_cohorts.cohort_size": "Cohort size",
    "nps_summary.nps": "Net Promoter Score (NPS)",
    "health_scores_daily.score": "Health score",
    "health_scores_daily.grade": "Health grade",
    "onboarding_progress.time_to_first_value_days": "Time to first value",
    "onboarding_completion.rate": "Onboarding completion rate",
    "dim_accounts.current_mrr": "Current MRR",
    "churn_reasons_monthly.mrr_lost": "MRR lost by cancellation reason",
    "csm_book_daily.renewal_mrr_due_90d": "Renewal MRR due in 90 days",
    "renewals.mrr_at_stake": "MRR at stake in a renewal",
    "renewal_forecast_monthly.expected_mrr_kept": "Forecast MRR kept",
    "renewal_forecast_monthly.forecast_error": "Forecast error",
}

PERIOD_TYPES = {"month": "month", "quarter": "quarter", "trailing_12_months": "12 months"}


def column(name: str) -> str:
    """The heading of a column: its label, or its name in words when the map has none."""
    return COLUMNS.get(name, name.replace("_", " ").capitalize())


def term(registry_name: str) -> str:
    """The term a registry entry is defined under on the page."""
    return TERMS.get(registry_name, registry_name.split(".")[-1].replace("_", " ").capitalize())
