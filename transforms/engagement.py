"""Monthly engagement score of metrics.md §3 and the per-CSM portfolio rollup.

Each input scores min(100, value/target·100); the score is the weighted mean of the inputs that
are present (weights rescaled, as for the health score), rounded for display and for the level.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.comparisons import round_half_away
from transforms.population import LIVE_STATUSES

KEYS = ("account_id", "month")


@dataclass(frozen=True)
class EngagementInput:
    """One scored input: the monthly value that scores 100 and its weight in the score."""

    name: str
    target: float
    weight: float


@dataclass(frozen=True)
class EngagementConfig:
    """The settings of config/engagement.yml, validated by orchestration/config.py."""

    version: str
    inputs: tuple[EngagementInput, ...]
    level_high_at_least: float
    level_medium_at_least: float


#: Inputs whose month-over-month change is reported, besides the score.
CHANGE_COLUMNS = ("score", "logins", "actions", "csat")
#: The inputs of int_account_engagement_monthly that `score_engagement` scores.
SCORED_INPUTS = ("logins", "active_users", "features_used", "actions", "automation_rate", "csat")
#: Columns of int_account_engagement_monthly that say how far each input was covered and why one
#: is NULL: carried to engagement_monthly unchanged.
INPUT_DETAILS = (
    "month_covered_to",
    "automated_conversations",
    "handled_conversations",
    "csat_ratings",
    "events_null_reason",
    "automation_rate_null_reason",
    "csat_null_reason",
)


def change_pct(current: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """Percent change versus the previous period; NULL when the previous is 0 or missing."""
    return pl.when(previous != 0).then((current - previous) / previous * 100.0)


def score_engagement(monthly: pl.DataFrame, config: EngagementConfig) -> pl.DataFrame:
    """Engagement score, level and change versus the previous month for each account and month.

    Input (contract `EngagementMonthlyInput`), one row per (account_id: str, month: date, the
    first day of the calendar month) with nullable inputs: logins (login events), active_users
    (distinct users with any event), features_used (distinct feature keys), actions
    (feature_used events), automation_rate (automated / handled conversations, 0–1), csat
    (mean 1–5 rating). NULL means not covered; 0 is a measured zero.

    Output (contract `EngagementMonthlyOutput`): account_id, month, score (unrounded; NULL when no
    input is present), score_display (Int32), level (high ≥ 70, medium ≥ 40, low; of
    score_display), coverage (Σ weights present), the inputs, score/logins/actions/csat
    `_change_pct` versus the previous calendar month (NULL when that month is missing or 0),
    config_version.
    """
    names = [i.name for i in config.inputs]
    missing = [c for c in (*KEYS, *names) if c not in monthly.columns]
    if missing:
        raise ValueError(
            f"the engagement inputs lack the columns {missing}; see EngagementMonthlyInput in "
            "data_contracts/transform_contracts.py"
        )
    parts = [
        ((pl.col(i.name).cast(pl.Float64) / i.target * 100.0).clip(0.0, 100.0), i.weight)
        for i in config.inputs
    ]
    present = [pl.when(x.is_not_null()).then(pl.lit(w)).otherwise(pl.lit(0.0)) for x, w in parts]
    coverage = pl.sum_horizontal(present)
    score = pl.when(coverage > 0).then(pl.sum_horizontal([x * w for x, w in parts]) / coverage)
    scored = monthly.select(
        *KEYS,
        score.alias("score"),
        coverage.alias("coverage"),
        *(pl.col(n).cast(pl.Float64) for n in names),
    ).with_columns(round_half_away(pl.col("score")).cast(pl.Int32).alias("score_display"))

    previous = scored.select(
        "account_id",
        pl.col("month").dt.offset_by("1mo").alias("month"),
        *(pl.col(c).alias(f"{c}_previous") for c in CHANGE_COLUMNS),
    )
    display = pl.col("score_display")
    level = (
        pl.when(display.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(display >= config.level_high_at_least)
        .then(pl.lit("high"))
        .when(display >= config.level_medium_at_least)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    return (
        scored.join(previous, on=list(KEYS), how="left")
        .select(
            *KEYS,
            "score",
            "score_display",
            level.alias("level"),
            "coverage",
            *names,
            *(
                change_pct(pl.col(c), pl.col(f"{c}_previous")).alias(f"{c}_change_pct")
                for c in CHANGE_COLUMNS
            ),
            pl.lit(config.version).alias("config_version"),
        )
        .sort(*KEYS)
    )


def live_account_months(month_ends: pl.DataFrame) -> pl.DataFrame:
    """The (account, month) pairs of the live book (metrics.md, population): paying or trialing at
    the month's last day with a known status, or, for months before the daily status's range,
    with MRR > 0 at the month's valuation.

    `month_ends`: account_id, month, customer_status (the last known that month, or NULL),
    mrr_positive (bool, or NULL without a valuation)."""
    live = pl.col("customer_status").is_in(list(LIVE_STATUSES))
    known = pl.col("customer_status").is_not_null()
    return month_ends.filter(
        pl.when(known).then(live).otherwise(pl.col("mrr_positive").fill_null(False))
    ).select("account_id", "month")


def csm_portfolio(
    engagement: pl.DataFrame, assignments: pl.DataFrame, live: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per CSM and month: live accounts by engagement level, the low ones listed as at risk, mean
    score over them (its n is `accounts`).

    `engagement` is a `score_engagement` output; `assignments` maps account_id to csm_id (NULL
    csm_id: unassigned, reported as its own row); `live`: the (account_id, month) pairs of the
    live book (`live_account_months`; None: every account). Output: csm_id, month, accounts, high,
    medium, low, unscored (no input at all), at_risk_accounts (list of low accounts, sorted),
    mean_score (of the unrounded scores present; NULL when none).
    """
    level = pl.col("level")
    if live is not None:
        engagement = engagement.join(live, on=["account_id", "month"], how="semi")
    return (
        engagement.join(assignments.select("account_id", "csm_id"), on="account_id", how="left")
        .group_by("csm_id", "month")
        .agg(
            pl.len().cast(pl.Int64).alias("accounts"),
            (level == "high").sum().cast(pl.Int64).alias("high"),
            (level == "medium").sum().cast(pl.Int64).alias("medium"),
            (level == "low").sum().cast(pl.Int64).alias("low"),
            level.is_null().sum().cast(pl.Int64).alias("unscored"),
            pl.col("account_id").filter(level == "low").sort().alias("at_risk_accounts"),
            pl.col("score").mean().alias("mean_score"),
        )
        .sort("csm_id", "month", nulls_last=True)
    )


def typed_engagement_inputs(monthly: pl.DataFrame) -> pl.DataFrame:
    """int_account_engagement_monthly with its scored inputs in the types `score_engagement` takes."""
    return monthly.with_columns(
        pl.col("logins", "active_users", "features_used", "actions").cast(pl.Int64),
        pl.col("automation_rate", "csat").cast(pl.Float64),
    )


def engagement_tables(
    inputs: pl.DataFrame,
    scored: pl.DataFrame,
    assignments: pl.DataFrame,
    config: EngagementConfig,
    live: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """engagement_monthly (`scored` with the inputs' coverage details and why a score is NULL) and
    csm_portfolio over the live book (`live`, see `csm_portfolio`) stamped with the config version;
    `inputs` as `typed_engagement_inputs` gives."""
    engagement = scored.join(
        inputs.select("account_id", "month", *INPUT_DETAILS),
        on=["account_id", "month"],
        how="left",
    ).with_columns(
        pl.when(pl.col("score").is_null())
        .then(pl.lit("no_input_covered"))
        .alias("score_null_reason")
    )
    portfolio = csm_portfolio(scored, assignments, live).with_columns(
        pl.lit(config.version).alias("config_version")
    )
    return engagement, portfolio
