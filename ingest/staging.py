"""A drop's files read and checked before anything is written to raw.*, and their rows laid out as raw.

A CSV file is read and checked whole in memory. Parquet and JSON Lines files (the events, Stripe,
the helpdesk: the large ones) are checked batch by batch into pending tables of schema
`ingest_pending`, committed as they fill, so memory stays flat however large the file; the drop's
transaction then moves them into raw.* in one statement per table.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from data_contracts.plausibility import TimeWindow
from data_contracts.raw_tables import RAW_TABLES
from ingest.errors import ExtractFileError
from ingest.readers import jsonl_chunks, parquet_file, read_csv_text
from ingest.records import CheckedFile, check_jsonl, duplicate_violation, quarantine_row
from ingest.sources import (
    contracts_of,
    file_tables,
    flatteners_of,
    object_of_file,
    required_columns,
)
from ingest.tabular import check_table

# Parquet extracts (usage events: the largest file by far) are checked and loaded in batches of
# this many rows, so memory stays flat however large the file; other files are read whole.
PARQUET_BATCH_ROWS = 1_000_000
# JSON Lines extracts (Stripe, helpdesk) are checked and loaded this many lines at a time.
JSONL_CHUNK_LINES = 50_000

PENDING_SCHEMA = "ingest_pending"


def check_csv(source: str, stem: str, path: Path, window: TimeWindow | None = None) -> CheckedFile:
    """Read one CSV table file and split its rows into valid rows per raw table and quarantine."""
    frame, lines, pre = read_csv_text(path)
    return check_table(
        path, contracts_of(source)[stem], required_columns(source, stem), frame, lines, pre, window
    )


@dataclass
class Staged:
    """A large file checked batch by batch into pending tables (committed as they fill, so memory
    stays flat); the drop's transaction then moves them into raw.* in one statement per table."""

    pending: dict[str, str]  # raw table key -> pending table
    rows_read: int = 0
    quarantine: list[dict] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantine)

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_quarantined


def pending_table(source: str, table: str, drop_date: datetime.date) -> str:
    """The pending table that holds a drop's checked rows of raw table `<source>__<table>`."""
    return f"{PENDING_SCHEMA}.{source}__{table}__{drop_date:%Y%m%d}"


def _pending_tables(
    con: duckdb.DuckDBPyConnection, source: str, stem: str, drop_date: datetime.date
) -> dict[str, str]:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {PENDING_SCHEMA}")
    pending = {}
    for table in file_tables(source)[stem]:
        key = f"{source}__{table}"
        name = pending_table(source, table, drop_date)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS FROM {RAW_TABLES[key].name} LIMIT 0")
        pending[key] = name
    return pending


