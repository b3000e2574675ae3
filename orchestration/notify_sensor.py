"""The csw_notify_sensor (no `from __future__ import annotations`: Dagster checks the context
hint at runtime). After each successful csw_daily run (it published), a `csw_notify` run
delivers the new events the way `csw notify` does. Off by default; it needs CSW_WEBHOOK_URL
(and CSW_WEBHOOK_SECRET; CSW_WEBHOOK_FORMAT json or slack, default json)."""

import os

import dagster as dg

from orchestration.jobs import DAILY_JOB_NAME
from orchestration.settings import Settings

NOTIFY_JOB_NAME = "csw_notify"
NOTIFY_SENSOR_NAME = "csw_notify_sensor"
URL_ENV = "CSW_WEBHOOK_URL"
FORMAT_ENV = "CSW_WEBHOOK_FORMAT"


def build_notify_job(settings: Settings) -> dg.JobDefinition:
    """A one-op job that delivers the published events to $CSW_WEBHOOK_URL."""

    @dg.op(description="Deliver marts.cs_events of the published file to $CSW_WEBHOOK_URL.")
    def deliver_events(context: dg.OpExecutionContext) -> None:
        from orchestration.config import load_events_config
        from orchestration.notify import deliver

        url = os.environ.get(URL_ENV)
        if not url:
            raise dg.Failure(f"{URL_ENV} is not set: no endpoint to deliver to")
        deliver(
            settings.warehouse_dir,
            url,
            os.environ.get(FORMAT_ENV, "json"),
            load_events_config(),
            say=context.log.info,
        )

    @dg.job(name=NOTIFY_JOB_NAME, description="Deliver the published events to the webhook.")
    def csw_notify() -> None:
        deliver_events()

    return csw_notify


def build_notify_sensor(notify_job: dg.JobDefinition) -> dg.SensorDefinition:
    """Requests a csw_notify run for every csw_daily run that succeeded (so published)."""

    @dg.run_status_sensor(
        name=NOTIFY_SENSOR_NAME,
        run_status=dg.DagsterRunStatus.SUCCESS,
        request_job=notify_job,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="After each publication, deliver its new events to $CSW_WEBHOOK_URL "
        "(off by default).",
    )
    def csw_notify_sensor(context: dg.RunStatusSensorContext):
        if context.dagster_run.job_name != DAILY_JOB_NAME:
            return dg.SkipReason(f"{context.dagster_run.job_name} does not publish")
        if not os.environ.get(URL_ENV):
            return dg.SkipReason(f"{URL_ENV} is not set: no endpoint to deliver to")
        return dg.RunRequest(run_key=context.dagster_run.run_id)

    return csw_notify_sensor
