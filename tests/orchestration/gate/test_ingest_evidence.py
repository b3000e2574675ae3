"""After an incremental build of the events, staged-against-raw counts cover the event ids it added
(orchestration/gate/ingest_evidence.staged_vs_raw_counts): the cost of rule 11's staging half does
not grow with the history. Hand-made raw rows in an in-memory DuckDB, through the gate's own
functions."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data_contracts.raw_tables import RAW_TABLES
from orchestration.gate.ingest_evidence import staged_vs_raw_counts
from tests.raw_rows import insert_raw_rows

D1, D2 = dt.date(2026, 11, 10), dt.date(2026, 11, 11)
LOADED = dt.datetime(2026, 11, 11, 6, 0)


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema raw")
    for key in ("stripe__customers", "app_db__events"):
        connection.execute(RAW_TABLES[key].ddl())
    return connection


def _events(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        dict(event_id="e1", account_id="a", event_type="login", _drop_date=D1, _line=1),
        dict(event_id="e2", account_id="a", event_type="login", _drop_date=D1, _line=2),
        dict(event_id="e2", account_id="a", event_type="login", _drop_date=D2, _line=1),
        dict(event_id="e3", account_id="a", event_type="login", _drop_date=D2, _line=2),
    ]
    insert_raw_rows(con, "app_db__events", rows, loaded_at=LOADED)
    con.execute("create schema staging")
    con.execute(
        "create table staging.stg_app_db__events as "
        "select event_id, account_id from raw.app_db__events qualify row_number() over "
        "(partition by event_id order by _drop_date desc) = 1"
    )
    con.execute(
        "create table staging.stg_app_db__events__built as select "
        f"'incremental' as build_mode, date '{D1}' as added_after"
    )


def events_counts(con: duckdb.DuckDBPyConnection) -> tuple[str, int, int]:
    frame = staged_vs_raw_counts(con, D2).filter(
        staged_vs_raw_counts(con, D2)["staging_model"] == "stg_app_db__events"
    )
    row = frame.row(0, named=True)
    return row["raw_table"], row["raw_deduplicated"], row["staged"]


def test_staged_events_are_counted_for_the_ids_the_build_added(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _events(con)
    label, raw, staged = events_counts(con)
    assert "drops after 2026-11-10" in label
    assert (raw, staged) == (2, 2)  # e2 and e3 came in the drop of 11-11
    # a lost row among the ids the build added is found
    con.execute("delete from staging.stg_app_db__events where event_id = 'e3'")
    assert events_counts(con)[1:] == (2, 1)
    con.execute("insert into staging.stg_app_db__events values ('e3', 'a')")
    # e1 was judged by the run that wrote it; after a full build every event is counted
    con.execute("delete from staging.stg_app_db__events where event_id = 'e1'")
    assert events_counts(con)[1:] == (2, 2)
    con.execute("update staging.stg_app_db__events__built set build_mode = 'full'")
    label, raw, staged = events_counts(con)
    assert label == "raw.app_db__events" and (raw, staged) == (3, 2)
