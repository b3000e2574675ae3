"""Engagement, CSM portfolio, onboarding, expansion and advocacy tables (metrics.md §3, §8, §9).

Each asset reads the step-1 dbt models (intermediate.int_account_engagement_monthly,
int_onboarding_*, int_account_expansion_inputs), calls the pure functions of transforms/ and writes
schema `transforms`. Engagement is restated whole each run (account × month is small); the
as-of-date tables keep one snapshot per as_of_date, replaced when a day is run again.

Health comes from transforms.health_scores_daily when that table exists. Without it, advocacy has
no candidates (a candidate needs health ≥ 70, which cannot be shown) and the opportunities carry a
NULL health score; the run says so in its metadata instead of inventing a score.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from data_contracts.transform_contracts import (
    EngagementMonthlyInput,
    EngagementMonthlyOutput,
    ExpansionInput,
    ExpansionOpportunitiesOutput,
    OnboardingAccountInput,
    OnboardingProgressOutput,
    OnboardingStepInput,
)
from orchestration.partitions import as_of_date
from orchestration.resources import WarehouseResource
from orchestration.warehouse_io import read_frame, table_exists
from transforms.config import (
    EngagementConfig,
    ExpansionConfig,
    OnboardingConfig,
    load_engagement_config,
    load_expansion_config,
    load_onboarding_config,
)
from transforms.engagement import csm_portfolio, score_engagement
from transforms.expansion import advocacy_candidates, expansion_opportunities, expansion_pipeline
from transforms.onboarding import (
    onboarding_completion_rate,
    onboarding_milestones,
    onboarding_progress,
)

SCHEMA = "transforms"
HEALTH_KEY = dg.AssetKey(["transforms", "health_scores_daily"])
ENGAGEMENT_INPUT_COLUMNS = (
    "logins",
    "active_users",
    "features_used",
    "actions",
    "automation_rate",
    "csat",
)
ENGAGEMENT_DETAIL_COLUMNS = (
    "month_covered_to",
    "automated_conversations",
    "handled_conversations",
    "csat_ratings",
    "events_null_reason",
    "automation_rate_null_reason",
    "csat_null_reason",
)
ADVOCACY_SCHEMA = {
    "as_of_date": pl.Date,
    "rank": pl.Int64,
    "account_id": pl.String,
    "csm_id": pl.String,
    "nps_score": pl.Float64,
    "health_score": pl.Float64,
    "mrr": pl.Float64,
    "config_version": pl.String,
}


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Write `frame` as transforms.<name>, replacing what was there."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f'create or replace table {SCHEMA}."{name}" as select * from _frame')
    finally:
        con.unregister("_frame")


def replace_snapshot(
    con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, as_of: dt.date
) -> None:
    """Replace the rows of `as_of` in transforms.<name>, keeping the other days' snapshots."""
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("_frame", frame.to_arrow())
    try:
        con.execute(f'create table if not exists {SCHEMA}."{name}" as select * from _frame limit 0')
        con.execute(f'delete from {SCHEMA}."{name}" where as_of_date = ?', [as_of])
        con.execute(f'insert into {SCHEMA}."{name}" by name select * from _frame')
    finally:
        con.unregister("_frame")


# --------------------------------------------------------------------------- engagement (§3)


