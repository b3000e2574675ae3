"""The warehouses the asset tests share: hand-made raw rows built once per session through the
real dbt models (and, for NPS and support, the Dagster assets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.orchestration.assets import engagement_rows, nps_support_rows


@pytest.fixture(scope="session")
def nps_support_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build database after dbt step 1, the NPS and support assets, and their marts."""
    return nps_support_rows.build_warehouse(tmp_path_factory.mktemp("nps_marts"))


@pytest.fixture(scope="session")
def engagement_con(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The engagement, onboarding and expansion inputs dbt built, as of 11-10, whose events file
    is missing."""
    db = engagement_rows.build_warehouse(tmp_path_factory.mktemp("engagement_inputs"))
    connection = duckdb.connect(str(db))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def engagement_covered_con(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The same inputs once the events file of the as-of day (11-10) has arrived."""
    work = tmp_path_factory.mktemp("engagement_inputs_covered")
    db = engagement_rows.build_warehouse(work, as_of_events_loaded=True)
    connection = duckdb.connect(str(db))
    yield connection
    connection.close()
