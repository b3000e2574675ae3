"""The dbt assets run dbt against the build database of their Settings, or not at all."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.dbt import build_dbt_assets
from orchestration.partitions import daily_partitions
from orchestration.resources import build_resources
from orchestration.settings import (
    ENV_DUCKDB_PATH,
    Settings,
    dbt_environment_matches,
    export_dbt_environment,
)


def test_export_points_dbt_at_the_build_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_DUCKDB_PATH, raising=False)
    settings = Settings(extracts_dir=tmp_path / "x", warehouse_dir=tmp_path / "w")
    assert not dbt_environment_matches(settings)
    export_dbt_environment(settings)
    assert dbt_environment_matches(settings)
    assert os.environ[ENV_DUCKDB_PATH] == str(tmp_path / "w" / "build" / "warehouse.duckdb")


def test_a_dbt_step_refuses_to_build_another_database_than_its_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DUCKDB_PATH, str(tmp_path / "elsewhere.duckdb"))
    settings = Settings(extracts_dir=tmp_path / "x", warehouse_dir=tmp_path / "w")
    (first_layer, *_) = build_dbt_assets(daily_partitions(dt.date(2026, 1, 1)))
    result = dg.materialize(
        [first_layer],
        partition_key="2026-11-20",
        resources=build_resources(settings),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error, messages = failure.step_failure_data.error, []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    message = "".join(messages)
    assert f"{ENV_DUCKDB_PATH} does not name the build database {settings.build_db}" in message
    assert not (tmp_path / "elsewhere.duckdb").exists()