def build_engagement(
    con: duckdb.DuckDBPyConnection, config: EngagementConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """engagement_monthly (score, level, changes, inputs and why an input is NULL) and the CSM
    portfolio, from intermediate.int_account_engagement_monthly."""
    inputs = read_frame(
        con, "select * from intermediate.int_account_engagement_monthly order by account_id, month"
    ).with_columns(
        pl.col("logins", "active_users", "features_used", "actions").cast(pl.Int64),
        pl.col("automation_rate", "csat").cast(pl.Float64),
    )
    scored = score_engagement(
        EngagementMonthlyInput.validate(
            inputs.select("account_id", "month", *ENGAGEMENT_INPUT_COLUMNS)
        ),
        config,
    )
    EngagementMonthlyOutput.validate(scored)
    engagement = scored.join(
        inputs.select("account_id", "month", *ENGAGEMENT_DETAIL_COLUMNS),
        on=["account_id", "month"],
        how="left",
    ).with_columns(
        pl.when(pl.col("score").is_null())
        .then(pl.lit("no_input_covered"))
        .alias("score_null_reason")
    )
    assignments = read_frame(con, "select account_id, csm_id from staging.stg_app_db__accounts")
    portfolio = csm_portfolio(scored, assignments).with_columns(
        pl.lit(config.version).alias("config_version")
    )
    return engagement, portfolio


# --------------------------------------------------------------------------- onboarding (§8)


def build_onboarding(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, config: OnboardingConfig
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """onboarding_progress and onboarding_milestones as of `as_of`, and how many accounts were
    left out because they have no onboarding start (no Stripe subscription) or no segment."""
    accounts = read_frame(
        con, "select * from intermediate.int_onboarding_accounts_started order by account_id"
    )
    startable = accounts.filter(
        pl.col("onboarding_start").is_not_null() & pl.col("segment").is_not_null()
    ).select("account_id", "segment", "onboarding_start")
    steps = read_frame(
        con,
        "select account_id, step, completed_on from intermediate.int_onboarding_steps_completed",
    )
    OnboardingAccountInput.validate(startable)
    OnboardingStepInput.validate(steps)
    progress = OnboardingProgressOutput.validate(
        onboarding_progress(startable, steps, as_of, config)
    ).join(startable.select("account_id", "onboarding_start"), on="account_id", how="left")
    milestones = onboarding_milestones(startable, steps, as_of, config).select(
        "account_id",
        pl.lit(as_of).alias("as_of_date"),
        pl.exclude("account_id"),
        pl.lit(config.version).alias("config_version"),
    )
    return progress, milestones, accounts.height - startable.height


# --------------------------------------------------------------------------- expansion (§9)


def last_complete_month(as_of: dt.date) -> dt.date:
    """First day of the latest calendar month that has ended by the end of `as_of`."""
    next_day = as_of + dt.timedelta(days=1)
    first_of_next = next_day.replace(day=1)
    return (first_of_next - dt.timedelta(days=1)).replace(day=1)


def latest_health(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """Each account's health score of `as_of` (unrounded; NULL below coverage), or None when no
    health table has been written."""
    if not table_exists(con, "transforms", "health_scores_daily"):
        return None
    return read_frame(
        con,
        "select account_id, cast(score as double) as health_score "
        "from transforms.health_scores_daily where as_of_date = ?",
        [as_of],
    )


SEAT_GROWTH_DAYS = 90


def seats_days_ago(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Seats per account as snapshotted by the run of `as_of` − 90 days (empty when that day was
    not run: the staging models keep only the newest seats, so history is what runs recorded)."""
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
    """expansion_opportunities, expansion_pipeline and advocacy_candidates as of `as_of`.

    Engagement is the score of the last complete month (a month in progress would understate
    counts). Seat growth compares with the seats snapshotted 90 days earlier (NULL without that
    snapshot or with 0 seats then). success_metrics_exceeded is NULL: no source carries
    success-plan data, so that signal is not evaluated (metrics.md §9)."""
    inputs = read_frame(
        con,
        "select * from intermediate.int_account_expansion_inputs where as_of_date = ? "
        "order by account_id",
        [as_of],
    ).join(seats_days_ago(con, as_of), on="account_id", how="left")
    inputs = inputs.with_columns(
        pl.when(pl.col("seats_90_days_ago") > 0)
        .then(pl.col("seats") / pl.col("seats_90_days_ago") - 1.0)
        .alias("seat_growth_90d")
    )
    month = last_complete_month(as_of)
    scores = engagement.filter(pl.col("month") == month).select(
        "account_id", pl.col("score").alias("engagement_score")
    )
    frame = inputs.join(scores, on="account_id", how="left").with_columns(
        pl.col("seats", "blocked_feature_attempts", "blocked_features", "days_to_renewal").cast(
            pl.Int64
        ),
        pl.col("mrr", "usage_vs_limit", "seat_growth_90d", "active_user_growth_90d").cast(
            pl.Float64
        ),
        pl.lit(None, dtype=pl.Boolean).alias("success_metrics_exceeded"),
    )
    ExpansionInput.validate(frame)
    health_scores = (
        health
        if health is not None
        else pl.DataFrame(schema={"account_id": pl.String, "health_score": pl.Float64})
    )
    opportunities = ExpansionOpportunitiesOutput.validate(expansion_opportunities(frame, config))
    opportunities = opportunities.join(health_scores, on="account_id", how="left")
    pipeline = expansion_pipeline(opportunities).with_columns(
        pl.lit(config.version).alias("config_version")
    )
    advocacy_input = frame.join(health_scores, on="account_id", how="left").select(
        "account_id", "nps_score", "health_score", "advocacy_status", "mrr"
    )
    candidates = (
        advocacy_candidates(advocacy_input, config)
        .join(frame.select("account_id", "csm_id"), on="account_id", how="left")
        .with_columns(
            pl.lit(as_of).alias("as_of_date"), pl.lit(config.version).alias("config_version")
        )
        .select(list(ADVOCACY_SCHEMA))
        .cast(ADVOCACY_SCHEMA)
    )
    return opportunities, pipeline, candidates


# --------------------------------------------------------------------------- assets


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey([SCHEMA, table])


def _intermediate(model: str) -> dg.AssetKey:
    return dg.AssetKey(["intermediate", model])


def build_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    common = dict(
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool="duckdb_writer",
        group_name=SCHEMA,
    )

    @dg.multi_asset(
        name="engagement_monthly_and_csm_portfolio",
        specs=[
            dg.AssetSpec(
                _key("engagement_monthly"),
                deps=[_intermediate("int_account_engagement_monthly")],
                description="Monthly engagement score per account (metrics.md §3).",
                kinds={"duckdb", "polars"},
            ),
            dg.AssetSpec(
                _key("csm_portfolio"),
                deps=[
                    _intermediate("int_account_engagement_monthly"),
                    dg.AssetKey(["staging", "stg_app_db__accounts"]),
                ],
                description="Accounts by engagement level per CSM and month (metrics.md §3).",
                kinds={"duckdb", "polars"},
            ),
        ],
        **common,
    )
    def engagement_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        config = load_engagement_config()
        with warehouse.connect() as con:
            engagement, portfolio = build_engagement(con, config)
            replace_table(con, "engagement_monthly", engagement)
            replace_table(con, "csm_portfolio", portfolio)
        yield dg.MaterializeResult(
            asset_key=_key("engagement_monthly"),
            metadata={
                "rows": engagement.height,
                "scored": engagement["score"].is_not_null().sum(),
                "config_version": config.version,
            },
        )
        yield dg.MaterializeResult(
            asset_key=_key("csm_portfolio"), metadata={"rows": portfolio.height}
        )

    @dg.multi_asset(
        name="onboarding_progress_and_milestones",
        specs=[
            dg.AssetSpec(
                _key(table),
                deps=[
                    _intermediate("int_onboarding_accounts_started"),
                    _intermediate("int_onboarding_steps_completed"),
                ],
                description=description,
                kinds={"duckdb", "polars"},
            )
            for table, description in (
                ("onboarding_progress", "Onboarding progress per account and day (metrics.md §8)."),
                ("onboarding_milestones", "Onboarding milestones per account and day (§8)."),
                ("onboarding_completion", "Onboarding completion rate per program and day (§8)."),
            )
        ],
        **common,
    )
    def onboarding_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_onboarding_config()
        with warehouse.connect() as con:
            progress, milestones, left_out = build_onboarding(con, as_of, config)
            replace_snapshot(con, "onboarding_progress", progress, as_of)
            replace_snapshot(con, "onboarding_milestones", milestones, as_of)
            completion = onboarding_completion_rate(progress).select(
                pl.lit(as_of).alias("as_of_date"),
                pl.all(),
                pl.lit(config.version).alias("config_version"),
            )
            replace_snapshot(con, "onboarding_completion", completion, as_of)
        yield dg.MaterializeResult(
            asset_key=_key("onboarding_progress"),
            metadata={
                "rows": progress.height,
                "accounts_without_onboarding_start": left_out,
                "stalled": progress["stalled"].sum(),
            },
        )
        yield dg.MaterializeResult(
            asset_key=_key("onboarding_milestones"), metadata={"rows": milestones.height}
        )
        yield dg.MaterializeResult(
            asset_key=_key("onboarding_completion"), metadata={"rows": completion.height}
        )

    @dg.multi_asset(
        name="expansion_and_advocacy",
        specs=[
            dg.AssetSpec(
                _key(table),
                deps=[
                    _intermediate("int_account_expansion_inputs"),
                    _key("engagement_monthly"),
                    HEALTH_KEY,
                ],
                description=description,
                kinds={"duckdb", "polars"},
            )
            for table, description in (
                ("expansion_opportunities", "Expansion opportunities per account and day (§9)."),
                ("expansion_pipeline", "Expansion pipeline per CSM, type and timing (§9)."),
                ("advocacy_candidates", "Top advocacy candidates per day (§9)."),
                (
                    "account_seats_daily",
                    "Seats per account as each run saw them: the history seat growth reads.",
                ),
            )
        ],
        **common,
    )
    def expansion_assets(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        as_of = as_of_date(context)
        config = load_expansion_config()
        with warehouse.connect() as con:
            engagement = read_frame(
                con, f"select account_id, month, score from {SCHEMA}.engagement_monthly"
            )
            health = latest_health(con, as_of)
            opportunities, pipeline, candidates = build_expansion(
                con, as_of, engagement, health, config
            )
            replace_snapshot(con, "expansion_opportunities", opportunities, as_of)
            replace_snapshot(con, "expansion_pipeline", pipeline, as_of)
            replace_snapshot(con, "advocacy_candidates", candidates, as_of)
            seats = read_frame(
                con,
                "select account_id, as_of_date, seats "
                "from intermediate.int_account_expansion_inputs where as_of_date = ?",
                [as_of],
            )
            replace_snapshot(con, "account_seats_daily", seats, as_of)
        if health is None:
            context.log.warning(
                "transforms.health_scores_daily does not exist: no advocacy candidates "
                "(they need health >= 70) and opportunities carry no health score"
            )
        health_available = health is not None
        yield dg.MaterializeResult(
            asset_key=_key("expansion_opportunities"),
            metadata={"rows": opportunities.height, "health_available": health_available},
        )
        yield dg.MaterializeResult(
            asset_key=_key("expansion_pipeline"), metadata={"rows": pipeline.height}
        )
        yield dg.MaterializeResult(
            asset_key=_key("account_seats_daily"), metadata={"rows": seats.height}
        )
        yield dg.MaterializeResult(
            asset_key=_key("advocacy_candidates"),
            metadata={"rows": candidates.height, "health_available": health_available},
        )

    return [engagement_assets, onboarding_assets, expansion_assets]
