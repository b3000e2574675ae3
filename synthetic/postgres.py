"""Load the generated application-database tables into PostgreSQL, so the demo and the tests can
run the live-database path (`csw extract app-db`) end to end.

The tables mirror the generated files column for column (`cs_tasks` with a `deleted_at` beside).
A drop is applied as a database would have changed that day: every row of the drop is inserted or, when its key exists, updated in place
(newest version wins), so extracting after each applied drop gives back that drop's rows.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from data_contracts.raw_tables import RAW_TABLES
from synthetic.app_db import (
    ACCOUNT_COLUMNS,
    CS_ACTIVITY_COLUMNS,
    CSM_COLUMNS,
    NPS_RESPONSE_COLUMNS,
    NPS_SEND_COLUMNS,
    ONBOARDING_COLUMNS,
    USER_COLUMNS,
)
from synthetic.cs_tasks import CS_TASK_COLUMNS
from synthetic.usage import EVENTS_SCHEMA

_INTEGER_COLUMNS = {"seats", "plan_conversation_limit", "score", "action_order"}
# Columns a table has beyond its generated file's: the CRM deletes tasks softly (sources.md).
_EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"cs_tasks": ("deleted_at",)}
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "csms": CSM_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "users": USER_COLUMNS,
    "onboarding_steps": ONBOARDING_COLUMNS,
    "nps_survey_sends": NPS_SEND_COLUMNS,
    "nps_responses": NPS_RESPONSE_COLUMNS,
    "cs_activities": CS_ACTIVITY_COLUMNS,
    "events": tuple(EVENTS_SCHEMA.names),
    "cs_tasks": CS_TASK_COLUMNS,
}
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _key(table: str) -> tuple[str, ...]:
    return ("task_id",) if table == "cs_tasks" else RAW_TABLES[f"app_db__{table}"].key


def _column_type(column: str) -> str:
    if column.endswith("_at"):
        return "timestamptz"
    return "bigint" if column in _INTEGER_COLUMNS else "text"


def create_app_tables(conn: psycopg.Connection) -> None:
    """Create the application tables in the connection's schema (an existing one is an error:
    this never replaces tables it did not create). All or none are created."""
    with conn.transaction():
        _create_tables(conn)


def _create_tables(conn: psycopg.Connection) -> None:
    for table, file_columns in TABLE_COLUMNS.items():
        columns = (*file_columns, *_EXTRA_COLUMNS.get(table, ()))
        definition = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_column_type(c))) for c in columns
        )
        key = sql.SQL(", ").join(map(sql.Identifier, _key(table)))
        conn.execute(
            sql.SQL("create table {} ({}, primary key ({}))").format(
                sql.Identifier(table), definition, key
            )
        )


def apply_app_db_drop(conn: psycopg.Connection, drop_dir: Path) -> dict[str, int]:
    """Insert or update every row of one generated app_db drop; returns rows applied per table."""
    applied = {}
    for table, columns in TABLE_COLUMNS.items():
        fmt = "parquet" if table == "events" else "csv"
        path = drop_dir / f"{table}.{fmt}"
        if not path.exists():
            continue
        with conn.transaction():
            target = sql.Identifier(table)
            empty = conn.execute(
                sql.SQL("select not exists (select from {})").format(target)
            ).fetchone()[0]
            if not empty:  # rows may exist: stage them, then insert or update by key
                conn.execute(
                    sql.SQL("create temp table _incoming (like {}) on commit drop").format(target)
                )
            copy = sql.SQL("copy {} ({}) from stdin with (format csv, header true)").format(
                target if empty else sql.Identifier("_incoming"),
                sql.SQL(", ").join(map(sql.Identifier, columns)),
            )
            with conn.cursor().copy(copy) as stream:
                if fmt == "csv":
                    with path.open("rb") as handle:
                        while block := handle.read(1 << 20):
                            stream.write(block)
                else:
                    _copy_parquet(path, stream)
            if empty:
                applied[table] = conn.execute(
                    sql.SQL("select count(*) from {}").format(target)
                ).fetchone()[0]
            else:
                applied[table] = _upsert(conn, table, columns)
    return applied


def _copy_parquet(path: Path, stream: psycopg.Copy) -> None:
    header = True
    for batch in pq.ParquetFile(path).iter_batches(batch_size=200_000):
        sink = pa.BufferOutputStream()
        pacsv.write_csv(
            pa.Table.from_batches([batch]), sink, pacsv.WriteOptions(include_header=header)
        )
        stream.write(sink.getvalue().to_pybytes())
        header = False
    if header:  # an empty file: COPY still expects the header line it was told about
        stream.write((",".join(EVENTS_SCHEMA.names) + "\n").encode())


def _upsert(conn: psycopg.Connection, table: str, columns: tuple[str, ...]) -> int:
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    updates = sql.SQL(", ").join(
        sql.SQL("{} = excluded.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in columns
        if c not in _key(table)
    )
    statement = sql.SQL(
        "insert into {table} ({names}) select {names} from _incoming "
        "on conflict ({key}) do update set {updates}"
    ).format(
        table=sql.Identifier(table),
        names=names,
        key=sql.SQL(", ").join(map(sql.Identifier, _key(table))),
        updates=updates,
    )
    return conn.execute(statement).rowcount


def drop_dates(extracts_dir: Path) -> list[dt.date]:
    """The app_db drop dates under a generated extracts folder, oldest first."""
    folder = Path(extracts_dir) / "app_db"
    if not folder.is_dir():
        return []
    return sorted(
        dt.date.fromisoformat(p.name) for p in folder.iterdir() if _DATE_DIR.match(p.name)
    )


def load_app_db(
    dsn: str,
    extracts_dir: Path,
    through: dt.date | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[dt.date]:
    """Create the tables and apply every generated app_db drop up to `through` (default: all)."""
    applied = [d for d in drop_dates(extracts_dir) if through is None or d <= through]
    with psycopg.connect(dsn, autocommit=True) as conn:
        create_app_tables(conn)
        for day in applied:
            counts = apply_app_db_drop(conn, Path(extracts_dir) / "app_db" / day.isoformat())
            progress(f"postgres: applied app_db drop {day} ({sum(counts.values())} rows)")
    return applied


def check_postgres(dsn: str) -> int:
    """0 when the database accepts a connection; else says why (as `csw extract` would), exit code."""
    from ingest.extract.app_db import connect
    from ingest.extract.errors import ExtractError

    try:
        connect(dsn).close()
    except ExtractError as exc:
        print(f"csw generate --postgres: {exc.message}", file=sys.stderr, flush=True)
        return exc.exit_code
    return 0


def move_app_db_to_postgres(dsn: str, extracts_dir: Path, say: Callable[[str], None]) -> int:
    """`csw generate --postgres`: load the generated app_db drops into the database and remove the
    files, so that the app_db drops come from `csw extract app-db`. Returns an exit code."""
    try:
        applied = load_app_db(dsn, extracts_dir, progress=say)
    except psycopg.errors.DuplicateTable as exc:
        print(
            f"csw generate --postgres: the database already has a table of that name "
            f"({str(exc).strip()}); give it an empty database (e.g. `createdb csw_demo`), "
            "--postgres never replaces tables. The generated files are left as they are.",
            file=sys.stderr,
            flush=True,
        )
        return 2
    except psycopg.Error as exc:
        print(
            f"csw generate --postgres: loading the app_db drops into PostgreSQL failed: "
            f"{str(exc).strip()}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    shutil.rmtree(Path(extracts_dir) / "app_db")
    say(
        f"loaded {len(applied)} app_db drops into PostgreSQL (the state as of {applied[-1]}); "
        f"next: csw extract app-db --dsn … --out {extracts_dir} --date {applied[-1]}"
    )
    return 0
