"""Daily operation: a schedule for yesterday's drop and a sensor for complete new drops.

Both start the one job `csw_daily`. A drop date is *complete* when every source the warehouse needs
daily (stripe, app_db, ticketing) has its folder with a `_manifest.json`, which the extract writes
last. Several new complete drops found at once become one run over their date range (the single-run
backfill policy of every asset: ingest reads each drop of the range, the models are built once as of
its last date), the same as `csw run --from … --to …`.

Why not Dagster's `build_schedule_from_partitioned_job`: the partitions admit today's drop
(`end_offset=1`, orchestration/partitions.py), and the helper's tick requests the newest partition
at tick time, which is then today's, not yet delivered (measured with dagster 1.13: a 06:00 tick on
2026-12-05 asked for 2026-12-05). The schedule asks for yesterday's, with a cron an operator sets
freely ($CSW_SCHEDULE_CRON), which the helper's hour/minute fields do not express either.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from ingest.manifest import MANIFEST
from orchestration.jobs import DAILY_JOB_NAME
from orchestration.settings import Settings

ENV_SCHEDULE_CRON = "CSW_SCHEDULE_CRON"
DEFAULT_SCHEDULE_CRON = "0 6 * * *"
SCHEDULE_TIMEZONE = "UTC"
SCHEDULE_NAME = "csw_daily_schedule"
SENSOR_NAME = "csw_new_drop_sensor"
REQUIRED_SOURCES = ("stripe", "app_db", "ticketing")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def schedule_cron() -> str:
    """The daily schedule's cron expression: $CSW_SCHEDULE_CRON, else 06:00 UTC."""
    cron = os.environ.get(ENV_SCHEDULE_CRON, DEFAULT_SCHEDULE_CRON).strip()
    if len(cron.split()) != 5:
        raise SystemExit(
            f"{ENV_SCHEDULE_CRON}={cron!r} is not a five-field cron expression (e.g. '0 6 * * *')"
        )
    return cron


def previous_day_partition(scheduled_at: dt.datetime) -> str:
    """The partition a tick processes: the drop of the day before the tick (in UTC)."""
    if scheduled_at.tzinfo is not None:
        scheduled_at = scheduled_at.astimezone(dt.UTC)
    return (scheduled_at.date() - dt.timedelta(days=1)).isoformat()


def complete_drop_dates(extracts_dir: Path) -> list[dt.date]:
    """Drop dates for which every required source has its folder and its manifest, oldest first."""
    per_source: list[set[dt.date]] = []
    for source in REQUIRED_SOURCES:
        source_dir = extracts_dir / source
        dates: set[dt.date] = set()
        if source_dir.is_dir():
            for folder in source_dir.iterdir():
                if not (folder / MANIFEST).is_file():
                    continue
                try:
                    dates.add(dt.date.fromisoformat(folder.name))
                except ValueError:
                    continue
        per_source.append(dates)
    return sorted(set.intersection(*per_source))


def new_drop_run_request(
    extracts_dir: Path, last_processed: dt.date | None
) -> tuple[dg.RunRequest | None, dt.date | None]:
    """One run request over every complete drop after `last_processed`, and the new cursor date."""
    fresh = [
        d for d in complete_drop_dates(extracts_dir) if last_processed is None or d > last_processed
    ]
    if not fresh:
        return None, last_processed
    first, last = fresh[0], fresh[-1]
    if first == last:
        request = dg.RunRequest(run_key=f"drop-{last.isoformat()}", partition_key=last.isoformat())
    else:
        request = dg.RunRequest(
            run_key=f"drops-{first.isoformat()}-{last.isoformat()}",
            tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
        )
    return request, last


def build_daily_schedule() -> dg.ScheduleDefinition:
    """Every day at the configured time, the previous day's partition of `csw_daily`."""

    @dg.schedule(
        name=SCHEDULE_NAME,
        cron_schedule=schedule_cron(),
        execution_timezone=SCHEDULE_TIMEZONE,
        job_name=DAILY_JOB_NAME,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Yesterday's drop end to end through publish (cron from $CSW_SCHEDULE_CRON, "
        "default 06:00 UTC).",
    )
    def csw_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        partition = previous_day_partition(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"scheduled-{partition}", partition_key=partition)

    return csw_daily_schedule


def build_new_drop_sensor(settings: Settings) -> dg.SensorDefinition:
    """A run as soon as a complete new drop lands; the cursor is the last drop date requested."""

    @dg.sensor(
        name=SENSOR_NAME,
        job_name=DAILY_JOB_NAME,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts csw_daily when stripe, app_db and ticketing all have a new drop with a "
        "_manifest.json under the extracts directory.",
    )
    def csw_new_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        last = dt.date.fromisoformat(context.cursor) if context.cursor else None
        request, newest = new_drop_run_request(settings.extracts_dir, last)
        if request is None:
            return dg.SensorResult(
                skip_reason=f"no complete new drop under {settings.extracts_dir} after {last}"
            )
        return dg.SensorResult(run_requests=[request], cursor=newest.isoformat())

    return csw_new_drop_sensor
