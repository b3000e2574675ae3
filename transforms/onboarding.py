"""Onboarding progress, milestones, stalls, time to first value and completion rate (metrics.md §8).

Only steps completed on or before the as-of date count, so a backfilled day sees the progress
known then. Progress counts required steps only; optional steps never raise or lower it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.stats import wilson_interval_exprs

ACCOUNT_COLUMNS = ("account_id", "segment", "onboarding_start")
STEP_COLUMNS = ("account_id", "step", "completed_on")


@dataclass(frozen=True)
class OnboardingMilestone:
    """A milestone of a program: done when all its steps are, due by `target_day`."""

    id: str
    target_day: int
    #: Steps that must all be done; for an `all_required` milestone, the program's required steps.
    steps: tuple[str, ...]


@dataclass(frozen=True)
class OnboardingProgram:
    """An onboarding program: the segments it serves, its steps and milestones."""

    id: str
    segments: tuple[str, ...]
    duration_days: int
    first_value_step: str
    steps: tuple[str, ...]
    required_steps: tuple[str, ...]
    milestones: tuple[OnboardingMilestone, ...]


@dataclass(frozen=True)
class OnboardingConfig:
    """The settings of config/onboarding.yml, validated by orchestration/config.py."""

    version: str
    stalled_after_days: int
    programs: tuple[OnboardingProgram, ...]


def _program_of_segment(config: OnboardingConfig) -> dict[str, str]:
    return {segment: p.id for p in config.programs for segment in p.segments}


def _program_steps(config: OnboardingConfig) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"program": p.id, "step": s, "required": s in p.required_steps}
            for p in config.programs
            for s in p.steps
        ],
        schema={"program": pl.String, "step": pl.String, "required": pl.Boolean},
    )


def _programs(config: OnboardingConfig) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "program": p.id,
                "duration_days": p.duration_days,
                "first_value_step": p.first_value_step,
                "required_steps": len(p.required_steps),
            }
            for p in config.programs
        ],
        schema={
            "program": pl.String,
            "duration_days": pl.Int64,
            "first_value_step": pl.String,
            "required_steps": pl.Int64,
        },
    )


def _started_accounts(
    accounts: pl.DataFrame, as_of_date: dt.date, config: OnboardingConfig
) -> pl.DataFrame:
    missing = [c for c in ACCOUNT_COLUMNS if c not in accounts.columns]
    if missing:
        raise ValueError(
            f"the onboarding accounts lack the columns {missing}; see OnboardingAccountInput in "
            "data_contracts/transform_contracts.py"
        )
    mapping = _program_of_segment(config)
    unknown = sorted(set(accounts["segment"].drop_nulls().unique().to_list()) - set(mapping))
    if unknown or accounts["segment"].null_count():
        raise ValueError(
            f"segments {unknown or [None]} have no onboarding program; add them to a program's "
            "`segments` in config/onboarding.yml"
        )
    return accounts.filter(pl.col("onboarding_start") <= as_of_date).select(
        "account_id",
        "onboarding_start",
        pl.col("segment").replace_strict(mapping, return_dtype=pl.String).alias("program"),
    )


def _completions(steps: pl.DataFrame, as_of_date: dt.date) -> pl.DataFrame:
    """First completion date per (account, step), as known at the end of `as_of_date`."""
    missing = [c for c in STEP_COLUMNS if c not in steps.columns]
    if missing:
        raise ValueError(
            f"the onboarding steps lack the columns {missing}; see OnboardingStepInput in "
            "data_contracts/transform_contracts.py"
        )
    return (
        steps.filter(pl.col("completed_on") <= as_of_date)
        .group_by("account_id", "step")
        .agg(pl.col("completed_on").min())
    )


def onboarding_progress(
    accounts: pl.DataFrame, steps: pl.DataFrame, as_of_date: dt.date, config: OnboardingConfig
) -> pl.DataFrame:
    """Each onboarding account's program, progress, status, stall and time to first value.

    Inputs: `accounts` (contract `OnboardingAccountInput`: account_id, segment, onboarding_start —
    the date the paid subscription started) and `steps` (contract `OnboardingStepInput`:
    account_id, step, completed_on). Accounts starting after `as_of_date` are left out.

    Output (contract `OnboardingProgressOutput`), one row per account: account_id, as_of_date,
    program, required_steps, required_done, progress (required_done / required_steps),
    status (completed / in_progress), completed_on (date the last required step was done),
    last_step_on, stalled (in progress and no step completed in the last `stalled_after_days`
    days, counting from the start when none was), first_value_on, time_to_first_value_days,
    window_end (start + program duration), window_ended (window_end ≤ as_of_date),
    completed_in_window (all required steps done by window_end), config_version.
    """
    started = _started_accounts(accounts, as_of_date, config)
    done = _completions(steps, as_of_date)
    per_step = (
        started.join(_program_steps(config), on="program", how="inner")
        .join(done, on=["account_id", "step"], how="left")
        .join(_programs(config), on="program", how="left")
    )
    required_done_on = pl.col("completed_on").filter(pl.col("required"))
    summary = per_step.group_by("account_id").agg(
        pl.col("program").first(),
        pl.col("onboarding_start").first(),
        pl.col("required_steps").first(),
        pl.col("duration_days").first(),
        required_done_on.is_not_null().sum().cast(pl.Int64).alias("required_done"),
        required_done_on.max().alias("_last_required_on"),
        pl.col("completed_on").max().alias("last_step_on"),
        pl.col("completed_on")
        .filter(pl.col("step") == pl.col("first_value_step"))
        .first()
        .alias("first_value_on"),
    )
    completed = pl.col("required_done") == pl.col("required_steps")
    last_activity = pl.coalesce("last_step_on", "onboarding_start")
    window_end = pl.col("onboarding_start") + pl.duration(days=pl.col("duration_days"))
    return (
        summary.with_columns(
            (pl.col("required_done") / pl.col("required_steps")).alias("progress"),
            pl.when(completed)
            .then(pl.lit("completed"))
            .otherwise(pl.lit("in_progress"))
            .alias("status"),
            pl.when(completed).then(pl.col("_last_required_on")).alias("completed_on"),
            window_end.alias("window_end"),
        )
        .select(
            "account_id",
            pl.lit(as_of_date).alias("as_of_date"),
            "program",
            "required_steps",
            "required_done",
            "progress",
            "status",
            "completed_on",
            "last_step_on",
            (
                (pl.col("status") == "in_progress")
                & (
                    (pl.lit(as_of_date) - last_activity).dt.total_days()
                    >= config.stalled_after_days
                )
            ).alias("stalled"),
            "first_value_on",
            (pl.col("first_value_on") - pl.col("onboarding_start"))
            .dt.total_days()
            .alias("time_to_first_value_days"),
            "window_end",
            (pl.col("window_end") <= as_of_date).alias("window_ended"),
            (pl.col("completed_on") <= pl.col("window_end"))
            .fill_null(False)
            .alias("completed_in_window"),
            pl.lit(config.version).alias("config_version"),
        )
        .sort("account_id")
    )


def onboarding_milestones(
    accounts: pl.DataFrame, steps: pl.DataFrame, as_of_date: dt.date, config: OnboardingConfig
) -> pl.DataFrame:
    """Every milestone of each account's program: its target date and the date it was reached.

    Inputs as `onboarding_progress`. Output: account_id, program, milestone, target_day,
    target_on (start + target_day), reached_on (the day its last step was done; NULL if not yet),
    on_time (reached_on ≤ target_on; NULL while not reached).
    """
    milestone_steps = pl.DataFrame(
        [
            {"program": p.id, "milestone": m.id, "target_day": m.target_day, "step": s}
            for p in config.programs
            for m in p.milestones
            for s in m.steps
        ],
        schema={
            "program": pl.String,
            "milestone": pl.String,
            "target_day": pl.Int64,
            "step": pl.String,
        },
    )
    order = pl.DataFrame(
        [
            {"program": p.id, "milestone": m.id, "position": i}
            for p in config.programs
            for i, m in enumerate(p.milestones)
        ],
        schema={"program": pl.String, "milestone": pl.String, "position": pl.Int64},
    )
    started = _started_accounts(accounts, as_of_date, config)
    done = _completions(steps, as_of_date)
    return (
        started.join(milestone_steps, on="program", how="inner")
        .join(done, on=["account_id", "step"], how="left")
        .group_by("account_id", "program", "milestone")
        .agg(
            pl.col("target_day").first(),
            pl.col("onboarding_start").first(),
            pl.when(pl.col("completed_on").is_not_null().all())
            .then(pl.col("completed_on").max())
            .alias("reached_on"),
        )
        .join(order, on=["program", "milestone"], how="left")
        .select(
            "account_id",
            "program",
            "milestone",
            "target_day",
            (pl.col("onboarding_start") + pl.duration(days=pl.col("target_day"))).alias(
                "target_on"
            ),
            "reached_on",
            "position",
        )
        .with_columns((pl.col("reached_on") <= pl.col("target_on")).alias("on_time"))
        .sort("account_id", "position")
        .drop("position")
    )


def onboarding_completion_rate(progress: pl.DataFrame) -> pl.DataFrame:
    """Completion rate per program and overall (`program` = "all"), with its Wilson interval.

    `progress` is an `onboarding_progress` output. Denominator: accounts whose program window has
    ended; numerator: those of them with every required step done by the window's end. Output:
    program, completed (numerator), window_ended (denominator), rate (NULL when the denominator is
    0), rate_low, rate_high.
    """
    ended = progress.filter(pl.col("window_ended"))
    counts = [
        pl.col("completed_in_window").sum().cast(pl.Int64).alias("completed"),
        pl.len().cast(pl.Int64).alias("window_ended"),
    ]
    per_program = ended.group_by("program").agg(counts)
    overall = ended.select(pl.lit("all").alias("program"), *counts)
    low, high = wilson_interval_exprs("completed", "window_ended")
    return pl.concat([per_program.sort("program"), overall]).with_columns(
        pl.when(pl.col("window_ended") > 0)
        .then(pl.col("completed") / pl.col("window_ended"))
        .alias("rate"),
        low.alias("rate_low"),
        high.alias("rate_high"),
    )


def startable_accounts(accounts: pl.DataFrame) -> pl.DataFrame:
    """The accounts of int_onboarding_accounts_started that can be onboarded: with an onboarding
    start (a Stripe subscription) and a segment (which picks the program)."""
    return accounts.filter(
        pl.col("onboarding_start").is_not_null() & pl.col("segment").is_not_null()
    ).select("account_id", "segment", "onboarding_start")


def onboarding_tables(
    progress: pl.DataFrame,
    accounts: pl.DataFrame,
    steps: pl.DataFrame,
    as_of_date: dt.date,
    config: OnboardingConfig,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """onboarding_progress (`progress` with each account's onboarding start), onboarding_milestones
    and onboarding_completion as of a date, each stamped as the tables keep them; `accounts` as
    `startable_accounts` gives."""
    progress = progress.join(
        accounts.select("account_id", "onboarding_start"), on="account_id", how="left"
    )
    milestones = onboarding_milestones(accounts, steps, as_of_date, config).select(
        "account_id",
        pl.lit(as_of_date).alias("as_of_date"),
        pl.exclude("account_id"),
        pl.lit(config.version).alias("config_version"),
    )
    completion = onboarding_completion_rate(progress).select(
        pl.lit(as_of_date).alias("as_of_date"),
        pl.all(),
        pl.lit(config.version).alias("config_version"),
    )
    return progress, milestones, completion