def drop_stale_pending(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Drop the source's pending tables an interrupted run left behind; returns their names.
    Call it only while no other ingest of the source can be running (the run lock)."""
    names = [
        f"{PENDING_SCHEMA}.{name}"
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and starts_with(table_name, ?)",
            [PENDING_SCHEMA, f"{source}__"],
        ).fetchall()
    ]
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return names


def drop_pending(con: duckdb.DuckDBPyConnection, staged: Staged) -> None:
    """Drop the pending tables of a staged file."""
    for name in staged.pending.values():
        con.execute(f"DROP TABLE IF EXISTS {name}")


def stage_jsonl(
    con: duckdb.DuckDBPyConnection,
    source: str,
    stem: str,
    path: Path,
    meta: dict,
    window: TimeWindow | None = None,
) -> Staged:
    """Check a JSONL file chunk by chunk into pending tables (a key repeated across chunks is
    resolved once every chunk is staged, as within one)."""
    contracts = contracts_of(source)
    tables = file_tables(source)[stem]
    staged = Staged(_pending_tables(con, source, stem, meta["drop_date"]))
    chunks = 0
    for first_line, text in jsonl_chunks(path, JSONL_CHUNK_LINES):
        checked = check_jsonl(
            source,
            stem,
            text,
            tables,
            contracts,
            flatteners_of(source)[stem],
            object_of_file(source, stem),
            first_line=first_line,
            window=window,
        )
        for table, frame in checked.frames.items():
            key = f"{source}__{table}"
            insert_frame(con, key, frame, meta, into=staged.pending[key])
        staged.rows_read += checked.rows_read
        staged.quarantine += checked.quarantine
        chunks += 1
    if chunks > 1:
        parent = f"{source}__{tables[0]}"
        staged.quarantine += _repeated_across_batches(
            con, staged, parent, ["id"], _version(source, tables[0])
        )
    return staged


def _version(source: str, table: str) -> str | None:
    return contracts_of(source)[table].version


def stage_parquet(
    con: duckdb.DuckDBPyConnection,
    source: str,
    stem: str,
    path: Path,
    meta: dict,
    window: TimeWindow | None = None,
) -> Staged:
    """Check a Parquet file batch by batch into a pending table.

    Each batch goes through the same contract as a whole file would (`check_table`, lines numbered
    across the file). A key repeated across batches is found afterwards in SQL and resolved as
    `check_table` does within a batch.
    """
    required = required_columns(source, stem)
    contract = contracts_of(source)[stem]
    staged = Staged(_pending_tables(con, source, stem, meta["drop_date"]))
    batches = 0
    try:
        for batch in parquet_file(path).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            frame = pl.from_arrow(batch)
            offset = staged.rows_read
            lines = pl.Series("_line", range(offset + 1, offset + frame.height + 1), dtype=pl.Int32)
            staged.rows_read += frame.height
            checked = check_table(path, contract, required, frame, lines, [], window)
            for table, typed in checked.frames.items():
                key = f"{source}__{table}"
                insert_frame(con, key, typed, meta, into=staged.pending[key])
            staged.quarantine += checked.quarantine
            batches += 1
    except ExtractFileError:
        raise
    except (OSError, ValueError) as exc:  # a damaged row group: the file cannot be read
        raise ExtractFileError(path, "a readable Parquet file", str(exc)) from exc
    if batches > 1:
        key = f"{source}__{stem}"
        staged.quarantine += _repeated_across_batches(
            con, staged, key, list(RAW_TABLES[key].key), contract.version
        )
    return staged


def _repeated_across_batches(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    parent_key: str,
    key: list[str],
    version: str | None,
) -> list[dict]:
    """Resolve the keys repeated across a file's batches (each batch is already resolved within):
    the newest version by `version`, else the first line, stays; the others leave every pending
    table of the file (a line's child rows with it). Returns their quarantine rows."""
    pending = staged.pending[parent_key]
    table = RAW_TABLES[parent_key]
    keys = ", ".join(f'"{k}"' for k in key)
    order = f'"{version}" desc nulls last, _line' if version else "_line"
    winner_version = f', first_value("{version}") over w as _winner_version' if version else ""
    losers = pl.from_arrow(
        con.sql(
            f"""
            select * exclude (_rank) from (
                select *, row_number() over w as _rank,
                       first_value(_line) over w as _winner_line{winner_version}
                from {pending}
                window w as (partition by {keys} order by {order})
            ) where _rank > 1
            """
        ).to_arrow_table()
    )
    if losers.is_empty():
        return []
    rows = []
    for row in losers.iter_rows(named=True):
        record = "|".join(str(row[k]) for k in key)
        raw_text = row.get("_raw_json") or json.dumps(
            {name: row[name] for name, _, _ in table.all_columns if not name.startswith("_")},
            default=str,
            ensure_ascii=False,
        )
        rows.append(quarantine_row([duplicate_violation(row, key, version)], raw_text, record))
    con.register("_duplicate_lines", losers.select("_line").to_arrow())
    try:
        for name in staged.pending.values():
            con.execute(f"delete from {name} where _line in (select _line from _duplicate_lines)")
    finally:
        con.unregister("_duplicate_lines")
    return rows


def insert_frame(
    con: duckdb.DuckDBPyConnection,
    table_key: str,
    frame: pl.DataFrame,
    meta: dict,
    into: str | None = None,
) -> None:
    """Append checked rows with their load metadata to raw table `table_key` (or to `into`)."""
    if frame.is_empty():
        return
    table = RAW_TABLES[table_key]
    frame = frame.with_columns(
        pl.lit(meta["drop_date"], dtype=pl.Date).alias("_drop_date"),
        pl.lit(meta["file"], dtype=pl.String).alias("_file"),
        pl.lit(meta["loaded_at"], dtype=pl.Datetime("us")).alias("_loaded_at"),
    )
    frame = frame.select([name for name, _, _ in table.all_columns])
    con.register("_ingest_frame", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {into or table.name} BY NAME SELECT * FROM _ingest_frame")
    finally:
        con.unregister("_ingest_frame")
