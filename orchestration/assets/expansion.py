"""Expansion and advocacy assets (metrics.md §9): opportunities, the pipeline per CSM, advocacy
candidates, and the seats snapshot that seat growth reads.

They read `intermediate.int_account_expansion_inputs`, the engagement scores and (when it exists)
the day's health scores, call `transforms/expansion.py` with config/expansion.yml and write schema
`transforms`, one snapshot per as_of_date, replaced when a day is run again.

Without transforms.health_scores_daily, advocacy has no candidates (a candidate needs a health
score at least the configured minimum, which cannot be shown) and the opportunities carry a NULL
health score; the run says so in its metadata instead of inventing a score.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from data_contracts.transform_contracts import ExpansionInput, ExpansionOpportunitiesOutput
from orchestration.assets.engagement import ENGAGEMENT_MONTHLY
from orchestration.assets.health import HEALTH_SCORES
from orchestration.assets.transforms_schema import (
    RUN_OPTIONS,
    SCHEMA,
    SPEC_OPTIONS,
    intermediate_key,
    table_key,
)
from orchestration.config import load_expansion_config
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, replace_days, table_exists
from transforms.expansion import (
    SEAT_GROWTH_DAYS,
    ExpansionConfig,
    expansion_inputs,
    expansion_opportunities,
    expansion_tables,
)

EXPANSION_TABLES = {
    "expansion_opportunities": "Expansion opportunities per account and day (§9).",
    "expansion_pipeline": "Expansion pipeline per CSM, type and timing (§9).",
    "advocacy_candidates": "Top advocacy candidates per day (§9).",
    "account_seats_daily": "Seats per account as each run saw them: the history seat growth reads.",
}


def read_health(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """Each account's health score of `as_of` (unrounded; NULL below coverage), or None when no
    health table has been written."""
    if not table_exists(con, SCHEMA, "health_scores_daily"):
        return None
    return read_frame(
        con,
        "select account_id, cast(score as double) as health_score "
        "from transforms.health_scores_daily where as_of_date = ?",
        [as_of],
    )


def read_seats_earlier(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Seats per account as snapshotted by the run of SEAT_GROWTH_DAYS before `as_of` (empty when
    that day was not run: the staging models keep only the newest seats, so history is what runs
    recorded)."""
    schema = {"account_id": pl.String, "seats_90_days_ago": pl.Int64}
    if not table_exists(con, SCHEMA, "account_seats_daily"):
        return pl.DataFrame(schema=schema)
    return read_frame(
        con,
        f"select account_id, seats as seats_90_days_ago from {SCHEMA}.account_seats_daily "
        "where as_of_date = ?",
        [as_of - dt.timedelta(days=SEAT_GROWTH_DAYS)],
    ).cast(schema)


def build_expansion(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    engagement: pl.DataFrame,
    health: pl.DataFrame | None,
    config: ExpansionConfig,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """expansion_opportunities, expansion_pipeline and advocacy_candidates as of `as_of`, from the
    day's expansion inputs, `engagement` (account_id, month, score) and `health` (None: no health
    scores)."""
    inputs = read_frame(
        con,
        "select * from intermediate.int_account_expansion_inputs where as_of_date = ? "
        "order by account_id",
        [as_of],
    )
    frame = expansion_inputs(inputs, read_seats_earlier(con, as_of), engagement, as_of)
    ExpansionInput.validate(frame)
    opportunities = ExpansionOpportunitiesOutput.validate(expansion_opportunities(frame, config))
    return expansion_tables(frame, opportunities, health, as_of, config)


def read_seats(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Each account's seats on `as_of`, the snapshot a later run's seat growth compares with."""
    return read_frame(
        con,
        "select account_id, as_of_date, seats "
        "from intermediate.int_account_expansion_inputs where as_of_date = ?",
        [as_of],
    )


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The expansion and advocacy tables and the seats snapshot, written together."""
    deps = [intermediate_key("int_account_expansion_inputs"), ENGAGEMENT_MONTHLY, HEALTH_SCORES]

    @dg.multi_asset(
        name="expansion_and_advocacy",
        specs=[
            dg.AssetSpec(table_key(table), deps=deps, description=text, **SPEC_OPTIONS)
            for table, text in EXPANSION_TABLES.items()
        ],
        partitions_def=partitions_def,
        **RUN_OPTIONS,
    )
    def expansion_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_expansion_config()
        with warehouse.connect() as con:
            engagement = read_frame(
                con, f"select account_id, month, score from {SCHEMA}.engagement_monthly"
            )
            health = read_health(con, as_of)
            opportunities, pipeline, candidates = build_expansion(
                con, as_of, engagement, health, config
            )
            replace_days(con, SCHEMA, "expansion_opportunities", opportunities, [as_of])
            replace_days(con, SCHEMA, "expansion_pipeline", pipeline, [as_of])
            replace_days(con, SCHEMA, "advocacy_candidates", candidates, [as_of])
            seats = read_seats(con, as_of)
            replace_days(con, SCHEMA, "account_seats_daily", seats, [as_of])
        if health is None:
            context.log.warning(
                "transforms.health_scores_daily does not exist: no advocacy candidates "
                "(they need a health score) and opportunities carry no health score"
            )
        health_available = health is not None
        yield dg.MaterializeResult(
            asset_key=table_key("expansion_opportunities"),
            metadata={"rows": opportunities.height, "health_available": health_available},
        )
        yield dg.MaterializeResult(
            asset_key=table_key("expansion_pipeline"), metadata={"rows": pipeline.height}
        )
        yield dg.MaterializeResult(
            asset_key=table_key("account_seats_daily"), metadata={"rows": seats.height}
        )
        yield dg.MaterializeResult(
            asset_key=table_key("advocacy_candidates"),
            metadata={"rows": candidates.height, "health_available": health_available},
        )

    return [expansion_assets]
