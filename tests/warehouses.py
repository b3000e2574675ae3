"""The daily-operation history every end-to-end area shares: one small synthetic history run the way
daily operation runs it.

The generator writes a full first drop and three daily incremental drops (d1 … d4) of 200 accounts
over 14 months (seed 5). The session backfills d1 … d2 as one run, then lets the daily schedule drive
d3 and d4: its tick at 06:00 UTC on the next day names the partition, and `csw_daily` is executed in
process for it. Finally d4 is run a second time, for the idempotence test, with the published marts'
content hashed before and after. The daily-operation, KPI, engagement and report tests read this one
publication (tests/conftest.py makes it a session fixture): none of them writes to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.definitions import DAILY_JOB_NAME, build_definitions
from orchestration.runner import run_daily_job
from orchestration.schedules import SCHEDULE_NAME
from orchestration.settings import Settings, export_dbt_environment
from synthetic.generator import generate_drops

END = dt.date(2026, 11, 20)


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


def operate(root: Path) -> DailyOperation:
    """Generate the history under `root` and run it as daily operation does."""
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
