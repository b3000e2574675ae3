"""Risk cases and save playbooks (metrics.md §12): a case per live account at risk, the playbook
actions matched from the CRM's tasks, and the playbook completion and save rates.

A case opens on the first day a live account has a trigger (a high-severity churn signal, the
cancellation request among them, or grade D/F) and closes as `recovered` once no trigger has held
for `quiet_days_to_close` days, or as `lost` on the day the account leaves the live book (it churns,
or its trial ends unpaid); one case per account at a time. Its playbook is its trigger's; its actions are the account's tasks of that playbook created
between opening and closing (or the as-of date), matched by action order.

The completion rate counts the CRM's save-playbook tasks (every row of cs_tasks is one) due by the
as-of date: done by their due time / due, per month of the due time and CSM of the task. A
playbook never started leaves no task: it shows on the case (`actions_matched` 0, `escalated_to`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from transforms.stats import wilson_interval_exprs


@dataclass(frozen=True)
class PlaybookAction:
    """One step of a save playbook."""

    order: int
    action: str
    channel: str
    timing: str
    due_after_hours: float


@dataclass(frozen=True)
class SavePlaybook:
    """A save playbook of §7 (or ours, `origin` says), for one trigger."""

    trigger: str
    origin: str
    timeline: str
    owner: str
    escalation_path: tuple[str, ...]
    actions: tuple[PlaybookAction, ...]


@dataclass(frozen=True)
class RiskCaseConfig:
    """The settings of config/risk_cases.yml, validated by orchestration/config.py."""

    version: str
    quiet_days_to_close: int
    opening_signal_severity: str
    opening_grades: tuple[str, ...]
    trigger_priority: tuple[str, ...]
    completion_target: float
    completion_warning_below: float
    completion_critical_below: float
    min_actions: int
    min_closed_cases: int
    playbooks: tuple[SavePlaybook, ...]

    def playbook(self, trigger: str) -> SavePlaybook:
        """The playbook a trigger opens."""
        return next(p for p in self.playbooks if p.trigger == trigger)


CASE_SCHEMA = {
    "case_id": pl.String,
    "account_id": pl.String,
    "csm_id": pl.String,
    "opened_on": pl.Date,
    "trigger": pl.String,
    "triggers_held": pl.String,
    "last_trigger_on": pl.Date,
    "closed_on": pl.Date,
    "outcome": pl.String,
}


def _end_of(day: pl.Expr) -> pl.Expr:
    """The last instant of a day (the as-of convention of metrics.md)."""
    return day.cast(pl.Datetime("us")) + pl.duration(days=1) - pl.duration(microseconds=1)


def build_cases(
    triggers: pl.DataFrame, churns: pl.DataFrame, as_of: dt.date, config: RiskCaseConfig
) -> pl.DataFrame:
    """Risk cases from the daily triggers (account_id, as_of_date, trigger, csm_id: live accounts
    only) and the churn days (account_id, churned_on), as of `as_of`."""
    if triggers.is_empty():
        return pl.DataFrame(schema=CASE_SCHEMA)
    quiet = config.quiet_days_to_close
    rank = {t: i for i, t in enumerate(config.trigger_priority)}
    days = (
        triggers.filter(pl.col("as_of_date") <= as_of)
        .with_columns(
            pl.col("trigger")
            .replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
            .alias("rank")
        )
        .group_by("account_id", "as_of_date")
        .agg(
            pl.col("trigger").sort_by("rank", "trigger").first().alias("trigger"),
            pl.col("trigger").unique().sort().alias("triggers"),
            pl.col("csm_id")
            .sort_by("rank", "trigger", "csm_id", nulls_last=True)
            .first()
            .alias("csm_id"),
        )
        .sort("account_id", "as_of_date")
    )
    # Only churns known by the as-of date: a later one must not close (and so hide) a case that
    # was open on the day.
    churn_days = churns.filter(pl.col("churned_on") <= as_of).select("account_id", "churned_on")
    # A trigger belongs to the churn epoch it falls in: a churn ends every case open before it.
    epochs = (
        days.join(churn_days, on="account_id", how="left")
        .group_by("account_id", "as_of_date")
        .agg(
            (pl.col("churned_on") < pl.col("as_of_date")).sum().alias("epoch"),
            pl.col("churned_on").filter(pl.col("churned_on") >= pl.col("as_of_date")).min()
            .alias("next_churn"),
        )
    )  # fmt: skip
    days = days.join(epochs, on=["account_id", "as_of_date"]).sort("account_id", "as_of_date")
    gap = (pl.col("as_of_date") - pl.col("as_of_date").shift(1)).dt.total_days()
    new_case = (
        (pl.col("account_id") != pl.col("account_id").shift(1))
        | (pl.col("epoch") != pl.col("epoch").shift(1))
        | (gap > quiet)
    ).fill_null(True)
    days = days.with_columns(new_case.cum_sum().alias("case_number"))
    held = (
        days.select("case_number", "triggers")
        .explode("triggers")
        .group_by("case_number")
        .agg(pl.col("triggers").unique().sort().str.join(", ").alias("triggers_held"))
    )
    cases = (
        days.group_by("case_number")
        .agg(
            pl.col("account_id").first(),
            pl.col("csm_id").first(),
            pl.col("as_of_date").min().alias("opened_on"),
            pl.col("trigger").first(),
            pl.col("as_of_date").max().alias("last_trigger_on"),
            pl.col("next_churn").last(),
        )
        .join(held, on="case_number")
        .with_columns((pl.col("last_trigger_on") + pl.duration(days=quiet)).alias("quiet_until"))
    )
    lost = pl.col("next_churn").is_not_null() & (pl.col("next_churn") <= pl.col("quiet_until"))
    recovered = ~lost & (pl.col("quiet_until") <= as_of)
    return (
        cases.with_columns(
            pl.when(lost)
            .then(pl.col("next_churn"))
            .when(recovered)
            .then(pl.col("quiet_until"))
            .alias("closed_on"),
            pl.when(lost)
            .then(pl.lit("lost"))
            .when(recovered)
            .then(pl.lit("recovered"))
            .otherwise(pl.lit("open"))
            .alias("outcome"),
            pl.format("{}:{}", "account_id", "opened_on").alias("case_id"),
        )
        .filter(pl.col("closed_on").is_null() | (pl.col("closed_on") <= as_of))
        .select(list(CASE_SCHEMA))
        .sort("account_id", "opened_on")
        .cast(CASE_SCHEMA)
    )


def playbook_actions(config: RiskCaseConfig) -> pl.DataFrame:
    """Every playbook's actions, one row each (playbook, action_order, action, channel, timing,
    due_after_hours)."""
    rows = [
        (p.trigger, a.order, a.action, a.channel, a.timing, a.due_after_hours)
        for p in config.playbooks
        for a in p.actions
    ]
    return pl.DataFrame(
        rows,
        schema={
            "playbook": pl.String,
            "action_order": pl.Int64,
            "action": pl.String,
            "channel": pl.String,
            "timing": pl.String,
            "due_after_hours": pl.Float64,
        },
        orient="row",
    )


def case_actions(
    cases: pl.DataFrame, tasks: pl.DataFrame, as_of: dt.date, config: RiskCaseConfig
) -> pl.DataFrame:
    """One row per case and playbook action, with the task matched to it: the account's earliest
    task of the case's playbook and that action order created between opening and closing."""
    planned = cases.select(
        "case_id", "account_id", pl.col("trigger").alias("playbook"), "opened_on", "closed_on"
    ).join(playbook_actions(config), on="playbook")
    window_end = pl.coalesce(pl.col("closed_on"), pl.lit(as_of))
    matched = (
        planned.join(
            tasks.with_columns(pl.col("action_order").cast(pl.Int64)),
            on=["account_id", "playbook", "action_order"],
        )
        .filter(pl.col("created_at").dt.date().is_between(pl.col("opened_on"), window_end))
        .sort("created_at", "task_id")
        .group_by("case_id", "action_order")
        .agg(pl.all().exclude("case_id", "action_order").first())
        .select(
            "case_id",
            "action_order",
            "task_id",
            pl.col("csm_id").alias("task_csm_id"),
            "created_at",
            "due_at",
            "completed_at",
            pl.col("outcome").alias("task_outcome"),
        )
    )
    done = pl.col("task_outcome") == "done"
    return (
        planned.join(matched, on=["case_id", "action_order"], how="left")
        .with_columns(
            (
                pl.col("opened_on").cast(pl.Datetime("us"))
                + pl.duration(seconds=pl.col("due_after_hours") * 3600)
            ).alias("planned_due_at"),
            done.fill_null(False).alias("done"),
            (done & (pl.col("completed_at") <= pl.col("due_at")))
            .fill_null(False)
            .alias("done_by_due"),
        )  # fmt: skip
        .select(
            "case_id",
            "account_id",
            "playbook",
            "action_order",
            "action",
            "channel",
            "timing",
            "planned_due_at",
            "task_id",
            "task_csm_id",
            "created_at",
            "due_at",
            "completed_at",
            "task_outcome",
            "done",
            "done_by_due",
        )  # fmt: skip
        .sort("case_id", "action_order")
    )


