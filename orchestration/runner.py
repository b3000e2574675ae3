"""Run the daily job in process, as the CLI and tests do, and say plainly why a run did not publish."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.settings import Settings, export_dbt_environment

DATA_STOP_ERRORS = (
    "DataStopError",
    "ExtractFileError",
    "DagsterDbtCliRuntimeError",
    "DagsterAssetCheckFailedError",
)


@dataclass(frozen=True)
class RunOutcome:
    published: bool
    as_of: dt.date | None
    reason: str = ""
    data_stopped: bool = False
    run_id: str | None = None


def processed_dates(build_db: Path) -> set[dt.date]:
    """Drop dates the build database has already ingested (from its ingest log)."""
    if not build_db.exists():
        return set()
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema='audit' and table_name='ingest_log'"
        ).fetchone()[0]
        if not exists:
            return set()
        rows = con.execute(
            "select distinct drop_date from audit.ingest_log where status <> 'missing_drop'"
        ).fetchall()
        return {row[0] for row in rows}
    finally:
        con.close()


def pending_range(settings: Settings) -> tuple[dt.date, dt.date] | None:
    """The dates a run with no date processes: from the oldest unprocessed drop to the newest drop."""
    available = settings.drop_dates()
    unprocessed = [d for d in available if d not in processed_dates(settings.build_db)]
    if not unprocessed:
        return None
    return unprocessed[0], available[-1]


def run_daily_job(
    settings: Settings,
    date_from: dt.date | None,
    date_to: dt.date | None,
    progress: Callable[[str], None] = print,
    instance: dg.DagsterInstance | None = None,
) -> RunOutcome:
    """Materialise the daily job for a date range (or the pending drops) and report the outcome."""
    from orchestration.definitions import DAILY_JOB_NAME, build_definitions

    if date_from is None or date_to is None:
        pending = pending_range(settings)
        if pending is None:
            if not settings.drop_dates():
                return RunOutcome(
                    False, None, f"no drops found under {settings.extracts_dir}", data_stopped=True
                )
            return RunOutcome(
                False, None, "every drop has been processed already; pass --date to re-run one"
            )
        date_from, date_to = pending
    if date_from > date_to:
        return RunOutcome(False, None, f"--from {date_from} is after --to {date_to}")
    if date_from < settings.first_partition:
        return RunOutcome(
            False,
            None,
            f"{date_from} is before the first partition {settings.first_partition}; "
            "set CSW_PARTITIONS_START to an earlier date",
        )

    progress(f"running {DAILY_JOB_NAME} for drops {date_from} … {date_to} (as of {date_to})")
    # The in-process edge: the job's dbt steps open the build database named in the environment.
    export_dbt_environment(settings)
    defs = build_definitions(settings)
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    result = job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": date_from.isoformat(),
            "dagster/asset_partition_range_end": date_to.isoformat(),
        },
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    return _outcome(result, date_to, settings.build_db)


def failed_checks(build_db: Path, run_id: str) -> list[str]:
    """The gate's failed rules of a run, each with its target and figures (from audit.check_results)."""
    if not build_db.exists():
        return []
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema='audit' and table_name='check_results'"
        ).fetchall()[0][0]
        if not exists:
            return []
        rows = con.execute(
            """
            select rule, target, observed_value, threshold, message from audit.check_results
            where run_id = ? and status = 'fail' order by rule, target
            """,
            [run_id],
        ).fetchall()
    finally:
        con.close()
    return [
        f"{rule} failed on {target}: {message} (observed {observed}; threshold {threshold})"
        for rule, target, observed, threshold, message in rows
    ]


def _outcome(result: dg.ExecuteInProcessResult, as_of: dt.date, build_db: Path) -> RunOutcome:
    from orchestration.publish import PUBLISH_KEY

    published = result.success and any(
        event.asset_key == PUBLISH_KEY for event in result.get_asset_materialization_events()
    )
    if published:
        return RunOutcome(True, as_of, run_id=result.run_id)
    failures = [event for event in result.all_events if event.is_step_failure]
    reasons: list[str] = []
    data_stopped = False
    for event in failures:
        error = event.step_failure_data.error
        chain = []
        while error is not None:
            chain.append(error)
            error = error.cause
        names = {e.cls_name for e in chain}
        if names & set(DATA_STOP_ERRORS):
            data_stopped = True
        if "DagsterAssetCheckFailedError" in names:
            checks = failed_checks(build_db, result.run_id)
            if checks:
                reasons.extend(checks)
                continue
        deepest = next((e for e in chain if e.cls_name in DATA_STOP_ERRORS), chain[-1])
        message = deepest.message.strip().removeprefix(f"{deepest.cls_name}: ")
        message = re.sub(r"^[\w.]+\.(\w+Error): ", "", message)
        reasons.append(f"step {event.step_key}: {message}")
    if not reasons:
        reasons.append(
            "the run did not reach publish (a blocking check failed or a step was skipped)"
        )
        data_stopped = True
    return RunOutcome(
        False, as_of, "; ".join(reasons), data_stopped=data_stopped, run_id=result.run_id
    )
