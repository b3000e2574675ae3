"""The gate's checks whose cost grew with the history judge what changed since the run before:
duplicate ids within a drop are searched again only in new, re-delivered or removed drops
(orchestration/gate/publication_evidence.raw_duplicate_ids). Hand-made raw rows in an in-memory
DuckDB, through the gate's own functions."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data_contracts.raw_tables import RAW_TABLES
from orchestration.gate.publication_evidence import raw_duplicate_ids
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


def customers(con: duckdb.DuckDBPyConnection, ids: list[str], drop: dt.date, loaded_at=LOADED):
    insert_raw_rows(
        con, "stripe__customers", [{"id": i} for i in ids], loaded_at=loaded_at, drop=drop
    )


def found(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[tuple]:
    frame = raw_duplicate_ids(con, as_of)
    return [
        (r["entity_id"], r["drop_date"], r["copies"])
        for r in frame.filter(frame["table_name"] == "raw.stripe__customers").iter_rows(named=True)
    ]


def test_duplicates_are_searched_again_only_where_a_drop_changed(
    con: duckdb.DuckDBPyConnection,
) -> None:
    customers(con, ["cus_a", "cus_a", "cus_b"], D1)
    assert found(con, D1) == [("cus_a", D1, 2)]
    scanned = con.execute("select * from gate_state.raw_duplicate_scans order by all").fetchall()
    assert scanned == [("raw.stripe__customers", D1, 3, LOADED)]

    customers(con, ["cus_c", "cus_c", "cus_c"], D2)
    assert found(con, D2) == [("cus_a", D1, 2), ("cus_c", D2, 3)]
    # an earlier as-of date sees the drops up to it
    assert found(con, D1) == [("cus_a", D1, 2)]

    # the first drop is delivered again without its duplicate (ingest replaces its rows)
    con.execute("delete from raw.stripe__customers where _drop_date = ?", [D1])
    customers(con, ["cus_a", "cus_b"], D1, loaded_at=dt.datetime(2026, 11, 12, 6, 0))
    assert found(con, D2) == [("cus_c", D2, 3)]
    # a drop removed from raw leaves no duplicate and no scan behind
    con.execute("delete from raw.stripe__customers where _drop_date = ?", [D2])
    assert found(con, D2) == []
    assert con.execute(
        "select count(*) from gate_state.raw_duplicate_scans where drop_date = ?", [D2]
    ).fetchone() == (0,)


def test_the_e_mail_scan_reads_lists_of_text_too() -> None:
    # Rule 17's scan: an address inside a list of text (a ticket's tags, the features used) is
    # as published as one in a plain text column; a list without one, or a NULL element, is not.
    from orchestration.gate.publication_evidence import email_hits

    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select * from (values "
        "('plain', ['billing', 'ana@example.com']), ('b@c.io', ['ok', null]), ('x', null)) "
        "as v(note, tags)"
    )
    hits = {(r["column"], r["rows"]) for r in email_hits(con, ["marts"]).iter_rows(named=True)}
    assert hits == {("note", 1), ("tags", 1)}
