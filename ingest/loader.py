"""Ingest of one source's daily drop into DuckDB: contracts at the door, nothing lost, idempotent.

Every file is read and checked before anything is written to raw.*: small ones in memory, large
ones (Parquet events, JSON Lines) batch by batch into pending tables, so memory stays flat however
large the file. The writes of a source drop then happen in one transaction, so a file that cannot
be read leaves nothing of that drop behind. Do not append large data inside that transaction:
DuckDB keeps uncommitted appends in memory whatever its memory limit, which is why the large files
are staged (committed) first and moved into raw.* by one `INSERT … SELECT` per table.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import duckdb

from data_contracts.plausibility import Plausibility, TimeWindow
from data_contracts.raw_tables import RAW_TABLES, all_ddl
from ingest.errors import ExtractFileError
from ingest.files import sha256_of
from ingest.log import (
    DropIngestResult,
    FileIngestResult,
    insert_log,
    insert_quarantine,
    previous_delivery,
)
from ingest.manifest import MANIFEST, read_manifest, utc_naive
from ingest.records import CheckedFile
from ingest.sources import EXTENSIONS, SOURCES, file_tables
from ingest.staging import (
    Staged,
    check_csv,
    drop_pending,
    insert_frame,
    pending_table,
    stage_jsonl,
    stage_parquet,
)

# A table file checked in phase 1: its log entry, its stem, and its rows (None when there is
# nothing to write: the file is missing, or unchanged since its last delivery).
_CheckedEntry = tuple[FileIngestResult, str, CheckedFile | Staged | None]

_STAGED_SUFFIXES = (".parquet", ".jsonl")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and tables if absent, and add to an existing raw table the
    columns the layout gained since it was created (NULL in rows loaded before; rows are inserted
    by name). Safe to call every run."""
    for statement in all_ddl():
        con.execute(statement)
    existing = {
        (schema, table, column)
        for schema, table, column in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema = 'raw'"
        ).fetchall()
    }
    for layout in RAW_TABLES.values():
        schema, table = layout.name.split(".")
        for column, dtype, _ in layout.all_columns:
            if (schema, table, column) not in existing:
                con.execute(f'ALTER TABLE {layout.name} ADD COLUMN "{column}" {dtype}')


