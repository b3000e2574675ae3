"""Small synthetic histories shared by the end-to-end tests.

`revenue_history`: 120 accounts over 15 months (interval switches both ways, mid-term changes before
the first drop), run once by `csw run` for the revenue tests (test_revenue.py and
test_revenue_defects.py, which breaks copies of it).

`health_run`: 300 accounts over 14 months (seed 7) as a full drop and one daily drop, published by
`csw run` as of the first and then of the next day, for the health and NPS tests.

The daily-operation history (`daily_operation`) is in tests/warehouses.py: the report reads it too.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

END = dt.date(2026, 11, 20)
ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("stripe", "app_db", "ticketing", "fx_rates")


def csw(*args: str, timeout: int = 1500) -> subprocess.CompletedProcess[str]:
    """Run the real command line (`csw ...`) from the repository root, on the warehouse's own
    Dagster instance (a DAGSTER_HOME of the person running the tests is left out)."""
    environment = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=environment,
    )


@dataclass(frozen=True)
class CliRun:
    """A `csw run` of the real command line and what it printed."""

    extracts: Path
    warehouse: Path
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def revenue_run(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """A generated history with interval switches and mid-term changes before the first drop,
    run through `csw run` (published), with the run's terminal output."""
    root = tmp_path_factory.mktemp("revenue_synthetic")
    extracts = root / "extracts"
    generated = csw(
        "generate", "--accounts", "120", "--months", "15", "--seed", "11",
        "--incremental-days", "3", "--out", str(extracts),
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]
    result = csw("run", "--extracts", str(extracts), "--warehouse", str(root / "warehouse"))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return CliRun(extracts, root / "warehouse", result)


@pytest.fixture(scope="session")
def revenue_history(revenue_run: CliRun) -> tuple[Path, Path]:
    """Extracts and warehouse of `revenue_run` (published)."""
    return revenue_run.extracts, revenue_run.warehouse


@dataclass(frozen=True)
class HealthRun:
    """The health history: its extracts, its warehouse (published as of `next_day`), and what the
    first publication (as of `first_as_of`) held."""

    extracts: Path
    warehouse: Path
    first_build: Path
    ground_truth: Path
    first_as_of: dt.date
    next_day: dt.date
    scores_first: pl.DataFrame
    scores_next: pl.DataFrame
    calibration: pl.DataFrame


def _published(warehouse: Path, query: str) -> pl.DataFrame:
    con = duckdb.connect(str(warehouse / "published" / "analytics.duckdb"), read_only=True)
    try:
        return pl.from_arrow(con.sql(query).to_arrow_table())
    finally:
        con.close()


@pytest.fixture(scope="session")
def health_run(tmp_path_factory: pytest.TempPathFactory) -> HealthRun:
    """300 accounts × 14 months (seed 7): the full drop published, then its next daily drop."""
    root = tmp_path_factory.mktemp("health_synthetic")
    extracts, held, warehouse = root / "extracts", root / "held", root / "warehouse"
    generated = csw(
        "generate", "--accounts", "300", "--months", "14", "--seed", "7",
        "--incremental-days", "1", "--out", str(extracts),
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr[-3000:]
    drops = sorted(
        dt.date.fromisoformat(p.name) for p in (extracts / "app_db").iterdir() if p.is_dir()
    )
    assert len(drops) == 2, drops
    first_as_of, next_day = drops
    for source in SOURCES:
        day_dir = extracts / source / next_day.isoformat()
        if day_dir.exists():
            (held / source).mkdir(parents=True)
            shutil.move(str(day_dir), str(held / source / next_day.isoformat()))

    first = csw("run", "--extracts", str(extracts), "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    scores_first = _published(warehouse, "select * from marts.health_scores_daily")
    first_build = root / "first_build.duckdb"
    shutil.copy(warehouse / "build" / "warehouse.duckdb", first_build)
    calibration = _published(warehouse, "select * from audit.health_calibration")

    for source in SOURCES:
        if (held / source).exists():
            shutil.move(
                str(held / source / next_day.isoformat()),
                str(extracts / source / next_day.isoformat()),
            )
    second = csw(
        "run", "--extracts", str(extracts), "--warehouse", str(warehouse),
        "--date", next_day.isoformat(),
    )  # fmt: skip
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-4000:]
    scores_next = _published(warehouse, "select * from marts.health_scores_daily")
    return HealthRun(
        extracts=extracts,
        warehouse=warehouse,
        first_build=first_build,
        ground_truth=Path(f"{extracts}_ground_truth"),
        first_as_of=first_as_of,
        next_day=next_day,
        scores_first=scores_first,
        scores_next=scores_next,
        calibration=calibration,
    )