def finish_cases(
    cases: pl.DataFrame,
    actions: pl.DataFrame,
    mrr: pl.DataFrame,
    as_of: dt.date,
    config: RiskCaseConfig,
) -> pl.DataFrame:
    """risk_cases rows: the cases with their playbook (version, owner, timeline, escalation path),
    MRR at stake on the opening day (`mrr`: account_id, as_of_date, mrr_at_stake), action counts,
    time to first action and where the case is escalated to."""
    playbooks = pl.DataFrame(
        [
            (p.trigger, p.origin, p.owner, p.timeline, " > ".join(p.escalation_path),
             p.escalation_path[1] if len(p.escalation_path) > 1 else None)
            for p in config.playbooks
        ],
        schema=["trigger", "playbook_origin", "owner", "playbook_timeline", "escalation_path",
                "escalates_to"],
        orient="row",
    )  # fmt: skip
    first_due = pl.coalesce(pl.col("due_at"), pl.col("planned_due_at"))
    per_case = actions.group_by("case_id").agg(
        pl.len().alias("actions_expected"),
        pl.col("task_id").is_not_null().sum().alias("actions_matched"),
        pl.col("done").sum().alias("actions_done"),
        pl.col("done_by_due").sum().alias("actions_done_by_due"),
        pl.col("completed_at").filter(pl.col("done")).min().alias("first_action_at"),
        (
            (pl.col("action_order") == 1)
            & ~pl.col("done_by_due")
            & (first_due <= _end_of(pl.lit(as_of)))
        ).any().alias("first_action_missed"),
    )  # fmt: skip
    return (
        cases.join(playbooks, on="trigger", how="left")
        .join(per_case, on="case_id", how="left")
        .join(mrr.rename({"as_of_date": "opened_on"}), on=["account_id", "opened_on"], how="left")
        .with_columns(
            pl.col("trigger").alias("playbook"),
            pl.lit(config.version).alias("playbook_version"),
            (
                (
                    pl.col("first_action_at") - pl.col("opened_on").cast(pl.Datetime("us"))
                ).dt.total_seconds()
                / 3600.0
            ).alias("hours_to_first_action"),
            pl.when(pl.col("first_action_missed"))
            .then(pl.col("escalates_to"))
            .alias("escalated_to"),
        )  # fmt: skip
        .select(
            "case_id",
            "account_id",
            "csm_id",
            "opened_on",
            "trigger",
            "triggers_held",
            "last_trigger_on",
            "closed_on",
            "outcome",
            "playbook",
            "playbook_version",
            "playbook_origin",
            "owner",
            "playbook_timeline",
            "escalation_path",
            "escalated_to",
            "mrr_at_stake",
            "actions_expected",
            "actions_matched",
            "actions_done",
            "actions_done_by_due",
            "first_action_at",
            "hours_to_first_action",
        )  # fmt: skip
        .sort("account_id", "opened_on")
    )


