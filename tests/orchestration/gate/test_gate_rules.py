"""One test per rule of validation.md: data breaking it blocks the run (ERROR) or publishes with the
warning recorded (WARN). Each test breaks a copy of one session warehouse and re-runs gate + publish."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import pytest

from orchestration.gate.registry import GX_CHECK, RULES
from tests.orchestration.gate.conftest import (
    Built,
    break_build,
    check_rows,
    run_gate_and_publish,
    sha,
)

pytestmark = pytest.mark.slow


def _blocked(built: Built, warehouse: Path, rule: str, *statements: str) -> str:
    """Break the copy, re-run, and show the run blocked by `rule` with the publication untouched."""
    published = warehouse / "published" / "analytics.duckdb"
    before = sha(published)
    break_build(warehouse, *statements)
    run = run_gate_and_publish(built.extracts, warehouse, built.as_of)
    assert not run.published, f"{rule}: the run published data that breaks it"
    assert sha(published) == before, "a blocked run must leave the published file untouched"
    assert f"{rule} failed on" in run.reason, run.reason
    failed = [r for r in check_rows(warehouse, run.result.run_id, False) if r[0] == rule]
    assert any(r[2] == "fail" for r in failed), failed
    return run.reason


def _warned(built: Built, warehouse: Path, rule: str, *statements: str) -> list[tuple]:
    break_build(warehouse, *statements)
    run = run_gate_and_publish(built.extracts, warehouse, built.as_of)
    assert run.published, run.reason
    rows = check_rows(warehouse, run.result.run_id, True)
    warned = [r for r in rows if r[0] == rule and r[2] == "warn"]
    assert warned, rows
    return warned


def test_unbroken_copy_publishes_and_every_check_ran(built: Built, warehouse_copy: Path) -> None:
    published = warehouse_copy / "published" / "analytics.duckdb"
    before = sha(published)
    run = run_gate_and_publish(built.extracts, warehouse_copy, built.as_of)
    assert run.published, run.reason
    assert sha(published) != before
    # The blocking checks ran in this path (a materialize without them would publish silently).
    evaluated = {
        e.asset_check_evaluation_data.check_name
        for e in run.result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert evaluated == {*RULES, GX_CHECK}
    rules = {r[0] for r in check_rows(warehouse_copy, run.result.run_id, True)}
    assert rules == {*RULES, GX_CHECK}
    con = duckdb.connect(str(published), read_only=True)
    gx = con.execute(
        "select count(*), count(*) filter (where success = false) from audit.gx_results where run_id = ?",
        [run.result.run_id],
    ).fetchall()[0]
    html = con.execute(
        "select html from audit.gx_report where run_id = ?", [run.result.run_id]
    ).fetchall()
    con.close()
    assert gx[0] > 0 and gx[1] == 0
    # The report fragment is readable offline: no stylesheet or script fetched from elsewhere.
    assert html and "<table" in html[0][0]
    assert "<script src" not in html[0][0] and "<link" not in html[0][0]


def test_r01_nps_formula_blocks(built: Built, warehouse_copy: Path) -> None:
    if importlib.util.find_spec("transforms.gate.nps_rules") is None:
        pytest.skip("transforms.gate.nps_rules (rule 1's second implementation) is not built yet")
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    built_nps = con.execute(
        "select count(*) from information_schema.tables where table_name in "
        "('nps_summary', 'nps_independent_check')"
    ).fetchall()[0][0]
    con.close()
    if built_nps < 2:
        pytest.skip("the NPS marts and audit.nps_independent_check are not built in this warehouse")
    # One promoter more in the published summary than the responses hold.
    reason = _blocked(
        built,
        warehouse_copy,
        "r01_nps_formula",
        "update marts.nps_summary set promoters = promoters + 1 "
        "where rowid = (select min(rowid) from marts.nps_summary where responses > 0)",
    )
    assert "promoters" in reason


def test_r02_retention_row_without_method_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r02_churn_method_documented",
        "update marts.revenue_retention_monthly set method = null "
        "where month = (select max(month) from marts.revenue_retention_monthly)",
    )
    assert "1 of " in reason and "rows without method or period" in reason


def test_r02_unregistered_metric_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r02_churn_method_documented",
        "delete from audit.metric_registry where name = 'mrr_monthly.mrr'",
    )
    assert "mrr_monthly.mrr" in reason


def test_r02_broken_identity_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r02_churn_method_documented",
        "update marts.mrr_movements_monthly set new_mrr = new_mrr + 10 "
        "where month = (select max(month) from marts.mrr_movements_monthly)",
    )
    # new_mrr + 10 leaves mrr_end 10 below start + movements: identity gap −10.00.
    assert "gap -10.00" in reason


def test_r03_cohort_size_disagreement_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r03_cohort_coverage",
        "update marts.revenue_cohorts set cohort_size = cohort_size + 1 "
        "where months_since_start = 0 and cohort_month = (select min(cohort_month) from marts.revenue_cohorts)",
    )
    assert "sizes disagree" in reason


def test_r04_score_without_config_version_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r04_health_weights",
        # The health marts may not be built yet in this warehouse: one score row stands in then.
        "create table if not exists marts.health_scores_daily as select 'acc_1' as account_id, "
        "date '2026-11-20' as as_of_date, 80.0 as score, 1.0 as coverage, '1' as config_version",
        "update marts.health_scores_daily set config_version = null "
        "where account_id = (select min(account_id) from marts.health_scores_daily)",
    )
    assert "scores without config_version" in reason


def _calibrated(day: dt.date, auc: float) -> tuple[str, ...]:
    """Statements making the last health calibration the given one (creating the table if absent)."""
    return (
        "create table if not exists audit.health_calibration "
        "(scope varchar, calibration_date date, auc double, as_of_date date)",
        "delete from audit.health_calibration",
        # A calibration run on `day` (as_of_date) whose pooled AUC is `auc`.
        "insert into audit.health_calibration (scope, calibration_date, auc, as_of_date) "
        f"values ('pooled_12m', null, {auc}, date '{day}')",
        # The calibration table's AUC is a registered metric (rule 2) once it is published.
        "insert into audit.metric_registry (name) values ('health_calibration.auc')",
    )


def test_r05_calibration_older_than_three_months_blocks(built: Built, warehouse_copy: Path) -> None:
    last = built.as_of - dt.timedelta(days=130)  # 4 whole calendar months before the as-of date
    reason = _blocked(built, warehouse_copy, "r05_health_calibration", *_calibrated(last, 0.9))
    assert f"last calibration {last} (4 months" in reason


def test_r05_calibration_with_low_auc_warns(built: Built, warehouse_copy: Path) -> None:
    last = built.as_of - dt.timedelta(days=10)
    warned = _warned(built, warehouse_copy, "r05_health_calibration", *_calibrated(last, 0.7))
    assert "AUC 0.700" in warned[0][3]


def test_r06_revenue_differing_from_what_stripe_billed_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    # One customer's published MRR in its first month 5.00 above what its invoices billed.
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    customer, month, mrr = con.execute(
        "select stripe_customer_id, month, mrr from marts.mrr_monthly where mrr > 0 "
        "order by month, stripe_customer_id limit 1"
    ).fetchall()[0]
    con.close()
    reason = _blocked(
        built,
        warehouse_copy,
        "r06_revenue_source",
        f"update marts.mrr_monthly set mrr = mrr + 5 where stripe_customer_id = '{customer}' "
        f"and month = date '{month}'",
    )
    assert "1 of " in reason and "customer-months differ from what Stripe billed" in reason
    assert f"{customer} {month}: published {mrr + 5:.2f}, billed {mrr:.2f}" in reason
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    # The table also lists customer-months rule 6 could not compare, each with its reason (an
    # uncollectible last invoice of a past_due subscription, for one): only the break disagrees.
    listed = con.execute(
        "select stripe_customer_id, month, status from audit.revenue_stripe_disagreements "
        "where status not like 'not compared: %'"
    ).fetchall()
    con.close()
    assert listed == [(customer, month, "disagrees")]


def test_r07_plan_mismatch_over_five_percent_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r07_cross_source",
        "update marts.dim_accounts set plan = 'not-a-plan' where has_account and billed_plan is not null",
    )
    assert "plan in the database ≠ plan billed" in reason and "(100.00%)" in reason


def test_r08_stale_source_blocks(built: Built, warehouse_copy: Path) -> None:
    # The newest ticketing drop 4 days before the as-of date: 96 h > 72 h.
    reason = _blocked(
        built,
        warehouse_copy,
        "r08_freshness",
        f"delete from audit.ingest_log where source = 'ticketing' and drop_date > date '{built.as_of - dt.timedelta(days=4)}'",
    )
    assert "observed 96 h" in reason


# One summary row standing in when the NPS marts are not built in this warehouse.
NPS_SUMMARY = """
create table if not exists marts.nps_summary as select
    'month' as period_type, date '2026-11-01' as period_start, date '2026-11-30' as period_end,
    'all' as segment, {sends} as sends, {responded} as responded_sends,
    {responded} / {sends} as response_rate, 0.01 as response_rate_ci_low, 0.2 as response_rate_ci_high,
    {responses} as responses, {nps} as nps, -10.0 as nps_ci_low, 40.0 as nps_ci_high,
    date '2026-10-01' as previous_period_start, cast(null as double) as previous_nps,
    cast(null as double) as nps_change, cast(null as double) as change_p_value,
    cast(null as boolean) as change_significant, 'no_previous_period' as change_reason
