"""Expansion signals, opportunities and pipeline, and advocacy candidates (metrics.md §9).

The probability counts only signals that could be evaluated for the account: a signal whose input
is missing (no success-plan data, no NPS response) is neither triggered nor in the denominator,
so an account is not marked down for data nobody collected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.comparisons import Operator, holds, round_half_away

KEYS = ("account_id", "as_of_date")


@dataclass(frozen=True)
class ExpansionSignalRule:
    """An expansion signal: fires where `input op threshold` holds; `weight` counts toward probability."""

    name: str
    input: str
    op: Operator
    threshold: float
    weight: float


@dataclass(frozen=True)
class ExpansionConfig:
    """The settings of config/expansion.yml, validated by orchestration/config.py."""

    version: str
    signals: tuple[ExpansionSignalRule, ...]
    plan_ladder: tuple[str, ...]
    upsell_signal: str
    upsell_share_of_mrr: float
    upsell_timing: str
    seats_signal: str
    seats_timing: str
    features_signal: str
    price_per_blocked_feature: float
    features_timing: str
    advocacy_nps_at_least: float
    advocacy_health_at_least: float
    advocacy_top_n: int
    advocacy_tiers: tuple[tuple[str, int], ...]


INPUT_COLUMNS = (
    "account_id",
    "as_of_date",
    "csm_id",
    "plan",
    "mrr",
    "seats",
    "usage_vs_limit",
    "blocked_feature_attempts",
    "blocked_features",
    "seat_growth_90d",
    "active_user_growth_90d",
    "success_metrics_exceeded",
    "engagement_score",
    "nps_score",
    "days_to_renewal",
)

OPPORTUNITY_SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "csm_id": pl.String,
    "type": pl.String,
    "product": pl.String,
    "estimated_value": pl.Float64,
    "probability": pl.Float64,
    "signals": pl.List(pl.String),
    "timing": pl.String,
    "config_version": pl.String,
}


def _require(frame: pl.DataFrame, columns: tuple[str, ...], contract: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the input lacks the columns {missing}; see {contract} in "
            "data_contracts/transform_contracts.py"
        )


def score_expansion(inputs: pl.DataFrame, config: ExpansionConfig) -> pl.DataFrame:
    """Expansion signals and probability for each (account, day).

    Input (contract `ExpansionInput`), one row per (account_id, as_of_date): csm_id, plan, mrr
    (reporting currency, major units), seats, usage_vs_limit (conversations in 30 days / plan
    limit, uncapped), blocked_feature_attempts and blocked_features (attempts and distinct premium
    features blocked, last 30 days), seat_growth_90d and active_user_growth_90d (ratios: 0.2 =
    +20% over 90 days), success_metrics_exceeded (bool; NULL without success-plan data),
    engagement_score, nps_score (latest), days_to_renewal — all but the keys nullable.
    team_growth_90d is the larger of the two growth ratios present.

    Output: the input columns plus team_growth_90d, triggered_signals and evaluated_signals
    (list[str]), triggered_weight, evaluated_weight, probability (triggered / evaluated weight,
    two decimals; NULL when no signal could be evaluated), config_version.
    """
    _require(inputs, INPUT_COLUMNS, "ExpansionInput")
    prepared = inputs.with_columns(
        pl.max_horizontal(
            pl.col("seat_growth_90d").cast(pl.Float64),
            pl.col("active_user_growth_90d").cast(pl.Float64),
        ).alias("team_growth_90d"),
        pl.col("success_metrics_exceeded").cast(pl.Float64),
    )

    def value(input_name: str) -> pl.Expr:
        return pl.col(input_name).cast(pl.Float64)

    evaluated = [(value(s.input).is_not_null(), s) for s in config.signals]
    triggered = [(holds(value(s.input), s.op, s.threshold), s) for s in config.signals]

    def names(conditions: list) -> pl.Expr:
        return pl.concat_list(
            [pl.when(c).then(pl.lit(s.name)) for c, s in conditions]
        ).list.drop_nulls()

    def weight(conditions: list) -> pl.Expr:
        return pl.sum_horizontal(
            [pl.when(c).then(pl.lit(s.weight)).otherwise(pl.lit(0.0)) for c, s in conditions]
        )

    return (
        prepared.with_columns(
            names(triggered).alias("triggered_signals"),
            names(evaluated).alias("evaluated_signals"),
            weight(triggered).alias("triggered_weight"),
            weight(evaluated).alias("evaluated_weight"),
        )
        .with_columns(
            pl.when(pl.col("evaluated_weight") > 0)
            .then(round_half_away(pl.col("triggered_weight") / pl.col("evaluated_weight"), 2))
            .alias("probability"),
            pl.lit(config.version).alias("config_version"),
        )
        .with_columns(pl.col("success_metrics_exceeded").cast(pl.Boolean))
    )


def _next_plan(config: ExpansionConfig) -> pl.Expr:
    ladder = config.plan_ladder
    mapping = dict(zip(ladder[:-1], ladder[1:], strict=True))
    return pl.col("plan").replace_strict(mapping, default=None, return_dtype=pl.String)


def expansion_opportunities(inputs: pl.DataFrame, config: ExpansionConfig) -> pl.DataFrame:
    """One row per opportunity: upsell, add_seats, add_features (metrics.md §9).

    Input as `score_expansion`. Upsell (when approaching_limit fires and the plan has a next one
    on the ladder): the next plan at share_of_mrr × MRR. Add seats (team_growth fires):
    (ceil(seats·(1+growth)) − seats) × MRR/seats. Add features (feature_attempts fires):
    price_per_blocked_feature × blocked_features. A value whose inputs are missing is NULL.

    Output (contract `ExpansionOpportunitiesOutput`): account_id, as_of_date, csm_id, type,
    product, estimated_value, probability, signals (the triggered signals), timing,
    config_version.
    """
    scored = score_expansion(inputs, config)
    fired = pl.col("triggered_signals").list.contains
    seats = pl.col("seats").cast(pl.Float64)
    # Snap float noise before ceil: 10 seats × 1.2 is 12.000000000000002 in floats, not 13 seats.
    new_seats = (seats * (1 + pl.col("team_growth_90d"))).round(9).ceil()
    per_seat = pl.when(seats > 0).then(pl.col("mrr") / seats)
    kinds = [
        (
            fired(config.upsell_signal) & _next_plan(config).is_not_null(),
            "upsell",
            _next_plan(config),
            pl.col("mrr") * config.upsell_share_of_mrr,
            config.upsell_timing,
        ),
        (
            fired(config.seats_signal),
            "add_seats",
            pl.lit("Additional seats"),
            (new_seats - seats) * per_seat,
            config.seats_timing,
        ),
        (
            fired(config.features_signal),
            "add_features",
            pl.lit("Feature add-on"),
            pl.col("blocked_features").cast(pl.Float64) * config.price_per_blocked_feature,
            config.features_timing,
        ),
    ]
    frames = [
        scored.filter(condition).select(
            *KEYS,
            "csm_id",
            pl.lit(kind).alias("type"),
            product.alias("product"),
            estimate.alias("estimated_value"),
            "probability",
            pl.col("triggered_signals").alias("signals"),
            pl.lit(timing).alias("timing"),
            "config_version",
        )
        for condition, kind, product, estimate, timing in kinds
    ]
    return (
        pl.concat(frames)
        .cast(OPPORTUNITY_SCHEMA)
        .sort(*KEYS, "type")
        .select(list(OPPORTUNITY_SCHEMA))
    )


def expansion_pipeline(opportunities: pl.DataFrame) -> pl.DataFrame:
    """Per CSM, day, type and timing: number of opportunities and their total estimated value.

    Opportunities without an estimate count in `opportunities` but not in `estimated_value`, and
    `unvalued` says how many there were.
    """
    return (
        opportunities.group_by("csm_id", "as_of_date", "type", "timing")
        .agg(
            pl.len().cast(pl.Int64).alias("opportunities"),
            pl.col("estimated_value").sum().alias("estimated_value"),
            pl.col("estimated_value").is_null().sum().cast(pl.Int64).alias("unvalued"),
        )
        .sort("csm_id", "as_of_date", "type", "timing", nulls_last=True)
    )


def advocacy_candidates(accounts: pl.DataFrame, config: ExpansionConfig) -> pl.DataFrame:
    """Promoters with a healthy score and no advocacy status yet, largest MRR first, top 20.

    Input (contract `AdvocacyInput`): account_id, nps_score (latest; NULL without a response),
    health_score (unrounded), advocacy_status (NULL or `none` when the account has none), mrr.
    Output: rank (1…), account_id, nps_score, health_score, mrr. Ties in MRR are broken by
    account_id so the cut at 20 is deterministic.
    """
    _require(
        accounts,
        ("account_id", "nps_score", "health_score", "advocacy_status", "mrr"),
        "AdvocacyInput",
    )
    no_status = pl.col("advocacy_status").is_null() | (pl.col("advocacy_status") == "none")
    return (
        accounts.filter(
            holds(pl.col("nps_score"), ">=", config.advocacy_nps_at_least)
            & holds(pl.col("health_score"), ">=", config.advocacy_health_at_least)
            & no_status
        )
        .sort(["mrr", "account_id"], descending=[True, False], nulls_last=True)
        .head(config.advocacy_top_n)
        .select(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
            "account_id",
            "nps_score",
            "health_score",
            "mrr",
        )
    )


def advocacy_tier(points: pl.Expr, config: ExpansionConfig) -> pl.Expr:
    """Advocacy tier of a points total: Fan from 0, Champion from 300, Ambassador from 800."""
    tier = pl.lit(None, dtype=pl.String)
    for name, minimum in config.advocacy_tiers:
        tier = pl.when(points >= minimum).then(pl.lit(name)).otherwise(tier)
    return tier


# --------------------------------------------------------------------------- tables of a run

#: Seat growth compares a day's seats with those snapshotted this many days earlier.
SEAT_GROWTH_DAYS = 90
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
HEALTH_SCHEMA = {"account_id": pl.String, "health_score": pl.Float64}


def last_complete_month(as_of: dt.date) -> dt.date:
    """First day of the latest calendar month that has ended by the end of `as_of`."""
    next_day = as_of + dt.timedelta(days=1)
    first_of_next = next_day.replace(day=1)
    return (first_of_next - dt.timedelta(days=1)).replace(day=1)


def expansion_inputs(
    inputs: pl.DataFrame,
    seats_earlier: pl.DataFrame,
    engagement: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """The input of `expansion_opportunities` (contract `ExpansionInput`) as of a date.

    `inputs`: int_account_expansion_inputs of the day; `seats_earlier`: account_id,
    seats_90_days_ago (the seats snapshotted SEAT_GROWTH_DAYS earlier; seat growth is NULL
    without that snapshot or with 0 seats then); `engagement`: account_id, month, score, of which
    the last complete month counts (a month in progress would understate counts).
    success_metrics_exceeded is NULL: no source carries success-plan data, so that signal is not
    evaluated (metrics.md §9)."""
    with_growth = inputs.join(seats_earlier, on="account_id", how="left").with_columns(
        pl.when(pl.col("seats_90_days_ago") > 0)
        .then(pl.col("seats") / pl.col("seats_90_days_ago") - 1.0)
        .alias("seat_growth_90d")
    )
    scores = engagement.filter(pl.col("month") == last_complete_month(as_of)).select(
        "account_id", pl.col("score").alias("engagement_score")
    )
    return with_growth.join(scores, on="account_id", how="left").with_columns(
        pl.col("seats", "blocked_feature_attempts", "blocked_features", "days_to_renewal").cast(
            pl.Int64
        ),
        pl.col("mrr", "usage_vs_limit", "seat_growth_90d", "active_user_growth_90d").cast(
            pl.Float64
        ),
        pl.lit(None, dtype=pl.Boolean).alias("success_metrics_exceeded"),
    )


def expansion_tables(
    inputs: pl.DataFrame,
    opportunities: pl.DataFrame,
    health: pl.DataFrame | None,
    as_of: dt.date,
    config: ExpansionConfig,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """expansion_opportunities (with each account's health score), expansion_pipeline and
    advocacy_candidates as of a date, from `expansion_inputs` and its `expansion_opportunities`.

    `health`: account_id, health_score of the day, or None when no health scores exist: then the
    opportunities carry a NULL health score and no account can be an advocacy candidate."""
    health_scores = health if health is not None else pl.DataFrame(schema=HEALTH_SCHEMA)
    opportunities = opportunities.join(health_scores, on="account_id", how="left")
    pipeline = expansion_pipeline(opportunities).with_columns(
        pl.lit(config.version).alias("config_version")
    )
    advocacy_input = inputs.join(health_scores, on="account_id", how="left").select(
        "account_id", "nps_score", "health_score", "advocacy_status", "mrr"
    )
    candidates = (
        advocacy_candidates(advocacy_input, config)
        .join(inputs.select("account_id", "csm_id"), on="account_id", how="left")
        .with_columns(
            pl.lit(as_of).alias("as_of_date"), pl.lit(config.version).alias("config_version")
        )
        .select(list(ADVOCACY_SCHEMA))
        .cast(ADVOCACY_SCHEMA)
    )
    return opportunities, pipeline, candidates
