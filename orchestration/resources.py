"""Dagster resources: the warehouse's DuckDB build database and the dbt CLI, configured from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings, duckdb_memory_limit


class WarehouseResource(dg.ConfigurableResource):
    """Paths of one warehouse deployment and the only read-write connection to its build database."""

    extracts_dir: str
    warehouse_dir: str

    @property
    def settings(self) -> Settings:
        return Settings(
            extracts_dir=Path(self.extracts_dir), warehouse_dir=Path(self.warehouse_dir)
        )

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


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources every job of the warehouse needs, for one set of paths."""
    settings.export_to_environment()
    return {
        "warehouse": WarehouseResource(
            extracts_dir=str(settings.extracts_dir), warehouse_dir=str(settings.warehouse_dir)
        ),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
