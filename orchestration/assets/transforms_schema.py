"""The schema `transforms` the area assets write (dbt declares it as the source `transforms`, so a
table's asset key is transforms/<table>): its keys, and the options every such asset shares."""

from __future__ import annotations

import dagster as dg

SCHEMA = "transforms"

#: Every transform asset: one run per backfill range, one DuckDB writer at a time.
RUN_OPTIONS: dict = {
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "pool": "duckdb_writer",
}
#: How each table of the schema shows in Dagster.
SPEC_OPTIONS: dict = {"group_name": SCHEMA, "kinds": {"duckdb", "polars"}}


def table_key(table: str) -> dg.AssetKey:
    """The asset key of transforms.<table>."""
    return dg.AssetKey([SCHEMA, table])


def staging_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt staging model."""
    return dg.AssetKey(["staging", model])


def intermediate_key(model: str) -> dg.AssetKey:
    """The asset key of a dbt intermediate model."""
    return dg.AssetKey(["intermediate", model])
