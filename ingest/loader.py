"""Ingest of one source's daily drop into DuckDB: contracts at the door, nothing lost, idempotent.

Every file is read and checked before anything is written to raw.*: small ones in memory, large
ones (Parquet events, JSON Lines) batch by batch into pending tables, so memory stays flat however
large the file. The writes of a source drop then happen in one transaction, so a file that cannot
be read leaves nothing of that drop behind.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from data_contracts import app_db, fx_rates, stripe, ticketing
from data_contracts.contracts import Contract
from data_contracts.raw_tables import RAW_TABLES, all_ddl
from ingest.errors import ExtractFileError
from ingest.records import CheckedFile, Violation, check_jsonl, quarantine_row
from ingest.tabular import check_table, read_csv_text, read_parquet

# Parquet extracts (usage events: the largest file by far) are checked and loaded in batches of
# this many rows, so memory stays flat however large the file; other files are read whole.
PARQUET_BATCH_ROWS = 1_000_000
# JSON Lines extracts (Stripe, helpdesk) are checked and loaded this many lines at a time.
JSONL_CHUNK_LINES = 50_000

SOURCES = ("stripe", "app_db", "ticketing", "fx_rates")
MANIFEST = "_manifest.json"
LOADED_STATUSES = ("loaded", "replaced", "unchanged")

_EXTENSIONS = {
    "stripe": ("jsonl",),
    "ticketing": ("jsonl",),
    "app_db": ("csv", "parquet"),
    "fx_rates": ("csv",),
}


@dataclass
class FileIngestResult:
    """What happened to one table file of the drop (one audit.ingest_log row)."""

    file: str | None
    status: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    manifest_rows: int | None = None
    content_sha256: str | None = None
    message: str | None = None

    @property
    def manifest_mismatch(self) -> bool:
        return self.manifest_rows is not None and self.manifest_rows != self.rows_read


@dataclass
class DropIngestResult:
    """The outcome of ingesting one source's drop for one date."""

    source: str
    drop_date: datetime.date
    files: list[FileIngestResult] = field(default_factory=list)
    missing_drop: bool = False
    synthetic: bool = False
    extracted_at: datetime.datetime | None = None
    ignored_files: list[str] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def manifest_mismatches(self) -> list[FileIngestResult]:
        return [f for f in self.files if f.manifest_mismatch]

    def file(self, name: str) -> FileIngestResult:
        return next(f for f in self.files if f.file == name)

    def describe(self) -> str:
        """One line for a run log: per file its status and read/loaded/quarantined counts."""
        if self.missing_drop:
            return "missing drop folder"
        parts = [
            f"{f.file} {f.status}"
            + (
                f" {f.rows_read} read/{f.rows_loaded} loaded/{f.rows_quarantined} quarantined"
                if f.status != "missing_file"
                else ""
            )
            + (f" (manifest says {f.manifest_rows})" if f.manifest_mismatch else "")
            for f in self.files
        ]
        if self.ignored_files:
            parts.append(f"ignored unknown files {', '.join(self.ignored_files)}")
        return "; ".join(parts) + (" [synthetic]" if self.synthetic else "")


@dataclass
class _Manifest:
    extracted_at: datetime.datetime | None
    row_counts: dict[str, int]
    synthetic: bool


def _contracts_of(source: str) -> dict[str, Contract]:
    return {
        "stripe": stripe.CONTRACTS,
        "app_db": app_db.CONTRACTS,
        "ticketing": ticketing.CONTRACTS,
        "fx_rates": fx_rates.CONTRACTS,
    }[source]


def _file_tables(source: str) -> dict[str, tuple[str, ...]]:
    """File stem → the raw tables (parent first) its rows feed."""
    if source == "stripe":
        return stripe.FILE_TABLES
    if source == "ticketing":
        return ticketing.FILE_TABLES
    return {t: (t,) for t in _contracts_of(source)}


