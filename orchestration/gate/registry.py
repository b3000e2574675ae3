"""The one registry of the publish gate's rules: per rule, what it judges, the evidence it needs,
its judge (transforms/gate/<family>_rules.py) and the settings of config/gate.yml it takes.

Evaluation (`evaluation.py`) reads every named evidence first (the `read_<family>_evidence`
readers), then calls each judge in this order with its evidence and thresholds. The settings that
decide what is read rather than how it is judged (rule 4's config_file, rule 6's tolerance for the
disagreements it writes, rule 12's sample_size, rule 13's anomaly definitions, the tables of rules
14 to 16, rule 17's schemas) are read by the readers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from transforms.gate import (
    billing_rules,
    churn_reason_rules,
    health_rules,
    ingest_rules,
    live_book_rules,
    mrr_sample_rules,
    nps_rules,
    playbook_rules,
    publication_rules,
    reconciliation_rules,
    renewal_rules,
    revenue_rules,
)
from transforms.gate.results import RuleResult

#: The gate asset's checks, one per rule of validation.md, with what each enforces.
RULES = {
    "r01_nps_formula": "NPS formula correct, recomputed independently (validation rule 1)",
    "r02_churn_method_documented": "Churn method and metric definitions documented; MRR identity (rule 2)",
    "r03_cohort_coverage": "Retention cohorts account for every paying customer once (rule 3)",
    "r04_health_weights": "Health-score factors and weights documented (rule 4)",
    "r05_health_calibration": "Health score calibrated monthly (rule 5)",
    "r06_revenue_source": "Published MRR reconciles with what Stripe billed (rule 6)",
    "r07_cross_source": "Cross-source reconciliation (rule 7)",
    "r08_freshness": "Data freshness < 24 h (validation rule 8)",
    "r09_nps_sample_size": "Never report NPS with n < 30 (rule 9)",
    "r10_response_rate": "Survey response rate (rule 10)",
    "r11_nothing_lost": "Numbers reconciled with the source; nothing lost (validation rule 11)",
    "r12_sample_verification": "Independent recomputation of 10+ accounts and monthly totals (rule 12)",
    "r13_outliers_investigated": "Outliers listed in audit.anomalies and reviewed (rule 13)",
    "r14_confidence_intervals": "Sample-based rates carry confidence intervals (rule 14)",
    "r15_period_comparison": "KPI rows carry period bounds and the previous value (rule 15)",
    "r16_no_defaulted_inputs": "No metric computed from a defaulted input (rule 16)",
    "r17_personal_data": "Personal data stays out of published marts (validation rule 17)",
    "r18_live_book": "Health, signal, alert and lifecycle-risk rows only for live accounts (rule 18)",
    "r19_delivered_day_covered": "A delivered day is a covered day: live accounts stay scored (rule 19)",
    "r21_playbooks_followed": "Playbook completion agrees with the raw CRM tasks; warns below 70% (rule 21)",
    "r22_renewal_outcomes": "Renewals and their outcomes as the raw Stripe invoices give them (metrics.md §11)",
}
#: The gate asset's check of the Great Expectations suites (orchestration/gate/gx.py).
GX_CHECK = "gx_suites"


@dataclass(frozen=True)
class Rule:
    """One judgement of the gate: `judge` is called with the evidence named in `evidence` (judge
    parameter → evidence name) and the settings of the rule's section of gate.yml named in
    `thresholds` (judge parameter → setting)."""

    rule: str
    target: str
    judge: Callable[..., list[RuleResult]]
    evidence: Mapping[str, str]
    thresholds: Mapping[str, str] = field(default_factory=dict)


#: In the order their results are recorded in audit.check_results, as before the gate became a
#: package: rule 11 right after rule 8 (both judge the ingest log), rule 12 in two parts.
REGISTRY: tuple[Rule, ...] = (
    Rule(
        "r01_nps_formula",
        "marts.nps_summary",
        nps_rules.nps_formula,
        {"published": "nps_summary", "independent": "nps_independent_check"},
    ),
    Rule(
        "r02_churn_method_documented",
        "audit.metric_registry, marts.revenue_retention_monthly, marts.mrr_movements_monthly",
        revenue_rules.churn_method_documented,
        {
            "metric_columns": "metric_columns",
            "registry_names": "metric_registry_names",
            "retention": "revenue_retention_monthly",
            "movements": "mrr_movements_monthly",
        },
    ),
    Rule(
        "r03_cohort_coverage",
        "marts.revenue_cohorts",
        revenue_rules.cohorts_consistent,
        {"mrr_monthly": "mrr_monthly", "cohorts": "revenue_cohorts"},
    ),
    Rule(
        "r04_health_weights",
        "the health-score config file, marts.health_scores_daily",
        health_rules.health_weights_documented,
        {"health_config": "health_config", "scores": "health_tally"},
        {"config_file": "config_file"},
    ),
    Rule(
        "r05_health_calibration",
        "audit.health_calibration",
        health_rules.health_calibration,
        {"calibrations": "health_calibration", "as_of": "as_of"},
        {
            "warn_months": "warn_months_over",
            "error_months": "error_months_over",
            "min_auc": "min_auc",
        },
    ),
    Rule(
        "r06_revenue_source",
        "marts.mrr_monthly (every customer and month)",
        billing_rules.revenue_from_stripe,
        {
            "comparison": "revenue_billing_comparison",
            "unknown_customers": "revenue_customers_unknown_to_stripe",
        },
        {
            "tolerance_cents": "tolerance_cents",
            "error_disagreements_over": "error_disagreements_over",
        },
    ),
    Rule(
        "r07_cross_source",
        "each cross-source category",
        revenue_rules.cross_source,
        {"categories": "cross_source_counts"},
        {"warn_share": "warn_share_over", "error_share": "error_share_over"},
    ),
    Rule(
        "r07_cross_source",
        "records of unknown accounts, organisations and tickets",
        reconciliation_rules.orphans,
        {"categories": "orphans"},
        {"warn_share": "warn_share_over", "error_share": "error_share_over"},
    ),
    Rule(
        "r08_freshness",
        "each source",
        ingest_rules.freshness,
        {"ingest_log": "ingest_log", "as_of": "as_of"},
        {
            "required_sources": "required_sources",
            "warn_hours": "warn_hours_over",
            "error_hours": "error_hours_over",
        },
    ),
    Rule(
        "r11_nothing_lost",
        "each ingested file, staging models",
        ingest_rules.nothing_lost_anywhere,
        {"ingest_log": "ingest_log", "staged": "staged_counts", "as_of": "as_of"},
        {"warn_on_quarantine": "warn_on_any_quarantine"},
    ),
    Rule(
        "r11_nothing_lost",
        "each source's quarantine in the run's drops, each raw table",
        ingest_rules.quarantine_within_bounds,
        {
            "ingest_log": "ingest_log",
            "quarantine": "quarantine_by_rule",
            "emptied": "emptied_tables",
            "as_of": "as_of",
            "window_start": "window_start",
        },
        {"max_share": "error_quarantine_share_over", "min_rows": "quarantine_share_min_rows"},
    ),
    Rule(
        "r09_nps_sample_size",
        "marts.nps_summary",
        nps_rules.nps_sample_size,
        {"summary": "nps_summary"},
        {
            "min_responses": "error_responses_under",
            "warn_responses": "warn_responses_under",
            "warn_quarter": "warn_quarter_responses_under",
        },
    ),
    Rule(
        "r10_response_rate",
        "marts.nps_summary",
        nps_rules.survey_response_rate,
        {"summary": "nps_summary", "as_of": "as_of"},
        {
            "min_sends": "min_sends",
            "error_below": "error_rate_under",
            "warn_below": "warn_rate_under",
        },
    ),
    Rule(
        "r12_sample_verification",
        "marts.mrr_monthly (every month: total, sample, churn count)",
        mrr_sample_rules.mrr_reproduced,
        {"inputs": "mrr_recomputation_inputs", "as_of": "as_of"},
        {"sample_size": "sample_size"},
    ),
    Rule(
        "r12_sample_verification",
        "intermediate.int_account_daily_metrics sample",
        health_rules.health_inputs_reproduced,
        {"inputs": "health_inputs_sample", "as_of": "as_of"},
    ),
    Rule(
        "r12_sample_verification",
        "marts.churn_reasons_monthly",
        churn_reason_rules.churn_reasons_reconciled,
        {
            "published": "churn_reasons_monthly",
            "movements": "mrr_movements_monthly",
            "churned": "churned_customers",
            "subscriptions": "ended_subscription_rows",
            "as_of": "as_of",
        },
    ),
    Rule(
        "r13_outliers_investigated",
        "audit.anomalies",
        publication_rules.outliers_investigated,
        {"anomalies": "anomalies"},
    ),
    Rule(
        "r14_confidence_intervals",
        "each configured rate",
        publication_rules.confidence_intervals,
        {"tables": "published_tables"},
        {"rates": "rates"},
    ),
    Rule(
        "r15_period_comparison",
        "each configured KPI table",
        publication_rules.period_comparison,
        {"tables": "published_tables"},
        {"periods": "tables"},
    ),
    Rule(
        "r16_no_defaulted_inputs",
        "each configured rate, marts.health_scores_daily",
        health_rules.no_defaulted_inputs,
        {
            "tables": "published_tables",
            "health_scores": "health_tally",
            "health_config": "health_config",
        },
        {"rate_inputs": "rate_inputs"},
    ),
    Rule(
        "r16_no_defaulted_inputs",
        "revenue item amounts and customer totals",
        revenue_rules.no_defaulted_revenue_inputs,
        {"defaults": "revenue_defaults"},
    ),
    Rule(
        "r16_no_defaulted_inputs",
        "intermediate.int_account_daily_metrics rates",
        live_book_rules.daily_rates_without_denominator,
        {"counts": "daily_rate_denominator_counts"},
    ),
    Rule(
        "r17_personal_data",
        "every text column of the published schemas",
        publication_rules.personal_data,
        {"hits": "email_hits"},
    ),
    Rule(
        "r18_live_book",
        "marts.health_scores_daily, churn_signals_daily, cs_alerts, lifecycle_transitions, kpi_scorecard",
        live_book_rules.live_book_only,
        {"outside": "rows_outside_live_book", "portfolio_units": "portfolio_units"},
    ),
    Rule(
        "r18_live_book",
        "live-book rows of the last days against raw Stripe subscriptions",
        live_book_rules.live_by_raw_stripe,
        {
            "checked": "live_book_rows_in_window",
            "accounts": "raw_accounts",
            "subscriptions": "raw_subscription_versions",
        },
    ),
    Rule(
        "r19_delivered_day_covered",
        "marts.health_scores_daily per delivered day",
        live_book_rules.delivered_days_covered,
        {"days": "scored_share_by_day"},
        {"warn_points": "warn_points_over", "error_points": "error_points_over"},
    ),
    Rule(
        "r21_playbooks_followed",
        "marts.playbook_completion_monthly against raw.app_db__cs_tasks",
        playbook_rules.playbooks_followed,
        {"published": "playbook_completion", "raw_tasks": "raw_cs_tasks", "as_of": "as_of"},
        {
            "min_actions": "min_actions",
            "warn_below": "warn_rate_under",
            "critical_below": "critical_rate_under",
        },
    ),
    Rule(
        "r22_renewal_outcomes",
        "marts.renewals against the raw Stripe invoices and what they billed",
        renewal_rules.renewals_from_stripe,
        {
            "published": "renewals_published",
            "terms": "renewal_terms",
            "comparison": "revenue_billing_comparison",
            "as_of": "as_of",
        },
        {"grace_days": "outcome_grace_days"},
    ),
)
