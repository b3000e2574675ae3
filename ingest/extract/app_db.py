"""`csw extract app-db`: the application tables of sources.md from a running PostgreSQL, as a drop.

Library: psycopg 3. One connection holds one REPEATABLE READ, READ ONLY transaction for the whole
extraction, so every table is read from the same snapshot; each table streams out of the server
with `COPY (SELECT …) TO STDOUT` in CSV: small tables go to their CSV file byte for byte, the events
are parsed block by block by pyarrow into Parquet row groups, so memory stays at one block however
large the table. (connectorx and dlt open connections of their own, which cannot share that one
snapshot.)

What is new since the previous extraction is decided by the transaction ids PostgreSQL stamps on
every row version (`xmin`), not by `updated_at`/`occurred_at`: a timestamp cursor misses an event
inserted today with yesterday's `occurred_at` (late-arriving), a row whose transaction was still
open when the previous snapshot was taken, and an update that forgot `updated_at`. A row is new when
its xmin is at or after the previous snapshot's xmin (the oldest transaction still running then),
less the rows that snapshot had already seen, which the state remembers by key and xmin (usually
none: only rows committed while an older transaction was still open). docs/ENGINEERING_NOTES.md has
the reasoning and its limits.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from data_contracts.app_db import REQUIRED_COLUMNS
from data_contracts.raw_tables import RAW_TABLES
from ingest.extract.drop_writer import DropWriter
from ingest.extract.errors import ExtractError, SourceUnavailable

SOURCE = "app_db"
# PostgreSQL's xid counter is 32 bits in a row; two snapshots further apart than this cannot be
# compared by a row's xmin, so the extraction asks for a full one instead.
MAX_XID_DISTANCE = 2**31 - 10_000_000
TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
CONNECT_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class AppTable:
    """One application table: its key (to remember row versions) and the file it becomes."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    fmt: str  # "csv" or "parquet"
    optional: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.fmt}"


def _table(name: str, fmt: str = "csv") -> AppTable:
    return AppTable(name, RAW_TABLES[f"{SOURCE}__{name}"].key, REQUIRED_COLUMNS[name], fmt)


# Extraction order; the events, by far the largest, come last and as Parquet.
TABLES: tuple[AppTable, ...] = (
    _table("csms"),
    _table("accounts"),
    _table("users"),
    _table("onboarding_steps"),
    _table("nps_survey_sends"),
    _table("nps_responses"),
    _table("cs_activities"),
    # sources.md's save-playbook tasks (issue #24): a database without the table is read without it.
    AppTable("cs_tasks", ("task_id",), REQUIRED_COLUMNS["cs_tasks"], "csv", optional=True),
    _table("events", "parquet"),
)


@dataclass
class AppDbExtraction:
    """What one extraction wrote."""

    drop_dir: Path
    mode: str  # "full" or "incremental"
    row_counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Snapshot:
    xmin: int  # 64-bit transaction ids (xid8)
    xmax: int


def describe_dsn(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unreadable DSN)"
    host = info.get("host") or "localhost"
    return f"{info.get('user') or '(default user)'}@{host}:{info.get('port') or 5432}/{info.get('dbname') or '(default database)'}"


def connect(dsn: str) -> psycopg.Connection:
    """A connection, or an ExtractError that says which part of the DSN to check."""
    try:
        conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise ExtractError(
            f"--dsn is not a PostgreSQL connection string ({exc}); expected "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from exc
    where = describe_dsn(dsn)
    try:
        return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=False)
    except psycopg.OperationalError as exc:
        detail = _server_message(exc)
        lowered = detail.lower()
        if "password" in lowered or "authentication" in lowered:
            raise ExtractError(
                f"PostgreSQL refused the login {where}: {detail}. Check the user and password in "
                "--dsn (or PGPASSWORD / ~/.pgpass)."
            ) from exc
        if "does not exist" in lowered:
            raise ExtractError(
                f"PostgreSQL at {where}: {detail}. Check the database (and user) in --dsn."
            ) from exc
        raise SourceUnavailable(
            f"cannot reach PostgreSQL at {where}: {detail}. Check the host and port in --dsn and "
            "that the server is running and accepts connections from this machine."
        ) from exc


