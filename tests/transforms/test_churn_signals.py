"""Churn signals (metrics.md §4): each rule at and around its threshold, strict vs inclusive as
written, and no signal from a missing input."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from orchestration.config import load_churn_signals_config
from transforms.churn_signals import (
    competitor_mentions,
    detect_churn_signals,
    mentions_competitor,
)

CONFIG = load_churn_signals_config()
DAY = dt.date(2026, 11, 20)

# Values at which no signal fires.
QUIET = {
    "days_since_last_login": 0,
    "usage_30d": 100.0,
    "usage_prev_30d": 100.0,
    "nps_score": 8.0,
    "open_tickets": 0,
    "failed_payments_30d": 0,
    "cancellation_requested": False,
    "competitor_mentions_90d": 0,
}
SCHEMA = {
    "account_id": pl.String,
    "as_of_date": pl.Date,
    "days_since_last_login": pl.Int64,
    "usage_30d": pl.Float64,
    "usage_prev_30d": pl.Float64,
    "nps_score": pl.Float64,
    "open_tickets": pl.Int64,
    "failed_payments_30d": pl.Int64,
    "cancellation_requested": pl.Boolean,
    "competitor_mentions_90d": pl.Int64,
}


def _signals(**overrides) -> list[tuple[str, str, float, str, float]]:
    row = {"account_id": "a", "as_of_date": DAY, **QUIET, **overrides}
    out = detect_churn_signals(pl.DataFrame([row], schema=SCHEMA), CONFIG)
    return [
        (r["signal"], r["severity"], r["observed_value"], r["operator"], r["threshold"])
        for r in out.iter_rows(named=True)
    ]


def test_quiet_account_has_no_signal() -> None:
    assert _signals() == []


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (7, []),  # > 7 is required
        (8, [("no_login_7_days", "medium", 8.0, ">", 7.0)]),
        (14, [("no_login_7_days", "medium", 14.0, ">", 7.0)]),  # > 14 is required for high
        (
            15,
            [
                ("no_login_14_days", "high", 15.0, ">", 14.0),
                ("no_login_7_days", "medium", 15.0, ">", 7.0),
            ],
        ),
        (None, []),  # login source not covering the account
    ],
)
def test_no_login_signals(days: int | None, expected: list) -> None:
    assert _signals(days_since_last_login=days) == expected


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (50.0, 100.0, []),  # (50 − 100)/100 = −50%: not below −50
        (49.0, 100.0, [("usage_drop_50", "high", -51.0, "<", -50.0)]),  # −51%
        (0.0, 10.0, [("usage_drop_50", "high", -100.0, "<", -50.0)]),  # (0 − 10)/10 = −100%
        (0.0, 0.0, []),  # no usage before: the change is undefined, not −100%
        (10.0, None, []),  # previous window not covered
        (None, 100.0, []),
    ],
)
def test_usage_drop_signal(current, previous, expected: list) -> None:
    assert _signals(usage_30d=current, usage_prev_30d=previous) == expected


@pytest.mark.parametrize(
    ("nps", "expected"),
    [
        (7.0, []),
        (6.0, [("nps_detractor", "high", 6.0, "<=", 6.0)]),  # ≤ 6 includes 6
        (0.0, [("nps_detractor", "high", 0.0, "<=", 6.0)]),  # a real 0 is a detractor
        (None, []),  # no response yet: not a detractor
    ],
)
def test_nps_detractor_signal(nps, expected: list) -> None:
    assert _signals(nps_score=nps) == expected


@pytest.mark.parametrize(
    ("tickets", "expected"),
    [
        (2, []),
        (3, [("multiple_support_tickets", "medium", 3.0, ">=", 3.0)]),  # ≥ 3 includes 3
        (None, []),
    ],
)
def test_multiple_support_tickets_signal(tickets, expected: list) -> None:
    assert _signals(open_tickets=tickets) == expected


@pytest.mark.parametrize(
    ("failed", "expected"),
    [(0, []), (1, [("failed_payment", "high", 1.0, ">=", 1.0)]), (None, [])],
)
def test_failed_payment_signal(failed, expected: list) -> None:
    assert _signals(failed_payments_30d=failed) == expected


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (False, []),
        (True, [("cancellation_request", "high", 1.0, "==", 1.0)]),
        (None, []),  # cancel_at_period_end unknown before the first drop
    ],
)
def test_cancellation_request_signal(requested, expected: list) -> None:
    assert _signals(cancellation_requested=requested) == expected


@pytest.mark.parametrize(
    ("mentions", "expected"),
    [(0, []), (1, [("competitor_mention", "medium", 1.0, ">=", 1.0)]), (None, [])],
)
def test_competitor_mention_signal(mentions, expected: list) -> None:
    assert _signals(competitor_mentions_90d=mentions) == expected


def test_output_rows_carry_keys_and_config_version() -> None:
    rows = [
        {"account_id": "b", "as_of_date": DAY, **QUIET, "open_tickets": 4},
        {"account_id": "a", "as_of_date": DAY, **QUIET, "nps_score": 2.0},
    ]
    out = detect_churn_signals(pl.DataFrame(rows, schema=SCHEMA), CONFIG)
    assert out.columns == [
        "account_id",
        "as_of_date",
        "signal",
        "severity",
        "observed_value",
        "operator",
        "threshold",
        "config_version",
    ]
    assert out.select("account_id", "signal").rows() == [
        ("a", "nps_detractor"),
        ("b", "multiple_support_tickets"),
    ]
    assert set(out["config_version"]) == {"2026.11.1"}


def test_competitor_names_match_whole_words_ignoring_case() -> None:
    texts = pl.Series(
        ["Thinking of moving to intercom", "We adapt quickly", "ADA offered a discount", None]
        + ["drifting away", "their Zendesk Answer Bot is cheaper"]
    )
    got = pl.select(mentions_competitor(pl.lit(texts), CONFIG.competitors)).to_series().to_list()
    assert got == [True, False, True, False, False, True]


def test_competitor_mentions_count_tickets_in_the_90_day_window() -> None:
    tickets = pl.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "c"],
            # Window for DAY: DAY − 89 … DAY. The first ticket is day −90: outside.
            "created_on": [
                DAY - dt.timedelta(days=90),
                DAY - dt.timedelta(days=89),
                DAY,
                DAY - dt.timedelta(days=3),
                DAY + dt.timedelta(days=1),  # after the as-of date: not seen
            ],
            "text": ["Intercom", "Drift is better", "Ada?", "no competitor here", "Intercom"],
        }
    )
    got = competitor_mentions(tickets, DAY, CONFIG)
    assert got.rows() == [("a", DAY, 2)]
