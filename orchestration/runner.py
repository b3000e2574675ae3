"""Run the daily job in process, as the CLI and tests do, and say plainly why a run did not publish."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.instance import warehouse_instance
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
    nothing_to_do: bool = False
    # A crash's tracebacks (what failed that neither the data nor a rule explains).
    traceback: str = ""


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
    """The dates a run with no date processes: from the oldest pending drop (orchestration/
    drops.py: not loaded, changed since, or not yet published) to the newest drop."""
    from orchestration.drops import pending_dates, scan_drops, warehouse_state

    scan = scan_drops(settings.extracts_dir)
    state = warehouse_state(settings.build_db, settings.published_db)
    pending = pending_dates(scan, settings.extracts_dir, state, settings.first_partition)
    if not pending:
        return None
    return pending[0], scan.dates[-1]


def run_daily_job(
    settings: Settings,
    date_from: dt.date | None,
    date_to: dt.date | None,
    progress: Callable[[str], None] = print,
    instance: dg.DagsterInstance | None = None,
    listener: Callable[[dg.EventLogEntry], None] | None = None,
) -> RunOutcome:
    """Materialise the daily job for a date range (or the pending drops) and report the outcome;
    `listener` is given every event of the run as it happens (orchestration/run_log.py)."""
    from orchestration.definitions import DAILY_JOB_NAME, build_definitions

    if date_from is None or date_to is None:
        pending = pending_range(settings)
        if pending is None:
            if not settings.drop_dates():
                return RunOutcome(
                    False, None, f"no drops found under {settings.extracts_dir}", data_stopped=True
                )
            return RunOutcome(
                False,
                None,
                "nothing new: every drop has been loaded and published; pass --date to run "
                "one again",
                nothing_to_do=True,
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
    if instance is None:
        # The warehouse's own instance: the run, its materialisations and check results stay on
        # record for `csw ui` (dagster dev).
        with warehouse_instance(settings) as persistent:
            result = _execute(job, persistent, date_from, date_to, listener)
    else:
        result = _execute(job, instance, date_from, date_to, listener)
    return _outcome(result, date_to, settings.build_db)


def _execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    date_from: dt.date,
    date_to: dt.date,
    listener: Callable[[dg.EventLogEntry], None] | None,
) -> dg.ExecuteInProcessResult:
    """Execute the job in process for a range of partitions on `instance`."""
    # The run id is chosen here so the listener can subscribe before the first event.
    run_id = str(uuid.uuid4())
    if listener is not None:
        instance.add_event_listener(run_id, listener)
    return job.execute_in_process(
        instance=instance,
        run_id=run_id,
        tags={
            "dagster/asset_partition_range_start": date_from.isoformat(),
            "dagster/asset_partition_range_end": date_to.isoformat(),
        },
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )


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


_FAILED_TEST = re.compile(r"Failure in test (\w+)")


def dbt_tests_failed(message: str) -> bool:
    """Whether dbt stopped on failed tests only (the data), not on an error of dbt or a model."""
    return bool(_FAILED_TEST.search(message)) and " Error in " not in message


def dbt_test_failures(build_db: Path, message: str, examples: int = 3) -> str:
    """The failed dbt tests named in `message`, each with the rows it stored (tests configured
    with store_failures: their `problem` column, else the row), so the data at fault is named."""
    names = list(dict.fromkeys(_FAILED_TEST.findall(message)))
    described = []
    con = duckdb.connect(str(build_db), read_only=True) if build_db.exists() else None
    try:
        for name in names:
            rows = _stored_failures(con, name, examples) if con is not None else []
            described.append(f"dbt test {name} failed" + (": " + "; ".join(rows) if rows else ""))
    finally:
        if con is not None:
            con.close()
    return "; ".join(described)


def _stored_failures(con: duckdb.DuckDBPyConnection, test: str, examples: int) -> list[str]:
    stored = con.execute(
        "select table_schema from information_schema.tables where table_name = ?", [test]
    ).fetchall()
    if not stored:
        return []
    frame = con.sql(f'select * from "{stored[0][0]}"."{test}" limit {examples}').pl()
    if "problem" in frame.columns:
        return [str(p) for p in frame["problem"].to_list()]
    return [", ".join(f"{k}={v}" for k, v in row.items()) for row in frame.iter_rows(named=True)]


def _outcome(result: dg.ExecuteInProcessResult, as_of: dt.date, build_db: Path) -> RunOutcome:
    from orchestration.publish import PUBLISH_KEY

    published = result.success and any(
        event.asset_key == PUBLISH_KEY for event in result.get_asset_materialization_events()
    )
    if published:
        return RunOutcome(True, as_of, run_id=result.run_id)
    failures = [event for event in result.all_events if event.is_step_failure]
    reasons: list[str] = []
    traces: list[str] = []
    data_stopped = False
    for event in failures:
        error = event.step_failure_data.error
        chain = []
        while error is not None:
            chain.append(error)
            error = error.cause
        names = {e.cls_name for e in chain}
        dbt_error = next((e for e in chain if e.cls_name == "DagsterDbtCliRuntimeError"), None)
        if dbt_error is not None and not dbt_tests_failed(dbt_error.message):
            names.discard("DagsterDbtCliRuntimeError")  # dbt itself failed, not a test
        if names & set(DATA_STOP_ERRORS):
            data_stopped = True
        else:
            traces.append(f"step {event.step_key}:\n{event.step_failure_data.error.to_string()}")
        if dbt_error is not None and dbt_tests_failed(dbt_error.message):
            reasons.append(
                f"step {event.step_key}: {dbt_test_failures(build_db, dbt_error.message)}"
            )
            continue
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
        False,
        as_of,
        "; ".join(reasons),
        # Any failure that is not the data's makes the run a crash, whatever else stopped it.
        data_stopped=data_stopped and not traces,
        run_id=result.run_id,
        traceback="\n".join(traces),
    )
