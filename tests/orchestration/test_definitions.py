"""The code location loads as Dagster loads it, and the daily job covers every asset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from data_contracts.raw_tables import RAW_TABLES
from orchestration.definitions import DAILY_JOB_NAME, build_definitions
from orchestration.publish import PUBLISH_KEY
from orchestration.settings import PROJECT_ROOT, Settings


def test_dagster_validates_the_code_location(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CSW_EXTRACTS_DIR": str(tmp_path / "x"),
        "CSW_WAREHOUSE_DIR": str(tmp_path / "w"),
    }
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(PROJECT_ROOT / "workspace.yaml")],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_daily_job_covers_raw_tables_models_and_publish(tmp_path: Path) -> None:
    defs = build_definitions(Settings(extracts_dir=tmp_path / "x", warehouse_dir=tmp_path / "w"))
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    keys = set(job.asset_layer.asset_graph.get_all_asset_keys())
    assert {dg.AssetKey(["raw", name]) for name in RAW_TABLES} <= keys
    assert PUBLISH_KEY in keys
    publish_parents = job.asset_layer.asset_graph.get(PUBLISH_KEY).parent_keys
    assert {dg.AssetKey(["raw", name]) for name in RAW_TABLES} <= publish_parents


def test_building_the_definitions_writes_no_environment_variable(tmp_path: Path) -> None:
    before = dict(os.environ)
    build_definitions(Settings(extracts_dir=tmp_path / "x", warehouse_dir=tmp_path / "w"))
    assert dict(os.environ) == before
