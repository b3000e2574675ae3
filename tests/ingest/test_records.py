"""JSON Lines records: a malformed line is quarantined alone; a repeated id loads its first line."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.loader import ingest_source_drop
from tests.ingest.drops import D1, T1, assert_nothing_lost, customer, jsonl, stripe_drop


def test_malformed_json_line_is_quarantined_and_the_rest_loads(tmp_path: Path, con) -> None:
    good = jsonl(customer("cus_A1"), customer("cus_A2"))
    truncated = json.dumps(customer("cus_A3"))[:25]
    stripe_drop(tmp_path, D1, good.splitlines()[0] + "\n" + truncated + "\n" + good.splitlines()[1])
    result = ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    f = result.file("customers.jsonl")
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    assert con.execute("SELECT id, _line FROM raw.stripe__customers ORDER BY _line").fetchall() == [
        ("cus_A1", 1),
        ("cus_A2", 3),
    ]
    assert con.execute("SELECT line, rule, raw_text FROM raw.quarantine").fetchall() == [
        (2, "json_malformed", truncated)
    ]
    assert_nothing_lost(con)


def test_duplicate_id_within_a_drop_loads_the_first(tmp_path: Path, con) -> None:
    stripe_drop(tmp_path, D1, jsonl(customer("cus_A1", "First"), customer("cus_A1", "Second")))
    ingest_source_drop(con, "stripe", tmp_path, D1, T1)
    assert con.execute("SELECT name FROM raw.stripe__customers").fetchall() == [("First",)]
    assert con.execute("SELECT line, rule FROM raw.quarantine").fetchall() == [
        (2, "duplicate_id_in_drop")
    ]
