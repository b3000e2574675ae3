"""Hand-made raw rows and dbt runs against them: what tests of dbt models share.

Rows go into the raw tables exactly as ingest lays them out (data_contracts/raw_tables/), so a
model under test reads what it would read in production; dbt runs in a subprocess against the
test's own DuckDB file, target and log folders.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import duckdb

from data_contracts.raw_tables import INGEST_LOG_COLUMNS, RAW_TABLES
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

FILE_EXT = {"stripe": "jsonl", "ticketing": "jsonl", "app_db": "csv", "fx_rates": "csv"}


def insert_raw_rows(
    con: duckdb.DuckDBPyConnection,
    key: str,
    rows: list[dict[str, Any]],
    *,
    loaded_at: dt.datetime,
    drop: dt.date | None = None,
) -> None:
    """Append rows to raw.<key>; columns not given are NULL. With `drop`, rows default to that
    drop date and to line numbers 1..n; without it each row names its own _drop_date and _line."""
    table = RAW_TABLES[key]
    columns = {name for name, _, _ in table.all_columns}
    for line, row in enumerate(rows, start=1):
        defaults: dict[str, Any] = {
            "_file": f"{table.file_stem}.{FILE_EXT[table.source]}",
            "_loaded_at": loaded_at,
        }
        if drop is not None:
            defaults |= {"_drop_date": drop, "_line": line}
        full = {**defaults, **row}
        unknown = set(full) - columns
        assert not unknown, f"{key} has no columns {unknown}"
        quoted = ", ".join(f'"{n}"' for n in full)
        marks = ", ".join("?" for _ in full)
        con.execute(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})", list(full.values()))


def run_dbt(
    args: list[str],
    db_path: Path,
    work_dir: Path,
    as_of: str,
    variables: dict[str, Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `dbt <args>` as of a date against db_path, with the test's own target and log folders
    (and any other dbt vars in `variables`)."""
    command = [
        DBT_EXECUTABLE,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--vars",
        json.dumps({"as_of_date": as_of, **(variables or {})}),
    ]
    env = {**os.environ, "CSW_DUCKDB_PATH": str(db_path)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


def log_drops_with_rows(con: duckdb.DuckDBPyConnection, *empty: tuple[str, dt.date]) -> None:
    """Record in audit.ingest_log, as ingest would, a delivered (`loaded`) drop for every source and
    drop date the raw tables hold rows of, and for each (source, date) of `empty`: a drop that was
    delivered with no rows. Models judge a source's coverage from these deliveries."""
    body = ", ".join(f'"{n}" {t}' for n, t, _ in INGEST_LOG_COLUMNS)
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute(f"CREATE TABLE IF NOT EXISTS audit.ingest_log ({body})")
    delivered: set[tuple[str, dt.date]] = set(empty)
    for table in RAW_TABLES.values():
        for (day,) in con.execute(f"SELECT DISTINCT _drop_date FROM {table.name}").fetchall():
            delivered.add((table.source, day))
    for source, day in sorted(delivered):
        con.execute(
            "INSERT INTO audit.ingest_log (source, drop_date, file, status, rows_read, "
            "rows_loaded, rows_quarantined) VALUES (?, ?, 'all', 'loaded', 0, 0, 0)",
            [source, day],
        )
