"""Support asset (metrics.md §6): tickets and ratings from staging in, support_monthly out.

It counts tickets and ratings per account and month as of the run's date (`transforms/support.py`,
config/support.yml); the dbt mart over the table is thin.
"""

import dagster as dg
import duckdb
import polars as pl

from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    staging_key,
    table_key,
)
from orchestration.config import load_support_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_table
from transforms.support import support_table

SUPPORT_MONTHLY = table_key("support_monthly")


def read_support_inputs(
    con: duckdb.DuckDBPyConnection,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Tickets (with the account of their organisation), ratings, and the mapped accounts."""
    tickets = read_frame(
        con,
        """
        select t.ticket_id, o.account_id, t.status, t.priority, t.subject, t.description,
               t.tags, t.created_at, t.solved_at, t.reply_time_minutes,
               t.full_resolution_time_minutes as full_resolution_minutes
        from staging.stg_ticketing__tickets as t
        left join staging.stg_ticketing__organizations as o
            on o.organization_id = t.organization_id
        """,
    )
    ratings = read_frame(
        con,
        """
        select satisfaction_rating_id as rating_id, ticket_id, score, rating, created_at
        from staging.stg_ticketing__satisfaction_ratings
        """,
    )
    # Accounts with a Zendesk organisation: their months without tickets are true zeros, from the
    # month the account (or, for an account unknown to app_db, the organisation) was created.
    accounts = read_frame(
        con,
        """
        select o.account_id,
               cast(date_trunc('month', min(coalesce(a.created_at, o.created_at))) as date)
                   as first_month
        from staging.stg_ticketing__organizations as o
        left join staging.stg_app_db__accounts as a on a.account_id = o.account_id
        where o.account_id is not null
        group by o.account_id
        """,
    )
    return tickets, ratings, accounts


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """support_monthly."""
    spec = dg.AssetSpec(
        key=SUPPORT_MONTHLY,
        deps=[
            staging_key("stg_ticketing__tickets"),
            staging_key("stg_ticketing__satisfaction_ratings"),
            staging_key("stg_ticketing__organizations"),
            staging_key("stg_app_db__accounts"),
        ],
        description="transforms.support.support_monthly per account × month as of the run's date "
        "(metrics.md §6).",
        **SPEC_OPTIONS,
    )

    @dg.multi_asset(
        name="support_statistics", specs=[spec], partitions_def=partitions_def, **RUN_OPTIONS
    )
    def support_statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_support_config()
        with warehouse.connect() as con:
            tickets, ratings, accounts = read_support_inputs(con)
            monthly = support_table(tickets, ratings, accounts, config, as_of)
            replace_table(con, SCHEMA, "support_monthly", monthly)
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={
                "as_of_date": as_of.isoformat(),
                "rows": dg.MetadataValue.int(monthly.height),
                "config_version": config.version,
            },
        )

    return [support_statistics]