def _server_message(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    for prefix in ("FATAL:", "ERROR:"):
        if prefix in text:
            text = text.split(prefix, 1)[1].strip()
    return text


def extract_app_db(
    dsn: str,
    extracts_root: Path,
    drop_date: dt.date,
    *,
    schema: str = "public",
    full: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
) -> AppDbExtraction:
    """Write `<extracts_root>/app_db/<drop_date>/`: everything the first time (or with `full`),
    then what changed since the previous extraction. Nothing is left behind if it fails."""
    writer = DropWriter(extracts_root, SOURCE, drop_date)
    state = writer.open()
    try:
        with connect(dsn) as conn:
            result = _extract(conn, writer, state, schema, full, progress)
    except BaseException as exc:
        writer.abort()
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            raise ExtractError(
                f"PostgreSQL {describe_dsn(dsn)}: {_server_message(exc)}. Grant this user SELECT on "
                f"the application tables of schema {schema}."
            ) from exc
        if isinstance(exc, psycopg.OperationalError):
            raise SourceUnavailable(
                f"the connection to PostgreSQL {describe_dsn(dsn)} failed during the extraction: "
                f"{_server_message(exc)}. Nothing was written; run the extraction again."
            ) from exc
        if isinstance(exc, psycopg.Error):
            raise ExtractError(
                f"PostgreSQL {describe_dsn(dsn)} refused a query of the extraction: "
                f"{_server_message(exc)}. Nothing was written."
            ) from exc
        raise
    return result


def _extract(
    conn: psycopg.Connection,
    writer: DropWriter,
    state: dict[str, Any] | None,
    schema: str,
    full: bool,
    progress: Callable[[str], None],
) -> AppDbExtraction:
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    with conn.transaction():
        snapshot = _snapshot(conn)  # the first statement fixes the transaction's snapshot
        # A role's default statement_timeout would cut a long COPY of the events short.
        conn.execute("set local statement_timeout = 0")
        tables = _check_tables(conn, schema)
        previous = None if full or state is None else _previous_snapshot(state, snapshot)
        mode = "full" if previous is None else "incremental"
        remembered: dict[str, list[str]] = {}
        notes: list[str] = []
        for table, columns in tables:
            skip = (state or {}).get("remembered", {}).get(table.name, []) if previous else []
            rows = _extract_table(conn, writer, schema, table, columns, previous, skip)
            writer.record(table.filename, rows)
            progress(f"app_db {table.filename}: {rows} rows ({mode})")
            remembered[table.name] = _row_versions_since(conn, schema, table, snapshot.xmin)
    new_state = {
        "snapshot_xmin": snapshot.xmin,
        "snapshot_xmax": snapshot.xmax,
        "remembered": remembered,
        "drop_date": writer.drop_date.isoformat(),
        "schema": schema,
    }
    drop_dir = writer.commit(
        new_state,
        {"mode": mode, "snapshot": {"xmin": snapshot.xmin, "xmax": snapshot.xmax}},
    )
    return AppDbExtraction(drop_dir, mode, dict(writer.row_counts), notes)


def _snapshot(conn: psycopg.Connection) -> _Snapshot:
    row = conn.execute(
        "select pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
        "from pg_current_snapshot() as s"
    ).fetchone()
    return _Snapshot(int(row[0]), int(row[1]))


def _previous_snapshot(state: dict[str, Any], current: _Snapshot) -> _Snapshot:
    try:
        previous = _Snapshot(int(state["snapshot_xmin"]), int(state["snapshot_xmax"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ExtractError(
            "the app_db extraction state lacks its snapshot; run with --full into a new extracts "
            "folder (or remove the app_db drops together with _extract_state.json)"
        ) from exc
    if current.xmax < previous.xmax:
        raise ExtractError(
            f"this database's transaction counter ({current.xmax}) is behind the one the previous "
            f"extraction saw ({previous.xmax}): it is another server or a restored copy, whose "
            "changes cannot be told from the state. Run with --full to extract everything again."
        )
    if current.xmax - previous.xmin > MAX_XID_DISTANCE:
        raise ExtractError(
            f"{current.xmax - previous.xmin:,} transactions have run since the previous "
            "extraction, too many to tell new rows by their transaction id. Run with --full."
        )
    return previous


def _check_tables(
    conn: psycopg.Connection, schema: str
) -> list[tuple[AppTable, list[tuple[str, str]]]]:
    """Each table that will be read and its columns (name, type) in table order."""
    found: list[tuple[AppTable, list[tuple[str, str]]]] = []
    for table in TABLES:
        rows = conn.execute(
            """
            select a.attname, format_type(a.atttypid, a.atttypmod)
            from pg_attribute a
            where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped
            order by a.attnum
            """,
            [f'"{schema}"."{table.name}"'],
        ).fetchall()
        if not rows:
            if table.optional:
                continue
            raise ExtractError(
                f"table {schema}.{table.name} not found in the database: sources.md expects the "
                f"application table {table.name} with at least the columns "
                f"{', '.join(table.columns)}. If the tables live in another schema, pass --schema."
            )
        names = [name for name, _ in rows]
        missing = [c for c in table.columns if c not in names]
        if missing:
            raise ExtractError(
                f"table {schema}.{table.name} has no column {', '.join(missing)}: sources.md expects "
                f"at least {', '.join(table.columns)} (found {', '.join(names)})."
            )
        found.append((table, [(name, type_) for name, type_ in rows]))
    return found


def _select_list(columns: list[tuple[str, str]]) -> sql.Composed:
    parts = []
    for name, type_ in columns:
        ident = sql.Identifier(name)
        if type_.startswith("timestamp"):
            value = (
                sql.SQL("{} at time zone 'UTC'").format(ident)
                if "with time zone" in type_
                else ident
            )
            parts.append(
                sql.SQL("to_char({}, {}) as {}").format(value, sql.Literal(TIMESTAMP_FORMAT), ident)
            )
        else:
            parts.append(ident)
    return sql.SQL(", ").join(parts)


def _version_signature(table: AppTable) -> sql.Composed:
    """A row version's identity: its key and the transaction that wrote it."""
    keys = sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in table.key)
    return sql.SQL("concat_ws(chr(31), {}) || chr(30) || xmin::text").format(keys)


def _since(table: AppTable, xmin: int) -> sql.Composed:
    """Rows whose xmin is at or after `xmin` (a 64-bit id), within the 32-bit xid window."""
    return sql.SQL("age(xmin) between 0 and age({}::xid)").format(sql.Literal(str(xmin % 2**32)))


def _where(table: AppTable, previous: _Snapshot | None, skip: list[str]) -> sql.Composable:
    if previous is None:
        return sql.SQL("true")
    condition = _since(table, previous.xmin)
    if skip:
        condition = sql.SQL("{} and {} <> all({}::text[])").format(
            condition, _version_signature(table), sql.Literal(skip)
        )
    return condition


def _row_versions_since(
    conn: psycopg.Connection, schema: str, table: AppTable, xmin: int
) -> list[str]:
    """The row versions this snapshot saw that the next extraction's window will meet again."""
    query = sql.SQL("select {} from {} where {}").format(
        _version_signature(table), sql.Identifier(schema, table.name), _since(table, xmin)
    )
    return sorted(row[0] for row in conn.execute(query).fetchall())


def _extract_table(
    conn: psycopg.Connection,
    writer: DropWriter,
    schema: str,
    table: AppTable,
    columns: list[tuple[str, str]],
    previous: _Snapshot | None,
    skip: list[str],
) -> int:
    select = sql.SQL("select {} from {} where {}").format(
        _select_list(columns), sql.Identifier(schema, table.name), _where(table, previous, skip)
    )
    copy = sql.SQL("copy ({}) to stdout with (format csv, header true)").format(select)
    path = writer.path(table.filename)
    with conn.cursor() as cur:
        if table.fmt == "parquet":
            with cur.copy(copy) as stream:
                return _csv_to_parquet(_CopyReader(stream), _arrow_schema(columns), path)
        with cur.copy(copy) as stream, path.open("wb") as handle:
            for chunk in stream:
                handle.write(chunk)
        count = sql.SQL("select count(*) from {} where {}").format(
            sql.Identifier(schema, table.name), _where(table, previous, skip)
        )
        return int(cur.execute(count).fetchone()[0])


def _arrow_type(type_: str) -> pa.DataType:
    if type_.startswith("timestamp"):
        return pa.timestamp("us", tz="UTC")
    if type_ in ("bigint", "integer", "smallint"):
        return pa.int64()
    if type_ in ("double precision", "real"):
        return pa.float64()
    if type_ == "boolean":
        return pa.bool_()
    if type_ == "date":
        return pa.date32()
    return pa.string()


def _arrow_schema(columns: list[tuple[str, str]]) -> pa.Schema:
    return pa.schema([(name, _arrow_type(type_)) for name, type_ in columns])


def _csv_to_parquet(reader: io.RawIOBase, schema: pa.Schema, path: Path) -> int:
    """Parse COPY's CSV block by block into Parquet row groups; returns the number of rows."""
    batches = pacsv.open_csv(
        reader,
        read_options=pacsv.ReadOptions(block_size=64 * 2**20),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            include_columns=schema.names,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd", use_dictionary=True) as out:
        for batch in batches:
            out.write_batch(batch)
            rows += batch.num_rows
    return rows


class _CopyReader(io.RawIOBase):
    """A file-like view of COPY's output, which psycopg delivers a row at a time."""

    def __init__(self, copy: psycopg.Copy) -> None:
        self._chunks: Iterator[memoryview] = iter(copy)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        parts = [self._pending]
        total = len(self._pending)
        while size < 0 or total < size:
            try:
                chunk = bytes(next(self._chunks))
            except StopIteration:
                break
            parts.append(chunk)
            total += len(chunk)
        data = b"".join(parts)
        if size < 0:
            self._pending = b""
            return data
        self._pending = data[size:]
        return data[:size]

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
