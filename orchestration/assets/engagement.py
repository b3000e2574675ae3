"""Engagement assets (metrics.md §3): the monthly engagement score per account, and the CSM portfolio.

They read `intermediate.int_account_engagement_monthly`, check it against its contract, call
`transforms/engagement.py` with config/engagement.yml and write schema `transforms`. Engagement is
restated whole each run (account × month is small).
"""

import dagster as dg
import duckdb
import polars as pl

from data_contracts.transform_contracts import EngagementMonthlyInput, EngagementMonthlyOutput
from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    intermediate_key,
    staging_key,
    table_key,
)
from orchestration.config import load_engagement_config
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_table
from transforms.engagement import (
    SCORED_INPUTS,
    EngagementConfig,
    engagement_tables,
    live_account_months,
    score_engagement,
    typed_engagement_inputs,
)

ENGAGEMENT_MONTHLY = table_key("engagement_monthly")
CSM_PORTFOLIO = table_key("csm_portfolio")
ENGAGEMENT_MODEL = intermediate_key("int_account_engagement_monthly")


def build_engagement(
    con: duckdb.DuckDBPyConnection, config: EngagementConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """engagement_monthly (score, level, changes, inputs and why an input is NULL) and the CSM
    portfolio, from intermediate.int_account_engagement_monthly."""
    inputs = typed_engagement_inputs(
        read_frame(
            con,
            "select * from intermediate.int_account_engagement_monthly order by account_id, month",
        )
    )
    scored = score_engagement(
        EngagementMonthlyInput.validate(inputs.select("account_id", "month", *SCORED_INPUTS)),
        config,
    )
    EngagementMonthlyOutput.validate(scored)
    assignments = read_frame(con, "select account_id, csm_id from staging.stg_app_db__accounts")
    return engagement_tables(
        inputs, scored, assignments, config, live_account_months(read_month_ends(con))
    )


def read_month_ends(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per account and engagement month: the customer status on the month's last day with one
    (int_account_status_daily), and whether its MRR was > 0 at the month's valuation."""
    return read_frame(
        con,
        """
        with statuses as (
            select account_id, cast(date_trunc('month', as_of_date) as date) as month,
                arg_max(customer_status, as_of_date) as customer_status
            from intermediate.int_account_status_daily
            group by 1, 2
        ),
        billed as (
            select accounts.account_id, mrr.month, mrr.mrr_minor > 0 as mrr_positive
            from intermediate.int_customer_mrr_monthly as mrr
            inner join staging.stg_app_db__accounts_with_deleted as accounts
                on accounts.stripe_customer_id = mrr.customer_id
        )
        select engagement.account_id, engagement.month, statuses.customer_status,
            billed.mrr_positive
        from (select distinct account_id, month from intermediate.int_account_engagement_monthly)
            as engagement
        left join statuses
            on statuses.account_id = engagement.account_id
            and statuses.month = engagement.month
        left join billed
            on billed.account_id = engagement.account_id and billed.month = engagement.month
        """,
    )


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """engagement_monthly and csm_portfolio, written together."""

    @dg.multi_asset(
        name="engagement_monthly_and_csm_portfolio",
        specs=[
            dg.AssetSpec(
                ENGAGEMENT_MONTHLY,
                deps=[ENGAGEMENT_MODEL],
                description="Monthly engagement score per account (metrics.md §3).",
                **SPEC_OPTIONS,
            ),
            dg.AssetSpec(
                CSM_PORTFOLIO,
                deps=[
                    ENGAGEMENT_MODEL,
                    staging_key("stg_app_db__accounts"),
                    intermediate_key("int_account_status_daily"),
                    intermediate_key("int_customer_mrr_monthly"),
                ],
                description="Live accounts (paying or trialing at the month's end) by engagement "
                "level per CSM and month (metrics.md §3, population).",
                **SPEC_OPTIONS,
            ),
        ],
        partitions_def=partitions_def,
        **RUN_OPTIONS,
    )
    def engagement_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        config = load_engagement_config()
        with warehouse.connect() as con:
            engagement, portfolio = build_engagement(con, config)
            replace_table(con, SCHEMA, "engagement_monthly", engagement)
            replace_table(con, SCHEMA, "csm_portfolio", portfolio)
        yield dg.MaterializeResult(
            asset_key=ENGAGEMENT_MONTHLY,
            metadata={
                "rows": engagement.height,
                "scored": engagement["score"].is_not_null().sum(),
                "config_version": config.version,
            },
        )
        yield dg.MaterializeResult(asset_key=CSM_PORTFOLIO, metadata={"rows": portfolio.height})

    return [engagement_assets]
