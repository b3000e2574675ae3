"""Rule 21 (playbooks followed): the published completion counts must be the raw tasks', and the
latest complete month warns below 70% (critical below 50%). Each defect the rule exists for is put
back into the published figures, which the transform would have produced with it, and caught."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.gate.playbook_rules import playbooks_followed
from transforms.gate.results import Absent
from transforms.risk_cases import RiskCaseConfig, playbook_completion_monthly

AS_OF = dt.date(2026, 3, 2)  # February is the latest complete month
RAW_SCHEMA = {
    "task_id": pl.String, "csm_id": pl.String, "due_at": pl.Datetime("us"),
    "completed_at": pl.Datetime("us"), "outcome": pl.String, "deleted_at": pl.Datetime("us"),
    "_drop_date": pl.Date, "_line": pl.Int64,
}  # fmt: skip
CONFIG = RiskCaseConfig(
    version="t", quiet_days_to_close=14, opening_signal_severity="high", opening_grades=("D",),
    trigger_priority=(), completion_target=0.8, completion_warning_below=0.7,
    completion_critical_below=0.5, min_actions=4, min_closed_cases=1, playbooks=(),
)  # fmt: skip


def _raw(on_time: int, late: int, extra: list[tuple] = ()) -> pl.DataFrame:
    """February tasks of csm_1: `on_time` done before their due time, `late` done after it."""
    due = dt.datetime(2026, 2, 10, 12)
    rows = [
        (f"t{i}", "csm_1", due, due - dt.timedelta(hours=1), "done", None, dt.date(2026, 2, 10), i + 2)
        for i in range(on_time)
    ] + [
        (f"l{i}", "csm_1", due, due + dt.timedelta(hours=5), "done", None, dt.date(2026, 2, 10), 50 + i)
        for i in range(late)
    ]  # fmt: skip
    return pl.DataFrame([*rows, *extra], schema=RAW_SCHEMA, orient="row")


def _published(raw: pl.DataFrame) -> pl.DataFrame:
    """What the warehouse publishes for these tasks (transforms/risk_cases.py on the staged rows)."""
    tasks = raw.sort("_drop_date", "_line").group_by("task_id").last()
    tasks = tasks.filter(pl.col("deleted_at").is_null())
    no_cases = pl.DataFrame(
        schema={"outcome": pl.String, "closed_on": pl.Date, "csm_id": pl.String}
    )
    return playbook_completion_monthly(tasks, no_cases, AS_OF, CONFIG)


def _judge(published: pl.DataFrame, raw: pl.DataFrame):
    return playbooks_followed(published, raw, AS_OF, 4, 0.70, 0.50)


def test_agreeing_figures_above_the_warning_level_pass() -> None:
    raw = _raw(on_time=8, late=2)
    [result] = _judge(_published(raw), raw)
    assert result.status == "pass" and result.observed == "2026-02: 8/10 = 80.0%"


def test_below_70_percent_warns_and_below_50_percent_is_recorded_critical() -> None:
    raw = _raw(on_time=6, late=4)
    [result] = _judge(_published(raw), raw)
    assert result.status == "warn" and result.message.startswith(
        "warning: playbook completion 60.0%"
    )
    raw = _raw(on_time=4, late=6)
    [result] = _judge(_published(raw), raw)
    assert result.status == "warn" and result.message.startswith("critical:")
    assert not result.blocks


def test_a_late_action_counted_as_done_by_due_blocks() -> None:
    raw = _raw(on_time=6, late=4)
    published = _published(raw)
    # The defect: "done" counted whatever the time (outcome == done, due time ignored).
    broken = published.with_columns(
        pl.col("actions_due").alias("actions_done_by_due"),
        pl.lit(1.0).alias("completion_rate"),
    )
    [result] = _judge(broken, raw)
    assert result.status == "fail" and result.blocks
    assert "published 10/10, raw tasks 6/10" in result.message


def test_a_deleted_task_or_an_old_version_counted_blocks() -> None:
    # t0's newest version (a later drop) was deleted at the source; l0's newest is undone.
    deleted = ("t0", "csm_1", dt.datetime(2026, 2, 10, 12), dt.datetime(2026, 2, 10, 11), "done",
               dt.datetime(2026, 2, 12), dt.date(2026, 2, 12), 2)  # fmt: skip
    reopened = ("l0", "csm_1", dt.datetime(2026, 2, 10, 12), None, None, None,
                dt.date(2026, 2, 13), 2)  # fmt: skip
    raw = _raw(on_time=6, late=4, extra=[deleted, reopened])
    [result] = _judge(_published(raw), raw)
    assert result.status == "warn"  # 5 of 9: the right figures agree
    # The defect: every version read, none deleted (the staging step left out).
    everything = raw.with_columns(pl.lit(None, pl.Datetime("us")).alias("deleted_at"))
    no_dedup = playbook_completion_monthly(
        everything.drop("deleted_at"), pl.DataFrame(schema={"outcome": pl.String,
        "closed_on": pl.Date, "csm_id": pl.String}), AS_OF, CONFIG,
    )  # fmt: skip
    [result] = _judge(no_dedup, raw)
    assert result.status == "fail"


def test_a_wrong_interval_blocks() -> None:
    raw = _raw(on_time=8, late=2)
    broken = _published(raw).with_columns(pl.col("completion_ci_low") - 0.01)
    [result] = _judge(broken, raw)
    assert result.status == "fail" and "rate or interval" in result.message


def test_without_tasks_the_rule_is_not_applicable() -> None:
    [result] = playbooks_followed(
        _published(_raw(1, 0)), Absent("no cs_tasks row delivered"), AS_OF, 4, 0.7, 0.5
    )
    assert result.status == "not_applicable"


def test_a_month_below_the_minimum_sample_is_not_judged() -> None:
    raw = _raw(on_time=1, late=2)
    [result] = _judge(_published(raw), raw)
    assert result.status == "not_applicable" and "insufficient_sample: 3" in result.message
