"""The expansion inputs in dbt and the expansion asset's builder on the hand-made rows of
engagement_rows.py: NULL where the events extract did not reach the as-of day, measured windows
once it does, advocacy with and without health scores, seat growth from the earlier snapshot."""

from __future__ import annotations

import polars as pl
import pytest

from orchestration.assets.engagement import build_engagement
from orchestration.assets.expansion import build_expansion
from orchestration.config import load_engagement_config, load_expansion_config
from tests.orchestration.assets.engagement_rows import AS_OF, rows


def test_expansion_inputs_null_when_events_not_extracted_to_the_as_of_day(engagement_con) -> None:
    inputs = pl.from_arrow(
        engagement_con.sql(
            "select * from intermediate.int_account_expansion_inputs"
        ).to_arrow_table()
    )
    (a,) = rows(inputs, account_id="acc_a")
    assert a["usage_vs_limit"] is None and a["blocked_feature_attempts"] is None
    assert a["nps_score"] == 10.0  # the latest response (10-20), not the earlier 6
    assert a["mrr"] is None and a["mrr_null_reason"] == "never_paid"


def test_advocacy_needs_health(engagement_con) -> None:
    engagement, _ = build_engagement(engagement_con, load_engagement_config())
    config = load_expansion_config()
    without = build_expansion(engagement_con, AS_OF, engagement, None, config)[2]
    assert without.is_empty()
    health = pl.DataFrame({"account_id": ["acc_a", "acc_b"], "health_score": [75.0, 90.0]})
    opportunities, _, candidates = build_expansion(
        engagement_con, AS_OF, engagement, health, config
    )
    # acc_a: latest NPS 10 ≥ 9, health 75 ≥ 70, no advocacy status; acc_b has no NPS. MRR is
    # NULL (never paid) and still ranks, last.
    assert candidates["account_id"].to_list() == ["acc_a"]
    assert candidates["rank"].to_list() == [1]


def test_seat_growth_from_the_snapshot_90_days_earlier(engagement_con) -> None:
    """acc_a had 2 seats in the snapshot of 08-12 (11-10 − 90 days) and has 4 now: growth
    4/2 − 1 = 1.0 ≥ 0.2 fires team_growth. Evaluable signals for acc_a: team_growth (0.7),
    high_engagement (0.6; October scores 32.35, not > 80) and nps_promoter (0.5; latest 10);
    usage and blocked attempts are not (events not extracted to 11-10), nor renewal (no item)
    or success metrics. Probability = (0.7 + 0.5) / (0.7 + 0.6 + 0.5) = 1.2 / 1.8 = 0.67. The
    add-seats value needs MRR, which acc_a does not have: NULL, not 0."""
    engagement, _ = build_engagement(engagement_con, load_engagement_config())
    engagement_con.execute("create schema if not exists transforms")
    engagement_con.execute(
        "create or replace table transforms.account_seats_daily as "
        "select 'acc_a' as account_id, date '2026-08-12' as as_of_date, 2::bigint as seats"
    )
    try:
        opportunities = build_expansion(
            engagement_con, AS_OF, engagement, None, load_expansion_config()
        )[0]
    finally:
        engagement_con.execute("drop table transforms.account_seats_daily")
    (seats,) = rows(opportunities, account_id="acc_a")
    assert seats["type"] == "add_seats"
    assert seats["probability"] == pytest.approx(0.67)
    assert sorted(seats["signals"]) == ["nps_promoter", "team_growth"]
    assert seats["estimated_value"] is None
    assert seats["health_score"] is None
    # Without the snapshot, acc_a has no evaluable growth and no opportunity.
    without = build_expansion(engagement_con, AS_OF, engagement, None, load_expansion_config())[0]
    assert rows(without, account_id="acc_a") == []


def test_expansion_windows_are_measured(engagement_covered_con) -> None:
    inputs = pl.from_arrow(
        engagement_covered_con.sql(
            "select * from intermediate.int_account_expansion_inputs"
        ).to_arrow_table()
    )
    (a,) = rows(inputs, account_id="acc_a")
    # Window 10-12 … 11-10: the handled conversations (10-04 … 10-07) are outside it, so usage
    # is a measured 0 / 1000; the two blocked attempts (10-25, 10-26) on one feature are inside;
    # users with an event in it: u1 and u2.
    assert a["conversations_30d"] == 0 and a["usage_vs_limit"] == 0.0
    assert (a["blocked_feature_attempts"], a["blocked_features"]) == (2, 1)
    assert a["active_users_30d"] == 2
    # acc_a was created 09-10, less than 120 days before: no earlier window to grow from.
    assert a["active_users_30d_90_days_ago"] is None and a["active_user_growth_90d"] is None
    (b,) = rows(inputs, account_id="acc_b")
    assert (b["usage_vs_limit"], b["blocked_feature_attempts"], b["active_users_30d"]) == (
        0.0,
        0,
        0,
    )
