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

from data_contracts.raw_tables import RAW_TABLES
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
