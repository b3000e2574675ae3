"""Lifecycle stage machine of metrics.md §5, evaluated day by day for all accounts at once.

Each day's stage depends on the previous day's, so the days are walked in order; within a day
every account is decided by one vectorised expression. The order of precedence is the spec's:
churned first, then at_risk, then the current stage's own rule; at most one transition a day.
The state after the last day is returned so that the next run continues from it instead of
replaying the whole history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.comparisons import holds
from transforms.onboarding import OnboardingConfig

#: The stages of metrics.md §5.
STAGES = (
    "trial",
    "onboarding",
    "adopting",
    "growing",
    "renewing",
    "expanding",
    "advocating",
    "at_risk",
    "churned",
)

INPUT_COLUMNS = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "subscription_state": pl.String,
    "health_score": pl.Float64,
    "days_without_login": pl.Int64,
    "high_urgent_open_tickets": pl.Int64,
    "nps_score": pl.Float64,
    "onboarding_completion": pl.Float64,
    "tenure_days": pl.Int64,
    "term_months": pl.Int64,
    "current_period_end": pl.Date,
    "expansion_opportunity": pl.Boolean,
    "mrr_rose": pl.Boolean,
    "cancellation_requested": pl.Boolean,
    "onboarding_window_days": pl.Int64,
}

STATE_SCHEMA = {
    "account_id": pl.String,
    "stage": pl.String,
    "stage_entered_on": pl.Date,
    "renewal_term_end": pl.Date,
}

STAGE_SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "stage": pl.String,
    "previous_stage": pl.String,
    "days_in_stage": pl.Int64,
    "config_version": pl.String,
}

TRANSITION_SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "from_stage": pl.String,
    "to_stage": pl.String,
    "rule": pl.String,
    "detail": pl.String,
    "config_version": pl.String,
}


@dataclass(frozen=True)
class LifecycleConfig:
    """The settings of config/lifecycle.yml, validated by orchestration/config.py."""

    version: str
    stages: tuple[str, ...]
    live_subscription_states: tuple[str, ...]
    entry_stage: tuple[tuple[str, str], ...]
    at_risk_health_below: float
    at_risk_days_without_login_over: float
    at_risk_high_urgent_open_tickets_over: float
    at_risk_nps_at_most: float
    at_risk_exit_health_at_least: float
    at_risk_exit_to: str
    trial_to_onboarding_state: str
    onboarding_to_adopting_completion_at_least: float
    onboarding_window_ended_completion_at_least: float
    onboarding_to_at_risk_completion_below: float
    onboarding_window_days_without_program: int
    adopting_to_growing_health_at_least: float
    adopting_to_growing_tenure_days_over: int
    growing_to_renewing_days_to_term_end_at_most: int
    growing_to_renewing_term_months_at_least: int
    growing_to_advocating_nps_at_least: float
    growing_to_advocating_health_at_least: float
    expanding_to_growing_days_in_stage_over: int
    churned_to_onboarding_state: str
    advocating_to_growing_health_below: float
    advocating_to_growing_nps_below: float


@dataclass(frozen=True)
class LifecycleRun:
    """The outcome of walking the stage machine over a range of days."""

    #: One row per account and evaluated day: the stage at the end of that day.
    daily_stages: pl.DataFrame
    #: One row per stage change, with the rule that fired.
    transitions: pl.DataFrame
    #: Each tracked account's stage after the last day, to start the next run from.
    final_state: pl.DataFrame


def empty_state() -> pl.DataFrame:
    """A state with no account yet: every account enters by its entry rule."""
    return pl.DataFrame(schema=STATE_SCHEMA)


def _at_risk_conditions(config: LifecycleConfig) -> list[tuple[pl.Expr, str]]:
    return [
        (holds(pl.col("health_score"), "<", config.at_risk_health_below), "health_below"),
        (
            holds(pl.col("days_without_login"), ">", config.at_risk_days_without_login_over),
            "days_without_login_over",
        ),
        (
            holds(
                pl.col("high_urgent_open_tickets"),
                ">",
                config.at_risk_high_urgent_open_tickets_over,
            ),
            "high_urgent_open_tickets_over",
        ),
        # Only where a response exists: holds() is False on NULL.
        (holds(pl.col("nps_score"), "<=", config.at_risk_nps_at_most), "nps_at_most"),
        # An open cancellation request (signal cancellation_request) puts the account at risk
        # until it is withdrawn or the account churns (metrics.md §5 rule 2).
        (_flag("cancellation_requested"), "cancellation_requested"),
    ]


#: (condition, stage it leads to, name of the rule).
Rule = tuple[pl.Expr, str, str]


def _is_stage(name: str) -> pl.Expr:
    return (pl.col("stage") == name).fill_null(False)


def _flag(column: str) -> pl.Expr:
    return pl.col(column).fill_null(False)


def _precedence_rules(config: LifecycleConfig, at_risk: pl.Expr) -> list[Rule]:
    """The rules before any stage's own: entry of an untracked account, churn, at_risk in and out."""
    stage = pl.col("stage")
    live = pl.col("subscription_state").is_in(list(config.live_subscription_states))
    tracked = stage.is_not_null()
    entry = [
        (~tracked & (pl.col("subscription_state") == state), target, "entered")
        for state, target in config.entry_stage
    ]
    return [
        *entry,
        (tracked & ~live & ~_is_stage("churned"), "churned", "no_live_subscription"),
        (
            tracked & ~_is_stage("churned") & ~_is_stage("at_risk") & at_risk,
            "at_risk",
            "at_risk_entered",
        ),
        (
            _is_stage("at_risk")
            & ~at_risk
            & holds(pl.col("health_score"), ">=", config.at_risk_exit_health_at_least),
            config.at_risk_exit_to,
            "at_risk_exited",
        ),
    ]


