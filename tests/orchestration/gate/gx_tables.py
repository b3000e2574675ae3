"""Rows that meet every suite of config/gx_suites.yml, a few per table, and the helpers the GX tests
share (orchestration/gate/gx.py and gx_report.py)."""

from __future__ import annotations

from dataclasses import replace

from data_contracts.gx_suites import SuiteConfig
from orchestration.config import load_gx_suites
from orchestration.gate.gx_report import GxReport

# Rows that meet every suite of config/gx_suites.yml, a few per table.
GOOD_TABLES = """
create schema marts;
create schema audit;

create table audit.ingest_log as select * from (values
    ('stripe', date '2026-11-19', 'customers.jsonl', 10, 9, 1, 'loaded', timestamp '2026-11-20 06:00'),
    ('stripe', date '2026-11-19', 'customers.jsonl', 10, 10, 0, 'replaced', timestamp '2026-11-21 06:00'),
    ('app_db', date '2026-11-19', 'accounts.csv', 5, 5, 0, 'loaded', timestamp '2026-11-20 06:00'),
    ('ticketing', date '2026-11-19', null, 0, 0, 0, 'missing_drop', timestamp '2026-11-20 06:00')
) t(source, drop_date, file, rows_read, rows_loaded, rows_quarantined, status, loaded_at);

create table audit.quarantine_summary as select * from (values
    ('stripe', date '2026-11-19', 'customers.jsonl', 'json_malformed', 1, 4, 4)
) t(source, drop_date, file, rule, rows_quarantined, first_line, last_line);

create table audit.check_results as select * from (values
    ('run-1', 'r08_freshness', 'stripe', 'pass', null),
    ('run-1', 'r11_nothing_lost', 'all files', 'warn', 'WARN'),
    ('run-1', 'r17_personal_data', 'all text columns', 'pass', null)
) t(run_id, rule, target, status, severity);

create table audit.publications as select * from (values
    ('run-0', date '2026-11-18', timestamp '2026-11-19 07:00', 'published', 0),
    ('run-1', date '2026-11-19', timestamp '2026-11-20 07:00', 'published with warnings', 1)
) t(run_id, as_of_date, published_at, verdict, warnings);

create table marts.mrr_monthly as select * from (values
    ('acc_1', 'cus_1', date '2026-09-01', 100.00::decimal(18,2), 0.00::decimal(18,2), 'new'),
    ('acc_1', 'cus_1', date '2026-10-01', 150.00::decimal(18,2), 100.00::decimal(18,2), 'expansion'),
    ('acc_1', 'cus_1', date '2026-11-01', 0.00::decimal(18,2), 150.00::decimal(18,2), 'churn'),
    (null, 'cus_9', date '2026-11-01', 30.00::decimal(18,2), 30.00::decimal(18,2), 'retained')
) t(account_id, stripe_customer_id, month, mrr, previous_mrr, movement_category);

create table marts.mrr_movements_monthly as select * from (values
    (date '2026-09-01', 0.00::decimal(18,2), 100.00::decimal(18,2), 0.00::decimal(18,2),
     0.00::decimal(18,2), 0.00::decimal(18,2), 0.00::decimal(18,2), 100.00::decimal(18,2), 0, 1, 0, 1, 0),
    (date '2026-10-01', 100.00, 0.00, 0.00, 50.00, 0.00, 0.00, 150.00, 1, 0, 0, 1, 0),
    (date '2026-11-01', 150.00, 0.00, 0.00, 0.00, 0.00, 150.00, 0.00, 1, 0, 1, 0, 0)
) t(month, mrr_start, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churned_mrr,
    mrr_end, logos_start, logos_new, logos_churned, logos_end, customers_mrr_unknown);

create table marts.revenue_retention_monthly as select * from (values
    (date '2026-10-01', 0.0::double, 0.0::double, 0.79::double, 0.0::double, 1.5::double,
     1.0::double, null::double, null::double, 'monthly, logo and revenue'),
    (date '2026-11-01', 1.0, 0.21, 1.0, 1.0, 0.0, 0.0, 0.9, 0.8, 'monthly, logo and revenue')
) t(month, logo_churn_rate, logo_churn_ci_low, logo_churn_ci_high, gross_revenue_churn_rate,
    nrr_1m, grr_1m, nrr_12m, grr_12m, method);

create table marts.revenue_cohorts as select * from (values
    (date '2026-09-01', 0, 1, 1, 1.0::double, 0.21::double, 0.9999999999999998::double, 1.0::double),
    (date '2026-09-01', 1, 1, 1, 1.0, 0.21, 0.9999999999999998, 1.5),
    (date '2026-09-01', 2, 1, 0, 0.0, 0.0, 0.79, 0.0)
) t(cohort_month, months_since_start, cohort_size, active_logos, logo_retention,
    logo_retention_ci_low, logo_retention_ci_high, revenue_retention);

create table marts.dim_accounts as select * from (values
    ('acc_1', 'cus_1', 0.00::decimal(18,2), 'churned'),
    ('acc_2', null, 0.00::decimal(18,2), 'not_billed'),
    ('acc_3', null, 0.00::decimal(18,2), 'not_billed'),
    (null, 'cus_9', 30.00::decimal(18,2), 'paying')
) t(account_id, stripe_customer_id, current_mrr, status);

create table marts.nps_summary as select * from (values
    ('month', date '2026-10-01', 'all', 200, 100, 0.5::double, 40, 35, 25, 15.0::double,
     3.2::double, 26.4::double),
    ('month', date '2026-11-01', 'all', 100, 20, 0.2, 10, 5, 5, null, null, null),
    ('quarter', date '2026-10-01', 'all', 300, 120, 0.4, 50, 40, 30, 16.7, 6.1, 27.0)
) t(period_type, period_start, segment, sends, responses, response_rate, promoters, passives,
    detractors, nps, nps_ci_low, nps_ci_high);

create table marts.health_scores_daily as select * from (values
    ('acc_1', date '2026-11-19', 85.0::double, 'A', 1.0000000000000002::double, 'stable', null, 'h1'),
    ('acc_1', date '2026-11-20', 78.4, 'B', 1.0, 'declining', null, 'h1'),
    ('acc_2', date '2026-11-20', null, null, 0.45, null, 'insufficient_data', 'h1'),
    ('acc_3', date '2026-11-20', 0.0, 'F', 0.6, 'improving', null, 'h1')
) t(account_id, as_of_date, score, grade, coverage, trend, reason, config_version);

create table marts.cs_alerts as select * from (values
    ('acc_3|at_risk_grade||2026-11-19', 'acc_3', 'at_risk_grade', 'critical', 'critical',
     date '2026-11-19', null::date, date '2026-11-20', null, 'paying', 'h1'),
    ('acc_1|health_score_drop||2026-11-10', 'acc_1', 'health_score_drop', 'critical', 'high',
     date '2026-11-10', date '2026-11-12', date '2026-11-11', 'condition_cleared', 'paying', 'h1')
) t(episode_id, account_id, alert, severity, base_severity, opened_on, closed_on, latest_on,
    close_reason, customer_status, config_version);

create table marts.risk_cases as select * from (values
    ('acc_1:2026-11-01', 'acc_1', date '2026-11-01', date '2026-11-03', date '2026-11-17',
     'recovered', 'failed_payment', 'failed_payment', '2026.12.1', 120.00::decimal(18,2),
     3, 3, 2, 1, 5.5::double),
    ('acc_2:2026-11-15', 'acc_2', date '2026-11-15', date '2026-11-19', null::date, 'open',
     'grade_d_or_f', 'grade_d_or_f', '2026.12.1', null::decimal(18,2), 3, 0, 0, 0, null::double)
) t(case_id, account_id, opened_on, last_trigger_on, closed_on, outcome, trigger, playbook,
    playbook_version, mrr_at_stake, actions_expected, actions_matched, actions_done,
    actions_done_by_due, hours_to_first_action);

create table marts.risk_case_actions as select * from (values
    ('acc_1:2026-11-01', 'acc_1', 'failed_payment', 1, 'Call', 'call', 'tsk_1', 'done', true, true),
    ('acc_1:2026-11-01', 'acc_1', 'failed_payment', 2, 'Email', 'email', null, null, false, false)
) t(case_id, account_id, playbook, action_order, action, channel, task_id, task_outcome, done,
    done_by_due);

create table marts.playbook_completion_monthly as select * from (values
    (date '2026-10-01', 'all', null, 25, 20, 0.8::double, 0.6::double, 0.9::double, 'not met',
     10, 7, 0.7::double, 0.4::double, 0.9::double, '2026.12.1'),
    (date '2026-10-01', 'csm', 'csm_1', 3, 1, null::double, null::double, null::double,
     'insufficient_sample', 0, 0, null::double, null::double, null::double, '2026.12.1')
) t(month, scope, csm_id, actions_due, actions_done_by_due, completion_rate, completion_ci_low,
    completion_ci_high, completion_status, cases_closed, cases_recovered, save_rate, save_ci_low,
    save_ci_high, config_version);

create table marts.churn_reasons_monthly as select * from (values
    (date '2026-10-01', 'cancellation_requested', 'too_expensive', 2, 300.0::double, 0.5::double,
     0.6::double, 4, 500.0::double, 0),
    (date '2026-10-01', 'not given', 'not given', 2, 200.0::double, 0.5::double, 0.4::double, 4,
     500.0::double, 0),
    (date '2026-11-01', 'not given', 'not given', 1, null::double, 1.0::double, null::double, 1,
     null::double, 1)
) t(month, cancellation_reason, cancellation_feedback, logos_lost, mrr_lost, logo_share, mrr_share,
    month_logos_churned, month_churned_mrr, customers_mrr_unknown);

create table marts.csm_book_daily as select * from (values
    (date '2026-11-20', 'csm_1', 'csm_1', 10, 9, 1, 1200.0::double, 9, 2, 300.0::double, 3, 2, 4, 1),
    (date '2026-11-20', 'unassigned', null, 5, 5, 0, 400.0::double, 5, 0, 0.0::double, 0, 0, 0, 0)
) t(as_of_date, csm_label, csm_id, live_accounts, paying_accounts, trialing_accounts, mrr,
    mrr_accounts, renewals_due_90d, renewal_mrr_due_90d, open_alerts, accounts_with_open_alerts,
    qbr_accounts, accounts_without_qbr_90d);

create table marts.cs_events as select * from (values
    ('e1', 'no_login_7_days', date '2026-11-18', 'acc_1', 'csm_1', 'day:2026-11-18', 8.0::double,
     7.0::double, 'transforms.churn_signals_daily', date '2026-11-20'),
    ('e2', 'grade_dropped_to_d_or_f', date '2026-11-19', 'acc_2', null, 'day:2026-11-19', null::double,
     null::double, 'marts.health_scores_daily', date '2026-11-20')
) t(event_id, event_type, occurred_on, account_id, csm_id, cause, observed_value, threshold,
    source_table, as_of_date);
create table marts.renewals as select * from (values
    ('sub_1:2026-12-01', 'acc_1', 'sub_1', 'cus_1', date '2025-12-01', date '2026-12-01', 12,
     11, 'within_30_days', 100.00, 1200.00, null::decimal(18,2), null::decimal(18,2), null,
     'pending: measured at the end of 2026-12', date '2026-11-20', date '2026-12-31', 'B',
     date '2026-10-01', 50, 0, 78.4, 'A'),
    ('sub_2:2026-10-10', 'acc_2', 'sub_2', 'cus_2', date '2025-10-10', date '2026-10-10', 24,
     -41, 'passed', 200.00, 2400.00, 0.00, 0.00, 'churned', null, date '2026-10-09',
     date '2026-10-31', 'D', null, null, 2, 30.0, 'C')
) t(renewal_id, account_id, subscription_id, stripe_customer_id, term_start, term_end,
    term_months, days_out, renewal_window, mrr_at_stake, arr_at_stake, mrr_after, mrr_kept,
    outcome, outcome_reason, state_observed_on, outcome_measured_on, health_grade, last_qbr_on,
    days_since_last_qbr, open_churn_signal_count, health_score, health_grade_60d_out);

create table marts.renewal_rates_monthly as select * from (values
    (date '2026-10-01', 'all', null, 40, 40, 30, 0.75, 0.6, 0.86, 0.8, null),
    (date '2026-10-01', 'unassigned', null, 2, 2, 1, null, null, null, null,
     'insufficient_sample: 2 renewals (minimum 30)'),
    (date '2026-10-01', 'csm', 'csm_1', 38, 38, 29, 0.763, 0.61, 0.87, 0.81, null)
) t(month, scope, csm_id, renewals_due, renewals_with_outcome, logos_kept, logo_renewal_rate,
    logo_renewal_ci_low, logo_renewal_ci_high, mrr_renewal_rate, rate_reason);

create table marts.renewal_forecast_monthly as select * from (values
    (date '2026-10-01', 'all', null, 2, 2, 300.00, 250.00, null, 200.00, 50.00,
     date '2026-08-01', date '2026-08-11'),
    (date '2026-10-01', 'csm', 'csm_1', 1, 0, 100.00, null, 'insufficient_sample: band D (1)',
     null, null, date '2026-08-11', date '2026-08-11')
) t(month, scope, csm_id, renewals_due, renewals_rated, mrr_due, expected_mrr_kept,
    forecast_reason, actual_mrr_kept, forecast_error, forecast_made_from, forecast_made_to);
"""

ALL_TABLES = sorted(load_gx_suites().suites)


def only(*tables: str) -> SuiteConfig:
    """The configured suites of these tables alone."""
    config = load_gx_suites()
    return replace(config, suites={t: config.suites[t] for t in tables})


def failures(report: GxReport) -> set[tuple[str, str, str | None, int | None]]:
    return {
        (r.table, r.expectation, r.column, r.unexpected_count)
        for t in report.tables
        for r in t.results
        if not r.success
    }
