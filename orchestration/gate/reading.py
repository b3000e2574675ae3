"""The evidence readers' small helpers over the build database: a table if built, its columns."""

from __future__ import annotations

import duckdb
import polars as pl

from orchestration.warehouse_io import read_frame, table_exists


def table_or_none(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> pl.DataFrame | None:
    """The whole table, or None while it is not built."""
    if not table_exists(con, schema, name):
        return None
    return read_frame(con, f'select * from {schema}."{name}"')


def column_names(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[str]:
    """The table's columns in their order (none when it is not built)."""
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


def tables_present(con: duckdb.DuckDBPyConnection, names: set[str]) -> dict[str, pl.DataFrame]:
    """The published tables among `names` ("schema.table") that exist in the build database."""
    found = {}
    for name in sorted(names):
        schema, table = name.split(".", 1)
        if table_exists(con, schema, table):
            found[name] = read_frame(con, f'select * from {schema}."{table}"')
    return found