def _stage_rules(config: LifecycleConfig) -> list[Rule]:
    """Each stage's own rules, in the order of §5."""
    day = pl.col("as_of_date")
    days_in_stage = (day - pl.col("stage_entered_on")).dt.total_days()
    # The program window (§8: 7 or 30 days in onboarding) has ended once more days than it lasts
    # have passed; an account whose segment has no program gets the playbook's 30 days.
    window = pl.col("onboarding_window_days").fill_null(
        config.onboarding_window_days_without_program
    )
    window_ended = (days_in_stage > window).fill_null(False)
    days_to_term_end = (pl.col("current_period_end") - day).dt.total_days()
    return [
        (
            _is_stage("trial") & (pl.col("subscription_state") == config.trial_to_onboarding_state),
            "onboarding",
            "trial_to_onboarding",
        ),
        (
            _is_stage("onboarding")
            & (
                holds(
                    pl.col("onboarding_completion"),
                    ">=",
                    config.onboarding_to_adopting_completion_at_least,
                )
                | (
                    window_ended
                    & holds(
                        pl.col("onboarding_completion"),
                        ">=",
                        config.onboarding_window_ended_completion_at_least,
                    )
                )
            ),
            "adopting",
            "onboarding_to_adopting",
        ),
        (
            # No account stays in onboarding past its window: below the bar (or with no
            # completion known) it is at risk.
            _is_stage("onboarding")
            & window_ended
            & ~holds(
                pl.col("onboarding_completion"), ">=", config.onboarding_to_at_risk_completion_below
            ),
            "at_risk",
            "onboarding_to_at_risk",
        ),
        (
            _is_stage("adopting")
            & holds(pl.col("health_score"), ">=", config.adopting_to_growing_health_at_least)
            & holds(pl.col("tenure_days"), ">", config.adopting_to_growing_tenure_days_over),
            "growing",
            "adopting_to_growing",
        ),
        (
            _is_stage("growing")
            & holds(pl.col("term_months"), ">=", config.growing_to_renewing_term_months_at_least)
            & holds(days_to_term_end, "<=", config.growing_to_renewing_days_to_term_end_at_most),
            "renewing",
            "growing_to_renewing",
        ),
        (
            _is_stage("growing") & _flag("expansion_opportunity"),
            "expanding",
            "growing_to_expanding",
        ),
        (
            _is_stage("growing")
            & holds(pl.col("nps_score"), ">=", config.growing_to_advocating_nps_at_least)
            & holds(pl.col("health_score"), ">=", config.growing_to_advocating_health_at_least),
            "advocating",
            "growing_to_advocating",
        ),
        (
            _is_stage("renewing")
            & (pl.col("current_period_end") > pl.col("renewal_term_end")).fill_null(False),
            "growing",
            "renewing_to_growing",
        ),
        (
            _is_stage("expanding")
            & (
                _flag("mrr_rose")
                | holds(days_in_stage, ">", config.expanding_to_growing_days_in_stage_over)
            ),
            "growing",
            "expanding_to_growing",
        ),
        (
            _is_stage("churned")
            & (pl.col("subscription_state") == config.churned_to_onboarding_state),
            "onboarding",
            "churned_to_onboarding",
        ),
        (
            _is_stage("advocating")
            & (
                holds(pl.col("health_score"), "<", config.advocating_to_growing_health_below)
                | holds(pl.col("nps_score"), "<", config.advocating_to_growing_nps_below)
            ),
            "growing",
            "advocating_to_growing",
        ),
    ]


