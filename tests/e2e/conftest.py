"""Small synthetic histories shared by the end-to-end tests.

`revenue_history`: 120 accounts over 15 months (interval switches both ways, mid-term changes before
the first drop), run once by `csw run` for the revenue tests (test_revenue.py and
test_revenue_defects.py, which breaks copies of it).

`daily_operation`: one small synthetic history, run the way daily operation runs it, shared by the
end-to-end tests of daily operation and the KPI scorecard.

The generator writes a full first drop and three daily incremental drops (d1 … d4). The session
backfills d1 … d2 as one run, then lets the daily schedule drive d3 and d4: its tick at 06:00 UTC on
the next day names the partition, and `csw_daily` is executed in process for it. Finally d4 is run a
second time, for the idempotence test, with the published marts' content hashed before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.definitions import DAILY_JOB_NAME, build_definitions
from orchestration.runner import run_daily_job
from orchestration.schedules import SCHEDULE_NAME
from orchestration.settings import Settings, export_dbt_environment
from synthetic.generator import generate_drops

END = dt.date(2026, 11, 20)
ROOT = Path(__file__).resolve().parents[2]


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


# Run metadata: which run wrote a row and when. Everything else is content and must not change.
RUN_METADATA_COLUMNS = {"run_id", "published_at", "checked_at", "loaded_at", "ingested_at"}


@dataclass(frozen=True)
class DailyOperation:
    settings: Settings
    drop_dates: list[dt.date]
    scheduled_partitions: list[str]
    scheduled_results: list[dg.ExecuteInProcessResult]
    hashes_first: dict[str, str]
    hashes_rerun: dict[str, str]
    rerun_success: bool


def published_mart_hashes(published_db: Path) -> dict[str, str]:
    """sha256 of every published mart's rows, ordered, leaving out run-metadata columns."""
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by table_name"
            ).fetchall()
        ]
        hashes = {}
        for table in tables:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if name not in RUN_METADATA_COLUMNS
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'select {select} from marts."{table}" order by all').fetchall()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(row).encode())
            hashes[table] = f"{len(rows)}:{digest.hexdigest()}"
        return hashes
    finally:
        con.close()


def run_scheduled_day(
    settings: Settings, tick: dt.datetime, instance: dg.DagsterInstance
) -> tuple[str, dg.ExecuteInProcessResult]:
    """Evaluate the daily schedule at `tick` and execute csw_daily for the partition it requests."""
    # This test process is the edge here: the job's dbt steps open the database it names.
    export_dbt_environment(settings)
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    data = schedule.evaluate_tick(
        dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=tick,
            repository_def=defs.get_repository_def(),
        )
    )
    (request,) = data.run_requests
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    result = job.execute_in_process(
        partition_key=request.partition_key, instance=instance, raise_on_error=False
    )
    return request.partition_key, result


@pytest.fixture(scope="session")
def daily_operation(tmp_path_factory: pytest.TempPathFactory) -> DailyOperation:
    root = tmp_path_factory.mktemp("operations")
    summary = generate_drops(
        root / "extracts", accounts=200, months=14, seed=5, end_date=END, incremental_days=3
    )
    dates = list(summary.drop_dates)
    assert len(dates) == 4, dates
    settings = Settings(
        extracts_dir=summary.out_dir, warehouse_dir=root / "warehouse", partitions_start=dates[0]
    )
    backfill = run_daily_job(settings, dates[0], dates[1], progress=lambda _m: None)
    assert backfill.published, backfill.reason

    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    instance = dg.DagsterInstance.local_temp(str(dagster_home))
    partitions, results = [], []
    for day in dates[2:]:
        tick = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
        partition, result = run_scheduled_day(settings, tick, instance)
        partitions.append(partition)
        results.append(result)

    first = published_mart_hashes(settings.published_db)
    rerun = run_daily_job(settings, dates[-1], dates[-1], progress=lambda _m: None)
    second = published_mart_hashes(settings.published_db)
    return DailyOperation(
        settings=settings,
        drop_dates=dates,
        scheduled_partitions=partitions,
        scheduled_results=results,
        hashes_first=first,
        hashes_rerun=second,
        rerun_success=rerun.published,
    )
