"""Risk cases and playbook completion on generated drops (the `daily_operation` warehouse) against
the generator's ground truth: the completion counts per month and CSM are the truth's, and a case's
actions are the tasks the generator's CSM did for that account and playbook within the case."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from tests.warehouses import DailyOperation

pytestmark = pytest.mark.slow


def _truth(operation: DailyOperation) -> pl.DataFrame:
    path = operation.settings.extracts_dir.parent / "extracts_ground_truth" / "cs_tasks_truth.csv"
    return pl.read_csv(path, try_parse_dates=True).with_columns(
        pl.col("created_at", "due_at", "completed_at").dt.replace_time_zone(None)
    )


def _published(operation: DailyOperation, query: str) -> pl.DataFrame:
    con = duckdb.connect(str(operation.settings.published_db), read_only=True)
    try:
        return con.sql(query).pl()
    finally:
        con.close()


def test_completion_counts_are_the_ground_truths(daily_operation: DailyOperation) -> None:
    as_of = daily_operation.drop_dates[-1]
    cutoff = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    due = _truth(daily_operation).filter(pl.col("due_at") < cutoff)
    expected = {
        (month, csm): (n, done)
        for month, csm, n, done in due.group_by(
            pl.col("due_at").dt.date().dt.truncate("1mo").alias("month"), "csm_id"
        )
        .agg(pl.len(), pl.col("done_by_due").sum())
        .iter_rows()
    }
    published = _published(
        daily_operation,
        "select month, csm_id, actions_due, actions_done_by_due, completion_rate "
        "from marts.playbook_completion_monthly where scope = 'csm' and actions_due > 0",
    )
    got = {(m, c): (n, k) for m, c, n, k, _ in published.iter_rows()}
    assert len(expected) >= 5 and got == expected
    everyone = _published(
        daily_operation,
        "select sum(actions_due), sum(actions_done_by_due) from marts.playbook_completion_monthly "
        "where scope = 'all'",
    ).row(0)
    assert everyone == (due.height, due["done_by_due"].sum())
    for (_m, _c), (n, k), rate in zip(got, got.values(), published["completion_rate"], strict=True):
        assert rate is None if n < 20 else rate == pytest.approx(k / n, rel=1e-12)


def test_a_cases_actions_are_the_tasks_the_generators_csm_did(
    daily_operation: DailyOperation,
) -> None:
    as_of = daily_operation.drop_dates[-1]
    truth = _truth(daily_operation)
    actions = _published(
        daily_operation,
        "select c.case_id, c.account_id, c.playbook, c.opened_on, c.closed_on, a.action_order, "
        "a.task_id, a.task_csm_id, a.done_by_due "
        "from marts.risk_cases c join marts.risk_case_actions a using (case_id)",
    )
    matched = actions.filter(pl.col("task_id").is_not_null())
    assert matched["case_id"].n_unique() >= 3, "too few cases with actions to show anything"
    # What the generator's CSM did for each case: the account's tasks of the case's playbook and
    # each action order created within the case, the earliest when the playbook ran twice.
    window = actions.join(
        truth.rename({"csm_id": "truth_csm", "done_by_due": "truth_on_time"}),
        on=["account_id", "playbook", "action_order"],
    ).filter(
        pl.col("created_at")
        .dt.date()
        .is_between(pl.col("opened_on"), pl.col("closed_on").fill_null(as_of))
    )
    expected = (
        window.sort("created_at", "task_id_right").group_by("case_id", "action_order").first()
    )
    assert sorted(
        expected.select(
            "case_id", "action_order", "task_id_right", "truth_csm", "truth_on_time"
        ).rows()
    ) == sorted(
        matched.select("case_id", "action_order", "task_id", "task_csm_id", "done_by_due").rows()
    )


def test_a_case_is_lost_exactly_when_its_account_leaves_within_it(
    daily_operation: DailyOperation,
) -> None:
    # Read another way: the lifecycle's own `churned` transitions (the account has no live
    # subscription any more: a paying customer's churn or a trial that ended unpaid), computed by
    # transforms/lifecycle.py from the subscription states, not from the risk-case step's inputs.
    # A case that saw its account leave is lost on that day; one that did not is not lost.
    # (Churn days once got paired with other accounts' cases, and a lapsed trial's case
    # "recovered" two weeks after the trial had ended.)
    as_of = daily_operation.drop_dates[-1]
    cases = _published(
        daily_operation,
        f"""
        select c.case_id, c.outcome, c.closed_on,
               (select min(t.as_of_date) from marts.lifecycle_transitions t
                where t.account_id = c.account_id and t.to_stage = 'churned'
                  and t.as_of_date between c.opened_on
                      and coalesce(c.closed_on, date '{as_of.isoformat()}')) as left_on
        from marts.risk_cases c
        """,
    )
    lost = cases.filter(pl.col("outcome") == "lost")
    assert lost.height >= 2, "too few lost cases to show anything"
    assert lost.filter(
        pl.col("left_on").is_null() | (pl.col("left_on") != pl.col("closed_on"))
    ).is_empty()
    assert cases.filter((pl.col("outcome") != "lost") & pl.col("left_on").is_not_null()).is_empty()
