"""Churn signals of metrics.md §4: one row per (account, day, signal that fired) with the observed
value and the threshold it crossed.

A signal whose input is NULL (source not covering the account, no NPS response, usage change
undefined because the previous 30 days had none) does not fire, so no row ever reports a value
the data does not have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.comparisons import Operator, holds

KEYS = ("account_id", "as_of_date")


@dataclass(frozen=True)
class ChurnSignalRule:
    """A signal that fires where `input op threshold` holds, with the severity it is raised at."""

    name: str
    input: str
    op: Operator
    threshold: float
    severity: str


@dataclass(frozen=True)
class ChurnSignalConfig:
    """The settings of config/churn_signals.yml, validated by orchestration/config.py."""

    version: str
    signals: tuple[ChurnSignalRule, ...]
    competitors: tuple[str, ...]
    competitor_mention_window_days: int


#: Input columns read directly; usage_change_pct is derived from the two usage columns.
INPUT_COLUMNS = (
    "days_since_last_login",
    "usage_30d",
    "usage_prev_30d",
    "nps_score",
    "open_tickets",
    "failed_payments_30d",
    "cancellation_requested",
    "competitor_mentions_90d",
)

SIGNAL_SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "signal": pl.String,
    "severity": pl.String,
    "observed_value": pl.Float64,
    "operator": pl.String,
    "threshold": pl.Float64,
    "config_version": pl.String,
}


def usage_change_pct(current: pl.Expr, previous: pl.Expr) -> pl.Expr:
    """Percent change of usage versus the previous window; NULL when the previous is 0 or NULL."""
    return pl.when(previous > 0).then((current - previous) / previous * 100.0)


def detect_churn_signals(inputs: pl.DataFrame, config: ChurnSignalConfig) -> pl.DataFrame:
    """Every configured churn signal that fires for each (account, day) of `inputs`.

    Input (contract `ChurnSignalInput`), one row per (account_id: str, as_of_date: date), all
    nullable: days_since_last_login (days, counted from the account's creation when it never
    logged in), usage_30d and usage_prev_30d (conversations in the last 30 days and the 30 before),
    nps_score (latest response, 0–10), open_tickets, failed_payments_30d (failed payment attempts),
    cancellation_requested (bool: cancel at period end or a recorded request),
    competitor_mentions_90d (tickets mentioning a configured competitor, see
    `competitor_mentions`).

    Output (contract `ChurnSignalsOutput`): account_id, as_of_date, signal, severity,
    observed_value (the input's value; 1.0 for a true flag; the percent change for usage_drop_50),
    operator, threshold, config_version — one row per signal that fired.
    """
    missing = [c for c in (*KEYS, *INPUT_COLUMNS) if c not in inputs.columns]
    if missing:
        raise ValueError(
            f"the churn-signal inputs lack the columns {missing}; see ChurnSignalInput in "
            "data_contracts/transform_contracts.py"
        )
    prepared = inputs.lazy().with_columns(
        usage_change_pct(
            pl.col("usage_30d").cast(pl.Float64), pl.col("usage_prev_30d").cast(pl.Float64)
        ).alias("usage_change_pct"),
        pl.col("cancellation_requested").cast(pl.Float64),
    )
    fired = [
        prepared.filter(holds(pl.col(rule.input).cast(pl.Float64), rule.op, rule.threshold)).select(
            *KEYS,
            pl.lit(rule.name).alias("signal"),
            pl.lit(rule.severity).alias("severity"),
            pl.col(rule.input).cast(pl.Float64).alias("observed_value"),
            pl.lit(rule.op).alias("operator"),
            pl.lit(rule.threshold, dtype=pl.Float64).alias("threshold"),
            pl.lit(config.version).alias("config_version"),
        )
        for rule in config.signals
    ]
    if not fired:
        return pl.DataFrame(schema=SIGNAL_SCHEMA)
    return pl.concat(fired).sort(*KEYS, "signal").collect().cast(SIGNAL_SCHEMA)


def mentions_competitor(text: pl.Expr, competitors: tuple[str, ...]) -> pl.Expr:
    """True where `text` names a competitor as a whole word, ignoring case ("Ada" but not "adapt")."""
    names = "|".join(pl.escape_regex(name) for name in competitors)
    return text.str.contains(rf"(?i)\b(?:{names})\b").fill_null(False)


def competitor_mentions(
    tickets: pl.DataFrame, as_of_date: dt.date, config: ChurnSignalConfig
) -> pl.DataFrame:
    """Tickets per account created in the window ending on `as_of_date` that name a competitor.

    Input: tickets with account_id, created_on (date) and text (subject and body, joined).
    Output: account_id, as_of_date, competitor_mentions_90d — accounts without a mention get no
    row; the caller fills 0 for accounts whose tickets are covered by a fresh source.
    """
    start = as_of_date - dt.timedelta(days=config.competitor_mention_window_days - 1)
    return (
        tickets.filter(
            pl.col("created_on").is_between(start, as_of_date)
            & mentions_competitor(pl.col("text"), config.competitors)
        )
        .group_by("account_id")
        .agg(pl.len().cast(pl.Int64).alias("competitor_mentions_90d"))
        .select("account_id", pl.lit(as_of_date).alias("as_of_date"), "competitor_mentions_90d")
        .sort("account_id")
    )


def churn_signals_daily(metrics: pl.DataFrame, config: ChurnSignalConfig) -> pl.DataFrame:
    """churn_signals_daily rows for the days of `metrics` (finished by `with_config_metrics`):
    every signal that fired, with the account's CSM and customer status."""
    inputs = metrics.with_columns(
        pl.col("days_since_last_login").cast(pl.Int64),
        pl.col("open_tickets").cast(pl.Int64),
    )
    status = [c for c in ("customer_status",) if c in inputs.columns]
    return detect_churn_signals(inputs, config).join(
        inputs.select("account_id", "as_of_date", "csm_id", *status),
        on=["account_id", "as_of_date"],
        how="left",
    )
