"""marts.cs_events on the shared daily-operation warehouse: the §13 types, unique ids that follow
the documented formula, and an event keeps its id in every later publication."""

from __future__ import annotations

import datetime as dt
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


@pytest.mark.slow
def test_each_renewal_window_fires_once_for_a_live_account(daily_operation: DailyOperation) -> None:
    """Every renewal of marts.renewals whose 90/60/30-day mark falls on a day the account was live
    (it has a health row: the live book) fires that window's event on that day, and no other
    renewal event exists; read from the published renewals and health rows, not the model's SQL."""
    con = duckdb.connect(str(daily_operation.settings.published_db), read_only=True)
    try:
        fired = set(
            con.execute(
                "select event_type, account_id, cause, occurred_on, observed_value "
                "from marts.cs_events where event_type like 'renewal_in_%'"
            ).fetchall()
        )
        renewals = con.execute(
            "select renewal_id, account_id, term_end from marts.renewals where account_id is not null"
        ).fetchall()
        live = set(
            con.execute("select account_id, as_of_date from marts.health_scores_daily").fetchall()
        )
        (as_of,) = con.execute("select max(as_of_date) from audit.publications").fetchone()
    finally:
        con.close()
    expected = {
        (f"renewal_in_{n}_days", account, renewal_id, term_end - dt.timedelta(days=n), float(n))
        for renewal_id, account, term_end in renewals
        for n in (90, 60, 30)
        if (account, term_end - dt.timedelta(days=n)) in live
        and term_end - dt.timedelta(days=n) <= as_of
    }
    # marts.renewals lists the past 24 months; events of older renewals stay in the events table
    older = {e for e in fired if e[2] not in {r[0] for r in renewals}}
    first_day = min(day for _, day in live)
    assert expected, "the daily-operation history has annual terms within 90 days of their end"
    assert {e for e in fired - older if e[3] >= first_day} == expected
