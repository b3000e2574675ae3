"""marts.cs_events on the shared daily-operation warehouse: the §13 types, unique ids that follow
the documented formula, and an event keeps its id in every later publication."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from tests.warehouses import DailyOperation

TYPES = {
    "subscription_created",
    "onboarding_stalled",
    "usage_dropped_50_percent",
    "no_login_7_days",
    "nps_score_lte_6",
    "nps_score_gte_9",
    "expansion_signal_detected",
    "usage_at_80_percent",
    "health_score_dropped_20",
    "cancellation_requested",
    "grade_dropped_to_d_or_f",
    "renewal_in_90_days",
    "renewal_in_60_days",
    "renewal_in_30_days",
}


def _events(path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select event_id, event_type, account_id, cause, occurred_on, as_of_date "
            "from marts.cs_events"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_cs_events_types_and_unique_ids(daily_operation: DailyOperation) -> None:
    events = _events(daily_operation.settings.published_db)
    ids = [e[0] for e in events]
    assert len(ids) == len(set(ids))
    types = {e[1] for e in events}
    assert types <= TYPES
    # present in any 200-account, 14-month population of the generator
    assert {"subscription_created", "no_login_7_days", "nps_score_lte_6"} <= types, types
    for event_id, event_type, account_id, cause, occurred_on, as_of in events:
        # the id formula of the model's yml, computed here without the model's SQL
        assert event_id == hashlib.md5(f"{event_type}|{account_id}|{cause}".encode()).hexdigest()
        assert occurred_on <= as_of


@pytest.mark.slow
def test_an_event_keeps_its_id_in_later_publications(daily_operation: DailyOperation) -> None:
    history = sorted(
        (daily_operation.settings.published_dir / "history").glob("analytics-*.duckdb")
    )
    assert history, "the daily operation keeps earlier publications"
    latest = {e[0] for e in _events(daily_operation.settings.published_db)}
    earliest = _events(history[0])
    assert earliest
    assert {e[0] for e in earliest} <= latest
