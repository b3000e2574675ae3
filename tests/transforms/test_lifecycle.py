"""Lifecycle stage machine (metrics.md §5): each rule at its threshold and the precedence between
them (churned, then at_risk, then the stage's own rule), one transition a day."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_lifecycle_config
from transforms.lifecycle import INPUT_COLUMNS, empty_state, run_lifecycle

CONFIG = load_lifecycle_config()
DAY = dt.date(2026, 11, 20)

# Inputs under which no rule fires for any stage: live, health 65 (≥ 40, < 70), recent login,
# no tickets, no NPS response, monthly term, nothing pending.
NEUTRAL = {
    "subscription_state": "active",
    "health_score": 65.0,
    "days_without_login": 1,
    "high_urgent_open_tickets": 0,
    "nps_score": None,
    "onboarding_completion": 0.6,
    "tenure_days": 200,
    "term_months": 1,
    "current_period_end": DAY + dt.timedelta(days=20),
    "expansion_opportunity": False,
    "mrr_rose": False,
    "cancellation_requested": False,
    "onboarding_window_days": 30,
}


def _inputs(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{**NEUTRAL, **row} for row in rows], schema=INPUT_COLUMNS)


def _state(stage: str, days_in_stage: int = 10, renewal_term_end: dt.date | None = None) -> dict:
    return {
        "account_id": "a",
        "stage": stage,
        "stage_entered_on": DAY - dt.timedelta(days=days_in_stage),
        "renewal_term_end": renewal_term_end,
    }


def _one_day(stage: str, days_in_stage: int = 10, **overrides) -> tuple[str, str | None]:
    """(stage at the end of DAY, rule that fired) for one account starting in `stage`."""
    state = pl.DataFrame([_state(stage, days_in_stage)], schema=empty_state().schema)
    run = run_lifecycle(
        _inputs([{"account_id": "a", "as_of_date": DAY, **overrides}]), state, CONFIG
    )
    rules = run.transitions["rule"].to_list()
    assert len(rules) <= 1
    return run.daily_stages["stage"].item(), (rules[0] if rules else None)


@pytest.mark.parametrize(
    ("stage", "overrides"),
    [
        ("trial", {"subscription_state": "trialing"}),  # still in trial, not yet paid
        ("onboarding", {}),
        ("adopting", {}),
        ("growing", {}),
        ("renewing", {}),
        ("expanding", {}),
        ("advocating", {"health_score": 85.0, "nps_score": 9.0}),  # still a healthy promoter
    ],
)
def test_neutral_inputs_keep_every_stage(stage: str, overrides: dict) -> None:
    assert _one_day(stage, **overrides) == (stage, None)


@pytest.mark.parametrize("stage", ["onboarding", "growing", "at_risk", "trial"])
def test_no_live_subscription_churns_from_any_stage(stage: str) -> None:
    assert _one_day(stage, subscription_state="none") == ("churned", "no_live_subscription")


def test_past_due_is_still_live() -> None:
    assert _one_day("growing", subscription_state="past_due") == ("growing", None)


def test_churned_takes_precedence_over_at_risk() -> None:
    # Health 30 (< 40) and 20 days without login qualify for at_risk, but there is no live
    # subscription: rule 1 comes first.
    got = _one_day("growing", subscription_state="none", health_score=30.0, days_without_login=20)
    assert got == ("churned", "no_live_subscription")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"health_score": 39.99}, ("at_risk", "at_risk_entered")),
        ({"health_score": 40.0}, ("growing", None)),  # < 40 is required
        ({"health_score": None}, ("growing", None)),  # no score: not a condition
        ({"days_without_login": 15}, ("at_risk", "at_risk_entered")),
        ({"days_without_login": 14}, ("growing", None)),  # > 14 is required
        ({"high_urgent_open_tickets": 3}, ("at_risk", "at_risk_entered")),
        ({"high_urgent_open_tickets": 2}, ("growing", None)),  # > 2 is required
        ({"nps_score": 6.0}, ("at_risk", "at_risk_entered")),  # ≤ 6
        ({"nps_score": 7.0}, ("growing", None)),
    ],
)
def test_at_risk_entry_conditions(overrides: dict, expected: tuple) -> None:
    assert _one_day("growing", **overrides) == expected


def test_at_risk_detail_names_the_conditions() -> None:
    state = pl.DataFrame([_state("adopting")], schema=empty_state().schema)
    run = run_lifecycle(
        _inputs([{"account_id": "a", "as_of_date": DAY, "health_score": 20.0, "nps_score": 3.0}]),
        state,
        CONFIG,
    )
    assert run.transitions["detail"].to_list() == ["health_below,nps_at_most"]


def test_at_risk_takes_precedence_over_the_stage_rule() -> None:
    # Completion 0.9 would move onboarding → adopting, but health 30 puts the account at risk.
    got = _one_day("onboarding", onboarding_completion=0.9, health_score=30.0)
    assert got == ("at_risk", "at_risk_entered")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"health_score": 60.0}, ("growing", "at_risk_exited")),  # ≥ 60 and no condition
        ({"health_score": 59.9}, ("at_risk", None)),  # between 40 and 60: stays
        ({"health_score": 75.0, "nps_score": 5.0}, ("at_risk", None)),  # a condition holds
        ({"health_score": 75.0, "days_without_login": 20}, ("at_risk", None)),
        ({"health_score": None}, ("at_risk", None)),  # recovery needs a score
    ],
)
def test_at_risk_exit_needs_health_60_and_no_condition(overrides: dict, expected: tuple) -> None:
    assert _one_day("at_risk", **overrides) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("active", ("onboarding", "trial_to_onboarding")),
        ("trialing", ("trial", None)),
        ("past_due", ("trial", None)),  # not yet paid
        ("none", ("churned", "no_live_subscription")),  # trial ended unconverted
    ],
)
def test_trial_rules(state: str, expected: tuple) -> None:
    assert _one_day("trial", subscription_state=state) == expected


@pytest.mark.parametrize(
    ("days_in_stage", "completion", "expected"),
    [
        (5, 0.8, ("adopting", "onboarding_to_adopting")),  # ≥ 80%
        (5, 0.79, ("onboarding", None)),
        (31, 0.49, ("at_risk", "onboarding_to_at_risk")),  # the 30-day window ended, < 50%
        (30, 0.49, ("onboarding", None)),  # 30 days is not after the 30-day window
        (31, 0.5, ("adopting", "onboarding_to_adopting")),  # window ended with ≥ 50%
        (31, None, ("at_risk", "onboarding_to_at_risk")),  # no stay past the window, even unknown
        (30, None, ("onboarding", None)),
        (40, 0.85, ("adopting", "onboarding_to_adopting")),
    ],
)
def test_onboarding_rules(days_in_stage: int, completion, expected: tuple) -> None:
    assert _one_day("onboarding", days_in_stage, onboarding_completion=completion) == expected


@pytest.mark.parametrize(
    ("window", "days_in_stage", "completion", "expected"),
    [
        (7, 7, 0.3, ("onboarding", None)),  # the self-serve window's last day
        (7, 8, 0.6, ("adopting", "onboarding_to_adopting")),
        (7, 8, 0.3, ("at_risk", "onboarding_to_at_risk")),
        (None, 30, 0.3, ("onboarding", None)),  # no program: the configured 30 days
        (None, 31, 0.3, ("at_risk", "onboarding_to_at_risk")),
    ],
)
def test_no_account_stays_in_onboarding_past_its_program_window(
    window: int | None, days_in_stage: int, completion: float, expected: tuple
) -> None:
    assert (
        _one_day(
            "onboarding",
            days_in_stage,
            onboarding_completion=completion,
            onboarding_window_days=window,
        )
        == expected
    )


@pytest.mark.parametrize("stage", ["onboarding", "adopting", "growing", "renewing", "advocating"])
def test_an_open_cancellation_request_puts_a_healthy_account_at_risk(stage: str) -> None:
    overrides = {"health_score": 85.0, "nps_score": 9.0} if stage == "advocating" else {}
    assert _one_day(stage, cancellation_requested=True, **overrides) == (
        "at_risk",
        "at_risk_entered",
    )


def test_an_account_at_risk_stays_while_its_cancellation_request_is_open() -> None:
    assert _one_day("at_risk", cancellation_requested=True, health_score=90.0) == ("at_risk", None)
    # withdrawn, healthy: back to growing
    assert _one_day("at_risk", cancellation_requested=False, health_score=90.0) == (
        "growing",
        "at_risk_exited",
    )


@pytest.mark.parametrize(
    ("health", "tenure", "expected"),
    [
        (70.0, 91, ("growing", "adopting_to_growing")),
        (69.9, 91, ("adopting", None)),  # ≥ 70 is required
        (70.0, 90, ("adopting", None)),  # > 90 days is required
    ],
)
def test_adopting_to_growing(health: float, tenure: int, expected: tuple) -> None:
    assert _one_day("adopting", health_score=health, tenure_days=tenure) == expected


@pytest.mark.parametrize(
    ("term_months", "days_to_end", "expected"),
    [
        (12, 60, ("renewing", "growing_to_renewing")),  # within 60 days of a 12-month term end
        (12, 61, ("growing", None)),
        (24, 10, ("renewing", "growing_to_renewing")),
        (1, 10, ("growing", None)),  # monthly terms do not enter renewing
        (None, 10, ("growing", None)),
    ],
)
def test_growing_to_renewing(term_months, days_to_end: int, expected: tuple) -> None:
    end = DAY + dt.timedelta(days=days_to_end)
    got = _one_day("growing", term_months=term_months, current_period_end=end)
    assert got == expected


def test_growing_rules_in_their_stated_order() -> None:
    # Renewal window and expansion opportunity and promoter at once: renewing comes first.
    renewal = {"term_months": 12, "current_period_end": DAY + dt.timedelta(days=30)}
    promoter = {"nps_score": 9.0, "health_score": 80.0}
    assert _one_day("growing", expansion_opportunity=True, **renewal, **promoter) == (
        "renewing",
        "growing_to_renewing",
    )
    # Expansion opportunity and promoter: expanding before advocating.
    assert _one_day("growing", expansion_opportunity=True, **promoter) == (
        "expanding",
        "growing_to_expanding",
    )
    assert _one_day("growing", **promoter) == ("advocating", "growing_to_advocating")
    assert _one_day("growing", nps_score=9.0, health_score=79.9) == ("growing", None)
    assert _one_day("growing", nps_score=8.0, health_score=95.0) == ("growing", None)


@pytest.mark.parametrize(
    ("overrides", "days_in_stage", "expected"),
    [
        ({"mrr_rose": True}, 3, ("growing", "expanding_to_growing")),  # expansion closed
        ({}, 31, ("growing", "expanding_to_growing")),  # after 30 days
        ({}, 30, ("expanding", None)),
    ],
)
def test_expanding_to_growing(overrides: dict, days_in_stage: int, expected: tuple) -> None:
    assert _one_day("expanding", days_in_stage, **overrides) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"health_score": 79.9, "nps_score": 10.0}, ("growing", "advocating_to_growing")),
        ({"health_score": 90.0, "nps_score": 8.0}, ("growing", "advocating_to_growing")),
        ({"health_score": 80.0, "nps_score": 9.0}, ("advocating", None)),
    ],
)
def test_advocating_to_growing(overrides: dict, expected: tuple) -> None:
    assert _one_day("advocating", **overrides) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"subscription_state": "active"}, ("onboarding", "churned_to_onboarding")),
        # at_risk does not apply to churned: a returning account with a low score still onboards.
        (
            {"subscription_state": "active", "health_score": 10.0},
            ("onboarding", "churned_to_onboarding"),
        ),
        ({"subscription_state": "trialing"}, ("churned", None)),
        ({"subscription_state": "none"}, ("churned", None)),  # already churned: no transition
    ],
)
def test_churned_rules(overrides: dict, expected: tuple) -> None:
    assert _one_day("churned", **overrides) == expected


def test_renewing_returns_to_growing_once_the_term_renewed() -> None:
    # Day 1: growing, 12-month term ending in 40 days → renewing (remembers that end date).
    # Day 2: same end date → stays renewing. Day 3: period end moved a year later → growing.
    term_end = DAY + dt.timedelta(days=40)
    rows = [
        {"as_of_date": DAY, "current_period_end": term_end},
        {"as_of_date": DAY + dt.timedelta(days=1), "current_period_end": term_end},
        {
            "as_of_date": DAY + dt.timedelta(days=2),
            "current_period_end": term_end + dt.timedelta(days=365),
        },
    ]
    inputs = _inputs([{"account_id": "a", "term_months": 12, **r} for r in rows])
    state = pl.DataFrame([_state("growing")], schema=empty_state().schema)
    run = run_lifecycle(inputs, state, CONFIG)
    assert run.daily_stages["stage"].to_list() == ["renewing", "renewing", "growing"]
    assert run.transitions.select("from_stage", "to_stage", "rule").rows() == [
        ("growing", "renewing", "growing_to_renewing"),
        ("renewing", "growing", "renewing_to_growing"),
    ]


def test_one_transition_per_day_across_accounts_from_entry() -> None:
    # Account t: trial on day 0, paid from day 1 with onboarding already 90% complete.
    #   day 0 enters trial; day 1 trial → onboarding; day 2 onboarding → adopting (not both on day 1).
    # Account n: no subscription on day 0 (not tracked), active from day 1 → enters onboarding.
    # Account c: active on day 0, cancelled on day 1 → churned, stays churned on day 2.
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    rows = []
    for i, day in enumerate(days):
        rows.append(
            {
                "account_id": "t",
                "as_of_date": day,
                "subscription_state": "trialing" if i == 0 else "active",
                "onboarding_completion": 0.9,
            }
        )
        rows.append(
            {
                "account_id": "n",
                "as_of_date": day,
                "subscription_state": "none" if i == 0 else "active",
            }
        )
        rows.append(
            {
                "account_id": "c",
                "as_of_date": day,
                "subscription_state": "active" if i == 0 else "none",
            }
        )
    run = run_lifecycle(_inputs(rows), empty_state(), CONFIG)
    stages = {
        (r["account_id"], r["as_of_date"]): r["stage"]
        for r in run.daily_stages.iter_rows(named=True)
    }
    assert [stages.get(("t", d)) for d in days] == ["trial", "onboarding", "adopting"]
    assert [stages.get(("n", d)) for d in days] == [None, "onboarding", "onboarding"]
    assert [stages.get(("c", d)) for d in days] == ["onboarding", "churned", "churned"]
    assert run.transitions.select(
        "account_id", "as_of_date", "from_stage", "to_stage", "rule"
    ).rows() == [
        ("c", days[0], None, "onboarding", "entered"),
        ("c", days[1], "onboarding", "churned", "no_live_subscription"),
        ("n", days[1], None, "onboarding", "entered"),
        ("t", days[0], None, "trial", "entered"),
        ("t", days[1], "trial", "onboarding", "trial_to_onboarding"),
        ("t", days[2], "onboarding", "adopting", "onboarding_to_adopting"),
    ]
    t_day2 = run.daily_stages.filter(
        (pl.col("account_id") == "t") & (pl.col("as_of_date") == days[2])
    )
    assert t_day2.select("previous_stage", "days_in_stage").row(0) == ("onboarding", 0)


def test_continuing_from_final_state_equals_one_run() -> None:
    # Expanding for 29 days before DAY; the 30-day limit passes on DAY + 2 (31 days in stage).
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    inputs = _inputs([{"account_id": "a", "as_of_date": d} for d in days])
    start = pl.DataFrame([_state("expanding", days_in_stage=29)], schema=empty_state().schema)
    whole = run_lifecycle(inputs, start, CONFIG)
    first = run_lifecycle(inputs.filter(pl.col("as_of_date") < days[2]), start, CONFIG)
    rest = run_lifecycle(inputs.filter(pl.col("as_of_date") == days[2]), first.final_state, CONFIG)
    assert whole.daily_stages["stage"].to_list() == ["expanding", "expanding", "growing"]
    assert pl.concat([first.daily_stages, rest.daily_stages]).equals(whole.daily_stages)
    assert rest.final_state.equals(whole.final_state)


def test_unknown_subscription_state_is_rejected() -> None:
    with pytest.raises(ValueError, match="canceled"):
        run_lifecycle(
            _inputs([{"account_id": "a", "as_of_date": DAY, "subscription_state": "canceled"}]),
            empty_state(),
            CONFIG,
        )


def test_inputs_take_expansion_from_the_published_opportunities_and_skip_unknown_status() -> None:
    """growing → expanding keys on the day's published expansion opportunities (metrics.md §5,
    §9), not on health-score opportunity flags; a day whose customer status is unknown (Stripe
    not covering it) gives no input row, so the stage carries on instead of churning."""
    from orchestration.config import load_onboarding_config
    from transforms.lifecycle import lifecycle_inputs

    day2 = DAY + dt.timedelta(days=1)
    metrics = pl.DataFrame(
        {
            "account_id": ["a", "b", "a", "b"],
            "as_of_date": [DAY, DAY, day2, day2],
            "segment": ["smb", "enterprise", "smb", "enterprise"],
            "customer_status": ["paying", "paying", "paying", None],
        }
    )
    scores = pl.DataFrame(
        {"account_id": ["a"], "as_of_date": [DAY], "health_score": [70.0]},
        schema={"account_id": pl.String, "as_of_date": pl.Date, "health_score": pl.Float64},
    )
    steps = pl.DataFrame(
        schema={"account_id": pl.String, "step_id": pl.String, "completed_on": pl.Date}
    )
    opportunities = pl.DataFrame({"account_id": ["b", "b"], "as_of_date": [DAY, DAY]})
    got = lifecycle_inputs(metrics, scores, steps, opportunities, load_onboarding_config()).sort(
        "account_id", "as_of_date"
    )
    assert got.select("account_id", "as_of_date", "expansion_opportunity").rows() == [
        ("a", DAY, False),
        ("a", day2, False),
        ("b", DAY, True),
    ]
    # smb: the self-serve program's 7 days; enterprise: mid-market's 30
    assert got["onboarding_window_days"].to_list() == [7, 7, 30]
    state = pl.DataFrame([_state("growing") | {"account_id": "b"}], schema=empty_state().schema)
    run = run_lifecycle(
        got.filter(pl.col("account_id") == "b").with_columns(
            **{k: pl.lit(v) for k, v in NEUTRAL.items() if k not in got.columns}
        ),
        state,
        CONFIG,
    )
    assert run.transitions.select("to_stage", "rule").rows() == [
        ("expanding", "growing_to_expanding")
    ]
