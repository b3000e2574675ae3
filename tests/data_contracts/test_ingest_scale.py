"""A million-row events file is validated as a whole: every bad row found, every row accounted for.

Its speed is measured by benchmarks/bench_ingest.py, not asserted here (timings vary with the machine).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data_contracts.loading import ingest_source_drop

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
