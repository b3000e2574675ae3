"""Reading the warehouse from Python: a query's result as a Polars frame, and whether a table exists.

Shared by the transform assets and the gate, so every reader takes the same path: a relation's Arrow
table (DuckDB 2.0 results have no `.pl()`, and a DB-API result copies every row once more, as DuckDB
warns)."""

from __future__ import annotations

import duckdb
import polars as pl


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
