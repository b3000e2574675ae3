"""The Dagster code location: assembles assets, resources and the daily job. No logic lives here."""

from __future__ import annotations

import dagster as dg

from data_contracts.raw_tables import RAW_TABLES
from orchestration.assets.extract import (
    build_extract_assets,
    build_extract_resources,
    upstream_of_ingest,
)
from orchestration.dbt import build_dbt_assets
from orchestration.gate import build_gate_asset
from orchestration.ingest import build_ingest_assets
from orchestration.jobs import DAILY_JOB_NAME, build_daily_job
from orchestration.partitions import daily_partitions
from orchestration.publish_assets import build_publish_asset
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_schedule, build_new_drop_sensor
from orchestration.settings import Settings
from orchestration.transform_assets import build_transform_assets


def build_definitions(settings: Settings) -> dg.Definitions:
    """Everything the warehouse runs, for one set of paths (the CLI and `dagster dev` share this)."""
    partitions_def = daily_partitions(settings.first_partition)
    raw_tables_by_source: dict[str, list[str]] = {}
    for name, table in RAW_TABLES.items():
        raw_tables_by_source.setdefault(table.source, []).append(name)
    extract_assets = build_extract_assets(partitions_def)  # none unless $CSW_EXTRACT
    ingest_assets = upstream_of_ingest(
        build_ingest_assets(raw_tables_by_source, partitions_def), extract_assets
    )
    dbt_layers = build_dbt_assets(partitions_def)
    transform_assets = build_transform_assets(partitions_def)
    built = [*extract_assets, *ingest_assets, *dbt_layers, *transform_assets]
    gate = build_gate_asset(partitions_def, upstream=built)
    publish = build_publish_asset(partitions_def, upstream=[*built, gate])
    return dg.Definitions(
        assets=[*built, gate, publish],
        jobs=[build_daily_job()],
        schedules=[build_daily_schedule()],
        sensors=[build_new_drop_sensor(settings)],
        resources={**build_resources(settings), **build_extract_resources(settings)},
    )


__all__ = ["DAILY_JOB_NAME", "build_definitions", "defs"]

defs = build_definitions(Settings.from_env())
