"""Rule 8 and 11's evidence: the ingest log, and staged rows against raw rows per staging model."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from data_contracts.raw_tables import RAW_TABLES
from orchestration.gate.reading import column_names, table_or_none
from orchestration.warehouse_io import table_exists


def events_added_after(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The drop date after which the events' latest build added rows when that build was
    incremental (macros/incremental_events.sql), else None: the build re-derived every event."""
    if not table_exists(con, "staging", "stg_app_db__events__built"):
        return None
    if "added_after" not in column_names(con, "staging", "stg_app_db__events__built"):
        return None
    row = con.execute(
        "select build_mode, added_after from staging.stg_app_db__events__built"
    ).fetchone()
    return row[1] if row and row[0] == "incremental" else None


def staged_vs_raw_counts(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame:
    """Rows of each staging model against its raw table's distinct keys up to the as-of date (a key
    whose newest row carries deleted_at was deleted at the source: staging leaves it out, not lost).

    After an incremental build of the events, their comparison covers the event ids that build
    added (the ids in the raw drops dated after the build before it), the only staged rows it
    changed: ranking every raw event again each day cost as much as the build it checks."""
    added_after = events_added_after(con)
    rows = []
    for raw_name, table in sorted(RAW_TABLES.items()):
        source, entity = raw_name.split("__", 1)
        model = f"stg_{source}__{entity}"
        if not table_exists(con, "staging", model) or not table_exists(con, "raw", raw_name):
            continue
        key = ", ".join(f'"{column}"' for column in table.key)
        label, scope, staged_scope, params = f"raw.{raw_name}", "", "", [as_of]
        if raw_name == "app_db__events" and added_after is not None:
            touched = (
                "select event_id from raw.app_db__events "
                f"where _drop_date > date '{added_after}' and _drop_date <= date '{as_of}'"
            )
            label = f"raw.{raw_name} (event ids in the drops after {added_after})"
            scope = f" and event_id in ({touched})"
            staged_scope = f" where event_id in ({touched})"
        if any(name == "deleted_at" for name, _, _ in table.all_columns):
            query = (
                f"select count(*) from (select deleted_at, row_number() over (partition by {key} "
                "order by _drop_date desc, _line desc) as newest "
                f"from raw.{raw_name} where _drop_date <= ?{scope}) "
                "where newest = 1 and deleted_at is null"
            )
        else:
            query = (
                f"select count(*) from (select distinct {key} from raw.{raw_name} "
                f"where _drop_date <= ?{scope})"
            )
        deduplicated = con.execute(query, params).fetchall()[0][0]
        staged = con.execute(f"select count(*) from staging.{model}{staged_scope}").fetchall()[0][0]
        rows.append(
            {
                "raw_table": label,
                "staging_model": model,
                "raw_deduplicated": deduplicated,
                "staged": staged,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "raw_table": pl.String,
            "staging_model": pl.String,
            "raw_deduplicated": pl.Int64,
            "staged": pl.Int64,
        },
    )


def quarantine_by_rule(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pl.DataFrame | None:
    """Rows quarantined per drop, file and rule up to the as-of date (None before any ingest)."""
    if not table_exists(con, "raw", "quarantine"):
        return None
    return pl.from_arrow(
        con.execute(
            "select source, drop_date, file, rule, count(*) as rows from raw.quarantine "
            "where drop_date <= ? group by all",
            [as_of],
        ).to_arrow_table()
    )


def emptied_tables(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, quarantine: pl.DataFrame | None
) -> dict[str, str]:
    """Raw tables with no row up to the as-of date although their files had rows quarantined
    (table → the file stem feeding it): a quarantine that emptied a table."""
    if quarantine is None or quarantine.is_empty():
        return {}
    emptied = {}
    stems = {
        (row[0], row[1].rsplit(".", 1)[0])
        for row in quarantine.select("source", "file").iter_rows()
    }
    for table in RAW_TABLES.values():
        if table.parent is not None or (table.source, table.file_stem) not in stems:
            continue
        if not table_exists(con, "raw", f"{table.source}__{table.table}"):
            continue
        has_rows = con.execute(
            f"select exists (select 1 from {table.name} where _drop_date <= ?)", [as_of]
        ).fetchall()[0][0]
        if not has_rows:
            emptied[table.name] = table.file_stem
    return emptied


def read_ingest_evidence(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: dict
) -> dict[str, object]:
    """`ingest_log` (audit.ingest_log, None before any ingest), `staged_counts` (per staging
    model, its rows against the raw table's deduplicated rows; None while nothing is ingested),
    `quarantine_by_rule` and `emptied_tables` (rule 11's quarantine half)."""
    ingest_log = table_or_none(con, "audit", "ingest_log")
    quarantine = quarantine_by_rule(con, as_of)
    return {
        "ingest_log": ingest_log,
        "staged_counts": None if ingest_log is None else staged_vs_raw_counts(con, as_of),
        "quarantine_by_rule": quarantine,
        "emptied_tables": emptied_tables(con, as_of, quarantine),
    }
