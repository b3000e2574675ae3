"""The dbt project as Dagster assets: staging, intermediate and mart models, their tests as asset checks."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.partitions import as_of_date
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime(project_dir: Path) -> float:
    watched = ["models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml"]
    newest = 0.0
    for name in watched:
        path = project_dir / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or older than any model, macro or seed."""
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(
        project.project_dir
    ):
        DbtCliResource(
            project_dir=str(project.project_dir),
            profiles_dir=str(project.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        ).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys follow the warehouse's schemas: raw/<table> for sources, <schema>/<model> for models."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """All dbt models, built once per run as of the run's last partition date."""

    @dbt_assets(
        manifest=ensure_manifest(),
        project=dbt_project,
        dagster_dbt_translator=WarehouseTranslator(),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def warehouse_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        dbt_vars = {"as_of_date": as_of_date(context).isoformat()}
        yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()

    return warehouse_dbt_models