def ingest_source_drop(
    con: duckdb.DuckDBPyConnection,
    source: str,
    extracts_root: Path,
    drop_date: datetime.date,
    loaded_at: datetime.datetime,
    plausibility: Plausibility | None = None,
) -> DropIngestResult:
    """Load `<extracts_root>/<source>/<drop_date>/` into raw.*, quarantine and audit.ingest_log.

    Timestamps outside the drop's plausible window (`plausibility`, default the shipped settings)
    are quarantined. Raises ExtractFileError (nothing of the drop written) when a file cannot be
    read at all, or when the folder or a file leads outside the extracts root (a link).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    loaded_at = utc_naive(loaded_at)
    ensure_raw_tables(con)
    root = Path(extracts_root).resolve()
    folder = Path(extracts_root) / source / drop_date.isoformat()
    result = DropIngestResult(source, drop_date)

    if not folder.is_dir():
        result.missing_drop = True
        entry = FileIngestResult(None, "missing_drop", message=f"no drop folder {folder}")
        result.files.append(entry)
        insert_log(con, result, entry, loaded_at)
        return result
    # Every entry of the folder first: a link out of the root stops the drop before any file is read.
    for path in [folder, *folder.iterdir()]:
        inside_root(path, root)

    manifest = read_manifest(folder / MANIFEST)
    if manifest is not None:
        result.synthetic = manifest.synthetic
        result.extracted_at = manifest.extracted_at
    counts = manifest.row_counts if manifest else {}
    window = (plausibility or Plausibility()).window(drop_date)

    # Phase 1: read and check every file; nothing is written to raw.* yet.
    checked = _check_files(con, source, folder, root, drop_date, loaded_at, counts, window)
    expected_names = {MANIFEST} | {
        f"{stem}.{ext}" for stem in file_tables(source) for ext in EXTENSIONS[source]
    }
    present = sorted(p.name for p in folder.iterdir() if p.is_file())
    result.ignored_files = [name for name in present if name not in expected_names]
    checked += _account_for_manifest(counts, present, expected_names, result.ignored_files)
    if result.ignored_files:
        note = f"; files in the drop not read: {', '.join(result.ignored_files)}"
        for entry, _, _ in checked:
            if entry.status == "missing_file" and entry.manifest_rows is not None:
                entry.message = f"{entry.message}{note}"

    # Phase 2: one transaction for the whole source drop.
    _write_drop(con, result, checked, loaded_at)
    return result


def inside_root(path: Path, root: Path) -> Path:
    """`path` when it resolves inside the extracts root; a link leading out is refused by name."""
    resolved = path.resolve()
    if path.exists() and not resolved.is_relative_to(root):
        raise ExtractFileError(
            path,
            f"a file or folder inside the extracts root {root}",
            f"it leads to {resolved} (a link); ingest reads nothing outside the root",
        )
    return path


def _check_files(
    con: duckdb.DuckDBPyConnection,
    source: str,
    folder: Path,
    root: Path,
    drop_date: datetime.date,
    loaded_at: datetime.datetime,
    counts: dict[str, int],
    window: TimeWindow,
) -> list[_CheckedEntry]:
    """Every table file of the drop located, compared with its last delivery, read and checked."""
    checked: list[_CheckedEntry] = []
    for stem, tables in file_tables(source).items():
        path = _locate(folder, source, stem)
        if path is None:
            entry = _missing_file(source, stem, counts)
            if (
                entry.manifest_rows is not None
                or RAW_TABLES[f"{source}__{tables[0]}"].required_file
            ):
                checked.append((entry, stem, None))
            continue
        sha = sha256_of(path)
        previous = previous_delivery(con, source, drop_date, path.name)
        entry = FileIngestResult(
            path.name, "loaded", manifest_rows=counts.get(path.name), content_sha256=sha
        )
        if previous is not None and previous[0] == sha:
            entry.status = "unchanged"
            entry.rows_read, entry.rows_loaded, entry.rows_quarantined = previous[1:]
            checked.append((entry, stem, None))
            continue
        meta = {"drop_date": drop_date, "file": path.name, "loaded_at": loaded_at}
        if path.suffix in _STAGED_SUFFIXES:
            stage = stage_parquet if path.suffix == ".parquet" else stage_jsonl
            try:
                rows = stage(con, source, stem, path, meta, window)
            except BaseException:
                _drop_all_pending(con, source, stem, drop_date, checked)
                raise
        else:
            rows = check_csv(source, stem, path, window)
        entry.rows_read = rows.rows_read
        entry.rows_loaded = rows.rows_loaded
        entry.rows_quarantined = rows.rows_quarantined
        if previous is not None:
            entry.status = "replaced"
            entry.message = f"re-delivered with different content (previous sha256 {previous[0]})"
        checked.append((entry, stem, rows))
    return checked


def _account_for_manifest(
    counts: dict[str, int], present: list[str], expected: set[str], ignored: list[str]
) -> list[_CheckedEntry]:
    """Log entries for the files the manifest declares that ingest does not read as a table (their
    rows are lost: rule 11), and for the files present that no table reads (ignored, named)."""
    entries: list[_CheckedEntry] = []
    for name, rows in sorted(counts.items()):
        if name in expected or name in present:
            continue
        message = f"declared by the manifest ({rows} rows) but not in the drop"
        entries.append(
            (FileIngestResult(name, "missing_file", manifest_rows=rows, message=message), "", None)
        )
    for name in ignored:
        entries.append(
            (
                FileIngestResult(
                    name,
                    "ignored_file",
                    manifest_rows=counts.get(name),
                    message="not a table file ingest reads (name or format unknown); nothing loaded",
                ),
                "",
                None,
            )
        )
    return entries


def _missing_file(source: str, stem: str, counts: dict[str, int]) -> FileIngestResult:
    """The log entry of a table file absent from the drop: rows lost when the manifest declares
    it (a misnamed or missing file), else "not extracted"."""
    declared = [f"{stem}.{e}" for e in EXTENSIONS[source] if f"{stem}.{e}" in counts]
    if declared:
        name = declared[0]
        return FileIngestResult(
            name,
            "missing_file",
            manifest_rows=counts[name],
            message=f"declared by the manifest ({counts[name]} rows) but not in the drop",
        )
    name = f"{stem}.{'|'.join(EXTENSIONS[source])}"
    return FileIngestResult(name, "missing_file", message="not extracted")


def _drop_all_pending(
    con: duckdb.DuckDBPyConnection,
    source: str,
    stem: str,
    drop_date: datetime.date,
    checked: list[_CheckedEntry],
) -> None:
    """After a file failed to stage: drop the pending tables of the files staged before it and its own."""
    for _, _, other in checked:
        if isinstance(other, Staged):
            drop_pending(con, other)
    for table in file_tables(source)[stem]:
        con.execute(f"DROP TABLE IF EXISTS {pending_table(source, table, drop_date)}")


def _write_drop(
    con: duckdb.DuckDBPyConnection,
    result: DropIngestResult,
    checked: list[_CheckedEntry],
    loaded_at: datetime.datetime,
) -> None:
    """Write the checked drop in one transaction: raw rows, quarantine and one log row per file."""
    source, drop_date = result.source, result.drop_date
    con.begin()
    try:
        for entry, stem, rows in checked:
            meta = {
                "source": source,
                "drop_date": drop_date,
                "file": entry.file,
                "loaded_at": loaded_at,
            }
            if entry.status == "replaced":
                _delete_delivery(con, source, stem, drop_date, entry.file)
            if isinstance(rows, Staged):
                for key, name in rows.pending.items():
                    con.execute(f"INSERT INTO {RAW_TABLES[key].name} BY NAME FROM {name}")
                insert_quarantine(con, rows.quarantine, meta)
            elif rows is not None:
                for table, frame in rows.frames.items():
                    insert_frame(con, f"{source}__{table}", frame, meta)
                insert_quarantine(con, rows.quarantine, meta)
            if entry.manifest_mismatch and entry.status in ("loaded", "replaced", "unchanged"):
                note = f"manifest declares {entry.manifest_rows} rows, file has {entry.rows_read}"
                entry.message = f"{entry.message}; {note}" if entry.message else note
            result.files.append(entry)
            insert_log(con, result, entry, loaded_at)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        for _, _, rows in checked:
            if isinstance(rows, Staged):
                drop_pending(con, rows)


def _delete_delivery(
    con: duckdb.DuckDBPyConnection, source: str, stem: str, drop_date: datetime.date, file: str
) -> None:
    """Remove an earlier delivery of the file from its raw tables and the quarantine."""
    for table in file_tables(source)[stem]:
        con.execute(
            f"DELETE FROM {RAW_TABLES[f'{source}__{table}'].name} "
            "WHERE _drop_date = ? AND _file = ?",
            [drop_date, file],
        )
    con.execute(
        "DELETE FROM raw.quarantine WHERE source = ? AND drop_date = ? AND file = ?",
        [source, drop_date, file],
    )


def _locate(folder: Path, source: str, stem: str) -> Path | None:
    """The table file of `stem` in the drop folder, whichever accepted format it came in."""
    found = [folder / f"{stem}.{ext}" for ext in EXTENSIONS[source]]
    found = [p for p in found if p.is_file()]
    if len(found) > 1:
        raise ExtractFileError(
            found[0],
            f"exactly one file for table {stem}",
            f"found {', '.join(p.name for p in found)}",
        )
    return found[0] if found else None
