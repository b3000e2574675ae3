"""Dagster resources: the warehouse's DuckDB build database and the dbt CLI, for one Settings.

The warehouse resource holds the warehouse's run lock (orchestration/run_lock.py) for the length
of a run, so a run launched from the Dagster UI and a `csw run` never write the warehouse at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from orchestration.run_lock import exclusive_run
from orchestration.settings import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    DUCKDB_TARGET,
    SPARK_TARGET,
    Settings,
    duckdb_memory_limit,
)


@dataclass(frozen=True)
class Warehouse:
    """One deployment's paths and the only read-write connection to its build database."""

    settings: Settings

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the build database read-write. DuckDB allows one writer per file; steps run in series."""
        path = self.settings.build_db
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), config={"memory_limit": duckdb_memory_limit()})
        try:
            yield con
        finally:
            con.close()


# The annotation an asset takes the warehouse with. Dagster passes a plain object such as
# `Warehouse` (its Settings hold Paths, which Dagster config cannot) only to parameters it marks
# as a resource.
WarehouseResource = dg.ResourceParam[Warehouse]


def locked_warehouse(settings: Settings) -> dg.ResourceDefinition:
    """The warehouse as a resource that holds the run lock while a run uses it (re-entrant: the
    CLI holds it already for the runs it starts)."""

    @dg.resource(description="The build database of one warehouse, locked for the run.")
    def warehouse(init_context: dg.InitResourceContext) -> Iterator[Warehouse]:
        with exclusive_run(
            settings.warehouse_dir,
            settings.published_dir,
            f"dagster run {init_context.run.run_id if init_context.run else ''}".strip(),
            init_context.log.info if init_context.log else print,
        ):
            yield Warehouse(settings)

    return warehouse


def build_resources(settings: Settings) -> dict[str, object]:
    """The resources every job of the warehouse needs, for one set of paths: dbt is this
    environment's (dbt-duckdb) or, on Spark, the Spark environment's (orchestration/spark.py)."""
    if settings.engine == "spark":
        from orchestration.spark import spark_dbt

        executable, target = str(spark_dbt()), SPARK_TARGET
    else:
        executable, target = DBT_EXECUTABLE, DUCKDB_TARGET
    return {
        "warehouse": locked_warehouse(settings),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=executable,
            target=target,
        ),
    }