def _decide(config: LifecycleConfig) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(next stage, rule that fired or NULL, detail) for every account of one day's frame."""
    at_risk_conditions = _at_risk_conditions(config)
    at_risk = pl.any_horizontal([c for c, _ in at_risk_conditions])
    # In the order of precedence of §5: the first rule that fires decides.
    rules = [*_precedence_rules(config, at_risk), *_stage_rules(config)]
    next_stage: pl.Expr = pl.col("stage")
    rule: pl.Expr = pl.lit(None, dtype=pl.String)
    for condition, target, name in reversed(rules):
        fires = condition.fill_null(False)
        next_stage = pl.when(fires).then(pl.lit(target)).otherwise(next_stage)
        rule = pl.when(fires).then(pl.lit(name)).otherwise(rule)
    detail = (
        pl.when(rule == "at_risk_entered")
        .then(
            pl.concat_list([pl.when(c).then(pl.lit(n)) for c, n in at_risk_conditions])
            .list.drop_nulls()
            .list.join(",")
        )
        .when(rule == "expanding_to_growing")
        .then(pl.when(_flag("mrr_rose")).then(pl.lit("mrr_rose")).otherwise(pl.lit("30_days")))
        .when(rule == "onboarding_to_adopting")
        .then(
            pl.when(
                holds(
                    pl.col("onboarding_completion"),
                    ">=",
                    config.onboarding_to_adopting_completion_at_least,
                )
            )
            .then(pl.lit("completion"))
            .otherwise(pl.lit("window_ended"))
        )
    )
    return next_stage, rule, detail


def _check_inputs(daily_inputs: pl.DataFrame, config: LifecycleConfig) -> None:
    """Refuse inputs without the contract's columns or with an unknown subscription state."""
    missing = [c for c in INPUT_COLUMNS if c not in daily_inputs.columns]
    if missing:
        raise ValueError(
            f"the lifecycle inputs lack the columns {missing}; see LifecycleDailyInput in "
            "data_contracts/transform_contracts.py"
        )
    unknown_states = set(daily_inputs["subscription_state"].unique().to_list()) - {
        *config.live_subscription_states,
        "none",
    }
    if unknown_states:
        raise ValueError(
            f"subscription_state has values {sorted(map(str, unknown_states))}; "
            f"expected one of {[*config.live_subscription_states, 'none']}"
        )


