"""The daily job: ingest → dbt → publish for one drop date or a range of them."""

from __future__ import annotations

import dagster as dg

DAILY_JOB_NAME = "csw_daily"


def build_daily_job() -> dg.UnresolvedAssetJobDefinition:
    """Every asset and check; in-process so that DuckDB, which allows one writer, sees steps in series."""
    return dg.define_asset_job(
        DAILY_JOB_NAME,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,
        description="Ingest the drops of the run's dates, build the dbt models as of the last one, "
        "check and publish.",
    )
