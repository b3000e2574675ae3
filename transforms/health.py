"""Customer health score of metrics.md §2: component and overall scores, grade, trend, risk factors
and opportunities, computed for every account and day at once (the alerts: health_alerts.py).

Missing is not zero: a NULL metric is left out and the weights of the metrics present are rescaled
within its component (and components likewise); the share of weight that was present is the
row's coverage, and below the configured minimum the score is NULL with reason
`insufficient_data`. A real 0 is a value and scores as one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from transforms.comparisons import ThresholdRule, holds, round_half_away

KEYS = ("account_id", "as_of_date")
INSUFFICIENT_DATA = "insufficient_data"

Direction = Literal["higher", "inverse"]


@dataclass(frozen=True)
class MetricSpec:
    """One health metric: its ideal, weight within its component, direction and (inverse) worst."""

    name: str
    ideal: float
    weight: float
    direction: Direction
    worst: float | None


@dataclass(frozen=True)
class ComponentSpec:
    """A health component: the weighted mean of its metrics, weighted in turn in the score."""

    name: str
    label: str
    weight: float
    metrics: tuple[MetricSpec, ...]


@dataclass(frozen=True)
class HealthScoreConfig:
    """The settings of config/health.yml, validated by orchestration/config.py."""

    version: str
    minimum_coverage: float
    components: tuple[ComponentSpec, ...]
    #: (grade, minimum rounded score) from best to worst; below the last, `fallback_grade`.
    grades: tuple[tuple[str, float], ...]
    fallback_grade: str
    trend_lookback_days: int
    trend_improving_at_least: float
    trend_declining_at_most: float
    risk_component_score_below: float
    risk_component_trend_down: bool
    risk_rules: tuple[ThresholdRule, ...]
    opportunity_rules: tuple[ThresholdRule, ...]
    alert_score_drop_more_than: float
    alert_score_drop_severity: str
    alert_at_risk_grades: tuple[str, ...]
    alert_at_risk_severity: str
    #: an alert whose account has at least this MRR at stake is raised one severity level
    alert_mrr_raise_severity_at_least: float
    core_features: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def metrics(self) -> tuple[MetricSpec, ...]:
        return tuple(m for c in self.components for m in c.metrics)

    @property
    def rule_inputs(self) -> tuple[str, ...]:
        """Input columns the risk and opportunity rules read, beyond the scored metrics."""
        scored = {m.name for m in self.metrics}
        names = [r.input for r in (*self.risk_rules, *self.opportunity_rules)]
        return tuple(dict.fromkeys(n for n in names if n not in scored))


def component_column(component: ComponentSpec | str) -> str:
    name = component if isinstance(component, str) else component.name
    return f"{name}_score"


def metric_points_column(metric: MetricSpec | str) -> str:
    name = metric if isinstance(metric, str) else metric.name
    return f"{name}_points"


def component_change_column(component: ComponentSpec | str) -> str:
    name = component if isinstance(component, str) else component.name
    return f"{name}_change"


def component_trend_column(component: ComponentSpec | str) -> str:
    name = component if isinstance(component, str) else component.name
    return f"{name}_trend"


def required_input_columns(config: HealthScoreConfig) -> tuple[str, ...]:
    """Columns `score_health` needs: the keys, every scored metric and the rules' extra inputs."""
    return (*KEYS, *(m.name for m in config.metrics), *config.rule_inputs)


def _require_columns(frame: pl.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} lacks the columns {missing}; see the input contract in "
            "data_contracts/transform_contracts.py"
        )


def normalised_metric(metric: MetricSpec) -> pl.Expr:
    """The metric on the 0–100 scale; NULL where the metric is NULL."""
    value = pl.col(metric.name).cast(pl.Float64)
    if metric.direction == "inverse":
        assert metric.worst is not None  # guaranteed by the config loader
        share = (metric.worst - value) / (metric.worst - metric.ideal)
        return 100.0 * share.clip(0.0, 1.0)
    return (value / metric.ideal * 100.0).clip(0.0, 100.0)


def _weighted_mean_of_present(parts: list[tuple[pl.Expr, float]]) -> pl.Expr:
    """Σ w·x / Σ w over the parts whose x is not NULL; NULL when none is present."""
    numerator = pl.sum_horizontal([x * w for x, w in parts])
    present_weight = pl.sum_horizontal(
        [pl.when(x.is_not_null()).then(pl.lit(w)).otherwise(pl.lit(0.0)) for x, w in parts]
    )
    return pl.when(present_weight > 0).then(numerator / present_weight)


