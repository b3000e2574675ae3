"""Churn signal asset (metrics.md §4): every signal that fired per account and day.

It reads `intermediate.int_account_daily_metrics` a chunk of days at a time (`daily_metrics`),
finishes the two configured metrics, calls `transforms/churn_signals.py` and writes schema
`transforms`. A day without any signal leaves no row, so the evaluated days are kept apart.
"""

import dagster as dg

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
from orchestration.warehouse_io import replace_days
from transforms.churn_signals import churn_signals_daily
from transforms.health_inputs import with_config_metrics
from transforms.population import live_book

CHURN_SIGNALS = table_key("churn_signals_daily")


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """churn_signals_daily."""

    @dg.asset(
        key=CHURN_SIGNALS,
        deps=[METRICS_MODEL],
        partitions_def=partitions_def,
        description="Churn signals per account and day (metrics.md §4): the rule, observed value and "
        "threshold of every signal that fired.",
        **RUN_OPTIONS,
        **SPEC_OPTIONS,
    )
    def churn_signals(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        health_config = load_health_config()
        signal_config = load_churn_signals_config()
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            days = days_to_compute(con, "churn_signals_evaluated_days", as_of)
            tickets = read_ticket_texts(con)
            written = 0
            for chunk in chunks(days, days_per_chunk(con, as_of)):
                # The live book only (metrics.md, population).
                metrics = with_config_metrics(
                    live_book(read_metrics(con, chunk)), tickets, health_config, signal_config
                )
                signals = churn_signals_daily(metrics, signal_config)
                replace_days(con, SCHEMA, "churn_signals_daily", signals, chunk)
                replace_days(
                    con, SCHEMA, "churn_signals_evaluated_days", evaluated_days(chunk), chunk
                )
                written += signals.height
        return dg.MaterializeResult(
            metadata={"days_evaluated": len(days), "signals_written": written}
        )

    return [churn_signals]
