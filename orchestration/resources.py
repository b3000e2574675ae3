"""Dagster resources: the warehouse's DuckDB build database and the dbt CLI, for one Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings, duckdb_memory_limit


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


def build_resources(settings: Settings) -> dict[str, object]:
    """The resources every job of the warehouse needs, for one set of paths."""
    return {
        "warehouse": Warehouse(settings),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
