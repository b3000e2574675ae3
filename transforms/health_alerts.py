"""CS alerts as episodes (metrics.md §2): an alert opens on the first day its condition holds and
closes on the first day it does not, or when the account leaves the live book; one condition that
holds for ten days is one alert, not ten.

Conditions, per live account and day:
- `health_score_drop`: the score fell by more than the configured points within the lookback;
- `at_risk_grade`: the grade is D or F;
- `churn_signal`: a high-severity churn signal fired (one episode per signal: a cancellation
  request stays open until it is withdrawn or the account churns).
A large MRR at stake raises an episode's severity one level. Each episode names the components
that fell most on the day it opened (what moved the score).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.comparisons import holds, round_half_away
from transforms.health import HealthScoreConfig, component_change_column
from transforms.population import LIVE_STATUSES

SEVERITY_LADDER = ("low", "medium", "high", "critical")
EPISODE_KEYS = ("account_id", "alert", "signal_key")
#: How many components an alert names as what moved the score.
COMPONENTS_NAMED = 2

CONDITION_SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "alert": pl.String,
    "signal": pl.String,
    "severity": pl.String,
    "value": pl.Float64,
    "previous_value": pl.Float64,
    "threshold": pl.Float64,
    "grade": pl.String,
    "reason": pl.String,
    "components_moved": pl.String,
    "csm_id": pl.String,
    "customer_status": pl.String,
    "mrr_at_stake": pl.Float64,
}


def components_moved(config: HealthScoreConfig) -> pl.Expr:
    """The components that fell most over the lookback, largest fall first ("engagement -32.0,
    product_usage -18.5"); NULL when none fell."""
    falls = [
        pl.struct(
            pl.col(component_change_column(c)).alias("change"),
            pl.format("{} {}", pl.lit(c.name), pl.col(component_change_column(c)).round(1)).alias(
                "label"
            ),
        )
        for c in config.components
    ]
    return (
        pl.concat_list(falls)
        .list.eval(pl.element().sort_by(pl.element().struct.field("change"), nulls_last=True))
        .list.eval(pl.element().filter(pl.element().struct.field("change") < 0))
        .list.head(COMPONENTS_NAMED)
        .list.eval(pl.element().struct.field("label"))
        .list.join(", ")
        .replace("", None)
    )


def _live(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of accounts live that day (a churned account's terminal row closes, never opens)."""
    if "customer_status" not in frame.columns:
        return frame
    return frame.filter(pl.col("customer_status").is_in(list(LIVE_STATUSES)))


def alert_conditions(
    scores: pl.DataFrame, signals: pl.DataFrame, mrr: pl.DataFrame, config: HealthScoreConfig
) -> pl.DataFrame:
    """Every alert condition that holds per live account and day of `scores` and `signals`
    (health_scores_daily and churn_signals_daily rows), with the MRR at stake (`mrr`: account_id,
    as_of_date, mrr_at_stake) and what moved the score that day."""
    scores = _live(scores)
    drop = scores.filter(
        holds(pl.col("score_change"), "<", -config.alert_score_drop_more_than)
    ).select(
        "account_id",
        "as_of_date",
        pl.lit("health_score_drop").alias("alert"),
        pl.lit(config.alert_score_drop_severity).alias("severity"),
        pl.col("score").alias("value"),
        pl.col("score_lookback").alias("previous_value"),
        pl.lit(-config.alert_score_drop_more_than).alias("threshold"),
        "grade",
        pl.format(
            "health score fell from {} to {} in {} days",
            round_half_away(pl.col("score_lookback")).cast(pl.Int64),
            pl.col("score_display"),
            pl.lit(config.trend_lookback_days),
        ).alias("reason"),
    )
    grade = scores.filter(pl.col("grade").is_in(list(config.alert_at_risk_grades))).select(
        "account_id",
        "as_of_date",
        pl.lit("at_risk_grade").alias("alert"),
        pl.lit(config.alert_at_risk_severity).alias("severity"),
        pl.col("score").alias("value"),
        pl.lit(None, dtype=pl.Float64).alias("previous_value"),
        pl.lit(None, dtype=pl.Float64).alias("threshold"),
        "grade",
        pl.format("grade {} (score {})", pl.col("grade"), pl.col("score_display")).alias("reason"),
    )
    fired = (
        _live(signals)
        .filter(pl.col("severity") == "high")
        .select(
            "account_id",
            "as_of_date",
            pl.lit("churn_signal").alias("alert"),
            "signal",
            "severity",
            pl.col("observed_value").alias("value"),
            pl.lit(None, dtype=pl.Float64).alias("previous_value"),
            "threshold",
            pl.format(
                "{}: observed {} {} {}", "signal", "observed_value", "operator", "threshold"
            ).alias("reason"),
        )
        .join(
            scores.select("account_id", "as_of_date", "grade"),
            on=["account_id", "as_of_date"],
            how="left",
        )
    )
    changes = [component_change_column(c) for c in config.components]
    context = scores.select("account_id", "as_of_date", *changes, "csm_id", "customer_status")
    conditions = pl.concat(
        [
            drop.with_columns(pl.lit(None, dtype=pl.String).alias("signal")),
            grade.with_columns(pl.lit(None, dtype=pl.String).alias("signal")),
            fired,
        ],
        how="diagonal_relaxed",
    )
    return (
        conditions.join(context, on=["account_id", "as_of_date"], how="left")
        .with_columns(components_moved(config).alias("components_moved"))
        .join(mrr, on=["account_id", "as_of_date"], how="left")
        .select(pl.col(c).cast(t) for c, t in CONDITION_SCHEMA.items())
        .sort("as_of_date", "account_id", "alert", "signal", nulls_last=True)
    )


def _raised(severity: pl.Expr, at_stake: pl.Expr, threshold: float) -> pl.Expr:
    """One level up the ladder (capped at critical) when the MRR at stake reaches `threshold`."""
    level = severity.replace_strict(
        {s: i for i, s in enumerate(SEVERITY_LADDER)}, default=None, return_dtype=pl.Int32
    )
    raised = pl.when(holds(at_stake, ">=", threshold)).then(level + 1).otherwise(level)
    return raised.clip(upper_bound=len(SEVERITY_LADDER) - 1).replace_strict(
        dict(enumerate(SEVERITY_LADDER)), default=None, return_dtype=pl.String
    )


def alert_episodes(
    conditions: pl.DataFrame,
    statuses: pl.DataFrame,
    last_day: dt.date,
    config: HealthScoreConfig,
) -> pl.DataFrame:
    """cs_alerts: one row per episode of consecutive days on which a condition held for an account.

    `conditions`: every `alert_conditions` row evaluated so far; `statuses`: account_id,
    as_of_date, customer_status for (at least) each day after a run of conditions; `last_day`: the
    latest day evaluated (an episode whose condition still holds then is open, closed_on NULL).
    An episode closes on the first day its condition no longer holds: `condition_cleared` when the
    account is still live that day, `left_live_book` when it churned, paused or has no status."""
    keyed = conditions.with_columns(pl.col("signal").fill_null("").alias("signal_key")).sort(
        *EPISODE_KEYS, "as_of_date"
    )
    keyed = keyed.with_columns(
        (
            pl.col("as_of_date").cast(pl.Int32)
            - pl.col("as_of_date").rank("ordinal").over(EPISODE_KEYS).cast(pl.Int32)
        ).alias("run")
    )
    episodes = keyed.group_by(*EPISODE_KEYS, "run", maintain_order=True).agg(
        pl.col("as_of_date").min().alias("opened_on"),
        pl.col("as_of_date").max().alias("latest_on"),
        pl.len().alias("days_held"),
        pl.col("severity").first().alias("base_severity"),
        pl.col("reason").first().alias("opening_reason"),
        pl.col("value").first().alias("opening_value"),
        pl.col("previous_value").first().alias("opening_previous_value"),
        pl.col("grade").first().alias("opening_grade"),
        pl.col("components_moved").first().alias("components_moved"),
        pl.col("value").last().alias("latest_value"),
        pl.col("grade").last().alias("latest_grade"),
        pl.col("threshold").last().alias("threshold"),
        pl.col("csm_id").last().alias("csm_id"),
        pl.col("customer_status").last().alias("customer_status"),
        pl.col("mrr_at_stake").last().alias("mrr_at_stake"),
    )
    closing = statuses.select(
        "account_id",
        pl.col("as_of_date").alias("closed_on"),
        pl.col("customer_status").alias("status_on_close"),
    )
    return (
        episodes.with_columns(
            pl.when(pl.col("latest_on") < last_day)
            .then(pl.col("latest_on") + dt.timedelta(days=1))
            .alias("closed_on")
        )
        .join(closing, on=["account_id", "closed_on"], how="left")
        .select(
            pl.concat_str(
                "account_id",
                "alert",
                "signal_key",
                pl.col("opened_on").cast(pl.String),
                separator="|",
            ).alias("episode_id"),
            "account_id",
            "csm_id",
            "alert",
            pl.when(pl.col("signal_key") != "").then(pl.col("signal_key")).alias("signal"),
            _raised(
                pl.col("base_severity"),
                pl.col("mrr_at_stake"),
                config.alert_mrr_raise_severity_at_least,
            ).alias("severity"),
            "base_severity",
            "opened_on",
            "closed_on",
            pl.when(pl.col("closed_on").is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("status_on_close").is_in(list(LIVE_STATUSES)).fill_null(False))
            .then(pl.lit("condition_cleared"))
            .otherwise(pl.lit("left_live_book"))
            .alias("close_reason"),
            "days_held",
            pl.col("opening_reason").alias("reason"),
            "opening_value",
            "opening_previous_value",
            "opening_grade",
            "latest_on",
            "latest_value",
            "latest_grade",
            "threshold",
            "components_moved",
            "mrr_at_stake",
            "customer_status",
            pl.lit(config.version).alias("config_version"),
        )
        .sort("opened_on", "account_id", "alert", "signal", nulls_last=True)
    )
