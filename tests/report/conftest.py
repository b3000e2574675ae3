"""One small synthetic history, published by the daily job, and its report written by `csw report`,
for the report's end-to-end tests.

The same generated drops as the operations tests' history (200 accounts, 14 months, seed 5, three
daily drops after the first), run as one backfill: the report only needs a publication to read.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.runner import run_daily_job
from orchestration.settings import Settings
from synthetic.generator import generate_drops

END = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def published_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings of a warehouse whose published file holds the generated history."""
    root = tmp_path_factory.mktemp("report_warehouse")
    summary = generate_drops(
        root / "extracts", accounts=200, months=14, seed=5, end_date=END, incremental_days=3
    )
    dates = list(summary.drop_dates)
    settings = Settings(
        extracts_dir=summary.out_dir, warehouse_dir=root / "warehouse", partitions_start=dates[0]
    )
    outcome = run_daily_job(settings, dates[0], dates[-1], progress=lambda _m: None)
    assert outcome.published, outcome.reason
    return settings


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
