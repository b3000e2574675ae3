"""The dbt project as Dagster assets: staging, intermediate and mart models, their tests as asset checks."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.settings import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    DUCKDB_TARGET,
    ENV_DUCKDB_PATH,
    dbt_environment_matches,
)

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
            # DuckDB's manifest whatever CSW_ENGINE says: this environment's dbt has no Spark
            target=DUCKDB_TARGET,
        ).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys follow the warehouse's tables: raw/<table> and transforms/<table> for sources, <schema>/<table>
    for models (a model's alias when it has one), so a key names the table an analyst would query."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


# Python transforms (health, NPS statistics, ...) read dbt models and write tables in schema
# `transforms`, which dbt declares as the source `transforms`. The dbt project therefore runs in two
# steps: everything not downstream of those tables, then everything that is.
AFTER_TRANSFORMS = "source:transforms+"


def _has_transform_sources(manifest_path: Path) -> bool:
    manifest = json.loads(manifest_path.read_text())
    return any(source["source_name"] == "transforms" for source in manifest["sources"].values())


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The dbt models as one or two steps, each built once per run as of the run's last partition date."""
    manifest = ensure_manifest()
    layers = [("dbt_models", "fqn:*", AFTER_TRANSFORMS)]
    if _has_transform_sources(manifest):
        layers = [
            ("dbt_models", "fqn:*", AFTER_TRANSFORMS),
            ("dbt_models_after_transforms", AFTER_TRANSFORMS, ""),
        ]
    return [
        _dbt_layer(name, select, exclude, manifest, partitions_def)
        for name, select, exclude in layers
    ]


def _dbt_layer(
    name: str, select: str, exclude: str, manifest: Path, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    @dbt_assets(
        name=name,
        manifest=manifest,
        project=dbt_project,
        select=select,
        exclude=exclude,
        # The tests on dbt sources (the raw tables ingest writes, the transforms' tables) are asset
        # checks of those assets: otherwise dbt's indirect selection runs them outside Dagster's
        # check selection and dagster-dbt logs a warning per test and run.
        dagster_dbt_translator=WarehouseTranslator(
            settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
        ),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
    )
    def dbt_layer(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        # dbt finds the build database in the environment (settings.export_dbt_environment); a
        # process that skipped that would have dbt build another file than the one Python reads.
        if not dbt_environment_matches(warehouse.settings):
            raise RuntimeError(
                f"{ENV_DUCKDB_PATH} does not name the build database {warehouse.settings.build_db}; "
                "call orchestration.settings.export_dbt_environment(settings) at the process edge "
                "before running the job"
            )
        dbt_vars = {"as_of_date": as_of_date(context).isoformat()}
        build = ["build", "--vars", json.dumps(dbt_vars)]
        if warehouse.settings.engine == "spark":
            yield from _build_on_spark(context, dbt, warehouse, build, manifest)
        else:
            yield from dbt.cli(build, context=context).stream()

    return dbt_layer


def _build_on_spark(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    build: list[str],
    manifest: Path,
):
    """One dbt layer on Spark (issue #27): the sources go to the lake (new and changed drops only)
    and into Spark's metastore, the Spark environment's dbt builds the layer there (its events
    stream into Dagster as DuckDB's do), and the tables it built become views of the build database
    over Spark's Parquet files, where the transforms, the gate and publish read them as after a
    DuckDB build."""
    from orchestration.spark import (
        link_spark_tables,
        manifest_relations,
        register_sources,
        spark_dbt,
        spark_environment,
        sync_lake,
    )

    settings = warehouse.settings
    sources, built = manifest_relations(manifest)
    with warehouse.connect() as con:
        exported = sync_lake(con, settings.lake_dir, sources)
    context.log.info(f"lake: {len(exported)} source tables under {settings.lake_dir}")
    spark = spark_dbt()
    registered = register_sources(
        spark,
        settings.lake_dir,
        sorted(exported, key=str),
        spark_environment(settings.spark_dir, spark),
        settings.spark_dir / "dbt",
    )
    if registered.returncode != 0:
        raise RuntimeError(
            "Spark could not register the lake's tables:\n"
            + (registered.stdout + registered.stderr)[-4000:]
        )
    yield from dbt.cli(build, context=context).stream()
    selected = {tuple(key.path) for key in context.selected_asset_keys}
    layer = [r for r in built if (r.schema, r.name) in selected]
    with warehouse.connect() as con:
        missing = link_spark_tables(con, settings.spark_dir, layer)
    if missing:
        raise RuntimeError(
            "Spark wrote no files for "
            + ", ".join(map(str, missing))
            + f" under {settings.spark_dir}"
        )
    context.log.info(f"{len(layer)} tables Spark built linked into {settings.build_db} as views")
