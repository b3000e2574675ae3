"""`csw run` argument errors. (An unreadable file stopping a run with exit 2 is tested on the faults'
session warehouse: tests/e2e/faults/test_unreadable_file.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CSW = [sys.executable, "-m", "orchestration.cli"]


def _csw(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([*CSW, *args], capture_output=True, text=True, timeout=900, env=env)


def test_usage_error_exits_64(tmp_path: Path) -> None:
    # the exit-code contract: 64 a usage error, nothing changed (1 is a crash)
    result = _csw("run", "--extracts", str(tmp_path), "--from", "2026-01-02")
    assert result.returncode == 64
    assert "--from and --to go together" in result.stderr


def test_an_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    result = _csw("run", "--extracts", str(tmp_path), "--engine", "snowflake")
    assert result.returncode == 64
    assert "invalid choice: 'snowflake'" in result.stderr
    result = _csw("run", "--extracts", str(tmp_path), env_extra={"CSW_ENGINE": "snowflake"})
    assert result.returncode == 64
    assert "CSW_ENGINE='snowflake' is not one of duckdb, spark" in result.stderr


def test_spark_without_its_environment_says_how_to_get_it(tmp_path: Path) -> None:
    result = _csw(
        "run",
        "--extracts",
        str(tmp_path / "extracts"),
        "--warehouse",
        str(tmp_path / "warehouse"),
        "--engine",
        "spark",
        env_extra={"CSW_SPARK_DBT": str(tmp_path / "no-such-env" / "bin" / "dbt")},
    )
    assert result.returncode == 64
    assert "--engine spark: no dbt for Spark at" in result.stderr
    assert "make setup-spark" in result.stderr
    # nothing was created: the run never started
    assert not (tmp_path / "warehouse").exists()
