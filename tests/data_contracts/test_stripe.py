"""The Stripe contracts at the door: a value outside an enumeration quarantines its whole line."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.loader import ingest_source_drop
from tests.ingest.drops import D1, T1, customer, jsonl, stripe_drop, subscription


def test_enum_value_outside_the_contract(tmp_path: Path) -> None:
    con = duckdb.connect()
    stripe_drop(
        tmp_path,
        D1,
        jsonl(customer("cus_A1")),
        jsonl(subscription("sub_S1"), subscription("sub_S2", status="almost_active")),
    )
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert result.rows_quarantined == 1
    assert con.execute(
        'SELECT line, record_id, rule, "column", value FROM raw.quarantine'
    ).fetchall() == [(2, "sub_S2", "stripe.subscriptions.status_enum", "status", "almost_active")]
    # The whole line is out: neither the subscription nor its item is in raw.
    assert con.execute(
        "SELECT subscription_id, id, quantity FROM raw.stripe__subscription_items"
    ).fetchall() == [("sub_S1", "si_S1", 3)]


def test_a_recurring_price_without_its_interval_count_is_quarantined(tmp_path: Path) -> None:
    # An interval without its count: read as 1, a quarterly price would pass as monthly (×3).
    con = duckdb.connect()
    no_count = subscription("sub_S2")
    del no_count["items"]["data"][0]["price"]["recurring"]["interval_count"]
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1")), jsonl(subscription("sub_S1"), no_count))
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert result.rows_quarantined == 1
    assert con.execute('SELECT line, record_id, rule, "column" FROM raw.quarantine').fetchall() == [
        (
            2,
            "sub_S2",
            "stripe.subscription_items.price_recurring_interval_count_range",
            "price_recurring_interval_count",
        )
    ]
    assert con.execute("SELECT id FROM raw.stripe__subscription_items").fetchall() == [("si_S1",)]
