"""The dbt project on Apache Spark builds what it builds on DuckDB (issue #27, the dbt layer).

The sources of the daily-operation build (ingest's raw tables, the ingest log, the transforms'
outputs) are exported to Parquet and registered in Spark; dbt then builds every seed, model, data
test and unit test on Spark (session mode, local[2]) and, from the same sources, on DuckDB (a full
build of a copy of the build database, as of the same day). Every relation dbt builds is then read
from both (Spark's Parquet files through DuckDB, not through Spark) and compared: the same columns,
the same rows, doubles and decimals within 10 significant digits (orchestration/compare.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.assets.dbt import ensure_manifest
from orchestration.spark import build_on_both_engines
from tests.warehouses import DailyOperation

pytestmark = pytest.mark.slow


def test_the_dbt_project_builds_the_same_tables_on_spark_as_on_duckdb(
    daily_operation: DailyOperation, tmp_path: Path
) -> None:
    parity = build_on_both_engines(
        daily_operation.settings.build_db,
        max(daily_operation.drop_dates).isoformat(),
        tmp_path,
        ensure_manifest(),
    )
    # every source the project declares was in the build database and went to Spark
    assert set(parity.exported) == set(parity.declared_sources)
    # every seed, model, data test and unit test passed on both engines
    assert parity.failures == {}
    assert parity.missing_on_spark == []
    assert parity.differences == []
