"""Calibration asset (metrics.md §2): the backtest of the health score against churn.

It reads the accounts' MRR at each valuation date (`intermediate.int_customer_mrr_monthly`, mapped
to accounts through the daily metrics; never `marts.dim_accounts`, which reads the transform
tables) and the health scores of the calibration dates, calls `transforms/calibration.py` with
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

CUSTOMER_MRR_MODEL = intermediate_key("int_customer_mrr_monthly")
HEALTH_CALIBRATION = table_key("health_calibration")


def read_account_mrr(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Each account's MRR at every valuation date: account_id, valuation_date, mrr_minor."""
    return read_frame(
        con,
        """
        select accounts.account_id, mrr.valuation_date, mrr.mrr_minor
        from intermediate.int_customer_mrr_monthly as mrr
        inner join (
            select distinct account_id, stripe_customer_id
            from intermediate.int_account_daily_metrics
            where stripe_customer_id is not null
        ) as accounts
            on accounts.stripe_customer_id = mrr.customer_id
        """,
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
        deps=[HEALTH_SCORES, CUSTOMER_MRR_MODEL],
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
            mrr = read_account_mrr(con)
            dates = calibration_dates(
                mrr["valuation_date"].unique().to_list(), as_of, config.horizon_days
            )
            result = health_calibration(
                read_scores(con, dates),
                churn_outcomes(mrr, dates, config.horizon_days),
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
