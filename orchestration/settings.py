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
# The engine dbt builds on (issue #27): duckdb, the default, or spark (orchestration/spark.py).
ENV_ENGINE = "CSW_ENGINE"
ENGINES = ("duckdb", "spark")
# The dbt profile's outputs (dbt_project/profiles.yml) for each engine.
DUCKDB_TARGET = "build"
SPARK_TARGET = "spark"
# Where Spark keeps its tables and its metastore; the dbt profile reads it (CSW_ENGINE=spark).
ENV_SPARK_WAREHOUSE_DIR = "CSW_SPARK_WAREHOUSE_DIR"
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
    # What dbt builds on. On spark the Python side (ingest, transforms, gate, publish) still works
    # in the build database; the dbt layers read their sources from the lake (Parquet) and their
    # tables come back into the build database (orchestration/spark.py).
    engine: str = "duckdb"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine {self.engine!r} is not one of {', '.join(ENGINES)}")

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
    def spark_dir(self) -> Path:
        """Spark's tables (Parquet) and its metastore, when dbt builds on Spark."""
        return self.warehouse_dir / "spark"

    @property
    def lake_dir(self) -> Path:
        """The dbt sources as Parquet, one directory per table, for Spark to read."""
        return self.warehouse_dir / "lake"

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
        engine = os.environ.get(ENV_ENGINE) or "duckdb"
        if engine not in ENGINES:
            raise SystemExit(f"{ENV_ENGINE}={engine!r} is not one of {', '.join(ENGINES)}")
        return cls(
            extracts_dir=Path(os.environ.get(ENV_EXTRACTS, "data/extracts")).resolve(),
            warehouse_dir=Path(os.environ.get(ENV_WAREHOUSE, "data/warehouse")).resolve(),
            partitions_start=partitions_start,
            engine=engine,
        )

    def dbt_environment(self) -> dict[str, str]:
        """What a dbt process needs in its environment to open this build database: the dbt
        profile reads env_var(CSW_DUCKDB_PATH), and on Spark env_var(CSW_SPARK_WAREHOUSE_DIR).
        CSW_ENGINE itself is not set here: the Spark layers pass `--target spark` to the Spark
        environment's dbt, and this process's own dbt (DuckDB's) keeps parsing for DuckDB."""
        environment = {ENV_DUCKDB_PATH: str(self.build_db)}
        if self.engine == "spark":
            from orchestration.spark import spark_dbt

            environment[ENV_SPARK_WAREHOUSE_DIR] = str(self.spark_dir)
            # Spark's Python workers run the Python of the Spark environment (the one with pyspark)
            environment["PYSPARK_PYTHON"] = str(spark_dbt().with_name("python"))
        return environment


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
    """Whether this process's dbt commands would open `settings`' build database (and, on
    Spark, its Spark warehouse)."""
    return all(os.environ.get(name) == value for name, value in settings.dbt_environment().items())
