"""Customer health assets (metrics.md §2): daily health scores with trends, and the CS alerts as
episodes.

They read dbt's `intermediate.int_account_daily_metrics` a chunk of days at a time
(`daily_metrics`), call `transforms/health.py` and write schema `transforms`; the days a run adds
are scored in date order, each chunk's trends reading the scores the chunks before it wrote.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from orchestration.assets.churn_signals import CHURN_SIGNALS
from orchestration.assets.daily_metrics import (
    METRICS_MODEL,
    chunks,
    days_per_chunk,
    days_to_compute,
    evaluated_days,
    read_metrics,
    read_ticket_texts,
)
from orchestration.assets.transforms_schema import RUN_OPTIONS, SCHEMA, SPEC_OPTIONS, table_key
from orchestration.config import load_churn_signals_config, load_health_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_days, replace_table, table_exists
from transforms.churn_signals import ChurnSignalConfig
from transforms.health import (
    HealthScoreConfig,
    scores_with_trends,
    trend_history_columns,
)
from transforms.health_alerts import alert_conditions, alert_episodes
from transforms.health_inputs import with_config_metrics
from transforms.population import live_book

HEALTH_SCORES = table_key("health_scores_daily")
CS_ALERTS = table_key("cs_alerts")


def read_earlier_scores(
    con: duckdb.DuckDBPyConnection, days: list[dt.date], config: HealthScoreConfig
) -> pl.DataFrame | None:
    """The scores of the lookback window before `days` that earlier runs or chunks wrote (None:
    none written yet): the history their trends compare with."""
    if not days or not table_exists(con, SCHEMA, "health_scores_daily"):
        return None
    lookback = config.trend_lookback_days
    return read_frame(
        con,
        f"select {', '.join(trend_history_columns(config))} from transforms.health_scores_daily "
        "where as_of_date >= ? and as_of_date < ? "
        "and as_of_date not in (select unnest(?::date[]))",
        [min(days) - dt.timedelta(days=lookback), max(days), days],
    )


def score_days(
    con: duckdb.DuckDBPyConnection,
    days: list[dt.date],
    tickets: pl.DataFrame,
    health_config: HealthScoreConfig,
    signal_config: ChurnSignalConfig,
) -> int:
    """Score `days` (with trends from the scores already written) and replace them; rows written."""
    # The live book only (metrics.md, population): churned and never-paid accounts are not scored.
    metrics = with_config_metrics(
        live_book(read_metrics(con, days)), tickets, health_config, signal_config
    )
    scored = scores_with_trends(
        metrics, read_earlier_scores(con, days, health_config), health_config
    )
    replace_days(con, SCHEMA, "health_scores_daily", scored, days)
    return scored.height


def conditions_of_days(
    con: duckdb.DuckDBPyConnection, days: list[dt.date], health_config: HealthScoreConfig
) -> pl.DataFrame:
    """The alert conditions of `days`, from their scores and signals and the MRR at stake."""
    window = [min(days), max(days)]
    scores = read_frame(
        con, "select * from transforms.health_scores_daily where as_of_date between ? and ?", window
    )
    signals = read_frame(
        con, "select * from transforms.churn_signals_daily where as_of_date between ? and ?", window
    )
    mrr = read_frame(
        con,
        "select account_id, as_of_date, mrr_last_valuation as mrr_at_stake "
        "from intermediate.int_account_daily_metrics where as_of_date between ? and ? "
        "and in_live_book",
        window,
    )
    return alert_conditions(scores, signals, mrr, health_config)


def episodes_so_far(
    con: duckdb.DuckDBPyConnection, health_config: HealthScoreConfig
) -> pl.DataFrame:
    """cs_alerts from every condition evaluated so far: consecutive days of one condition are one
    episode, closed on the first day it no longer holds (the status that day says why)."""
    conditions = read_frame(con, "select * from transforms.cs_alert_conditions_daily")
    statuses = read_frame(
        con,
        """
        select status.account_id, status.as_of_date, status.customer_status
        from intermediate.int_account_status_daily as status
        inner join (
            select distinct account_id, as_of_date + 1 as as_of_date
            from transforms.cs_alert_conditions_daily
        ) as next_days
            on next_days.account_id = status.account_id
            and next_days.as_of_date = status.as_of_date
        """,
    )
    last_day = con.execute(
        "select max(as_of_date) from transforms.cs_alerts_evaluated_days"
    ).fetchall()[0][0]
    return alert_episodes(conditions, statuses, last_day, health_config)


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """health_scores_daily and cs_alerts."""

    @dg.asset(
        key=HEALTH_SCORES,
        deps=[METRICS_MODEL],
        partitions_def=partitions_def,
        description="Health score per account and day (metrics.md §2) with grade, trend, components, "
        "coverage, risk factors and opportunities; history kept, the run's days replaced.",
        **RUN_OPTIONS,
        **SPEC_OPTIONS,
    )
    def health_scores_daily(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_config()
        signal_config = load_churn_signals_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            days = days_to_compute(con, "health_scores_daily", as_of)
            tickets = read_ticket_texts(con)
            written = 0
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                written += score_days(con, chunk, tickets, health_config, signal_config)
        return dg.MaterializeResult(
            metadata={
                "days_scored": len(days),
                "rows_written": written,
                "config_version": health_config.version,
            }
        )

    @dg.asset(
        key=CS_ALERTS,
        deps=[HEALTH_SCORES, CHURN_SIGNALS],
        partitions_def=partitions_def,
        description="CS alerts as episodes (metrics.md §2): a score drop, grade D/F or a "
        "high-severity churn signal opens an episode on its first day and closes it on the first "
        "day it no longer holds or the account leaves the live book; one row per episode.",
        **RUN_OPTIONS,
        **SPEC_OPTIONS,
    )
    def cs_alerts_daily(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_config()
        as_of = as_of_date(context)
        conditions = 0
        with warehouse.connect() as con:
            # The days this run scored: their conditions are replaced, the episodes rebuilt.
            days = days_to_compute(con, "cs_alerts_evaluated_days", as_of)
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                found = conditions_of_days(con, chunk, health_config)
                replace_days(con, SCHEMA, "cs_alert_conditions_daily", found, chunk)
                replace_days(con, SCHEMA, "cs_alerts_evaluated_days", evaluated_days(chunk), chunk)
                conditions += found.height
            episodes = episodes_so_far(con, health_config) if days else None
            if episodes is not None:
                replace_table(con, SCHEMA, "cs_alerts", episodes)
        return dg.MaterializeResult(
            metadata={
                "days_evaluated": len(days),
                "condition_days": conditions,
                "episodes": 0 if episodes is None else episodes.height,
                "open_episodes": 0
                if episodes is None
                else episodes.filter(pl.col("closed_on").is_null()).height,
            }
        )

    return [health_scores_daily, cs_alerts_daily]