# Up to this many conditions, `_flags` looks each row's combination up in a table of every
# combination (2^n lists) instead of building a list per row: ~35x faster at 1M rows.
_FLAG_TABLE_MAX_CONDITIONS = 12


def _flags(conditions: list[tuple[pl.Expr, str]]) -> pl.Expr:
    """A list[str] of the names whose condition holds (a NULL condition does not), in the
    configured order."""
    if not conditions:
        return pl.lit([], dtype=pl.List(pl.String))
    if len(conditions) > _FLAG_TABLE_MAX_CONDITIONS:
        return pl.concat_list(
            [pl.when(cond).then(pl.lit(name)) for cond, name in conditions]
        ).list.drop_nulls()
    names = [name for _, name in conditions]
    combination = pl.sum_horizontal(
        cond.fill_null(False).cast(pl.Int64) * (1 << i) for i, (cond, _) in enumerate(conditions)
    )
    every_list = pl.Series(
        [[n for i, n in enumerate(names) if bits >> i & 1] for bits in range(1 << len(names))],
        dtype=pl.List(pl.String),
    )
    return pl.lit(every_list).gather(combination)


def grade_expr(display_score: pl.Expr, config: HealthScoreConfig) -> pl.Expr:
    """Letter grade of a rounded score (A ≥ 80, B ≥ 60, C ≥ 40, D ≥ 20, else F); NULL stays NULL."""
    grade = pl.lit(config.fallback_grade)
    for letter, minimum in reversed(config.grades):
        grade = pl.when(display_score >= minimum).then(pl.lit(letter)).otherwise(grade)
    return pl.when(display_score.is_not_null()).then(grade)


def score_health(metrics: pl.DataFrame, config: HealthScoreConfig) -> pl.DataFrame:
    """Score every (account, day) of `metrics` as metrics.md §2 defines.

    Input (contract `HealthMetricsInput`): one row per (account_id: str, as_of_date: date) with one
    nullable Float64 column per configured metric (dau_mau_ratio, feature_adoption,
    conversations_per_week, days_since_last_login, logins_per_week, features_used_this_month,
    open_tickets, avg_csat, escalations, nps_score, meetings_attended, responses_to_outreach,
    payment_health, growth_potential, contract_length) plus usage_vs_limit for the upgrade rule.
    NULL means the source does not cover the account and day; 0 is a measured zero.

    Output (contract `HealthScoresOutput`), one row per input row: account_id, as_of_date,
    score (unrounded, NULL below minimum coverage), score_display (Int32, rounded half away from
    zero), grade (of score_display), coverage, reason (`insufficient_data` or NULL), one
    `<component>_score` per component (NULL when none of its metrics is present), every metric as
    given and its normalised `<metric>_points` (what is behind each component), risk_factors and
    opportunities (list[str]; trend-based risk factors are added by `add_trends`),
    config_version.
    """
    _require_columns(metrics, required_input_columns(config), "the health metrics frame")

    component_exprs: list[pl.Expr] = []
    coverage_parts: list[pl.Expr] = []
    for component in config.components:
        parts = [(normalised_metric(m), m.weight) for m in component.metrics]
        component_exprs.append(_weighted_mean_of_present(parts).alias(component_column(component)))
        coverage_parts.extend(
            pl.when(pl.col(m.name).is_not_null())
            .then(pl.lit(component.weight * m.weight))
            .otherwise(pl.lit(0.0))
            for m in component.metrics
        )

    weighted_score = _weighted_mean_of_present(
        [(pl.col(component_column(c)), c.weight) for c in config.components]
    )
    sufficient = holds(pl.col("coverage"), ">=", config.minimum_coverage)

    risk_conditions = [
        (
            holds(pl.col(component_column(c)), "<", config.risk_component_score_below),
            f"low_{c.name}",
        )
        for c in config.components
    ] + [(holds(pl.col(r.input), r.op, r.threshold), r.name) for r in config.risk_rules]
    opportunity_conditions = [
        (holds(pl.col(r.input), r.op, r.threshold), r.name) for r in config.opportunity_rules
    ]

    return (
        metrics.lazy()
        .with_columns(*component_exprs, pl.sum_horizontal(coverage_parts).alias("coverage"))
        .with_columns(weighted_score.alias("_weighted_score"))
        .with_columns(
            pl.when(sufficient).then(pl.col("_weighted_score")).alias("score"),
            pl.when(~sufficient).then(pl.lit(INSUFFICIENT_DATA)).alias("reason"),
        )
        .with_columns(round_half_away(pl.col("score")).cast(pl.Int32).alias("score_display"))
        .select(
            *KEYS,
            "score",
            "score_display",
            grade_expr(pl.col("score_display"), config).alias("grade"),
            "coverage",
            "reason",
            *(component_column(c) for c in config.components),
            # What is behind each component: every input as measured and its 0-100 points
            # (NULL where the input is missing and was left out).
            *(pl.col(m.name).cast(pl.Float64) for m in config.metrics),
            *(normalised_metric(m).alias(metric_points_column(m)) for m in config.metrics),
            _flags(risk_conditions).alias("risk_factors"),
            _flags(opportunity_conditions).alias("opportunities"),
            pl.lit(config.version).alias("config_version"),
        )
        .collect()
    )


