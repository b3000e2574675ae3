"""Risk cases, their matched actions and the completion and save rates, on hand-made rows whose
expected values are worked out in the comments."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from transforms.risk_cases import (
    PlaybookAction,
    RiskCaseConfig,
    SavePlaybook,
    build_cases,
    case_actions,
    finish_cases,
    playbook_completion_monthly,
)

AS_OF = dt.date(2026, 2, 20)


def _playbook(trigger: str, *hours: float) -> SavePlaybook:
    actions = tuple(
        PlaybookAction(i, f"step {i}", "call", "soon", h) for i, h in enumerate(hours, start=1)
    )
    return SavePlaybook(trigger, "test", "24 hours", "csm", ("csm", "cs_manager"), actions)


CONFIG = RiskCaseConfig(
    version="t1",
    quiet_days_to_close=14,
    opening_signal_severity="high",
    opening_grades=("D", "F"),
    trigger_priority=("cancellation_request", "no_login_14_days", "grade_d_or_f"),
    completion_target=0.8,
    completion_warning_below=0.7,
    completion_critical_below=0.5,
    min_actions=2,
    min_closed_cases=1,
    playbooks=(
        _playbook("cancellation_request", 2, 24),
        _playbook("no_login_14_days", 24, 48),
        _playbook("grade_d_or_f", 48, 120),
    ),
)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def ts(month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour)


TRIGGERS = pl.DataFrame(
    [
        ("acc_a", d(1, 1), "grade_d_or_f", "csm_2"),
        ("acc_a", d(1, 2), "grade_d_or_f", "csm_2"),
        ("acc_a", d(1, 2), "cancellation_request", "csm_2"),
        ("acc_a", d(1, 5), "grade_d_or_f", "csm_2"),
        ("acc_a", d(1, 25), "grade_d_or_f", "csm_2"),  # 20 days after the last: a new case
        ("acc_b", d(1, 10), "no_login_14_days", "csm_1"),
        ("acc_b", d(1, 10), "cancellation_request", "csm_1"),
        ("acc_b", d(1, 20), "cancellation_request", "csm_1"),
        ("acc_b", d(2, 10), "grade_d_or_f", "csm_1"),  # after the churn of 30 January
        ("acc_c", d(1, 3), "grade_d_or_f", "csm_2"),
    ],
    schema=["account_id", "as_of_date", "trigger", "csm_id"],
    orient="row",
)
CHURNS = pl.DataFrame(
    [("acc_b", d(1, 30)), ("acc_c", d(2, 1))], schema=["account_id", "churned_on"], orient="row"
)
TASKS = pl.DataFrame(
    [
        # acc_b's cancellation playbook: action 1 on time, action 2 late
        ("t1", "acc_b", "csm_1", "cancellation_request", 1, ts(1, 10, 9), ts(1, 10, 11), ts(1, 10, 10), "done"),
        ("t2", "acc_b", "csm_1", "cancellation_request", 2, ts(1, 10, 9), ts(1, 11, 9), ts(1, 12, 9), "done"),
        # created before the case opened: not the case's, but an action due in January
        ("t3", "acc_b", "csm_1", "cancellation_request", 1, ts(1, 5, 9), ts(1, 6, 9), ts(1, 7, 9), "no_response"),
        # acc_a's grade playbook: action 1 skipped, action 2 never created
        ("t4", "acc_a", "csm_2", "grade_d_or_f", 1, ts(1, 3, 9), ts(1, 5, 0), ts(1, 6, 9), "skipped"),
        # not due by the as-of date
        ("t5", "acc_b", "csm_1", "grade_d_or_f", 1, ts(2, 11, 9), ts(3, 1, 9), None, None),
        ("t6", "acc_c", "csm_2", "grade_d_or_f", 1, ts(1, 4, 9), ts(2, 2, 9), ts(2, 1, 9), "done"),
    ],
    schema={
        "task_id": pl.String, "account_id": pl.String, "csm_id": pl.String,
        "playbook": pl.String, "action_order": pl.Int32, "created_at": pl.Datetime("us"),
        "due_at": pl.Datetime("us"), "completed_at": pl.Datetime("us"), "outcome": pl.String,
    },
    orient="row",
)  # fmt: skip


@pytest.fixture(scope="module")
def cases() -> pl.DataFrame:
    return build_cases(TRIGGERS, CHURNS, AS_OF, CONFIG)


def test_cases_open_close_and_take_the_trigger_of_their_opening_day(cases: pl.DataFrame) -> None:
    got = cases.select(
        "account_id", "opened_on", "trigger", "last_trigger_on", "closed_on", "outcome"
    ).rows()
    assert got == [
        # last trigger 5 Jan, quiet for 14 days: recovered on 19 January
        ("acc_a", d(1, 1), "grade_d_or_f", d(1, 5), d(1, 19), "recovered"),
        ("acc_a", d(1, 25), "grade_d_or_f", d(1, 25), d(2, 8), "recovered"),
        # two triggers on the opening day: the cancellation request comes first; churned on
        # 30 January, before 20 January + 14 days: lost
        ("acc_b", d(1, 10), "cancellation_request", d(1, 20), d(1, 30), "lost"),
        # after the churn a new case; 10 February + 14 is after the as-of date: open
        ("acc_b", d(2, 10), "grade_d_or_f", d(2, 10), None, "open"),
        # churned on 1 February, after the case had recovered on 17 January
        ("acc_c", d(1, 3), "grade_d_or_f", d(1, 3), d(1, 17), "recovered"),
    ]
    assert cases["triggers_held"][0] == "cancellation_request, grade_d_or_f"
    assert cases["case_id"][2] == "acc_b:2026-01-10"


def test_a_case_is_not_closed_by_a_day_after_the_as_of_date() -> None:
    early = build_cases(TRIGGERS, CHURNS, d(1, 15), CONFIG)
    assert early.filter(pl.col("account_id") == "acc_a")["outcome"].to_list() == ["open"]
    assert early.filter(pl.col("account_id") == "acc_b")["opened_on"].to_list() == [d(1, 10)]


def test_a_churn_after_the_as_of_date_leaves_the_case_open_not_hidden() -> None:
    # On 25 January acc_b's case (last trigger 20 January) is still within its 14 quiet days and
    # the churn of 30 January has not happened yet: open, as the run of 25 January saw it.
    on_25 = build_cases(TRIGGERS, CHURNS, d(1, 25), CONFIG).filter(pl.col("account_id") == "acc_b")
    assert on_25.select("opened_on", "closed_on", "outcome").rows() == [(d(1, 10), None, "open")]


def _everything(triggers, churns, tasks, mrr) -> tuple[pl.DataFrame, ...]:
    cases = build_cases(triggers, churns, AS_OF, CONFIG)
    actions = case_actions(cases, tasks, AS_OF, CONFIG)
    finished = finish_cases(cases, actions, mrr, AS_OF, CONFIG)
    return cases, actions, finished, playbook_completion_monthly(tasks, finished, AS_OF, CONFIG)


@pytest.mark.parametrize("seed", range(5))
def test_the_row_order_of_the_inputs_changes_nothing(seed: int) -> None:
    # DuckDB returns a table's rows in no fixed order, so two runs on the same drops read the same
    # rows in different orders: the cases must not depend on it. (The churn days were once sorted
    # apart from their accounts, pairing a churn with the wrong account.)
    mrr = pl.DataFrame(
        [("acc_a", d(1, 1), 100.0), ("acc_a", d(1, 25), 110.0), ("acc_b", d(1, 10), 200.0),
         ("acc_b", d(2, 10), 50.0), ("acc_c", d(1, 3), 300.0)],
        schema=["account_id", "as_of_date", "mrr_at_stake"],
        orient="row",
    )  # fmt: skip
    churns = pl.concat(
        [CHURNS.reverse(), pl.DataFrame([("acc_a", d(3, 1))], CHURNS.schema, orient="row")]
    )
    expected = _everything(TRIGGERS, churns.sort("account_id"), TASKS, mrr)
    shuffled = _everything(
        TRIGGERS.sample(fraction=1.0, shuffle=True, seed=seed),
        churns.sample(fraction=1.0, shuffle=True, seed=seed),
        TASKS.sample(fraction=1.0, shuffle=True, seed=seed),
        mrr.sample(fraction=1.0, shuffle=True, seed=seed),
    )
    for want, got in zip(expected, shuffled, strict=True):
        assert got.equals(want), (want, got)
    # the reversed churn days still close acc_b's case on its own churn, 30 January
    acc_b = expected[0].filter(pl.col("account_id") == "acc_b")
    assert acc_b.select("closed_on", "outcome").row(0) == (d(1, 30), "lost")


def test_actions_are_the_accounts_tasks_of_the_playbook_within_the_case(
    cases: pl.DataFrame,
) -> None:
    actions = case_actions(cases, TASKS, AS_OF, CONFIG)
    by_case = {
        (r["case_id"], r["action_order"]): (r["task_id"], r["done"], r["done_by_due"])
        for r in actions.iter_rows(named=True)
    }
    # t3 was created before acc_b's case opened; t5 belongs to the grade playbook
    assert by_case[("acc_b:2026-01-10", 1)] == ("t1", True, True)
    assert by_case[("acc_b:2026-01-10", 2)] == ("t2", True, False)
    assert by_case[("acc_a:2026-01-01", 1)] == ("t4", False, False)
    assert by_case[("acc_a:2026-01-01", 2)] == (None, False, False)
    assert by_case[("acc_b:2026-02-10", 1)] == ("t5", False, False)
    assert by_case[("acc_c:2026-01-03", 1)] == ("t6", True, True)
    assert actions.height == 10  # five cases, two actions each


def test_finished_cases_carry_playbook_counts_first_action_and_escalation(
    cases: pl.DataFrame,
) -> None:
    actions = case_actions(cases, TASKS, AS_OF, CONFIG)
    mrr = pl.DataFrame(
        [("acc_b", d(1, 10), 250.0)], schema=["account_id", "as_of_date", "mrr_at_stake"],
        orient="row",
    )  # fmt: skip
    done = {
        r["case_id"]: r
        for r in finish_cases(cases, actions, mrr, AS_OF, CONFIG).iter_rows(named=True)
    }
    b = done["acc_b:2026-01-10"]
    assert (
        b["actions_expected"],
        b["actions_matched"],
        b["actions_done"],
        b["actions_done_by_due"],
    ) == (2, 2, 2, 1)
    assert b["hours_to_first_action"] == pytest.approx(10.0)  # done 10:00 on the opening day
    assert b["mrr_at_stake"] == 250.0 and b["escalated_to"] is None
    assert b["playbook"] == "cancellation_request" and b["playbook_version"] == "t1"
    a = done["acc_a:2026-01-01"]
    # action 1 skipped, its due time passed: the case goes one step up the escalation path
    assert a["escalated_to"] == "cs_manager" and a["hours_to_first_action"] is None
    assert a["mrr_at_stake"] is None  # no MRR row: missing, never 0
    # acc_b's open case: action 1 not due before 1 March, so not escalated yet
    assert done["acc_b:2026-02-10"]["escalated_to"] is None


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.96  # the warehouse quotes 95% intervals with z = 1.96 (transforms/stats.py)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def test_completion_and_save_rates_per_month_and_csm(cases: pl.DataFrame) -> None:
    table = playbook_completion_monthly(TASKS, cases, AS_OF, CONFIG)
    rows = {(r["month"], r["scope"], r["csm_id"]): r for r in table.iter_rows(named=True)}
    jan, feb = d(1, 1), d(2, 1)
    # January: csm_1 has t1 (on time), t2 (late), t3 (no response) due; csm_2 has t4 (skipped)
    c1 = rows[(jan, "csm", "csm_1")]
    assert (c1["actions_due"], c1["actions_done_by_due"]) == (3, 1)
    assert c1["completion_rate"] == pytest.approx(1 / 3) and c1["completion_status"] == "critical"
    c2 = rows[(jan, "csm", "csm_2")]
    assert (c2["actions_due"], c2["completion_rate"], c2["completion_status"]) == (
        1,
        None,
        "insufficient_sample",
    )
    assert c2["completion_reason"] == "insufficient_sample: 1 actions due, fewer than 2"
    everyone = rows[(jan, "all", None)]
    assert (everyone["actions_due"], everyone["actions_done_by_due"]) == (4, 1)
    low, high = _wilson(1, 4)
    assert everyone["completion_ci_low"] == pytest.approx(low)
    assert everyone["completion_ci_high"] == pytest.approx(high)
    # closed in January: acc_c recovered (csm_2), acc_a recovered (csm_2), acc_b lost (csm_1)
    assert (everyone["cases_closed"], everyone["cases_recovered"]) == (3, 2)
    assert everyone["save_rate"] == pytest.approx(2 / 3)
    assert (c1["cases_closed"], c1["save_rate"]) == (1, 0.0)
    # February: t6 due and done on time (t5 is not due yet); acc_a's second case recovered
    f = rows[(feb, "all", None)]
    assert (f["actions_due"], f["actions_done_by_due"], f["cases_closed"], f["save_rate"]) == (
        1,
        1,
        1,
        1.0,
    )
    assert table.height == 5


def test_no_trigger_and_no_task_give_empty_tables_not_zeros() -> None:
    none = build_cases(TRIGGERS.clear(), CHURNS.clear(), AS_OF, CONFIG)
    actions = case_actions(none, TASKS.clear(), AS_OF, CONFIG)
    mrr = pl.DataFrame(
        schema={"account_id": pl.String, "as_of_date": pl.Date, "mrr_at_stake": pl.Float64}
    )
    assert none.is_empty() and actions.is_empty()
    assert finish_cases(none, actions, mrr, AS_OF, CONFIG).is_empty()
    # no task due: no month is published, rather than a month of 0 / 0
    assert playbook_completion_monthly(TASKS.clear(), none, AS_OF, CONFIG).is_empty()
