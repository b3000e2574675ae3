"""Calibration asset (metrics.md §2): the backtest of the health score against churn.

It reads the accounts' customer status per day (`intermediate.int_account_status_daily`: a paying
account churns on the first day its status is no longer paying, whenever in the horizon that
falls) and the health scores of the calibration dates, calls `transforms/calibration.py` with
config/calibration.yml, and replaces `transforms.health_calibration`.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from orchestration.assets.health import HEALTH_SCORES
from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    intermediate_key,
    table_key,
)
from orchestration.config import load_calibration_config, load_health_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_table
from transforms.calibration import (
    PER_DATE_SCOPE,
    POOLED_SCOPE,
    calibration_dates,
    churn_outcomes,
    health_calibration,
)

STATUS_MODEL = intermediate_key("int_account_status_daily")
HEALTH_CALIBRATION = table_key("health_calibration")


def read_status_days(con: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """The days the customer status is known for (int_account_status_daily)."""
    return read_frame(con, "select distinct as_of_date from intermediate.int_account_status_daily")[
        "as_of_date"
    ].to_list()


def read_statuses(
    con: duckdb.DuckDBPyConnection, dates: list[dt.date], horizon_days: int
) -> pl.DataFrame:
    """The customer statuses churn_outcomes needs: the paying rows of the calibration dates, and
    the non-paying days of their windows for the accounts paying on one of them."""
    if not dates:
        return pl.DataFrame(
            schema={"account_id": pl.String, "as_of_date": pl.Date, "customer_status": pl.String}
        )
    return read_frame(
        con,
        """
        with paying as (
            select account_id, as_of_date from intermediate.int_account_status_daily
            where as_of_date in (select unnest(?::date[])) and customer_status = 'paying'
        )
        select account_id, as_of_date, customer_status from paying
            cross join (select 'paying' as customer_status)
        union all
        select status.account_id, status.as_of_date, status.customer_status
        from intermediate.int_account_status_daily as status
        where status.customer_status <> 'paying'
            and status.as_of_date > ? and status.as_of_date <= ?
            and status.account_id in (select account_id from paying)
        """,
        [dates, min(dates), max(dates) + dt.timedelta(days=horizon_days)],
    )


def read_scores(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pl.DataFrame:
    """The scored rows of `days`: account_id, as_of_date, score, grade."""
    return read_frame(
        con,
        "select account_id, as_of_date, score, grade from transforms.health_scores_daily "
        "where as_of_date in (select unnest(?::date[])) and score is not null",
        [days],
    )


def _first_auc(rows: pl.DataFrame) -> float | None:
    return float(rows["auc"][0]) if rows.height and rows["auc"][0] is not None else None


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """health_calibration."""

    @dg.asset(
        key=HEALTH_CALIBRATION,
        deps=[HEALTH_SCORES, STATUS_MODEL],
        partitions_def=partitions_def,
        description="Backtest of the health score on the accounts paying at each month-end "
        "calibration date whose horizon has passed, and pooled over the latest such dates "
        "(config/calibration.yml): AUC, precision/recall of grade D/F and churn rate per grade, "
        "with counts.",
        **RUN_OPTIONS,
        **SPEC_OPTIONS,
    )
    def calibration(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_config()
        config = load_calibration_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            dates = calibration_dates(read_status_days(con), as_of, config.horizon_days)
            result = health_calibration(
                read_scores(con, dates),
                churn_outcomes(
                    read_statuses(con, dates, config.horizon_days), dates, config.horizon_days
                ),
                health_config.alert_at_risk_grades,
                config,
                as_of,
                health_config.version,
            )
            replace_table(con, SCHEMA, "health_calibration", result)
        per_date = result.filter(pl.col("scope") == PER_DATE_SCOPE)
        pooled = result.filter(pl.col("scope") == POOLED_SCOPE)
        return dg.MaterializeResult(
            metadata={
                "calibration_dates": per_date.height,
                "latest_auc": _first_auc(per_date.tail(1)),
                "pooled_auc": _first_auc(pooled),
                "config_version": config.version,
            }
        )

    return [calibration]