def _trend(change: pl.Expr, config: HealthScoreConfig, labels: tuple[str, str, str]) -> pl.Expr:
    up, stable, down = labels
    return (
        pl.when(change.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(holds(change, ">=", config.trend_improving_at_least))
        .then(pl.lit(up))
        .when(holds(change, "<=", config.trend_declining_at_most))
        .then(pl.lit(down))
        .otherwise(pl.lit(stable))
    )


def _shifted(history: pl.DataFrame, columns: list[str], days: int, suffix: str) -> pl.DataFrame:
    """`history`'s columns keyed on the day they serve as the earlier value for (date + days)."""
    return history.select(
        "account_id",
        (pl.col("as_of_date") + dt.timedelta(days=days)).alias("as_of_date"),
        *(pl.col(c).alias(f"{c}{suffix}") for c in columns),
    )


def add_trends(
    scores: pl.DataFrame, history: pl.DataFrame, config: HealthScoreConfig
) -> pl.DataFrame:
    """Add score and component trends versus `trend_lookback_days` earlier.

    `scores` and `history` are `score_health` outputs; `history` must hold the rows dated
    lookback days before those of `scores` (it may be the whole score history, or `scores` itself).
    Adds score_lookback, score_change, trend (improving/stable/declining at ±5, NULL when either
    score is NULL or there is no earlier row), `<component>_trend` (up/stable/down),
    `<component>_change` (the component's change over the lookback, what moved the score) and appends
    `<component>_trend_down` to risk_factors.
    """
    components = [component_column(c) for c in config.components]
    earlier = _shifted(history, ["score", *components], config.trend_lookback_days, "_lookback")
    joined = scores.join(earlier, on=list(KEYS), how="left")
    score_change = pl.col("score") - pl.col("score_lookback")
    component_trends = [
        _trend(
            pl.col(component_column(c)) - pl.col(f"{component_column(c)}_lookback"),
            config,
            ("up", "stable", "down"),
        ).alias(component_trend_column(c))
        for c in config.components
    ]
    trend_down = [
        (pl.col(component_trend_column(c)) == "down", f"{c.name}_trend_down")
        for c in config.components
        if config.risk_component_trend_down
    ]
    # What moved the score: each component's change over the lookback (NULL without both values).
    component_changes = [
        (pl.col(component_column(c)) - pl.col(f"{component_column(c)}_lookback")).alias(
            component_change_column(c)
        )
        for c in config.components
    ]
    return (
        joined.with_columns(
            score_change.alias("score_change"),
            _trend(score_change, config, ("improving", "stable", "declining")).alias("trend"),
            *component_trends,
            *component_changes,
        )
        .with_columns(
            pl.concat_list(
                "risk_factors", _flags([(c.fill_null(False), n) for c, n in trend_down])
            ).alias("risk_factors")
        )
        .drop(f"{c}_lookback" for c in components)
    )


# --------------------------------------------------------------------------- days of a run


def trend_history_columns(config: HealthScoreConfig) -> list[str]:
    """The score columns `add_trends` reads from earlier days."""
    return ["account_id", "as_of_date", "score", "grade"] + [
        component_column(c) for c in config.components
    ]


def _status_columns(metrics: pl.DataFrame) -> list[str]:
    """The customer status column, where the metrics carry it (the live-book tables show it)."""
    return [c for c in ("customer_status",) if c in metrics.columns]


def scores_with_trends(
    metrics: pl.DataFrame, earlier: pl.DataFrame | None, config: HealthScoreConfig
) -> pl.DataFrame:
    """health_scores_daily rows for the days of `metrics` (finished by `with_config_metrics`):
    scores, their trends against these days and the `earlier` days' scores (None: no scores
    written yet), and each row's CSM and customer status."""
    scores = score_health(metrics, config)
    history = scores.select(trend_history_columns(config))
    if earlier is not None:
        history = pl.concat([history, earlier], how="vertical_relaxed")
    return add_trends(scores, history, config).join(
        metrics.select("account_id", "as_of_date", "csm_id", *_status_columns(metrics)),
        on=["account_id", "as_of_date"],
        how="left",
    )
