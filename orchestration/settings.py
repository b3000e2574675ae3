"""Where things live: one Settings object, read once at the process edge from environment variables
(defaults under ./data/) or from the command line, and handed to the resources."""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The specification shipped with the code; `csw docs` copies it beside the dbt docs page.
SPEC_DIR = PROJECT_ROOT / "docs" / "spec"
# dbt's command line beside this Python, whether or not the virtual environment is activated:
# `csw-dbt` (orchestration/dbt_child.py), which dies with the process that started it.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "csw-dbt")

ENV_EXTRACTS = "CSW_EXTRACTS_DIR"
ENV_WAREHOUSE = "CSW_WAREHOUSE_DIR"
# The dbt profile reads the same variable, so dbt and Dagster always open the same file.
ENV_DUCKDB_PATH = "CSW_DUCKDB_PATH"
ENV_PARTITIONS_START = "CSW_PARTITIONS_START"
# DuckDB's memory budget for the build database, in DuckDB's notation ("3GB", "50%"); beyond it
# DuckDB spills to disk. Unset: DuckDB's own default, 80% of the machine's memory.
ENV_DUCKDB_MEMORY_LIMIT = "CSW_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY_LIMIT = "80%"


def duckdb_memory_limit() -> str:
    """The memory budget every connection to the build database (ours and dbt's) is opened with."""
    return os.environ.get(ENV_DUCKDB_MEMORY_LIMIT) or DEFAULT_DUCKDB_MEMORY_LIMIT


DEFAULT_PARTITIONS_START = dt.date(2015, 1, 1)


@dataclass(frozen=True)
class Settings:
    """The paths one deployment of the warehouse works with."""

    extracts_dir: Path
    warehouse_dir: Path
    # None: 2015-01-01, or the earliest drop found under extracts_dir when that is earlier.
    partitions_start: dt.date | None = None

    @property
    def first_partition(self) -> dt.date:
        """The first date the daily partitions accept: configured, else 2015-01-01 or an earlier drop."""
        if self.partitions_start is not None:
            return self.partitions_start
        dates = self.drop_dates()
        return min(dates[0], DEFAULT_PARTITIONS_START) if dates else DEFAULT_PARTITIONS_START

    def drop_dates(self) -> list[dt.date]:
        """Every date for which any source has a drop folder, oldest first (folders whose names
        are not dates are skipped: orchestration/drops.py names them)."""
        from orchestration.drops import scan_drops

        return scan_drops(self.extracts_dir).dates

    @property
    def build_db(self) -> Path:
        """The build database: the pipeline is its only writer; analysts never open it."""
        return self.warehouse_dir / "build" / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.warehouse_dir / "published"

    @property
    def published_db(self) -> Path:
        return self.published_dir / "analytics.duckdb"

    @classmethod
    def from_env(cls) -> Settings:
        start = os.environ.get(ENV_PARTITIONS_START)
        try:
            partitions_start = dt.date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise SystemExit(
                f"{ENV_PARTITIONS_START}={start!r} is not a date (YYYY-MM-DD)"
            ) from exc
        return cls(
            extracts_dir=Path(os.environ.get(ENV_EXTRACTS, "data/extracts")).resolve(),
            warehouse_dir=Path(os.environ.get(ENV_WAREHOUSE, "data/warehouse")).resolve(),
            partitions_start=partitions_start,
        )

    def dbt_environment(self) -> dict[str, str]:
        """What a dbt process needs in its environment to open this build database: the dbt
        profile reads env_var(CSW_DUCKDB_PATH)."""
        return {ENV_DUCKDB_PATH: str(self.build_db)}


def export_dbt_environment(settings: Settings) -> None:
    """Point this process's dbt commands at `settings`' build database: the one place the process
    environment is written, called at the process edge (the Dagster code location, the in-process
    runner) before any dbt command runs.

    dagster-dbt 0.29's `DbtCliResource.cli` hands dbt a copy of `os.environ` and takes no
    environment of its own, and it opens dbt's adapter in this process too, so the variable the
    dbt profile reads has to be in this process's environment.
    """
    os.environ.update(settings.dbt_environment())


def dbt_environment_matches(settings: Settings) -> bool:
    """Whether this process's dbt commands would open `settings`' build database."""
    return os.environ.get(ENV_DUCKDB_PATH) == str(settings.build_db)
