"""Large files checked batch by batch: every bad row found, every row accounted for, duplicates across batches.

A million-row events file is validated as a whole. Its speed is measured by
benchmarks/bench_ingest.py, not asserted here (timings vary with the machine).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest import staging
from ingest.loader import ingest_source_drop
from tests.ingest.drops import organization_line

ROWS = 1_000_000


@pytest.mark.slow
def test_million_events_every_row_accounted_for(tmp_path: Path) -> None:
    folder = tmp_path / "app_db" / "2025-06-01"
    folder.mkdir(parents=True)
    i = pl.int_range(ROWS, eager=True)
    pl.DataFrame(
        {
            "event_id": "ev_" + i.cast(pl.String),
            "account_id": "acc_" + (i % 2000).cast(pl.String),
            "user_id": "usr_" + (i % 20000).cast(pl.String),
            # every 100 000th row (10 rows) carries an event type outside the contract
            "event_type": pl.select(
                pl.when(i % 100_000 == 0).then(pl.lit("bogus")).otherwise(pl.lit("login"))
            ).to_series(),
            "feature_key": pl.repeat(None, ROWS, dtype=pl.String, eager=True),
            "occurred_at": pl.repeat(dt.datetime(2025, 6, 1, 12), ROWS, eager=True),
        }
    ).write_parquet(folder / "events.parquet")
    con = duckdb.connect()
    result = ingest_source_drop(
        con, "app_db", tmp_path, dt.date(2025, 6, 1), dt.datetime(2025, 6, 2)
    )
    events = result.file("events.parquet")
    assert (events.rows_read, events.rows_loaded, events.rows_quarantined) == (ROWS, ROWS - 10, 10)


def test_parquet_loaded_in_batches_finds_duplicates_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 3 rows over 8 rows: a bad row in batch 2, `ev_1` again in batch 3 (line 7) and
    `ev_4` twice inside batch 2 (lines 4 and 6). Worked by hand: 8 read, 5 loaded, 3 quarantined
    (line 5 by its event type, lines 6 and 7 as later duplicates of lines 4 and 1)."""
    monkeypatch.setattr(staging, "PARQUET_BATCH_ROWS", 3)
    folder = tmp_path / "app_db" / "2025-06-01"
    folder.mkdir(parents=True)
    pl.DataFrame(
        {
            "event_id": ["ev_1", "ev_2", "ev_3", "ev_4", "ev_5", "ev_4", "ev_1", "ev_8"],
            "account_id": ["acc_1"] * 8,
            "user_id": ["usr_1"] * 8,
            "event_type": ["login"] * 4 + ["bogus"] + ["login"] * 3,
            "feature_key": pl.Series([None] * 8, dtype=pl.String),
            "occurred_at": [dt.datetime(2025, 6, 1, 12)] * 8,
        }
    ).write_parquet(folder / "events.parquet", row_group_size=2)
    con = duckdb.connect()
    result = ingest_source_drop(
        con, "app_db", tmp_path, dt.date(2025, 6, 1), dt.datetime(2025, 6, 2)
    )
    events = result.file("events.parquet")
    assert (events.rows_read, events.rows_loaded, events.rows_quarantined) == (8, 5, 3)
    loaded = con.execute("select _line, event_id from raw.app_db__events order by _line").fetchall()
    assert loaded == [(1, "ev_1"), (2, "ev_2"), (3, "ev_3"), (4, "ev_4"), (8, "ev_8")]
    quarantined = con.execute(
        "select line, rule, record_id from raw.quarantine order by line"
    ).fetchall()
    assert quarantined[0][0] == 5 and quarantined[0][1] != "duplicate_id_in_drop"
    assert quarantined[1:] == [
        (6, "duplicate_id_in_drop", "ev_4"),
        (7, "duplicate_id_in_drop", "ev_1"),
    ]
    logged = con.execute(
        "select rows_read, rows_loaded, rows_quarantined from audit.ingest_log "
        "where file = 'events.parquet'"
    ).fetchall()
    assert logged == [(8, 5, 3)]


def test_jsonl_loaded_in_chunks_numbers_lines_and_finds_duplicates_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 2 lines over 7: line 4 is not JSON, line 6 repeats id 1 (first seen in chunk 1).
    Worked by hand: 7 read, 5 loaded, 2 quarantined at lines 4 and 6."""
    monkeypatch.setattr(staging, "JSONL_CHUNK_LINES", 2)
    folder = tmp_path / "ticketing" / "2025-06-01"
    folder.mkdir(parents=True)
    lines = [
        organization_line(1),
        organization_line(2),
        organization_line(3),
        "{not json",
        organization_line(5),
        organization_line(1),
        organization_line(7),
    ]
    (folder / "organizations.jsonl").write_text("\n".join(lines) + "\n")
    con = duckdb.connect()
    result = ingest_source_drop(
        con, "ticketing", tmp_path, dt.date(2025, 6, 1), dt.datetime(2025, 6, 2)
    )
    orgs = result.file("organizations.jsonl")
    assert (orgs.rows_read, orgs.rows_loaded, orgs.rows_quarantined) == (7, 5, 2)
    assert con.execute("select id from raw.ticketing__organizations order by _line").fetchall() == [
        (1,),
        (2,),
        (3,),
        (5,),
        (7,),
    ]
    assert con.execute("select line, rule from raw.quarantine order by line").fetchall() == [
        (4, "json_malformed"),
        (6, "duplicate_id_in_drop"),
    ]
