"""NPS asset (metrics.md §7): survey responses and sends from staging in, the NPS tables out.

It summarises responses and sends per period and segment, lists survey-fatigue breaches and
detractor follow-up, and keeps the responses with their comments redacted (`transforms/nps.py`,
config/nps.yml); the dbt marts over these tables are thin.
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
from orchestration.config import load_nps_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_table
from transforms.nps import nps_tables

NPS_TABLES = ("nps_summary", "nps_responses", "nps_survey_fatigue", "nps_detractor_follow_up")


def read_nps_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Responses and sends from staging, each with its account's segment. Those of accounts app_db
    never had are orphans: left out, so they are never published in a segment (rule 7 counts and
    names them); an account deleted since keeps its segment."""
    responses = read_frame(
        con,
        """
        select r.response_id, r.send_id, r.account_id, r.user_id, a.segment, r.score,
               r.comment, r.submitted_at, r.followed_up_at
        from staging.stg_app_db__nps_responses as r
        inner join staging.stg_app_db__accounts_with_deleted as a on a.account_id = r.account_id
        """,
    )
    sends = read_frame(
        con,
        """
        select s.send_id, s.account_id, s.user_id, a.segment, s.sent_at
        from staging.stg_app_db__nps_survey_sends as s
        inner join staging.stg_app_db__accounts_with_deleted as a on a.account_id = s.account_id
        """,
    )
    return responses, sends


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The four NPS tables, written together."""
    specs = [
        dg.AssetSpec(
            key=table_key(table),
            deps=[
                staging_key("stg_app_db__nps_responses"),
                staging_key("stg_app_db__nps_survey_sends"),
                staging_key("stg_app_db__accounts_with_deleted"),
            ],
            description=f"transforms.nps.{table}: NPS statistics as of the run's date (metrics.md §7).",
            **SPEC_OPTIONS,
        )
        for table in NPS_TABLES
    ]

    @dg.multi_asset(
        name="nps_statistics", specs=specs, partitions_def=partitions_def, **RUN_OPTIONS
    )
    def nps_statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_nps_config()
        with warehouse.connect() as con:
            responses, sends = read_nps_inputs(con)
            tables = nps_tables(responses, sends, config, as_of)
            for table, frame in tables.items():
                replace_table(con, SCHEMA, table, frame)
        for spec in specs:
            table = spec.key.path[-1]
            yield dg.MaterializeResult(
                asset_key=spec.key,
                metadata={
                    "as_of_date": as_of.isoformat(),
                    "rows": dg.MetadataValue.int(tables[table].height),
                    "config_version": config.version,
                },
            )

    return [nps_statistics]
