"""The Dagster code location: assembles assets, resources and the daily job. No logic lives here."""

from __future__ import annotations

import dagster as dg

from data_contracts.raw_tables import RAW_TABLES
from orchestration.assets import (
    calibration,
    churn_signals,
    engagement,
    expansion,
    health,
    lifecycle,
    nps,
    onboarding,
    risk_cases,
    support,
)
from orchestration.assets.dbt import build_dbt_assets
from orchestration.assets.extract import (
    build_extract_assets,
    build_extract_resources,
    upstream_of_ingest,
)
from orchestration.assets.ingest import build_ingest_assets
from orchestration.gate.asset import build_gate_asset
from orchestration.jobs import DAILY_JOB_NAME, build_daily_job
from orchestration.notify_sensor import build_notify_job, build_notify_sensor
from orchestration.partitions import daily_partitions
from orchestration.publish import build_publish_asset
from orchestration.resources import build_resources
from orchestration.schedules import build_daily_schedule, build_new_drop_sensor
from orchestration.settings import Settings, export_dbt_environment

# The areas whose assets run between the two dbt steps, each `orchestration/assets/<area>.py` with a
# `build_assets(partitions_def)`. Dagster orders the assets by their dependencies, not by this list.
AREAS = (
    health,
    churn_signals,
    lifecycle,
    calibration,
    engagement,
    onboarding,
    expansion,
    nps,
    support,
    risk_cases,
)


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
    area_assets = [asset for area in AREAS for asset in area.build_assets(partitions_def)]
    built = [*extract_assets, *ingest_assets, *dbt_layers, *area_assets]
    gate = build_gate_asset(partitions_def, upstream=built)
    publish = build_publish_asset(partitions_def, upstream=[*built, gate])
    notify_job = build_notify_job(settings)
    return dg.Definitions(
        assets=[*built, gate, publish],
        jobs=[build_daily_job(), notify_job],
        schedules=[build_daily_schedule()],
        sensors=[build_new_drop_sensor(settings), build_notify_sensor(notify_job)],
        resources={**build_resources(settings), **build_extract_resources(settings)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location `dagster dev` loads (workspace.yaml): paths from the environment, read
    once here, the process edge of every Dagster process that loads it."""
    settings = Settings.from_env()
    export_dbt_environment(settings)
    return build_definitions(settings)


__all__ = ["DAILY_JOB_NAME", "build_definitions", "defs"]