def _utc_naive(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and tables if absent (safe to call every run)."""
    for statement in all_ddl():
        con.execute(statement)


def _read_manifest(path: Path) -> _Manifest | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        counts = data.get("row_counts") or {}
        if not isinstance(counts, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counts.values()
        ):
            raise ValueError("row_counts must map file names to integers")
        extracted = data.get("extracted_at")
        extracted_at = _utc_naive(datetime.datetime.fromisoformat(extracted)) if extracted else None
        return _Manifest(extracted_at, counts, bool(data.get("synthetic", False)))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ExtractFileError(
            path, 'JSON {"extracted_at", "row_counts": {file: rows}, "synthetic"}', str(exc)
        ) from exc


def check_file(source: str, stem: str, path: Path) -> CheckedFile:
    """Read one table file and split its rows into valid rows per raw table and quarantine."""
    contracts = _contracts_of(source)
    if source in ("stripe", "ticketing"):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractFileError(path, "UTF-8 JSON Lines text", str(exc)) from exc
        module = stripe if source == "stripe" else ticketing
        tables = module.FILE_TABLES[stem]
        return check_jsonl(
            source,
            stem,
            text,
            tables,
            contracts,
            module.FLATTEN[stem],
            module.OBJECT_OF_FILE[stem],
        )
    required = (app_db.REQUIRED_COLUMNS if source == "app_db" else fx_rates.REQUIRED_COLUMNS)[stem]
    if path.suffix == ".parquet":
        frame, lines = read_parquet(path)
        pre = []
    else:
        frame, lines, pre = read_csv_text(path)
    return check_table(path, contracts[stem], required, frame, lines, pre)


PENDING_SCHEMA = "ingest_pending"


@dataclass
class _Staged:
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


def _pending_tables(
    con: duckdb.DuckDBPyConnection, source: str, stem: str, drop_date: datetime.date
) -> dict[str, str]:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {PENDING_SCHEMA}")
    pending = {}
    for table in _file_tables(source)[stem]:
        key = f"{source}__{table}"
        name = f"{PENDING_SCHEMA}.{key}__{drop_date:%Y%m%d}"
        con.execute(f"CREATE OR REPLACE TABLE {name} AS FROM {RAW_TABLES[key].name} LIMIT 0")
        pending[key] = name
    return pending


def _drop_pending(con: duckdb.DuckDBPyConnection, staged: _Staged) -> None:
    for name in staged.pending.values():
        con.execute(f"DROP TABLE IF EXISTS {name}")


def _jsonl_chunks(path: Path, lines_per_chunk: int):
    """(first line number, text of up to `lines_per_chunk` whole lines) over a JSONL file."""
    number = 1
    with path.open("rb") as handle:
        while True:
            chunk = [line for _, line in zip(range(lines_per_chunk), handle, strict=False)]
            if not chunk:
                return
            data = b"".join(chunk)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = number + data[: exc.start].count(b"\n")
                raise ExtractFileError(
                    path, "UTF-8 JSON Lines text", f"line {line}: {exc.reason}"
                ) from exc
            yield number, text
            number += len(chunk)


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, source: str, stem: str, path: Path, meta: dict
) -> _Staged:
    """Check a JSONL file chunk by chunk into pending tables (duplicates judged across chunks)."""
    module = stripe if source == "stripe" else ticketing
    contracts = _contracts_of(source)
    staged = _Staged(_pending_tables(con, source, stem, meta["drop_date"]))
    seen: set = set()
    for first_line, text in _jsonl_chunks(path, JSONL_CHUNK_LINES):
        checked = check_jsonl(
            source,
            stem,
            text,
            module.FILE_TABLES[stem],
            contracts,
            module.FLATTEN[stem],
            module.OBJECT_OF_FILE[stem],
            first_line=first_line,
            seen=seen,
        )
        for table, frame in checked.frames.items():
            key = f"{source}__{table}"
            _insert_frame(con, key, frame, meta, into=staged.pending[key])
        staged.rows_read += checked.rows_read
        staged.quarantine += checked.quarantine
    return staged


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(16 * 2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parquet_file(path: Path):
    import pyarrow.parquet as pq

    try:
        # pre_buffer=False: with pyarrow's default the reader fetched row groups ahead and kept
        # their buffers (through the 4 GB events file at 100k accounts ingest's resident memory
        # climbed past 8 GiB while DuckDB stayed within its limit).
        return pq.ParquetFile(path, pre_buffer=False)
    except Exception as exc:  # any reader error means the file cannot be read at all
        raise ExtractFileError(path, "a readable Parquet file", str(exc)) from exc


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, source: str, stem: str, path: Path, meta: dict
) -> _Staged:
    """Check a Parquet file batch by batch into a pending table.

    Each batch goes through the same contract as a whole file would (`check_table`, lines numbered
    across the file). A key repeated across batches is found afterwards in SQL and its later rows
    move to the quarantine, as `check_table` does within a batch.
    """
    required = app_db.REQUIRED_COLUMNS[stem]
    contract = _contracts_of(source)[stem]
    staged = _Staged(_pending_tables(con, source, stem, meta["drop_date"]))
    batches = 0
    try:
        for batch in _parquet_file(path).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            frame = pl.from_arrow(batch)
            offset = staged.rows_read
            lines = pl.Series("_line", range(offset + 1, offset + frame.height + 1), dtype=pl.Int32)
            staged.rows_read += frame.height
            checked = check_table(path, contract, required, frame, lines, [])
            for table, typed in checked.frames.items():
                key = f"{source}__{table}"
                _insert_frame(con, key, typed, meta, into=staged.pending[key])
            staged.quarantine += checked.quarantine
            batches += 1
    except ExtractFileError:
        raise
    except (OSError, ValueError) as exc:  # a damaged row group: the file cannot be read
        raise ExtractFileError(path, "a readable Parquet file", str(exc)) from exc
    if batches > 1:
        for key, name in staged.pending.items():
            staged.quarantine += _cross_batch_duplicates(con, key, name)
    return staged


def _cross_batch_duplicates(
    con: duckdb.DuckDBPyConnection, table_key: str, pending: str
) -> list[dict]:
    """Remove from `pending` the later rows of a key seen in an earlier batch; their quarantine rows."""
    table = RAW_TABLES[table_key]
    key = list(table.key)
    keys = ", ".join(f'"{k}"' for k in key)
    on = " and ".join(f'r."{k}" = d."{k}"' for k in key)
    duplicates = pl.from_arrow(
        con.sql(
            f"""
            with d as (
                select {keys}, min(_line) as first_line from {pending}
                group by {keys} having count(*) > 1
            )
            select r.* from {pending} r join d on {on} where r._line > d.first_line
            """
        ).to_arrow_table()
    )
    if duplicates.is_empty():
        return []
    rows = []
    for row in duplicates.iter_rows(named=True):
        record = "|".join(str(row[k]) for k in key)
        violation = Violation(
            row["_line"],
            "duplicate_id_in_drop",
            ",".join(key),
            record,
            f"key ({', '.join(key)}) = {record} already appeared earlier in this file",
        )
        source_row = {
            name: row[name] for name, _, _ in table.all_columns if not name.startswith("_")
        }
        rows.append(
            quarantine_row(
                [violation], json.dumps(source_row, default=str, ensure_ascii=False), record
            )
        )
    con.register("_duplicate_lines", duplicates.select("_line").to_arrow())
    try:
        con.execute(f"delete from {pending} where _line in (select _line from _duplicate_lines)")
    finally:
        con.unregister("_duplicate_lines")
    return rows


def _locate(folder: Path, source: str, stem: str) -> Path | None:
    found = [folder / f"{stem}.{ext}" for ext in _EXTENSIONS[source]]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise ExtractFileError(
            found[0],
            f"exactly one file for table {stem}",
            f"found {', '.join(p.name for p in found)}",
        )
    return found[0] if found else None


def _previous_delivery(
    con: duckdb.DuckDBPyConnection, source: str, drop_date: datetime.date, file: str
) -> tuple | None:
    return con.execute(
        """
        SELECT content_sha256, rows_read, rows_loaded, rows_quarantined
        FROM audit.ingest_log
        WHERE source = ? AND drop_date = ? AND file = ? AND status IN ('loaded', 'replaced', 'unchanged')
        ORDER BY loaded_at DESC, rowid DESC
        LIMIT 1
        """,
        [source, drop_date, file],
    ).fetchone()


def _insert_frame(
    con: duckdb.DuckDBPyConnection,
    table_key: str,
    frame: pl.DataFrame,
    meta: dict,
    into: str | None = None,
) -> None:
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


_QUARANTINE_SCHEMA = {
    "source": pl.String,
    "drop_date": pl.Date,
    "file": pl.String,
    "line": pl.Int32,
    "record_id": pl.String,
    "rule": pl.String,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
    "rules": pl.List(pl.String),
    "raw_text": pl.String,
    "quarantined_at": pl.Datetime("us"),
}


def _insert_quarantine(con: duckdb.DuckDBPyConnection, rows: list[dict], meta: dict) -> None:
    if not rows:
        return
    full = [
        {
            **row,
            "source": meta["source"],
            "drop_date": meta["drop_date"],
            "file": meta["file"],
            "quarantined_at": meta["loaded_at"],
        }
        for row in rows
    ]
    frame = pl.DataFrame(full, schema=_QUARANTINE_SCHEMA)
    con.register("_ingest_quarantine", frame.to_arrow())
    try:
        con.execute("INSERT INTO raw.quarantine BY NAME SELECT * FROM _ingest_quarantine")
    finally:
        con.unregister("_ingest_quarantine")


def _insert_log(
    con: duckdb.DuckDBPyConnection,
    result: DropIngestResult,
    entry: FileIngestResult,
    loaded_at: datetime.datetime,
) -> None:
    con.execute(
        """
        INSERT INTO audit.ingest_log BY NAME
        SELECT ? AS source, ?::DATE AS drop_date, ? AS file, ? AS rows_read, ? AS rows_loaded,
               ? AS rows_quarantined, ? AS manifest_rows, ? AS manifest_mismatch,
               ? AS content_sha256, ? AS status, ? AS synthetic, ?::TIMESTAMP AS extracted_at,
               ?::TIMESTAMP AS loaded_at, ? AS message
        """,
        [
            result.source,
            result.drop_date,
            entry.file,
            entry.rows_read,
            entry.rows_loaded,
            entry.rows_quarantined,
            entry.manifest_rows,
            entry.manifest_mismatch,
            entry.content_sha256,
            entry.status,
            result.synthetic,
            result.extracted_at,
            loaded_at,
            entry.message,
        ],
    )


def ingest_source_drop(
    con: duckdb.DuckDBPyConnection,
    source: str,
    extracts_root: Path,
    drop_date: datetime.date,
    loaded_at: datetime.datetime,
) -> DropIngestResult:
    """Load `<extracts_root>/<source>/<drop_date>/` into raw.*, quarantine and audit.ingest_log.

    Raises ExtractFileError (nothing of the drop written) when a file cannot be read at all.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    loaded_at = _utc_naive(loaded_at)
    ensure_raw_tables(con)
    folder = Path(extracts_root) / source / drop_date.isoformat()
    result = DropIngestResult(source, drop_date)

    if not folder.is_dir():
        result.missing_drop = True
        entry = FileIngestResult(None, "missing_drop", message=f"no drop folder {folder}")
        result.files.append(entry)
        _insert_log(con, result, entry, loaded_at)
        return result

    manifest = _read_manifest(folder / MANIFEST)
    if manifest is not None:
        result.synthetic = manifest.synthetic
        result.extracted_at = manifest.extracted_at
    counts = manifest.row_counts if manifest else {}

    # Phase 1: read and check every file; nothing is written yet.
    pending: list[tuple[FileIngestResult, str, CheckedFile | None]] = []
    expected_names = {MANIFEST}
    for stem, tables in _file_tables(source).items():
        expected_names.update(f"{stem}.{ext}" for ext in _EXTENSIONS[source])
        path = _locate(folder, source, stem)
        if path is None:
            if RAW_TABLES[f"{source}__{tables[0]}"].required_file:
                name = f"{stem}.{'|'.join(_EXTENSIONS[source])}"
                manifest_rows = next(
                    (counts[f"{stem}.{e}"] for e in _EXTENSIONS[source] if f"{stem}.{e}" in counts),
                    None,
                )
                entry = FileIngestResult(
                    name, "missing_file", manifest_rows=manifest_rows, message="not extracted"
                )
                pending.append((entry, stem, None))
            continue
        sha = _sha256(path)
        previous = _previous_delivery(con, source, drop_date, path.name)
        entry = FileIngestResult(
            path.name, "loaded", manifest_rows=counts.get(path.name), content_sha256=sha
        )
        if previous is not None and previous[0] == sha:
            entry.status = "unchanged"
            entry.rows_read, entry.rows_loaded, entry.rows_quarantined = previous[1:]
            pending.append((entry, stem, None))
            continue
        meta = {"drop_date": drop_date, "file": path.name, "loaded_at": loaded_at}
        if path.suffix in (".parquet", ".jsonl"):
            stage = _stage_parquet if path.suffix == ".parquet" else _stage_jsonl
            try:
                checked = stage(con, source, stem, path, meta)
            except BaseException:
                for _, _, other in pending:
                    if isinstance(other, _Staged):
                        _drop_pending(con, other)
                for table in _file_tables(source)[stem]:
                    name = f"{PENDING_SCHEMA}.{source}__{table}__{drop_date:%Y%m%d}"
                    con.execute(f"DROP TABLE IF EXISTS {name}")
                raise
        else:
            checked = check_file(source, stem, path)
        entry.rows_read = checked.rows_read
        entry.rows_loaded = checked.rows_loaded
        entry.rows_quarantined = checked.rows_quarantined
        if previous is not None:
            entry.status = "replaced"
            entry.message = f"re-delivered with different content (previous sha256 {previous[0]})"
        pending.append((entry, stem, checked))
    result.ignored_files = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name not in expected_names
    )

    # Phase 2: one transaction for the whole source drop.
    con.begin()
    try:
        for entry, stem, checked in pending:
            meta = {
                "source": source,
                "drop_date": drop_date,
                "file": entry.file,
                "loaded_at": loaded_at,
            }
            if entry.status == "replaced":
                for table in _file_tables(source)[stem]:
                    con.execute(
                        f"DELETE FROM {RAW_TABLES[f'{source}__{table}'].name} "
                        "WHERE _drop_date = ? AND _file = ?",
                        [drop_date, entry.file],
                    )
                con.execute(
                    "DELETE FROM raw.quarantine WHERE source = ? AND drop_date = ? AND file = ?",
                    [source, drop_date, entry.file],
                )
            if isinstance(checked, _Staged):
                for key, name in checked.pending.items():
                    con.execute(f"INSERT INTO {RAW_TABLES[key].name} BY NAME FROM {name}")
                _insert_quarantine(con, checked.quarantine, meta)
            elif checked is not None:
                for table, frame in checked.frames.items():
                    _insert_frame(con, f"{source}__{table}", frame, meta)
                _insert_quarantine(con, checked.quarantine, meta)
            if entry.manifest_mismatch:
                note = f"manifest declares {entry.manifest_rows} rows, file has {entry.rows_read}"
                entry.message = f"{entry.message}; {note}" if entry.message else note
            result.files.append(entry)
            _insert_log(con, result, entry, loaded_at)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        for _, _, checked in pending:
            if isinstance(checked, _Staged):
                _drop_pending(con, checked)
    return result