"""


def test_r09_nps_number_with_20_responses_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r09_nps_sample_size",
        NPS_SUMMARY.format(sends=200, responded=40, responses=60, nps=15.0),
        # A number published from 20 responses.
        "update marts.nps_summary set nps = 15.0, responses = 20 "
        "where rowid = (select min(rowid) from marts.nps_summary)",
    )
    assert "n=20" in reason


def test_r10_response_rate_under_five_percent_blocks(built: Built, warehouse_copy: Path) -> None:
    # 4 / 100 = 4% < 5%.
    reason = _blocked(
        built,
        warehouse_copy,
        "r10_response_rate",
        NPS_SUMMARY.format(sends=100, responded=40, responses=40, nps="null"),
        "update marts.nps_summary set sends = 100, responded_sends = 4 "
        "where rowid = (select min(rowid) from marts.nps_summary)",
    )
    assert "4/100" in reason


def test_r11_file_with_a_lost_row_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r11_nothing_lost",
        "update audit.ingest_log set rows_loaded = rows_loaded - 1 "
        "where source = 'stripe' and file = 'customers.jsonl' and drop_date = (select min(drop_date) "
        "from audit.ingest_log where source = 'stripe' and file = 'customers.jsonl' and rows_loaded > 0)",
    )
    assert "stripe/" in reason and "customers.jsonl" in reason


def test_r11_staged_rows_differing_from_raw_block(built: Built, warehouse_copy: Path) -> None:
    # A staging view that drops a row: staged = raw deduplicated − 1.
    reason = _blocked(
        built,
        warehouse_copy,
        "r11_nothing_lost",
        "create or replace view staging.stg_app_db__csms as "
        "select * from raw.app_db__csms qualify row_number() over (partition by csm_id order by _drop_date desc) = 1 "
        "and csm_id <> (select min(csm_id) from raw.app_db__csms)",
    )
    assert "staging.stg_app_db__csms" in reason


def test_r12_unrounded_mrr_off_by_a_thousandth_of_a_cent_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    month = built.as_of.replace(day=1)
    reason = _blocked(
        built,
        warehouse_copy,
        "r12_sample_verification",
        f"update intermediate.int_customer_mrr_monthly set mrr_minor = mrr_minor + 0.001 where month = date '{month}'",
    )
    assert "monthly MRR total differs" in reason


def test_r13_negative_amount_is_an_open_anomaly_and_warns(
    built: Built, warehouse_copy: Path
) -> None:
    warned = _warned(
        built,
        warehouse_copy,
        "r13_outliers_investigated",
        "update raw.stripe__charges set amount = -500 where id = (select min(id) from raw.stripe__charges)",
    )
    assert "negative_amount 1" in warned[0][3]


def test_r14_rate_without_interval_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r14_confidence_intervals",
        # A cohort's logo retention published without its interval (cohorts of this small
        # warehouse are below the 30-account minimum, so the rate is set here too).
        "update marts.revenue_cohorts set logo_retention = 0.5, logo_retention_ci_low = null "
        "where months_since_start = 1 and cohort_size > 0",
    )
    assert "marts.revenue_cohorts.logo_retention" in reason


def test_r15_row_without_period_bounds_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r15_period_comparison",
        "update marts.mrr_movements_monthly set valuation_date = null "
        "where month = (select max(month) from marts.mrr_movements_monthly)",
    )
    assert "1 rows without period bounds" in reason


def test_r16_rate_filled_where_its_input_is_zero_blocks(built: Built, warehouse_copy: Path) -> None:
    # The first month has no customer at its start (logos_start 0): its logo churn rate must be NULL.
    reason = _blocked(
        built,
        warehouse_copy,
        "r16_no_defaulted_inputs",
        "update marts.revenue_retention_monthly set logo_churn_rate = 0, logo_churn_ci_low = 0, "
        "logo_churn_ci_high = 0 where logos_start = 0",
    )
    assert "logo_churn_rate" in reason and "where logos_start is NULL or 0" in reason


def test_r17_email_in_published_text_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r17_personal_data",
        "update marts.dim_accounts set account_name = 'ana@example.com' "
        "where account_id = (select min(account_id) from marts.dim_accounts)",
    )
    assert "marts.dim_accounts.account_name" in reason and "1 rows with an e-mail address" in reason


def test_gx_duplicate_key_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        GX_CHECK,
        "insert into marts.mrr_movements_monthly select * from marts.mrr_movements_monthly "
        "where month = (select min(month) from marts.mrr_movements_monthly)",
    )
    assert "marts.mrr_movements_monthly" in reason


def test_r12_health_inputs_differing_from_staging_block(built: Built, warehouse_copy: Path) -> None:
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    has_inputs = con.execute(
        "select count(*) from information_schema.tables where table_name = 'int_account_daily_metrics'"
    ).fetchall()[0][0]
    con.close()
    if not has_inputs:
        pytest.skip("int_account_daily_metrics is not built in this warehouse")
    # Every account one more open ticket on the as-of day than its tickets hold: any sample sees it.
    reason = _blocked(
        built,
        warehouse_copy,
        "r12_sample_verification",
        "update intermediate.int_account_daily_metrics set open_tickets = open_tickets + 1 "
        f"where as_of_date = date '{built.as_of}'",
    )
    assert "open_tickets: independent" in reason


def _r12_sample(built: Built, warehouse: Path) -> tuple[list[str], dt.date]:
    """The customers rule 12 samples (paying in the as-of month, seeded from the as-of date) and
    the first Stripe drop, read from the unbroken copy."""
    from transforms.gate.sampling import sample_accounts

    con = duckdb.connect(str(warehouse / "build" / "warehouse.duckdb"), read_only=True)
    try:
        paying = [
            row[0]
            for row in con.execute(
                "select stripe_customer_id from marts.mrr_monthly "
                "where month = ? and mrr > 0 and stripe_customer_id is not null",
                [built.as_of.replace(day=1)],
            ).fetchall()
        ]
        first_drop = con.execute(
            "select min(valid_from_drop) from staging.stg_stripe__subscription_versions"
        ).fetchall()[0][0]
    finally:
        con.close()
    return sample_accounts(paying, built.as_of, 12), first_drop


def test_r12_health_inputs_beyond_tickets_and_logins_block(
    built: Built, warehouse_copy: Path
) -> None:
    # Every account of the as-of day: logins a quarter per week too many, and a missing CSAT
    # (no 1–5 rating in 90 days) published as 0 — a default filled where the input is absent.
    reason = _blocked(
        built,
        warehouse_copy,
        "r12_sample_verification",
        "update intermediate.int_account_daily_metrics set logins_per_week = logins_per_week + 0.25, "
        f"avg_csat = coalesce(avg_csat, 0) where as_of_date = date '{built.as_of}'",
    )
    assert (
        f"r12_sample_verification failed on intermediate.int_account_daily_metrics sample, {built.as_of}"
        in reason
    )
    assert "accounts per input: logins_per_week 12, avg_csat " in reason
    assert "logins_per_week: independent " in reason


def test_r12_mrr_of_a_month_before_the_first_drop_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    sample, first_drop = _r12_sample(built, warehouse_copy)
    # The month before the first drop's month is valued from invoice history only.
    month = (first_drop.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    reason = _blocked(
        built,
        warehouse_copy,
        "r12_sample_verification",
        "update intermediate.int_customer_mrr_monthly set mrr_minor = mrr_minor * 1.01 "
        f"where month = date '{month}' and mrr_minor > 0",
    )
    assert f"r12_sample_verification failed on marts.mrr_monthly total, month {month}" in reason
    assert "valued from invoice lines" in reason
    assert f"failed on marts.mrr_monthly sample, month {month}: " in reason
    assert any(f"{customer}: independent " in reason for customer in sample), reason


def test_r12_mrr_of_a_metered_customer_blocks(built: Built, warehouse_copy: Path) -> None:
    sample, _ = _r12_sample(built, warehouse_copy)
    customer = sample[0]
    month = built.as_of.replace(day=1)
    # The customer's items become metered at the source (every drop), and dbt's output values the
    # customer at 0, as it would if it missed the items' invoices: the independent path values
    # them at their last invoiced amount.
    reason = _blocked(
        built,
        warehouse_copy,
        "r12_sample_verification",
        "update raw.stripe__subscription_items set price_recurring_usage_type = 'metered' "
        "where subscription_id in (select subscription_id from staging.stg_stripe__subscription_versions "
        f"where customer_id = '{customer}')",
        f"update intermediate.int_customer_mrr_monthly set mrr_minor = 0 "
        f"where month = date '{month}' and customer_id = '{customer}'",
    )
    assert f"r12_sample_verification failed on marts.mrr_monthly sample, month {month}" in reason
    assert f"{customer}: independent " in reason and "dbt 0.000000" in reason
    assert "1 with metered items" in reason


def test_r15_previous_value_filled_where_the_previous_period_has_none_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    # The first month's MRR movements start from nothing (0 allowed); a month whose previous
    # month's end is known must start there: a start 1.00 off is caught with the figures.
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    month, start, previous_end = con.execute(
        "select month, mrr_start, lag(mrr_end) over (order by month) from marts.mrr_movements_monthly "
        "order by month desc limit 1"
    ).fetchall()[0]
    con.close()
    reason = _blocked(
        built,
        warehouse_copy,
        "r15_period_comparison",
        f"update marts.mrr_movements_monthly set mrr_start = mrr_start + 1 where month = date '{month}'",
    )
    assert "1 whose previous value is not the previous period's mrr_end" in reason
    assert f"{month}: mrr_start {start + 1}, the previous period's mrr_end {previous_end}" in reason


def test_r16_revenue_computed_from_a_missing_input_blocks(
    built: Built, warehouse_copy: Path
) -> None:
    # An item valued as if its interval count were 1 though the source has none (what a default
    # in the revenue macro would do): the amount is there, the input is not.
    con = duckdb.connect(str(warehouse_copy / "build" / "warehouse.duckdb"), read_only=True)
    item = con.execute(
        "select min(subscription_item_id) from intermediate.int_subscription_items_normalised_to_mrr "
        "where mrr_source = 'subscription_version' and mrr_minor > 0"
    ).fetchall()[0][0]
    con.close()
    reason = _blocked(
        built,
        warehouse_copy,
        "r16_no_defaulted_inputs",
        "update intermediate.int_subscription_items_normalised_to_mrr "
        f"set recurring_interval_count = null where subscription_item_id = '{item}' "
        "and mrr_source = 'subscription_version'",
    )
    assert (
        "item amounts computed from a missing input (price valued with no interval count" in reason
    )
    assert item in reason


def test_r17_email_in_a_published_list_of_text_blocks(built: Built, warehouse_copy: Path) -> None:
    reason = _blocked(
        built,
        warehouse_copy,
        "r17_personal_data",
        # A published list of text (as the tags or features of a row would be) holding an address.
        "create table marts.tagged_accounts as select account_id, "
        "['vip', 'owner ana@example.com'] as tags from marts.dim_accounts limit 1",
    )
    assert "marts.tagged_accounts.tags" in reason and "1 rows with an e-mail address" in reason


def test_r22_a_renewal_left_out_blocks(built: Built, warehouse_copy: Path) -> None:
    # The raw invoices still hold the term: the published renewals miss one.
    reason = _blocked(
        built,
        warehouse_copy,
        "r22_renewal_outcomes",
        "delete from marts.renewals where renewal_id = (select min(renewal_id) from marts.renewals)",
    )
    assert "renewals Stripe holds are not published" in reason, reason
