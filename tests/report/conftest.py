"""The publication the report's end-to-end tests read, and its report written by `csw report`.

The publication is the daily-operation history (tests/warehouses.py: 200 accounts, 14 months, seed 5,
a full drop and three daily drops), shared with the end-to-end tests of daily operation, engagement,
the KPI scorecard, the CSM book and the events.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import Settings
from tests.warehouses import DailyOperation


@pytest.fixture(scope="session")
def published_warehouse(daily_operation: DailyOperation) -> Settings:
    """The settings of a warehouse whose published file holds the generated history."""
    return daily_operation.settings


@pytest.fixture(scope="session")
def report(published_warehouse: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The leadership report `csw report` writes from the published warehouse."""
    out = tmp_path_factory.mktemp("report") / "leadership_report.html"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "report",
            "--warehouse",
            str(published_warehouse.warehouse_dir),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out
