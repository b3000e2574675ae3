"""The daily health inputs finished: the two metrics of int_account_daily_metrics that need a
configured list (the plan's core features, the competitor names), which dbt does not read.

The health score, the churn signals and the lifecycle machine all read these finished metrics.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.churn_signals import ChurnSignalConfig, mentions_competitor
from transforms.health import HealthScoreConfig


def with_config_metrics(
    metrics: pl.DataFrame,
    tickets: pl.DataFrame,
    health_config: HealthScoreConfig,
    signal_config: ChurnSignalConfig,
) -> pl.DataFrame:
    """Finish the two metrics that need a configured list: feature_adoption (share of the plan's core
    features in features_used_30d; NULL where the list is NULL or the plan has no configured core
    features) and competitor_mentions_90d (tickets of the window naming a competitor; NULL where
    ticketing does not cover the account)."""
    core = pl.DataFrame(
        {
            "plan": [plan for plan, _ in health_config.core_features],
            "core_features": [list(features) for _, features in health_config.core_features],
        },
        schema={"plan": pl.String, "core_features": pl.List(pl.String)},
    )
    with_core = metrics.join(core, on="plan", how="left").with_columns(
        pl.when(pl.col("features_used_30d").is_not_null() & pl.col("core_features").is_not_null())
        .then(
            pl.col("features_used_30d").list.set_intersection("core_features").list.len()
            / pl.col("core_features").list.len()
        )
        .cast(pl.Float64)
        .alias("feature_adoption")
    )
    window = signal_config.competitor_mention_window_days
    mentioning = tickets.filter(mentions_competitor(pl.col("text"), signal_config.competitors))
    keys = with_core.select("account_id", "as_of_date")
    counts = (
        keys.join(mentioning.select("account_id", "created_on"), on="account_id", how="inner")
        .filter(
            (pl.col("created_on") <= pl.col("as_of_date"))
            & (pl.col("created_on") > pl.col("as_of_date") - dt.timedelta(days=window))
        )
        .group_by("account_id", "as_of_date")
        .agg(pl.len().cast(pl.Int64).alias("mentions"))
    )
    return (
        with_core.join(counts, on=["account_id", "as_of_date"], how="left")
        .with_columns(
            pl.when(pl.col("is_ticketing_covered"))
            .then(pl.col("mentions").fill_null(0))
            .alias("competitor_mentions_90d")
        )
        .drop("core_features", "mentions")
    )
