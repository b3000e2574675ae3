"""Risk case asset (metrics.md §12): risk cases, their playbook actions, and the completion and
save rates, rebuilt whole as of the run's date.

It reads the triggers (high-severity churn signals and grade D/F health rows of the live book), the
days accounts leave the live book (a churn, or a trial that lapses unpaid), the MRR on each trigger day and the CRM's tasks (`stg_app_db__cs_tasks`), calls
`transforms/risk_cases.py` with config/risk_cases.yml, and writes `transforms.risk_cases`,
`transforms.risk_case_actions` and `transforms.playbook_completion_monthly`.
"""

import dagster as dg
import duckdb
import polars as pl

from orchestration.assets.churn_signals import CHURN_SIGNALS
from orchestration.assets.daily_metrics import METRICS_MODEL
from orchestration.assets.health import HEALTH_SCORES
from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    intermediate_key,
    staging_key,
    table_key,
)
from orchestration.config import load_risk_cases_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_table
from transforms.risk_cases import (
    RiskCaseConfig,
    build_cases,
    case_actions,
    finish_cases,
    playbook_completion_monthly,
)

RISK_CASES = table_key("risk_cases")
RISK_CASE_ACTIONS = table_key("risk_case_actions")
PLAYBOOK_COMPLETION = table_key("playbook_completion_monthly")


def read_risk_inputs(
    con: duckdb.DuckDBPyConnection, config: RiskCaseConfig
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Triggers per live account and day, churn days, MRR on trigger days, and the CRM's tasks."""
    grades = ", ".join(f"'{g}'" for g in config.opening_grades)
    triggers = read_frame(
        con,
        f"""
        select account_id, as_of_date, signal as trigger, csm_id
        from {SCHEMA}.churn_signals_daily where severity = ?
        union all
        select account_id, as_of_date, 'grade_d_or_f' as trigger, csm_id
        from {SCHEMA}.health_scores_daily where grade in ({grades})
        """,
        [config.opening_signal_severity],
    )
    # The days an account leaves the live book for good, which close its case as lost: a paying
    # account's churn (its terminal day) and a trial that ends without paying (trialing one day,
    # never_paid the next).
    churns = read_frame(
        con,
        """
        with days as (
            select account_id, as_of_date, customer_status, is_terminal_day,
                   lag(customer_status) over (partition by account_id order by as_of_date)
                       as status_before
            from intermediate.int_account_status_daily
        )
        select account_id, as_of_date as churned_on from days
        where is_terminal_day
           or (customer_status = 'never_paid' and status_before = 'trialing')
        """,
    )
    mrr = read_frame(
        con,
        f"""
        select distinct m.account_id, m.as_of_date, m.mrr_last_valuation as mrr_at_stake
        from intermediate.int_account_daily_metrics as m
        inner join (
            select account_id, as_of_date from {SCHEMA}.churn_signals_daily
            union select account_id, as_of_date from {SCHEMA}.health_scores_daily
            where grade in ({grades})
        ) as t using (account_id, as_of_date)
        """,
    )
    tasks = read_frame(
        con,
        """
        select task_id, account_id, csm_id, playbook, action_order, created_at, due_at,
               completed_at, outcome
        from staging.stg_app_db__cs_tasks
        """,
    )
    return triggers, churns, mrr, tasks


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """risk_cases, risk_case_actions, playbook_completion_monthly."""
    deps = [
        CHURN_SIGNALS,
        HEALTH_SCORES,
        METRICS_MODEL,
        intermediate_key("int_account_status_daily"),
        staging_key("stg_app_db__cs_tasks"),
    ]
    specs = [
        dg.AssetSpec(
            key=RISK_CASES,
            deps=deps,
            description="Risk cases (metrics.md §12): one per live account at risk, with trigger, "
            "playbook, MRR at stake, action counts and outcome.",
            **SPEC_OPTIONS,
        ),
        dg.AssetSpec(
            key=RISK_CASE_ACTIONS,
            deps=deps,
            description="Each risk case's playbook actions with the CRM task matched to each.",
            **SPEC_OPTIONS,
        ),
        dg.AssetSpec(
            key=PLAYBOOK_COMPLETION,
            deps=deps,
            description="Playbook completion and save rates per month and CSM (metrics.md §12).",
            **SPEC_OPTIONS,
        ),
    ]

    @dg.multi_asset(name="risk_cases", specs=specs, partitions_def=partitions_def, **RUN_OPTIONS)
    def risk_cases(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_risk_cases_config()
        with warehouse.connect() as con:
            triggers, churns, mrr, tasks = read_risk_inputs(con, config)
            opened = build_cases(triggers, churns, as_of, config)
            actions = case_actions(opened, tasks, as_of, config)
            cases = finish_cases(opened, actions, mrr, as_of, config)
            rates = playbook_completion_monthly(tasks, cases, as_of, config)
            replace_table(con, SCHEMA, "risk_cases", cases)
            replace_table(con, SCHEMA, "risk_case_actions", actions)
            replace_table(con, SCHEMA, "playbook_completion_monthly", rates)
        for key, frame in (
            (RISK_CASES, cases),
            (RISK_CASE_ACTIONS, actions),
            (PLAYBOOK_COMPLETION, rates),
        ):
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "as_of_date": as_of.isoformat(),
                    "rows": dg.MetadataValue.int(frame.height),
                    "config_version": config.version,
                },
            )

    return [risk_cases]