def _completion_status(rate: pl.Expr, config: RiskCaseConfig) -> pl.Expr:
    return (
        pl.when(rate.is_null())
        .then(pl.lit("insufficient_sample"))
        .when(rate < config.completion_critical_below)
        .then(pl.lit("critical"))
        .when(rate < config.completion_warning_below)
        .then(pl.lit("warning"))
        .when(rate > config.completion_target)
        .then(pl.lit("met"))
        .otherwise(pl.lit("not met"))
    )


def _with_scopes(frame: pl.DataFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """Aggregates per month and CSM (scope 'csm') and per month over every CSM (scope 'all')."""
    per_csm = frame.group_by("month", "csm_id").agg(aggs).with_columns(pl.lit("csm").alias("scope"))
    overall = (
        frame.group_by("month")
        .agg(aggs)
        .with_columns(pl.lit("all").alias("scope"), pl.lit(None, pl.String).alias("csm_id"))
    )
    return pl.concat([per_csm, overall], how="diagonal").select(*keys, *per_csm.columns[2:-1])


def playbook_completion_monthly(
    tasks: pl.DataFrame, cases: pl.DataFrame, as_of: dt.date, config: RiskCaseConfig
) -> pl.DataFrame:
    """Completion rate (tasks done by their due time / tasks due, by month of the due time and the
    task's CSM) and save rate (recovered / closed cases, by month of closing and the case's CSM),
    each with its Wilson 95% interval, NULL with the reason below its minimum sample."""
    keys = ["month", "scope", "csm_id"]
    due = tasks.filter(
        pl.col("due_at").is_not_null() & (pl.col("due_at") <= _end_of(pl.lit(as_of)))
    ).with_columns(
        pl.col("due_at").dt.date().dt.truncate("1mo").alias("month"),
        ((pl.col("outcome") == "done") & (pl.col("completed_at") <= pl.col("due_at")))
        .fill_null(False).alias("done_by_due"),
    )  # fmt: skip
    actions = _with_scopes(
        due,
        keys,
        [pl.len().alias("actions_due"), pl.col("done_by_due").sum().alias("actions_done_by_due")],
    )
    closed = cases.filter(pl.col("outcome") != "open").with_columns(
        pl.col("closed_on").dt.truncate("1mo").alias("month")
    )
    saves = _with_scopes(
        closed,
        keys,
        [
            pl.len().alias("cases_closed"),
            (pl.col("outcome") == "recovered").sum().alias("cases_recovered"),
        ],
    )
    table = actions.join(saves, on=keys, how="full", coalesce=True, nulls_equal=True)
    counts = ["actions_due", "actions_done_by_due", "cases_closed", "cases_recovered"]
    table = table.with_columns(pl.col(counts).fill_null(0).cast(pl.Int64))
    return _rates(table, config).sort("month", "scope", "csm_id", nulls_last=True)


def _rates(table: pl.DataFrame, config: RiskCaseConfig) -> pl.DataFrame:
    enough_actions = pl.col("actions_due") >= config.min_actions
    enough_cases = pl.col("cases_closed") >= config.min_closed_cases
    c_low, c_high = wilson_interval_exprs("actions_done_by_due", "actions_due")
    s_low, s_high = wilson_interval_exprs("cases_recovered", "cases_closed")
    completion = pl.when(enough_actions).then(pl.col("actions_done_by_due") / pl.col("actions_due"))
    return table.with_columns(
        completion.alias("completion_rate"),
        pl.when(enough_actions).then(c_low).alias("completion_ci_low"),
        pl.when(enough_actions).then(c_high).alias("completion_ci_high"),
        pl.when(~enough_actions)
        .then(
            pl.format(
                "insufficient_sample: {} actions due, fewer than {}",
                "actions_due",
                pl.lit(config.min_actions),
            )
        )
        .alias("completion_reason"),  # fmt: skip
        _completion_status(completion, config).alias("completion_status"),
        pl.when(enough_cases)
        .then(pl.col("cases_recovered") / pl.col("cases_closed"))
        .alias("save_rate"),
        pl.when(enough_cases).then(s_low).alias("save_ci_low"),
        pl.when(enough_cases).then(s_high).alias("save_ci_high"),
        pl.when(~enough_cases)
        .then(
            pl.format(
                "insufficient_sample: {} cases closed, fewer than {}",
                "cases_closed",
                pl.lit(config.min_closed_cases),
            )
        )
        .alias("save_reason"),  # fmt: skip
        pl.lit(config.version).alias("config_version"),
    )
