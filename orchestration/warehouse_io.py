"""Reading and writing the warehouse from Python: the one family every asset and the gate go through.

Readers take a relation's Arrow table (DuckDB 2.0 results have no `.pl()`, and a DB-API result copies
every row once more, as DuckDB warns). Writers take a Polars frame, whose Arrow types become the
column types of a table they create, and write a whole table or the rows of some days of it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

# The name a frame is registered under while a writer copies it into a table.
_INCOMING = "_incoming_rows"


def read_frame(
    con: duckdb.DuckDBPyConnection, query: str, params: list | None = None
) -> pl.DataFrame:
    """A query's result as a Polars frame."""
    return pl.from_arrow(con.sql(query, params=params or []).to_arrow_table())


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether `schema.name` is a table or view of the warehouse."""
    rows = con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return bool(rows)


def replace_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame
) -> None:
    """Write `frame` as schema.table, replacing whatever the table held."""
    con.execute(f"create schema if not exists {schema}")
    con.register(_INCOMING, frame.to_arrow())
    try:
        con.execute(f'create or replace table {schema}."{table}" as select * from {_INCOMING}')
    finally:
        con.unregister(_INCOMING)


def replace_days(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    frame: pl.DataFrame,
    days: list[dt.date],
) -> None:
    """Replace the rows of `days` (by as_of_date) in schema.table with `frame`, keeping every other
    day's rows, in one transaction; the first write creates the table from `frame`."""
    con.execute(f"create schema if not exists {schema}")
    con.register(_INCOMING, frame.to_arrow())
    try:
        if not table_exists(con, schema, table):
            con.execute(f'create table {schema}."{table}" as select * from {_INCOMING}')
            return
        con.execute("begin transaction")
        if days:
            con.execute(
                f'delete from {schema}."{table}" where as_of_date in (select unnest(?::date[]))',
                [days],
            )
        con.execute(f'insert into {schema}."{table}" by name select * from {_INCOMING}')
        con.execute("commit")
    finally:
        con.unregister(_INCOMING)


def delete_days_from(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, first_day: dt.date
) -> None:
    """Delete the rows of `first_day` and every later day (by as_of_date) from schema.table, if it
    exists: a history about to be written again from that day on."""
    if table_exists(con, schema, table):
        con.execute(f'delete from {schema}."{table}" where as_of_date >= ?', [first_day])
