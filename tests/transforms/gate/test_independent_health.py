"""Rule 12's independent health inputs (transforms/gate/independent_health.py) worked out by hand, and
the comparison that names each differing input (health_rules.health_inputs_verification)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from transforms.gate import health_rules, independent_health

FIRST_DROP = dt.date(2026, 11, 6)
T = dt.datetime


ACCOUNTS = pl.DataFrame(
    {
        "account_id": ["a", "b", "c"],
        "created_at": [T(2026, 1, 1), T(2026, 11, 1, 9), T(2026, 5, 5)],
        "stripe_customer_id": ["cus_a", "cus_b", None],
        "plan": ["growth", "starter", "pro"],
        "plan_conversation_limit": [100, 0, None],
    }
)


def _health_sources() -> dict[str, pl.DataFrame]:
    def frame(rows: list[tuple], columns: list[str], **types: pl.DataType) -> pl.DataFrame:
        return pl.DataFrame(rows, schema=columns, orient="row", schema_overrides=types)

    return {
        "organizations": frame([(1, "a"), (2, "b"), (3, None)], ["organization_id", "account_id"]),
        "tickets": frame(
            [
                (1, 1, T(2026, 11, 19), T(2026, 11, 21, 0, 0, 1), "high", True),  # open, escalated
                (2, 1, T(2026, 11, 18), T(2026, 11, 20, 23, 59), "urgent", None),  # solved that day
                (3, 1, T(2026, 11, 21), None, "high", False),  # after the day
                (4, 2, T(2026, 11, 2), None, "low", False),  # open
                (5, 1, T(2026, 6, 1), T(2026, 6, 2), "low", True),  # escalated > 90 days ago
                (6, 3, T(2026, 11, 10), None, "high", True),  # no account
            ],
            ["ticket_id", "organization_id", "created_at", "solved_at", "priority", "is_escalated"],
            solved_at=pl.Datetime,
        ),
        "ratings": frame(
            [
                (1, None, 4, T(2026, 11, 19)),  # organisation from its ticket: a
                (2, 1, 2, T(2026, 11, 19)),
                (5, 1, 5, T(2026, 6, 3)),  # > 90 days ago
                (4, 2, None, T(2026, 11, 3)),  # good/bad only: no 1–5 rating
                (999, 1, 1, T(2026, 11, 19)),  # its ticket is not in the helpdesk
            ],
            ["ticket_id", "organization_id", "rating", "created_at"],
            organization_id=pl.Int64,
            rating=pl.Int64,
        ),
        "events": frame(
            [
                ("a", "u1", None, "login", T(2026, 11, 17, 8)),
                ("a", "u1", None, "login", T(2026, 11, 21, 0, 0, 1)),  # after the day
                ("a", "u2", None, "login", T(2026, 10, 25)),  # 26 days back: in 28
                ("a", "u1", None, "conversation_handled", T(2026, 11, 20, 10)),
                ("a", "u1", None, "conversation_handled", T(2026, 11, 20, 11)),
                ("a", "u2", None, "conversation_handled", T(2026, 10, 22)),  # in 30, not 28
                ("a", "u1", None, "conversation_handled", T(2026, 10, 1)),  # days 31–60 back
                ("a", "u1", "inbox", "feature_used", T(2026, 11, 10)),
                ("a", "u2", "bots", "feature_used", T(2026, 10, 25)),
                ("a", "u3", "reports", "feature_used", T(2026, 10, 1)),  # > 30 days back
                ("a", "u1", None, "blocked_feature_attempt", T(2026, 11, 15)),
                ("b", "u9", None, "login", T(2026, 11, 21, 1)),  # after the day
                ("b", "u9", "inbox", "feature_used", T(2026, 11, 5)),
            ],
            ["account_id", "user_id", "feature_key", "event_type", "occurred_at"],
        ),
        "nps_responses": frame(
            [
                ("a", 9, T(2026, 11, 1, 10)),
                ("a", 3, T(2026, 11, 10, 12)),  # the latest, tied: the higher score wins
                ("a", 5, T(2026, 11, 10, 12)),
                ("a", None, T(2026, 11, 15)),  # no score
                ("c", 8, T(2026, 5, 20)),  # 184 days back: outside 180
            ],
            ["account_id", "score", "submitted_at"],
            score=pl.Int64,
        ),
        "cs_activities": frame(
            [
                ("a", "meeting_attended", T(2026, 11, 1)),
                ("a", "meeting_no_show", T(2026, 10, 1)),
                ("a", "outreach_sent", T(2026, 11, 1)),
                ("a", "outreach_sent", T(2026, 11, 2)),
                *[("a", "outreach_answered", T(2026, 11, 3))] * 3,
                ("b", "outreach_sent", T(2026, 11, 5)),
                ("c", "meeting_attended", T(2026, 6, 1)),  # > 90 days back
            ],
            ["account_id", "activity_type", "occurred_at"],
        ),
        "stripe_customers": frame([("cus_a",)], ["customer_id"]),
        "charges": frame(
            [
                ("cus_a", "succeeded", T(2026, 11, 1)),
                ("cus_a", "succeeded", T(2026, 10, 1)),
                ("cus_a", "failed", T(2026, 11, 15)),
                ("cus_a", "failed", T(2026, 8, 1)),  # > 90 days back
                ("cus_b", "failed", T(2026, 11, 10)),  # cus_b is unknown to Stripe
            ],
            ["customer_id", "status", "created_at"],
        ),
        "subscriptions": frame(
            [
                ("sa1", "cus_a", "active", T(2026, 1, 1), FIRST_DROP),
                ("sa2", "cus_a", "trialing", T(2026, 11, 15), dt.date(2026, 11, 16)),
                ("sa3", "cus_a", "canceled", T(2026, 1, 1), FIRST_DROP),
            ],
            ["subscription_id", "customer_id", "status", "created_at", "valid_from_drop"],
        ).with_columns(
            started_at=pl.col("created_at"),
            ended_at=pl.lit(None, pl.Datetime),
            trial_end_at=pl.lit(None, pl.Datetime),
            valid_to_drop=pl.lit(None, pl.Date),
        ),
        "items": frame(
            [
                ("sa1", "month", 1, FIRST_DROP),
                ("sa2", "year", 1, dt.date(2026, 11, 16)),
                ("sa3", "year", 2, FIRST_DROP),
            ],
            [
                "subscription_id",
                "recurring_interval",
                "recurring_interval_count",
                "valid_from_drop",
            ],
        ).with_columns(valid_to_drop=pl.lit(None, pl.Date)),
    }


def _health(covered: dict) -> dict[str, dict]:
    return {
        r["account_id"]: r
        for r in independent_health.independent_health_inputs(
            dt.date(2026, 11, 20), ACCOUNTS, **_health_sources(), covered_through=covered
        ).iter_rows(named=True)
    }


COVERED = {
    "app_db": dt.date(2026, 11, 20),
    "stripe": dt.date(2026, 11, 20),
    "ticketing": dt.date(2026, 11, 20),
    "stripe_first_drop": FIRST_DROP,
}


def test_every_health_input_by_hand() -> None:
    result = _health(COVERED)
    assert list(next(iter(result.values()))) == ["account_id", *independent_health.HEALTH_INPUTS]
    # a: user-days in the last 30 days (Oct 22 … Nov 20): Oct 22, Oct 25 (u2), Nov 10, 15, 17, 20
    #    (u1) = 6; 2 users; 30 days → 6/30/2. Logins in 28 days: Nov 17 and Oct 25 → 2/4.
    #    Conversations: 2 in 28 days, 3 in 30, 1 in days 31–60. Open: ticket 1 (high); escalated
    #    in 90 days: ticket 1; CSAT (4 + 2)/2 (ticket 999 unknown, ticket 5's rating too old).
    #    NPS: Nov 10's tie → 5. Meetings 1/(1+1); outreach 3/2 capped at 1. Payments 2 of 3 in 90
    #    days, 1 failed in 30. Live subscriptions: sa1 monthly, sa2 trialing yearly → 12 months.
    a = dict(result["a"])
    assert (a.pop("account_id"), a.pop("plan"), a.pop("subscription_state")) == (
        "a",
        "growth",
        "active",
    )
    assert a.pop("features_used_30d") == ["bots", "inbox"]
    assert a == pytest.approx(
        {
            "dau_mau_ratio": 0.1,
            "conversations_per_week": 0.5,
            "days_since_last_login": 3.0,
            "logins_per_week": 0.5,
            "features_used_this_month": 2.0,
            "open_tickets": 1.0,
            "avg_csat": 3.0,
            "escalations": 1.0,
            "nps_score": 5.0,
            "meetings_attended": 0.5,
            "responses_to_outreach": 1.0,
            "payment_health": 2 / 3,
            "growth_potential": 0.03,
            "contract_length": 12.0,
            "usage_vs_limit": 0.03,
            "usage_30d": 3.0,
            "usage_prev_30d": 1.0,
            "failed_payments_30d": 1.0,
            "blocked_feature_attempts_30d": 1.0,
            "days_without_login": 3.0,
            "high_urgent_open_tickets": 1.0,
            "tenure_days": 323.0,
            "term_months": 12.0,
        }
    )
    # b, created Nov 1 (20 days of window): 1 user-day / 20 / 1 user; no login by the day → 19
    #    days since creation; created after days 31–60 back → no previous usage (NULL); limit 0 →
    #    no growth or usage ratio; 1 open low ticket, no 1–5 rating; outreach sent, none answered;
    #    its Stripe customer is unknown to Stripe → payments NULL, state none.
    b = result["b"]
    assert b["dau_mau_ratio"] == pytest.approx(0.05) and b["features_used_30d"] == ["inbox"]
    assert (b["days_since_last_login"], b["logins_per_week"], b["usage_prev_30d"]) == (
        19.0,
        0.0,
        None,
    )
    assert (b["growth_potential"], b["usage_vs_limit"]) == (None, None)
    assert (b["open_tickets"], b["high_urgent_open_tickets"], b["escalations"]) == (1.0, 0.0, 0.0)
    assert (b["avg_csat"], b["nps_score"], b["meetings_attended"]) == (None, None, None)
    assert b["responses_to_outreach"] == 0.0
    assert (b["payment_health"], b["failed_payments_30d"], b["contract_length"]) == (
        None,
        None,
        None,
    )
    assert b["subscription_state"] == "none" and b["tenure_days"] == 19.0
    # c: covered by the application database with no activity → true zeros; no organisation →
    #    support NULL; its only NPS response is 184 days old; no Stripe customer.
    c = result["c"]
    # dau/mau has no denominator without a monthly active user: NULL, not 0
    assert (c["dau_mau_ratio"], c["features_used_30d"], c["features_used_this_month"]) == (
        None,
        [],
        0.0,
    )
    assert (c["days_since_last_login"], c["usage_30d"], c["usage_prev_30d"]) == (199.0, 0.0, 0.0)
    assert (c["open_tickets"], c["avg_csat"], c["escalations"]) == (None, None, None)
    assert (c["nps_score"], c["meetings_attended"], c["responses_to_outreach"]) == (
        None,
        None,
        None,
    )
    assert (c["growth_potential"], c["usage_vs_limit"], c["payment_health"]) == (None, None, None)


def test_health_inputs_of_a_source_not_covering_the_day_are_null() -> None:
    # The helpdesk's newest drop is the day before; the application database never delivered.
    result = _health({**COVERED, "ticketing": dt.date(2026, 11, 19), "app_db": None})
    a = result["a"]
    for name in (
        "dau_mau_ratio",
        "features_used_30d",
        "days_since_last_login",
        "nps_score",
        "usage_30d",
        "open_tickets",
        "avg_csat",
        "escalations",
        "high_urgent_open_tickets",
    ):
        assert a[name] is None, name
    assert a["payment_health"] == pytest.approx(2 / 3) and a["tenure_days"] == 323.0


def test_stripe_inputs_of_a_stale_day_are_null_the_contract_length_too() -> None:
    # Stripe's newest drop is the day before: its subscriptions are not known on the day.
    a = _health({**COVERED, "stripe": dt.date(2026, 11, 19)})["a"]
    assert (a["payment_health"], a["failed_payments_30d"]) == (None, None)
    assert (a["contract_length"], a["term_months"], a["subscription_state"]) == (None, None, "none")
    assert a["dau_mau_ratio"] == pytest.approx(0.1)


def test_health_verification_names_each_differing_input() -> None:
    independent = independent_health.independent_health_inputs(
        dt.date(2026, 11, 20), ACCOUNTS, **_health_sources(), covered_through=COVERED
    )
    published = independent.with_columns(
        # a list in another order is the same set of features
        features_used_30d=pl.when(pl.col("account_id") == "a")
        .then(pl.lit(["inbox", "bots"]))
        .otherwise("features_used_30d"),
        escalations=pl.when(pl.col("account_id") == "b").then(None).otherwise("escalations"),
        subscription_state=pl.when(pl.col("account_id") == "c")
        .then(pl.lit("active"))
        .otherwise("subscription_state"),
        avg_csat=pl.col("avg_csat") + 1e-12,
    )
    check = health_rules.health_inputs_verification(
        independent, published, ["a", "b", "c"], dt.date(2026, 11, 20)
    )[0]
    assert check.status == "fail"
    assert check.observed.startswith(
        "2 differences over 3 accounts × 26 inputs "
        "(accounts per input: escalations 1, subscription_state 1): "
    )
    assert "b escalations: independent 0.0, published None" in check.observed
    assert "c subscription_state: independent none, published active" in check.observed
    same = health_rules.health_inputs_verification(
        independent, independent, ["a", "b", "c"], dt.date(2026, 11, 20)
    )[0]
    assert same.status == "pass"