def _walk_day(
    inputs: pl.DataFrame,
    state: pl.DataFrame,
    day: dt.date,
    decision: tuple[pl.Expr, pl.Expr, pl.Expr],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One day of the machine: (the day's stages, its transitions, the state after it)."""
    next_stage, rule, detail = decision
    decided = (
        inputs.join(state, on="account_id", how="left")
        .with_columns(next_stage.alias("next_stage"), rule.alias("rule"), detail.alias("detail"))
        .filter(pl.col("next_stage").is_not_null())
        .with_columns(
            pl.when(pl.col("rule").is_not_null())
            .then(pl.lit(day))
            .otherwise(pl.col("stage_entered_on"))
            .alias("next_entered_on"),
            pl.when(pl.col("rule").is_null())
            .then(pl.col("renewal_term_end"))
            .when(pl.col("next_stage") == "renewing")
            .then(pl.col("current_period_end"))
            .alias("next_renewal_term_end"),
        )
    )
    transitions = decided.filter(pl.col("rule").is_not_null()).select(
        "account_id",
        "as_of_date",
        pl.col("stage").alias("from_stage"),
        pl.col("next_stage").alias("to_stage"),
        "rule",
        "detail",
    )
    stages = decided.select(
        "account_id",
        "as_of_date",
        pl.col("next_stage").alias("stage"),
        pl.col("stage").alias("previous_stage"),
        (pl.lit(day) - pl.col("next_entered_on")).dt.total_days().alias("days_in_stage"),
    )
    updated = decided.select(
        "account_id",
        pl.col("next_stage").alias("stage"),
        pl.col("next_entered_on").alias("stage_entered_on"),
        pl.col("next_renewal_term_end").alias("renewal_term_end"),
    )
    return (
        stages,
        transitions,
        pl.concat([state.join(updated, on="account_id", how="anti"), updated]),
    )


def run_lifecycle(
    daily_inputs: pl.DataFrame, state: pl.DataFrame, config: LifecycleConfig
) -> LifecycleRun:
    """Walk the stage machine over every day of `daily_inputs`, starting from `state`.

    Input (contract `LifecycleDailyInput`), one row per (account_id, as_of_date):
    subscription_state (`active`, `past_due`, `trialing` or `none`), health_score (unrounded,
    NULL when insufficient), days_without_login, high_urgent_open_tickets, nps_score (latest,
    NULL without a response), onboarding_completion (share of required steps, 0–1), tenure_days,
    term_months (committed months of the current term), current_period_end (date),
    expansion_opportunity and mrr_rose (bool), cancellation_requested (bool: an open cancellation
    request), onboarding_window_days (the program's window; NULL: no program, the configured
    default applies). Condition inputs that are NULL never fire a rule, except that an account
    whose onboarding window has ended leaves onboarding whatever its completion.

    `state` (contract `LifecycleState`): account_id, stage, stage_entered_on, renewal_term_end
    (the period end when the account entered renewing) — the `final_state` of the previous run,
    or `empty_state()`. An account absent from it enters by `entry_stage` on its first day with a
    live subscription; an account without an input row on a day keeps its stage that day.

    Returns daily_stages (account_id, as_of_date, stage, previous_stage, days_in_stage,
    config_version), transitions (account_id, as_of_date, from_stage, to_stage, rule, detail,
    config_version) and final_state.
    """
    _check_inputs(daily_inputs, config)
    inputs = daily_inputs.select(pl.col(c).cast(t) for c, t in INPUT_COLUMNS.items())
    state = state.select(pl.col(c).cast(t) for c, t in STATE_SCHEMA.items())
    stages: list[pl.DataFrame] = []
    transitions: list[pl.DataFrame] = []
    decision = _decide(config)
    by_day = inputs.partition_by("as_of_date", as_dict=True, maintain_order=False)
    for (day,) in sorted(by_day):
        day_stages, day_transitions, state = _walk_day(by_day[(day,)], state, day, decision)
        stages.append(day_stages)
        transitions.append(day_transitions)

    version = pl.lit(config.version).alias("config_version")
    daily = pl.concat(stages).with_columns(version) if stages else pl.DataFrame(schema=STAGE_SCHEMA)
    changes = (
        pl.concat(transitions).with_columns(version)
        if transitions
        else pl.DataFrame(schema=TRANSITION_SCHEMA)
    )
    return LifecycleRun(
        daily_stages=daily.cast(STAGE_SCHEMA).sort("account_id", "as_of_date"),
        transitions=changes.cast(TRANSITION_SCHEMA).sort("account_id", "as_of_date"),
        final_state=state.sort("account_id"),
    )


# --------------------------------------------------------------------------- inputs


def onboarding_completion(
    days: pl.DataFrame, steps: pl.DataFrame, config: OnboardingConfig
) -> pl.Series:
    """Share of the program's required steps completed by the end of each row's day.

    `days`: account_id, as_of_date, segment; `steps`: account_id, step_id, completed_on.
    NULL for a segment with no program."""
    programs = pl.DataFrame(
        [
            {"segment": s, "step_id": step, "required_steps": len(p.required_steps)}
            for p in config.programs
            for s in p.segments
            for step in p.required_steps
        ],
        schema={"segment": pl.String, "step_id": pl.String, "required_steps": pl.Int64},
    )
    required = programs.group_by("segment").agg(pl.col("required_steps").first())
    done = (
        days.select("account_id", "as_of_date", "segment")
        .join(
            steps.group_by("account_id", "step_id").agg(pl.col("completed_on").min()),
            on="account_id",
        )
        .join(programs.select("segment", "step_id"), on=["segment", "step_id"], how="semi")
        .filter(pl.col("completed_on") <= pl.col("as_of_date"))
        .group_by("account_id", "as_of_date")
        .agg(pl.len().alias("required_done"))
    )
    return (
        days.select("account_id", "as_of_date", "segment")
        .join(required, on="segment", how="left")
        .join(done, on=["account_id", "as_of_date"], how="left")
        .select(
            (pl.col("required_done").fill_null(0) / pl.col("required_steps")).alias(
                "onboarding_completion"
            )
        )
        .to_series()
    )


def onboarding_window_days(segments: pl.Series, config: OnboardingConfig) -> pl.Series:
    """The program window (days) of each row's segment; NULL for a segment with no program."""
    windows = {s: p.duration_days for p in config.programs for s in p.segments}
    return segments.replace_strict(windows, default=None, return_dtype=pl.Int64).alias(
        "onboarding_window_days"
    )


def lifecycle_inputs(
    metrics: pl.DataFrame,
    scores: pl.DataFrame,
    steps: pl.DataFrame,
    opportunities: pl.DataFrame,
    onboarding_config: OnboardingConfig,
) -> pl.DataFrame:
    """The machine's inputs for the days of `metrics` whose customer status is known (a day Stripe
    does not cover leaves the stage as it was): the daily metrics with each day's health score
    (`scores`: account_id, as_of_date, health_score), the onboarding completion and program
    window, and whether the published expansion opportunities (`opportunities`: account_id,
    as_of_date, one row per open opportunity) hold one for the account that day."""
    known = metrics.filter(pl.col("customer_status").is_not_null())
    open_days = opportunities.select("account_id", "as_of_date").unique()
    return (
        known.join(scores, on=["account_id", "as_of_date"], how="left")
        .with_columns(
            onboarding_completion(known, steps, onboarding_config),
            onboarding_window_days(known["segment"], onboarding_config),
        )
        .join(
            open_days.with_columns(pl.lit(True).alias("expansion_opportunity")),
            on=["account_id", "as_of_date"],
            how="left",
        )
        .with_columns(pl.col("expansion_opportunity").fill_null(False))
    )
