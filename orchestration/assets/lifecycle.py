"""Lifecycle assets (metrics.md §5): the stage of every account per day, and every stage change.

The stage machine of `transforms/lifecycle.py` walks the days in order, each day's stage depending
on the day before. Instead of replaying history every run, the state after the day before the
as-of date and after the as-of date are kept in `transforms.lifecycle_state`: a run continues from
the state of the day before its first new day (a re-run of the as-of date from the first), or,
with no such state saved, walks the whole history again.
"""

import datetime as dt
from dataclasses import dataclass

import dagster as dg
import duckdb
import polars as pl

from orchestration.assets.daily_metrics import (
    METRICS_MODEL,
    chunks,
    days_per_chunk,
    days_to_compute,
    read_metrics,
)
from orchestration.assets.health import HEALTH_SCORES
from orchestration.assets.transforms_schema import RUN_OPTIONS, SCHEMA, SPEC_OPTIONS, table_key
from orchestration.config import load_lifecycle_config, load_onboarding_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import (
    delete_days_from,
    read_frame,
    replace_days,
    replace_table,
    table_exists,
)
from transforms.lifecycle import (
    LifecycleConfig,
    empty_state,
    lifecycle_inputs,
    run_lifecycle,
)
from transforms.onboarding import OnboardingConfig

LIFECYCLE_DAILY = table_key("lifecycle_daily")
EXPANSION_OPPORTUNITIES = table_key("expansion_opportunities")
LIFECYCLE_TRANSITIONS = table_key("lifecycle_transitions")


def read_start(
    con: duckdb.DuckDBPyConnection, as_of: dt.date
) -> tuple[list[dt.date], pl.DataFrame]:
    """The days to walk and the state to walk them from: the saved state of the day before the
    first day to compute, else every day of the metrics from no state."""
    days = days_to_compute(con, "lifecycle_daily", as_of)
    start = min(days)
    if not table_exists(con, SCHEMA, "lifecycle_state"):
        return days, empty_state()
    saved = read_frame(
        con,
        "select * from transforms.lifecycle_state where state_date = ?",
        [start - dt.timedelta(days=1)],
    )
    if saved.height:
        return days, saved.drop("state_date")
    # No state for the day before: walk the whole history again.
    return days_to_compute(con, "__none__", as_of), empty_state()


def read_onboarding_steps(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every completed onboarding step: account_id, step_id, completed_on."""
    return read_frame(
        con,
        "select account_id, step_id, cast(completed_at as date) as completed_on "
        "from staging.stg_app_db__onboarding_steps where completed_at is not null",
    )


def read_day_scores(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pl.DataFrame:
    """Each account's health score on `days`."""
    return read_frame(
        con,
        "select account_id, as_of_date, score as health_score "
        "from transforms.health_scores_daily where as_of_date in (select unnest(?::date[]))",
        [days],
    )


def read_open_opportunities(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pl.DataFrame:
    """The published expansion opportunities of `days` (account_id, as_of_date); a day the
    expansion step did not snapshot has none."""
    if not table_exists(con, SCHEMA, "expansion_opportunities"):
        return pl.DataFrame(schema={"account_id": pl.String, "as_of_date": pl.Date})
    return read_frame(
        con,
        "select distinct account_id, as_of_date from transforms.expansion_opportunities "
        "where as_of_date in (select unnest(?::date[]))",
        [days],
    )


@dataclass
class Walk:
    """One run of the stage machine over the build database: its settings and what it wrote."""

    con: duckdb.DuckDBPyConnection
    config: LifecycleConfig
    onboarding_config: OnboardingConfig
    steps: pl.DataFrame
    rows: int = 0
    transitions: int = 0

    def days(self, days: list[dt.date], state: pl.DataFrame) -> pl.DataFrame:
        """Run the machine over `days` from `state`, write their rows, return the new state."""
        inputs = lifecycle_inputs(
            read_metrics(self.con, days),
            read_day_scores(self.con, days),
            self.steps,
            read_open_opportunities(self.con, days),
            self.onboarding_config,
        )
        run = run_lifecycle(inputs, state, self.config)
        replace_days(self.con, SCHEMA, "lifecycle_daily", run.daily_stages, days)
        replace_days(self.con, SCHEMA, "lifecycle_transitions", run.transitions, days)
        self.rows += run.daily_stages.height
        self.transitions += run.transitions.height
        return run.final_state


def walk_to(walk: Walk, days: list[dt.date], state: pl.DataFrame, as_of: dt.date) -> None:
    """Walk `days` (the as-of date last, alone) and save the states before and after the as-of
    date, so that a re-run of that day starts from the first."""
    con = walk.con
    for chunk in chunks([d for d in days if d < as_of], days_per_chunk(con, as_of)):
        state = walk.days(chunk, state)
    states = [state.with_columns(pl.lit(as_of - dt.timedelta(days=1)).alias("state_date"))]
    if as_of in days:
        state = walk.days([as_of], state)
        states.append(state.with_columns(pl.lit(as_of).alias("state_date")))
    if days:
        replace_table(con, SCHEMA, "lifecycle_state", pl.concat(states))


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """lifecycle_daily and lifecycle_transitions, written together by one walk of the machine."""

    @dg.multi_asset(
        name="lifecycle",
        specs=[
            dg.AssetSpec(
                LIFECYCLE_DAILY,
                deps=[METRICS_MODEL, HEALTH_SCORES, EXPANSION_OPPORTUNITIES],
                description="Lifecycle stage per account and day (metrics.md §5).",
                **SPEC_OPTIONS,
            ),
            dg.AssetSpec(
                LIFECYCLE_TRANSITIONS,
                deps=[METRICS_MODEL, HEALTH_SCORES, EXPANSION_OPPORTUNITIES],
                description="Every lifecycle stage change with the rule that fired.",
                **SPEC_OPTIONS,
            ),
        ],
        partitions_def=partitions_def,
        **RUN_OPTIONS,
    )
    def lifecycle(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        with warehouse.connect() as con:
            days, state = read_start(con, as_of)
            walk = Walk(
                con=con,
                config=load_lifecycle_config(),
                onboarding_config=load_onboarding_config(),
                steps=read_onboarding_steps(con),
            )
            con.execute(f"create schema if not exists {SCHEMA}")
            for table in ("lifecycle_daily", "lifecycle_transitions"):
                delete_days_from(con, SCHEMA, table, min(days))
            walk_to(walk, days, state, as_of)
        yield dg.MaterializeResult(
            asset_key=LIFECYCLE_DAILY,
            metadata={"days_evaluated": len(days), "rows": walk.rows},
        )
        yield dg.MaterializeResult(
            asset_key=LIFECYCLE_TRANSITIONS,
            metadata={"transitions": walk.transitions},
        )

    return [lifecycle]
